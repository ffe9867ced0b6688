import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import { load as loadYaml } from "js-yaml";
import * as ts from "typescript";
import { MOCK_HASH_KEY, REPO_ROOT } from "../../local/pulumi/pulumiMocks";
import type { PackageSchema, SchemaProperty, SchemaResource } from "../../tools/schema";
import { startEarly } from "../support/pulumiEarlyStart";
import { instanceRun, named, type StackRun } from "../support/pulumiStacks";

/**
 * What programs in other Pulumi languages get: the schema Pulumi's component analyzer infers from
 * the TypeScript sources when a program runs `pulumi package add` (`npm run schema` runs the same
 * provider). The expected arguments and outputs are read from the TypeScript declarations with the
 * compiler API, so an argument or output added without a shape the analyzer supports, or without
 * a doc comment, fails here. The YAML example is then checked against that schema.
 */

const run = promisify(execFile);
const COMPONENT_TOKEN = "bank-notification-stack:index:BankNotificationStack";

const inferred = startEarly(({ signal }) =>
  run("npm", ["run", "--silent", "schema"], { cwd: REPO_ROOT, maxBuffer: 16 * 1024 * 1024, signal }),
);

interface Declared {
  args: string[];
  outputs: string[];
}

function isPublicInstanceProperty(member: ts.ClassElement): member is ts.PropertyDeclaration {
  if (!ts.isPropertyDeclaration(member) || ts.isPrivateIdentifier(member.name)) return false;
  const hidden = ts.ModifierFlags.Private | ts.ModifierFlags.Protected | ts.ModifierFlags.Static;
  return (ts.getCombinedModifierFlags(member) & hidden) === 0;
}

/**
 * The component's constructor `args` type and its public instance properties (its outputs), read
 * from the sources. Only the component's own files are parsed: the names need no other module.
 */
function declaredInterface(): Declared {
  const file = path.join(REPO_ROOT, "components/bankNotificationStack.ts");
  const program = ts.createProgram([file, path.join(REPO_ROOT, "components/settings.ts")], {
    noResolve: true,
    noLib: true,
    types: [],
  });
  const checker = program.getTypeChecker();
  const component = program
    .getSourceFile(file)!
    .statements.find(
      (statement): statement is ts.ClassDeclaration =>
        ts.isClassDeclaration(statement) && statement.name?.text === "BankNotificationStack",
    )!;
  const constructor = component.members.find(ts.isConstructorDeclaration)!;
  const argsParameter = constructor.parameters.find((parameter) => parameter.name.getText() === "args")!;
  return {
    args: checker
      .getTypeAtLocation(argsParameter.type!)
      .getProperties()
      .map((property) => property.name),
    outputs: component.members.filter(isPublicInstanceProperty).map((member) => member.name.getText()),
  };
}

