/** js-yaml ships no types; the plan and the specs only parse Pulumi's YAML files with it. */
declare module "js-yaml" {
  export function load(text: string): unknown;
}
