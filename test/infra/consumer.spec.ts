import { execFile } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { expect } from "chai";
import * as ts from "typescript";
import { createTableFromDesign } from "../../local/bootstrap";
import { ENVIRONMENT } from "../../runtime/config/environment";
import { invokeLikeLambda, NODE_22, unpackArchive, type ArchiveEntry } from "../support/pulumiArchives";
import { startEarly, type EarlyWork } from "../support/pulumiEarlyStart";
import { REPO_ROOT } from "../support/pulumiMocks";
import { apiEvent, validCustomer } from "../support/sampleData";
import { useLocalServices } from "../support/sharedServices";

const run = promisify(execFile);

/** What the packed package holds besides `dist/`, as package.json's `files` lists it. */
const PACKAGE_SOURCES = ["package.json", "README.md", "components", "runtime", "templates"];
const COMPILED_FOLDERS = ["components", "runtime"];

interface ConsumerRun {
  folder: string;
  types: string[];
  handler: string;
  environment: Record<string, string>;
  entries: ArchiveEntry[];
}

function compilerOptions(): ts.CompilerOptions {
  const file = path.join(REPO_ROOT, "tsconfig.json");
  const { config } = ts.readConfigFile(file, ts.sys.readFile);
  return ts.parseJsonConfigFileContent(config, ts.sys, REPO_ROOT).options;
}

function typescriptFiles(folder: string): string[] {
  return readdirSync(folder, { recursive: true, encoding: "utf8" })
    .filter((file) => file.endsWith(".ts") && !file.endsWith(".d.ts"))
    .map((file) => path.join(folder, file));
}

/** Compiles a TypeScript file the way the publishing build does (same compiler, same options). */
function compile(source: string, target: string): void {
  const { outputText } = ts.transpileModule(readFileSync(source, "utf8"), {
    compilerOptions: { ...compilerOptions(), sourceMap: false, declaration: false },
    fileName: source,
  });
  mkdirSync(path.dirname(target), { recursive: true });
  writeFileSync(target, outputText);
}

/** `npm pack` of the package as it would be published: sources, templates and the compiled `dist/`. */
async function packPackage(staging: string, signal: AbortSignal): Promise<string> {
  for (const entry of PACKAGE_SOURCES.filter((entry) => existsSync(path.join(REPO_ROOT, entry)))) {
    cpSync(path.join(REPO_ROOT, entry), path.join(staging, entry), { recursive: true });
  }
  for (const folder of COMPILED_FOLDERS) {
    for (const source of typescriptFiles(path.join(staging, folder))) {
      compile(source, path.join(staging, "dist", path.relative(staging, source)).replace(/\.ts$/, ".js"));
    }
  }
  // The staging copy is already compiled above; --ignore-scripts skips prepack, whose build needs node_modules.
  const { stdout } = await run(
    "npm",
    ["pack", "--silent", "--ignore-scripts", "--pack-destination", staging],
    {
      cwd: staging,
      signal,
    },
  );
  return path.join(staging, stdout.trim().split("\n").pop()!);
}

function installedVersion(name: string): string {
  return (
    JSON.parse(readFileSync(path.join(REPO_ROOT, "node_modules", name, "package.json"), "utf8")) as {
      version: string;
    }
  ).version;
}

/**
 * Seeds the program's node_modules with hard links to the repository's installed packages (with
 * npm's record of them, node_modules/.package-lock.json): the versions npm would otherwise extract
 * again from its cache. npm still computes the program's own tree, adds the tarball and prunes what
 * the program does not need; the seed only spares the copying. Where hard links are not possible
 * (another file system), npm installs everything from its cache.
 */
async function seedNodeModules(consumer: string, signal: AbortSignal): Promise<void> {
  try {
    await run("cp", ["-al", path.join(REPO_ROOT, "node_modules"), path.join(consumer, "node_modules")], {
      signal,
    });
  } catch {
    rmSync(path.join(consumer, "node_modules"), { recursive: true, force: true });
  }
}