function typeToken(ref: string): string {
  return ref.replace(/^#\/types\//, "");
}

describe("infra: the component's schema for every Pulumi language", function () {
  this.timeout(120_000);
  let schema: PackageSchema;
  let component: SchemaResource;
  const declared = declaredInterface();

  before(async () => {
    schema = JSON.parse((await inferred.result()).stdout) as PackageSchema;
    component = schema.resources[COMPONENT_TOKEN];
  });

  it("reads the declarations it checks against (arguments and outputs of the component)", () => {
    expect(declared.args).to.include.members(["senderAddress", "hashKey", "logLevel", "functionMemoryMb"]);
    expect(declared.outputs).to.include.members(["apiUrl", "deadLetterQueueUrls", "functionNames"]);
  });

  it("names the component with the type token the class registers, as a component", () => {
    expect(Object.keys(schema.resources)).to.deep.equal([COMPONENT_TOKEN]);
    expect(schema.name).to.equal("bank-notification-stack");
    expect(component.isComponent).to.equal(true);
    expect(component.description).to.match(/SigV4 API/);
  });

  it("holds every argument of BankNotificationStackArgs, each with a description", () => {
    expect(Object.keys(component.inputProperties).sort()).to.deep.equal([...declared.args].sort());
    for (const [name, property] of Object.entries(component.inputProperties)) {
      expect(property.description?.trim(), name).to.not.equal(undefined).and.not.equal("");
    }
  });

  it("holds every public output of the class, each with a description", () => {
    expect(Object.keys(component.properties).sort()).to.deep.equal([...declared.outputs].sort());
    for (const [name, property] of Object.entries(component.properties)) {
      expect(property.description?.trim(), name).to.not.equal(undefined).and.not.equal("");
    }
    expect(component.required.sort()).to.deep.equal([...declared.outputs].sort());
  });

  it("requires only the sender address and the hash key", () => {
    expect(component.requiredInputs).to.deep.equal(["hashKey", "senderAddress"]);
  });

  it("takes the hash key as an input (a secret from config), every other argument as a plain value", () => {
    const notPlain = Object.entries(component.inputProperties).filter(([, property]) => !property.plain);
    expect(notPlain.map(([name]) => name)).to.deep.equal(["hashKey"]);
  });

  it("describes every field of its object types and every value of its enums", () => {
    expect(Object.keys(schema.types).length).to.be.above(0);
    for (const [token, type] of Object.entries(schema.types)) {
      for (const [name, property] of Object.entries(type.properties ?? {})) {
        expect(property.description?.trim(), `${token}.${name}`).to.not.equal(undefined).and.not.equal("");
      }
      for (const member of type.enum ?? []) {
        expect(member.description?.trim(), `${token}.${member.name}`)
          .to.not.equal(undefined)
          .and.not.equal("");
      }
    }
  });

  it("offers the log level and the Object Lock mode as enums of the values AWS takes", () => {
    const values = (token: string) => schema.types[token].enum!.map((member) => member.value);
    expect(typeToken(component.inputProperties.logLevel.$ref!)).to.equal(
      "bank-notification-stack:index:LogLevel",
    );
    expect(values("bank-notification-stack:index:LogLevel")).to.deep.equal([
      "DEBUG",
      "INFO",
      "WARN",
      "ERROR",
    ]);
    expect(values(typeToken(component.inputProperties.evidenceObjectLockMode.$ref!))).to.deep.equal([
      "GOVERNANCE",
      "COMPLIANCE",
    ]);
  });

  it("gives per-function settings one optional field per function", () => {
    const settings = schema.types[typeToken(component.inputProperties.functionMemoryMb.$ref!)];
    expect(Object.keys(settings.properties!)).to.deep.equal([
      "operationsApi",
      "customersApi",
      "notify",
      "sesFeedback",
    ]);
    expect(settings.required).to.deep.equal([]);
    expect(component.inputProperties.functionTimeoutSeconds.$ref).to.equal(
      component.inputProperties.functionMemoryMb.$ref,
    );
  });

  describe("the YAML example (examples/yaml/Pulumi.yaml)", () => {
    interface YamlProgram {
      config: Record<string, { type: string; secret?: boolean }>;
      resources: Record<string, { type: string; properties: Record<string, unknown> }>;
      outputs: Record<string, string>;
    }
    const example = loadYaml(
      readFileSync(path.join(REPO_ROOT, "examples/yaml/Pulumi.yaml"), "utf8"),
    ) as YamlProgram;
    const [resourceName, resource] = Object.entries(example.resources).find(
      ([, candidate]) => candidate.type === COMPONENT_TOKEN,
    )!;

    /** What is wrong with `value` as the schema property `spec`, one line per problem. */
    function problemsOf(where: string, spec: SchemaProperty, value: unknown): string[] {
      const reference = typeof value === "string" ? /^\$\{([^}]+)\}$/.exec(value)?.[1] : undefined;
      if (reference !== undefined) {
        const config = example.config[reference];
        if (!config) return [`${where}: \${${reference}} is not a config value of the program`];
        return config.type === spec.type
          ? []
          : [`${where}: config ${reference} is a ${config.type}, not a ${spec.type}`];
      }
      if (spec.$ref) {
        const type = schema.types[typeToken(spec.$ref)];
        if (type.enum) {
          const values = type.enum.map((member) => member.value);
          return values.includes(value as string)
            ? []
            : [`${where}: ${String(value)} is not one of ${values.join(", ")}`];
        }
        if (value === null || typeof value !== "object") return [`${where}: not an object`];
        const fields = value as Record<string, unknown>;
        return [
          ...(type.required ?? []).filter((key) => !(key in fields)).map((key) => `${where}.${key}: missing`),
          ...Object.entries(fields).flatMap(([key, field]) =>
            type.properties?.[key]
              ? problemsOf(`${where}.${key}`, type.properties[key], field)
              : [`${where}.${key}: no such field in ${typeToken(spec.$ref!)}`],
          ),
        ];
      }
      switch (spec.type) {
        case "array":
          return Array.isArray(value)
            ? value.flatMap((item, index) => problemsOf(`${where}[${index}]`, spec.items!, item))
            : [`${where}: not a list`];
        case "object":
          return value !== null && typeof value === "object" && !Array.isArray(value)
            ? Object.entries(value).flatMap(([key, item]) =>
                problemsOf(`${where}.${key}`, spec.additionalProperties!, item),
              )
            : [`${where}: not a map`];
        case "integer":
          return Number.isInteger(value) ? [] : [`${where}: not an integer`];
        default:
          return typeof value === spec.type ? [] : [`${where}: not a ${spec.type}`];
      }
    }

    it("declares the component with the schema's type token", () => {
      expect(resource.type).to.equal(COMPONENT_TOKEN);
    });

    it("sets only arguments of the schema, each with a value of its type, and every required one", () => {
      const problems = Object.entries(resource.properties).flatMap(([name, value]) =>
        component.inputProperties[name]
          ? problemsOf(name, component.inputProperties[name], value)
          : [`${name}: not an argument of the component`],
      );
      expect(problems).to.deep.equal([]);
      expect(Object.keys(resource.properties)).to.include.members(component.requiredInputs);
    });

    it("the checker it relies on rejects a misspelt field, a wrong type and an unknown enum value", () => {
      expect(
        problemsOf("alarmThresholds", component.inputProperties.alarmThresholds, { apiLatencyMs: 1 }),
      ).to.deep.equal([
        "alarmThresholds.apiLatencyMs: no such field in bank-notification-stack:index:PartialAlarmThresholds",
      ]);
      expect(problemsOf("sesMaxSendRate", component.inputProperties.sesMaxSendRate, "50")).to.deep.equal([
        "sesMaxSendRate: not a number",
      ]);
      expect(problemsOf("logLevel", component.inputProperties.logLevel, "info")).to.deep.equal([
        "logLevel: info is not one of DEBUG, INFO, WARN, ERROR",
      ]);
    });

    it("reads only outputs the schema declares", () => {
      const problems = Object.entries(example.outputs).flatMap(([output, expression]) => {
        const [owner, first, ...rest] = /^\$\{(.+)\}$/.exec(expression)![1].split(".");
        if (owner !== resourceName) return [`${output}: reads ${owner}, not the component`];
        let spec: SchemaProperty | undefined = component.properties[first];
        for (const field of rest)
          spec = spec?.$ref ? schema.types[typeToken(spec.$ref)].properties?.[field] : undefined;
        return spec ? [] : [`${output}: ${expression} is not an output of the component`];
      });
      expect(problems).to.deep.equal([]);
    });

    it("is accepted by the component: the example's values pass its checks and reach the resources", async () => {
      const args = { ...resource.properties, hashKey: pulumi.secret(MOCK_HASH_KEY) };
      const instance: StackRun = await instanceRun(resourceName, args as never);
      const notify = named(instance, "aws:lambda/function:Function", `${resourceName}-notify`);
      expect(notify.inputs.memorySize).to.equal(1024);
      expect(notify.inputs.name).to.equal("payments-prod-notify");
      const identity = instance.resources.find(
        (candidate) => candidate.type === "aws:sesv2/emailIdentity:EmailIdentity",
      )!;
      expect(identity.inputs.emailIdentity).to.equal("notifications.examplebank.com");
    });
  });
});
