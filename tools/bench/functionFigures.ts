import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { build } from "esbuild";
import { BUNDLE_OPTIONS, bundleFunction, FUNCTION_FILE } from "../../components/functionCode";
import { HANDLER_FACTORIES } from "../../components/functions";
import { FUNCTION_IDS, type FunctionId } from "../../components/settings";
import { ENVIRONMENT, HANDLER_SETTINGS } from "../../runtime/config/environment";
import { measureInits, timing, type InitProgram, type Timing } from "./initTimes";
import { zippedBytes } from "./zippedBytes";

/**
 * Each function's archive against its floor. The archive is what the component deploys (the same
 * `bundleFunction`). Its floor is the least a bundle of the same handler can be: esbuild, with the
 * same options and the same SDK choice (bundled), straight from the handler's TypeScript module.
 * Init is measured on Lambda's Node (22), against a floor that loads and builds only the function's
 * SDK clients, bundled the same way.
 */

const REPO_ROOT = path.resolve(__dirname, "../..");

/** Each handler factory's module, for the floor. */
const HANDLER_MODULES: Record<FunctionId, { module: string; factory: string }> = {
  operationsApi: { module: "./runtime/handlers/operationsApi", factory: "createOperationsApiHandler" },
  customersApi: { module: "./runtime/handlers/customersApi", factory: "createCustomersApiHandler" },
  notify: { module: "./runtime/handlers/notify", factory: "createNotifyHandler" },
  sesFeedback: { module: "./runtime/handlers/sesFeedbackHandler", factory: "createSesFeedbackHandler" },
};

/** How a function builds each SDK client it bundles: the runtime's own client factories. */
const CLIENT_BUILDERS: Record<string, string> = {
  "@aws-sdk/client-dynamodb":
    'import { createDocumentClient, createDynamoDbClient } from "./runtime/clients/dynamodbClient"; createDocumentClient(createDynamoDbClient());',
  "@aws-sdk/client-eventbridge":
    'import { createEventBridgeClient } from "./runtime/clients/eventBridgeClient"; createEventBridgeClient();',
  "@aws-sdk/client-s3": 'import { createS3Client } from "./runtime/clients/s3Client"; createS3Client();',
  "@aws-sdk/client-secrets-manager":
    'import { createSecretsManagerClient } from "./runtime/clients/secretsManagerClient"; createSecretsManagerClient();',
  "@aws-sdk/client-sesv2":
    'import { createSesClient } from "./runtime/clients/sesClient"; createSesClient();',
};

export interface FunctionFigures {
  archive: { zippedBytes: number; unpackedBytes: number; packages: string[] };
  floor: { zippedBytes: number };
  initMs: Timing;
  floorInitMs: Timing;
  /** Init of the floor bundle of the whole handler: what the serialization adds to init is the rest. */
  handlerFloorInitMs: Timing;
}

export interface FunctionsReport {
  functions: Record<FunctionId, FunctionFigures>;
  /** Bare `node` (start and exit), for scale. */
  nodeStartMs: Timing;
}

async function bundleEntry(contents: string): Promise<string> {
  const result = await build({
    stdin: { contents, resolveDir: REPO_ROOT, loader: "ts", sourcefile: "entry.ts" },
    ...BUNDLE_OPTIONS,
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0].text;
}

/** Placeholder values for the settings a handler requires at init; init reaches no AWS service. */
function functionEnvironment(id: FunctionId): Record<string, string> {
  return {
    AWS_REGION: "eu-west-1",
    ...Object.fromEntries(HANDLER_SETTINGS[id].required.map((key) => [ENVIRONMENT[key], `bench-${key}`])),
  };
}

export async function measureFunctions(node: string, runs: number): Promise<FunctionsReport> {
  const scratch = mkdtempSync(path.join(tmpdir(), "bank-notification-bench-"));
  try {
    const programs: InitProgram[] = [{ key: "node", cwd: scratch, env: {} }];
    const sizes = {} as Record<FunctionId, Pick<FunctionFigures, "archive" | "floor">>;
    for (const id of FUNCTION_IDS) {
      const bundle = await bundleFunction(HANDLER_FACTORIES[id]);
      const { module, factory } = HANDLER_MODULES[id];
      const handlerFloor = await bundleEntry(
        `import { ${factory} } from "${module}"; export const handler = ${factory}();`,
      );
      const clientsFloor = await bundleEntry(
        bundle.packages
          .filter((name) => name in CLIENT_BUILDERS)
          .map((name) => CLIENT_BUILDERS[name])
          .join("\n"),
      );
      sizes[id] = {
        archive: {
          zippedBytes: zippedBytes([{ name: FUNCTION_FILE, data: bundle.code }]),
          unpackedBytes: Buffer.byteLength(bundle.code),
          packages: bundle.packages,
        },
        floor: { zippedBytes: zippedBytes([{ name: FUNCTION_FILE, data: handlerFloor }]) },
      };
      const env = functionEnvironment(id);
      for (const [key, code] of [
        [`${id}.archive`, bundle.code],
        [`${id}.floor`, clientsFloor],
        [`${id}.handlerFloor`, handlerFloor],
      ]) {
        const folder = path.join(scratch, key);
        mkdirSync(folder);
        writeFileSync(path.join(folder, FUNCTION_FILE), code);
        programs.push({ key, file: path.join(folder, FUNCTION_FILE), cwd: folder, env });
      }
    }
    const samples = await measureInits(node, programs, runs);
    const functions = Object.fromEntries(
      FUNCTION_IDS.map((id) => [
        id,
        {
          ...sizes[id],
          initMs: timing(samples[`${id}.archive`]),
          floorInitMs: timing(samples[`${id}.floor`]),
          handlerFloorInitMs: timing(samples[`${id}.handlerFloor`]),
        },
      ]),
    ) as Record<FunctionId, FunctionFigures>;
    return { functions, nodeStartMs: timing(samples.node) };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
