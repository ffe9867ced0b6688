import { execFile } from "node:child_process";
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { promisify } from "node:util";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { expect } from "chai";
import * as ts from "typescript";
import { createTableFromDesign } from "../../local/bootstrap";
import { ENVIRONMENT } from "../../runtime/config/environment";
import { invokeLikeLambda, NODE_22, unpackArchive, type ArchiveEntry } from "../support/pulumiArchives";
import { startEarly, type EarlyWork } from "../support/pulumiEarlyStart";
import { MOCK_HASH_KEY, REPO_ROOT } from "../../local/pulumi/pulumiMocks";
import { apiEvent, validCustomer } from "../support/sampleData";
import { useLocalServices } from "../support/sharedServices";

const run = promisify(execFile);
const EXAMPLE = path.join(REPO_ROOT, "examples/typescript");

/** What `npm pack --json` reports of the tarball. */
interface PackedTarball {
  filename: string;
  size: number;
  files: { path: string }[];
}

interface ConsumerRun {
  folder: string;
  packed: PackedTarball;
  /** The peer dependencies the installed package declares. */
  peerDependencies: Record<string, string>;
  dependencies: Record<string, string>;
  types: string[];
  handler: string;
  environment: Record<string, string>;
  entries: ArchiveEntry[];
}

/** Compiles the consumer's own program, as its team's build would. */
function compile(source: string, target: string): void {
  const { config } = ts.readConfigFile(path.join(REPO_ROOT, "tsconfig.json"), ts.sys.readFile);
  const { options } = ts.parseJsonConfigFileContent(config, ts.sys, REPO_ROOT);
  const { outputText } = ts.transpileModule(readFileSync(source, "utf8"), {
    compilerOptions: { ...options, sourceMap: false, declaration: false },
    fileName: source,
  });
  writeFileSync(target, outputText);
}

/**
 * `npm pack` of the package as it would be published: its own `prepare` script runs `npm run build`,
 * which compiles `dist/`, and the tarball lands in `destination`, outside the repository.
 */
async function packPackage(destination: string, signal: AbortSignal): Promise<PackedTarball> {
  const { stdout } = await run("npm", ["pack", "--silent", "--json", "--pack-destination", destination], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...NO_REGISTRY },
    maxBuffer: 16 * 1024 * 1024,
    signal,
  });
  const [packed] = JSON.parse(stdout.slice(stdout.indexOf("["))) as PackedTarball[];
  return { ...packed, filename: path.join(destination, packed.filename) };
}

function installedVersion(name: string): string {
  return (
    JSON.parse(readFileSync(path.join(REPO_ROOT, "node_modules", name, "package.json"), "utf8")) as {
      version: string;
    }
  ).version;
}

/**
 * npm settings under which nothing can come from the registry or from a cache: an unreachable
 * registry on 127.0.0.1, an empty cache of the test's own, and offline mode. What the consumer
 * installs can only come from the tarball and from the packages `npm ci` put in this repository.
 */
const NO_REGISTRY: Record<string, string> = {
  npm_config_offline: "true",
  npm_config_registry: "http://127.0.0.1:9/",
  npm_config_audit: "false",
  npm_config_fund: "false",
  npm_config_update_notifier: "false",
};

/**
 * Seeds the program's node_modules with hard links to the packages `npm ci` installed here (with
 * npm's record of them, node_modules/.package-lock.json), copies where hard links are impossible.
 * npm then computes the program's own tree from its package.json, unpacks the tarball, finds every
 * other dependency already satisfied and prunes what the program does not need: no download.
 */
async function seedNodeModules(consumer: string, signal: AbortSignal): Promise<void> {
  const source = path.join(REPO_ROOT, "node_modules");
  const target = path.join(consumer, "node_modules");
  try {
    await run("cp", ["-al", source, target], { signal });
  } catch {
    rmSync(target, { recursive: true, force: true });
    cpSync(source, target, { recursive: true, verbatimSymlinks: true });
  }
}

/**
 * The example program's package.json (examples/typescript) with its own dependencies resolved to what
 * is installed here, and the package itself to the tarball.
 */
function consumerPackageJson(tarball: string): string {
  const example = JSON.parse(readFileSync(path.join(EXAMPLE, "package.json"), "utf8")) as {
    dependencies: Record<string, string>;
    devDependencies: Record<string, string>;
  };
  const resolved = (dependencies: Record<string, string>) =>
    Object.fromEntries(
      Object.keys(dependencies).map((name) => [
        name,
        name === "bank-notification-stack" ? `file:${tarball}` : installedVersion(name),
      ]),
    );
  return JSON.stringify({
    name: "consumer-program",
    version: "1.0.0",
    private: true,
    main: "index.js",
    dependencies: resolved(example.dependencies),
    devDependencies: resolved(example.devDependencies),
  });
}