/** A Pulumi program of its own, outside the repository, installing the tarball and running under mocks. */
async function runConsumer({ signal, scratchFolder }: EarlyWork): Promise<ConsumerRun> {
  const staging = scratchFolder("bank-notification-package-");
  const consumer = scratchFolder("bank-notification-consumer-");
  const tarball = await packPackage(staging, signal);
  writeFileSync(
    path.join(consumer, "package.json"),
    JSON.stringify({ name: "consumer-program", version: "1.0.0", private: true, main: "index.js" }),
  );
  await seedNodeModules(consumer, signal);
  // Offline, from the npm cache that `npm ci` filled: the test downloads nothing.
  await run(
    "npm",
    [
      "install",
      "--offline",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      tarball,
      `@pulumi/pulumi@${installedVersion("@pulumi/pulumi")}`,
      `@pulumi/aws@${installedVersion("@pulumi/aws")}`,
    ],
    { cwd: consumer, maxBuffer: 16 * 1024 * 1024, signal },
  );
  compile(path.join(__dirname, "consumer/program.ts"), path.join(consumer, "index.js"));
  const resultFile = path.join(consumer, "recorded.json");
  await run(process.execPath, ["index.js", resultFile], {
    cwd: consumer,
    env: { PATH: process.env.PATH },
    signal,
  });
  return {
    folder: consumer,
    ...(JSON.parse(readFileSync(resultFile, "utf8")) as Omit<ConsumerRun, "folder">),
  };
}

/** Packing, installing and running the consumer happen in child processes, from the start of the test run. */
const consumerRun = startEarly(runConsumer);

describe("infra: the packed component in another program", function () {
  this.timeout(180_000);
  let recorded: ConsumerRun;
  let archive: string;

  before(async () => {
    recorded = await consumerRun.result();
    archive = path.join(recorded.folder, "customers-api-archive");
    await unpackArchive(recorded.entries, archive);
  });

  it("installs from the npm tarball and instantiates the component under mocks", () => {
    expect(recorded.types).to.include("bank-notification-stack:index:BankNotificationStack");
    expect(recorded.types.filter((type) => type === "aws:lambda/function:Function")).to.have.length(4);
    expect(recorded.types.filter((type) => type === "aws:ses/template:Template")).to.have.length(16);
  });

  it("packs the installed package and its runtime dependencies into the archive, no deployment tool", () => {
    const names = recorded.entries.map((entry) => entry.name);
    expect(names).to.include.members([
      "__index.js",
      "node_modules/bank-notification-stack",
      "node_modules/yup",
    ]);
    expect(names.filter((name) => /@pulumi|typescript|tsx/.test(name))).to.deep.equal([]);
    const index = recorded.entries.find((entry) => entry.name === "__index.js") as { text: string };
    expect(index.text).to.include('require("bank-notification-stack/');
  });

  for (const [label, node] of [
    [`Node ${process.versions.node}`, process.execPath],
    ["Node 22", NODE_22],
  ] as const) {
    it(`runs the customers API archive with plain ${label}, against dynalite`, async () => {
      const services = await useLocalServices();
      const tableName = `${recorded.environment[ENVIRONMENT.tableName]}-${label.replace(/\W+/g, "-")}`;
      await createTableFromDesign(new DynamoDBClient({}), tableName);
      const fn = {
        folder: archive,
        handler: recorded.handler,
        environment: { ...recorded.environment, [ENVIRONMENT.tableName]: tableName },
      };
      const lambdaEnvironment = { ...services.awsEnvironment(), AWS_LAMBDA_FUNCTION_NAME: "customers-api" };
      const saved = (await invokeLikeLambda(
        node,
        fn,
        apiEvent("PUT", "/customers/{id}", { id: "cust-consumer", body: validCustomer() }),
        lambdaEnvironment,
      )) as { statusCode: number; body: string };
      expect(saved.statusCode, saved.body).to.equal(200);
      const read = (await invokeLikeLambda(
        node,
        fn,
        apiEvent("GET", "/customers/{id}", { id: "cust-consumer" }),
        lambdaEnvironment,
      )) as { statusCode: number; body: string };
      expect(read.statusCode).to.equal(200);
      expect(JSON.parse(read.body)).to.include({ customerId: "cust-consumer", locale: "fr-FR" });
    });
  }
});
