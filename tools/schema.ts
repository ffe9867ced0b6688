import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { ComponentProvider, getPulumiComponents } from "@pulumi/pulumi/provider/experimental";
import * as components from "../components";

/**
 * `npm run schema`: the Pulumi package schema that programs in other languages get from this
 * component, without the Pulumi CLI. `pulumi package add` runs the package as a Node.js plugin
 * (PulumiPlugin.yaml), which serves the components package.json's `main` exports through
 * `ComponentProvider`; the provider's analyzer reads the TypeScript sources (tsconfig.json's
 * program, entered through index.ts) and infers every argument and output, with its doc comment
 * as description. This runs that same provider on the sources of this repository.
 */

const REPO_ROOT = path.resolve(__dirname, "..");

/** A property as the schema describes it (the subset the analyzer writes). */
export interface SchemaProperty {
  type?: "string" | "integer" | "number" | "boolean" | "array" | "object";
  $ref?: string;
  description?: string;
  plain?: boolean;
  items?: SchemaProperty;
  additionalProperties?: SchemaProperty;
}

export interface SchemaType {
  type: string;
  properties?: Record<string, SchemaProperty>;
  required?: string[];
  enum?: { name: string; value: string | number; description?: string }[];
}

export interface SchemaResource {
  isComponent: boolean;
  description?: string;
  inputProperties: Record<string, SchemaProperty>;
  requiredInputs: string[];
  properties: Record<string, SchemaProperty>;
  required: string[];
}

export interface PackageSchema {
  name: string;
  version: string;
  resources: Record<string, SchemaResource>;
  types: Record<string, SchemaType>;
}

/**
 * The provider name the Node.js plugin host gives a package: its npm name without the scope, any
 * character but letters, digits, "-" and "_" replaced with "-" (`@pulumi/pulumi/cmd/run-plugin`).
 */
export function providerName(packageName: string): string {
  return packageName.replace(/^@[^/]+\//, "").replace(/[^-a-zA-Z0-9_]/g, "-");
}

/** The schema `pulumi package get-schema` would print for this repository's package. */
export async function packageSchema(root = REPO_ROOT): Promise<PackageSchema> {
  const { name } = JSON.parse(readFileSync(path.join(root, "package.json"), "utf8")) as { name: string };
  const provider = new ComponentProvider({
    name: providerName(name),
    dirname: root,
    components: getPulumiComponents(components),
  });
  return JSON.parse(await provider.getSchema()) as PackageSchema;
}

const USAGE = `Usage: npm run --silent schema

Prints, as JSON, the Pulumi package schema that \`pulumi package add\` infers from the component's
TypeScript sources: what programs in Python, Go, C#, Java and YAML see of BankNotificationStack.`;

async function main(argv: string[]): Promise<void> {
  const { values } = parseArgs({ args: argv, options: { help: { type: "boolean", short: "h" } } });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  const text = `${JSON.stringify(await packageSchema(), null, 2)}\n`;
  await new Promise<void>((resolve, reject) =>
    process.stdout.write(text, (error) => (error ? reject(error) : resolve())),
  );
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    () => process.exit(0),
    (error: unknown) => {
      const usage =
        error instanceof TypeError && "code" in error && String(error.code).startsWith("ERR_PARSE_ARGS");
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      if (usage) process.stderr.write(`\n${USAGE}\n`);
      process.exit(usage ? 2 : 1);
    },
  );
}