/** A Pulumi program of its own, outside the repository, installing the tarball and running under mocks. */
async function runConsumer({ signal, scratchFolder }: EarlyWork): Promise<ConsumerRun> {
  NO_REGISTRY.npm_config_cache = scratchFolder("bank-notification-npm-cache-");
  const staging = scratchFolder("bank-notification-package-");
  const consumer = scratchFolder("bank-notification-consumer-");
  const packed = await packPackage(staging, signal);
  writeFileSync(path.join(consumer, "package.json"), consumerPackageJson(packed.filename));
  await seedNodeModules(consumer, signal);
  const npm = (args: string[]) =>
    run("npm", args, {
      cwd: consumer,
      env: { ...process.env, ...NO_REGISTRY },
      maxBuffer: 16 * 1024 * 1024,
      signal,
    });
  // npm 7+ fetches the manifest of every peer dependency of a new package, even one the program
  // already has, which offline means a failure: `--legacy-peer-deps` leaves peers to the program's
  // own dependencies, and `npm ls --all` then fails if they do not satisfy the declared ranges.
  await npm(["install", "--ignore-scripts", "--legacy-peer-deps"]);
  await npm(["ls", "--all"]);
  // The TypeScript example, compiled by the program's own TypeScript against the installed declarations.
  const example = path.join(consumer, "example");
  mkdirSync(example);
  for (const file of ["index.ts", "tsconfig.json"])
    cpSync(path.join(EXAMPLE, file), path.join(example, file));
  await run(
    process.execPath,
    [path.join(consumer, "node_modules/typescript/bin/tsc"), "--noEmit", "-p", example],
    {
      cwd: consumer,
      maxBuffer: 16 * 1024 * 1024,
      signal,
    },
  );
  compile(path.join(__dirname, "consumer/program.ts"), path.join(consumer, "index.js"));
  const resultFile = path.join(consumer, "recorded.json");
  await run(process.execPath, ["index.js", resultFile], {
    cwd: consumer,
    env: { PATH: process.env.PATH },
    signal,
  });
  const installed = JSON.parse(
    readFileSync(path.join(consumer, "node_modules/bank-notification-stack/package.json"), "utf8"),
  ) as Pick<ConsumerRun, "peerDependencies" | "dependencies">;
  return {
    folder: consumer,
    packed,
    peerDependencies: installed.peerDependencies,
    dependencies: installed.dependencies,
    ...(JSON.parse(readFileSync(resultFile, "utf8")) as Omit<
      ConsumerRun,
      "folder" | "packed" | "peerDependencies" | "dependencies"
    >),
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

  it("packs declarations, compiled code and templates, and no test, fixture or local state, under 1 MB", () => {
    const files = recorded.packed.files.map((file) => file.path);
    expect(files).to.include.members([
      "package.json",
      "LICENSE",
      "README.md",
      "CHANGELOG.md",
      "dist/components/index.js",
      "dist/components/index.d.ts",
      "dist/components/settings.d.ts",
      "dist/runtime/handlers/notify.js",
      "templates/deposit/fr.html",
      "templates/layout.html",
    ]);
    expect(
      files.filter((file) =>
        /^(test|local|tools|examples|\.local|\.ci)\/|\.spec\.|\.tgz$|^Pulumi\./.test(file),
      ),
    ).to.deep.equal([]);
    expect(recorded.packed.size).to.be.below(1024 * 1024);
  });

  it("declares @pulumi/pulumi and @pulumi/aws as peers, which the program's own versions satisfy", () => {
    expect(recorded.peerDependencies).to.deep.equal({
      "@pulumi/aws": "^7.48.0",
      "@pulumi/pulumi": "^3.248.0",
    });
    expect(Object.keys(recorded.dependencies).filter((name) => name.startsWith("@pulumi/"))).to.deep.equal(
      [],
    );
  });

  it("installs from the npm tarball and instantiates the component under mocks", () => {
    expect(recorded.types).to.include("bank-notification-stack:index:BankNotificationStack");
    expect(recorded.types.filter((type) => type === "aws:lambda/function:Function")).to.have.length(4);
    expect(recorded.types.filter((type) => type === "aws:ses/template:Template")).to.have.length(16);
  });

  it("bundles the installed package's handler and its runtime dependencies into one file, no deployment tool", () => {
    expect(recorded.handler).to.equal("index.handler");
    expect(recorded.entries.map((entry) => entry.name)).to.deep.equal(["index.js"]);
    const index = recorded.entries[0] as { text: string };
    // The serialized factory required the installed package by name; the bundle carries its code instead.
    expect(index.text).to.not.include('require("bank-notification-stack');
    expect(index.text).to.not.include('require("yup');
    expect(index.text).to.not.include('require("@aws-sdk/client-');
    expect(index.text).to.not.include("@pulumi/");
  });

  for (const [label, node] of [
    [`Node ${process.versions.node}`, process.execPath],
    ["Node 22", NODE_22],
  ] as const) {
    it(`runs the customers API archive with plain ${label}, against dynalite`, async () => {
      const services = await useLocalServices();
      const tableName = `${recorded.environment[ENVIRONMENT.tableName]}-${label.replace(/\W+/g, "-")}`;
      await createTableFromDesign(new DynamoDBClient({}), tableName);
      // The customers API keys the hashes of the addresses it registers with the stack's secret.
      services.secrets[recorded.environment[ENVIRONMENT.hashKeySecretId]] = MOCK_HASH_KEY;
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
