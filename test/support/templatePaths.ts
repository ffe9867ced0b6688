import Handlebars from "handlebars";

/** One level of the data a path resolves against: `[]` stands for every item of a list ({{#each}}). */
export type PathSegments = string[];

const EACH_ITEM = "[]";

/**
 * Every path of the data a Handlebars template reads, resolved from the root of the data: variables
 * in mustaches, the conditions of {{#if}} and {{#unless}}, the lists of {{#each}} and what is read
 * inside them (`list.[].name`), the objects of {{#with}}, helper and sub-expression arguments,
 * `../` and `@root` paths. Data variables such as @index are not data paths. Partials and
 * decorators, which SES does not have, are refused.
 */
export function templatePaths(source: string): PathSegments[] {
  const found: PathSegments[] = [];

  const resolve = (path: hbs.AST.PathExpression, scopes: PathSegments[]): PathSegments | undefined => {
    if (path.data) return path.parts[0] === "root" ? path.parts.slice(1) : undefined;
    const base = scopes[scopes.length - 1 - path.depth];
    if (!base) throw new Error(`${path.original} climbs above the root of the data`);
    return [...base, ...path.parts];
  };
  const record = (path: hbs.AST.PathExpression, scopes: PathSegments[]) => {
    const segments = resolve(path, scopes);
    if (segments && segments.length > 0) found.push(segments);
    return segments;
  };
  const expression = (node: hbs.AST.Expression, scopes: PathSegments[]) => {
    if (node.type === "PathExpression") record(node as hbs.AST.PathExpression, scopes);
    else if (node.type === "SubExpression") call(node as hbs.AST.SubExpression, scopes);
  };
  /** A helper call: its name is not data, its arguments are. */
  const call = (node: { params: hbs.AST.Expression[]; hash?: hbs.AST.Hash }, scopes: PathSegments[]) => {
    for (const param of node.params) expression(param, scopes);
    for (const pair of node.hash?.pairs ?? []) expression(pair.value, scopes);
  };
  const isCall = (node: { params: hbs.AST.Expression[]; hash?: hbs.AST.Hash }) =>
    node.params.length > 0 || (node.hash?.pairs.length ?? 0) > 0;

  const walk = (program: hbs.AST.Program | undefined, scopes: PathSegments[]) => {
    for (const statement of program?.body ?? []) {
      switch (statement.type) {
        case "ContentStatement":
        case "CommentStatement":
          break;
        case "MustacheStatement": {
          const mustache = statement as hbs.AST.MustacheStatement;
          if (isCall(mustache)) call(mustache, scopes);
          else if (mustache.path.type === "PathExpression")
            record(mustache.path as hbs.AST.PathExpression, scopes);
          break;
        }
        case "BlockStatement": {
          const block = statement as hbs.AST.BlockStatement;
          let inner = scopes;
          if (!isCall(block)) {
            // {{#list}}…{{/list}}: a section, whose content reads the value it names.
            const target = record(block.path, scopes);
            if (target) inner = [...scopes, target];
          } else {
            call(block, scopes);
            const [first] = block.params;
            const target =
              first?.type === "PathExpression" ? resolve(first as hbs.AST.PathExpression, scopes) : undefined;
            if (block.path.original === "each" && target) inner = [...scopes, [...target, EACH_ITEM]];
            if (block.path.original === "with" && target) inner = [...scopes, target];
          }
          walk(block.program, inner);
          walk(block.inverse, scopes);
          break;
        }
        default:
          throw new Error(
            `line ${statement.loc.start.line}: ${statement.type} is not available in SES templates`,
          );
      }
    }
  };
  walk(Handlebars.parse(source), [[]]);
  return found;
}

/** The values a path reaches in the data: one per list item under `[]`, undefined where it stops. */
export function valuesAt(data: unknown, segments: PathSegments): unknown[] {
  if (segments.length === 0) return [data];
  const [head, ...rest] = segments;
  if (head === EACH_ITEM)
    return Array.isArray(data) ? data.flatMap((item) => valuesAt(item, rest)) : [undefined];
  if (data === null || typeof data !== "object" || !Object.hasOwn(data, head)) return [undefined];
  return valuesAt((data as Record<string, unknown>)[head], rest);
}

export function pathText(segments: PathSegments): string {
  return segments.join(".");
}
