import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import {
  createCustomersApiHandler,
  createNotifyHandler,
  createOperationsApiHandler,
  createSesFeedbackHandler,
} from "../../runtime";
import { ENVIRONMENT } from "../../runtime/config/environment";
import { builtinModules } from "node:module";
import { bundleFunction } from "../../components/functionCode";
import { HANDLER_FACTORIES } from "../../components/functions";
import { FUNCTION_IDS, type FunctionId } from "../../components/settings";
import { MOCK_HASH_KEY, REPO_ROOT, type RecordedResource } from "../../local/pulumi/pulumiMocks";
import { byArn, ofType, onlyOfType, stackRun, type StackRun } from "../support/pulumiStacks";

const FACTORIES: Record<FunctionId, (options: { env: Record<string, string> }) => unknown> = {
  operationsApi: createOperationsApiHandler,
  customersApi: createCustomersApiHandler,
  notify: createNotifyHandler,
  sesFeedback: createSesFeedbackHandler,
};

function functionsOf(run: StackRun): Record<FunctionId, RecordedResource> {
  const functions = ofType(run, "aws:lambda/function:Function");
  return Object.fromEntries(
    FUNCTION_IDS.map((id) => {
      const slug = id.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
      const found = functions.find((fn) => String(fn.inputs.name).endsWith(`-${slug}`));
      if (!found) throw new Error(`no function for ${id}`);
      return [id, found];
    }),
  ) as Record<FunctionId, RecordedResource>;
}

function codeOf(fn: RecordedResource): pulumi.asset.AssetArchive {
  return fn.inputs.code as pulumi.asset.AssetArchive;
}

async function archiveText(fn: RecordedResource): Promise<string> {
  const entry = (await codeOf(fn).assets)["index.js"];
  if (!(entry instanceof pulumi.asset.StringAsset)) throw new Error(`${fn.name}: index.js is not text`);
  return entry.text;
}

function environmentOf(fn: RecordedResource): Record<string, string> {
  return (fn.inputs.environment as { variables: Record<string, string> }).variables;
}

describe("infra: functions", function () {
  this.timeout(120_000);
  let dev: StackRun;
  let prod: StackRun;

  before(async () => {
    [dev, prod] = await Promise.all([stackRun("dev"), stackRun("prod")]);
  });

  it("are the four runtime handlers, each an archive of one file, index.js, whose `handler` export Lambda calls", async () => {
    const functions = functionsOf(prod);
    for (const id of FUNCTION_IDS) {
      expect(functions[id].inputs.handler, id).to.equal("index.handler");
      expect(functions[id].inputs.code, id).to.be.instanceOf(pulumi.asset.AssetArchive);
      expect(Object.keys(await codeOf(functions[id]).assets), id).to.deep.equal(["index.js"]);
    }
    expect(ofType(prod, "aws:lambda/function:Function")).to.have.length(4);
  });

  it("bundle each handler with only the AWS SDK clients it calls, and yup only where it validates", async () => {
    const expected: Record<FunctionId, string[]> = {
      operationsApi: [
        "@aws-sdk/client-dynamodb",
        "@aws-sdk/client-eventbridge",
        "@aws-sdk/client-secrets-manager",
        "yup",
      ],
      customersApi: ["@aws-sdk/client-dynamodb", "@aws-sdk/client-secrets-manager", "yup"],
      notify: [
        "@aws-sdk/client-dynamodb",
        "@aws-sdk/client-s3",
        "@aws-sdk/client-secrets-manager",
        "@aws-sdk/client-sesv2",
        "yup",
      ],
      sesFeedback: ["@aws-sdk/client-dynamodb", "@aws-sdk/client-secrets-manager"],
    };
    const functions = functionsOf(prod);
    for (const id of FUNCTION_IDS) {
      const bundle = await bundleFunction(HANDLER_FACTORIES[id]);
      expect(bundle.code, `${id}: the bundle is the archive's code`).to.equal(
        await archiveText(functions[id]),
      );
      expect(
        bundle.packages.filter((name) => name.startsWith("@aws-sdk/client-") || name === "yup"),
        id,
      ).to.deep.equal(expected[id]);
      expect(
        bundle.packages.filter((name) => name.startsWith("@pulumi/")),
        id,
      ).to.deep.equal([]);
    }
  });

  it("give byte-identical code for the same sources, with no path of the machine that built it", async () => {
    const [devFunctions, prodFunctions] = [functionsOf(dev), functionsOf(prod)];
    for (const id of FUNCTION_IDS) {
      const code = await archiveText(prodFunctions[id]);
      expect(code === (await archiveText(devFunctions[id])), id).to.equal(true);
      expect(code.includes(REPO_ROOT), id).to.equal(false);
    }
  });

  it("run on an explicit nodejs22.x runtime, with active tracing", () => {
    for (const fn of ofType(prod, "aws:lambda/function:Function")) {
      expect(fn.inputs.runtime, fn.name).to.equal("nodejs22.x");
      expect(fn.inputs.tracingConfig, fn.name).to.deep.equal({ mode: "Active" });
    }
  });

  it("have explicit timeouts (API functions under API Gateway's 29 s) and memory", () => {
    const functions = functionsOf(prod);
    expect(functions.operationsApi.inputs.timeout).to.be.below(29);
    expect(functions.customersApi.inputs.timeout).to.be.below(29);
    expect(functions.notify.inputs.timeout).to.equal(60);
    expect(functions.sesFeedback.inputs.timeout).to.equal(30);
    expect(functions.notify.inputs.memorySize).to.equal(1024);
    expect(functionsOf(dev).notify.inputs.memorySize).to.equal(512);
  });

  it("log JSON to their own KMS-encrypted log group, at the level the stack config sets", () => {
    for (const [run, level, retention] of [
      [dev, "DEBUG", 14],
      [prod, "INFO", 400],
    ] as const) {
      for (const fn of ofType(run, "aws:lambda/function:Function")) {
        const logging = fn.inputs.loggingConfig as Record<string, unknown>;
        expect(logging.logFormat).to.equal("JSON");
        expect(logging.applicationLogLevel).to.equal(level);
        const logGroup = ofType(run, "aws:cloudwatch/logGroup:LogGroup").find(
          (candidate) => candidate.inputs.name === logging.logGroup,
        );
        expect(logGroup, `log group of ${fn.name}`).to.not.equal(undefined);
        expect(logGroup!.inputs.retentionInDays).to.equal(retention);
        expect(logGroup!.inputs.kmsKeyId).to.equal(onlyOfType(run, "aws:kms/key:Key").state.arn);
      }
    }
  });

  it("get exactly the environment their handler requires: each factory starts with it", () => {
    const functions = functionsOf(prod);
    for (const id of FUNCTION_IDS) {
      const env = environmentOf(functions[id]);
      expect(() => FACTORIES[id]({ env }), id).to.not.throw();
      expect(Object.values(ENVIRONMENT), id).to.include.members(Object.keys(env));
      expect(Object.keys(env), id).to.not.include(
        "AWS_LAMBDA_LOG_LEVEL",
        "Lambda sets it from the logging config",
      );
      expect(env[ENVIRONMENT.logLevel], id).to.equal("INFO");
      expect(JSON.stringify(env), id).to.not.include(MOCK_HASH_KEY);
    }
    const notify = environmentOf(functions.notify);
    expect(notify[ENVIRONMENT.hashKeySecretId]).to.equal(
      onlyOfType(prod, "aws:secretsmanager/secret:Secret").state.arn,
    );
    expect(notify[ENVIRONMENT.leaseSeconds]).to.equal("120");
    expect(notify[ENVIRONMENT.templatePrefix]).to.equal("bank-notif-prod");
    expect(Object.keys(environmentOf(functions.sesFeedback))).to.not.include(ENVIRONMENT.evidenceBucket);
  });

  it("space notify's sends so that its maximum concurrency × each worker's rate stays within sesMaxSendRate", () => {
    for (const [run, sesMaxSendRate, concurrency, intervalMs] of [
      [dev, 1, 2, 2000],
      [prod, 50, 10, 200],
    ] as const) {
      const mapping = onlyOfType(run, "aws:lambda/eventSourceMapping:EventSourceMapping");
      expect(byArn(run, mapping.inputs.functionName)?.inputs.name).to.match(/-notify$/);
      const maximumConcurrency = (mapping.inputs.scalingConfig as { maximumConcurrency: number })
        .maximumConcurrency;
      const interval = Number(environmentOf(functionsOf(run).notify)[ENVIRONMENT.sendIntervalMs]);
      expect(maximumConcurrency, run.stack).to.equal(concurrency);
      expect(interval, run.stack).to.equal(intervalMs);
      expect(maximumConcurrency * (1000 / interval), run.stack).to.be.at.most(sesMaxSendRate);
    }
  });

  it("each assume their own role, which only Lambda can assume", () => {
    const roleArns = ofType(prod, "aws:lambda/function:Function").map((fn) => fn.inputs.role);
    expect(new Set(roleArns).size).to.equal(4);
    for (const arn of roleArns) {
      const role = byArn(prod, arn)!;
      expect(role.type).to.equal("aws:iam/role:Role");
      expect(JSON.parse(String(role.inputs.assumeRolePolicy)).Statement).to.deep.equal([
        {
          Sid: "ServiceAssumesRole",
          Effect: "Allow",
          Principal: { Service: "lambda.amazonaws.com" },
          Action: "sts:AssumeRole",
        },
      ]);
    }
  });

  it("send failed asynchronous SES feedback events to the feedback DLQ after two retries", () => {
    const config = onlyOfType(prod, "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig").inputs;
    expect(config.functionName).to.equal("bank-notif-prod-ses-feedback");
    expect(config.maximumRetryAttempts).to.equal(2);
    const destination = (config.destinationConfig as { onFailure: { destination: string } }).onFailure
      .destination;
    expect(byArn(prod, destination)?.inputs.name).to.equal("bank-notif-prod-feedback-dlq");
  });

  it("require nothing but Node's own modules (and the SDK's optional CRT signer, in a try), and hold no secret", async () => {
    const builtins = new Set([...builtinModules, ...builtinModules.map((name) => `node:${name}`)]);
    for (const fn of ofType(prod, "aws:lambda/function:Function")) {
      const text = await archiveText(fn);
      const required = new Set([...text.matchAll(/require\("([^"]+)"\)/g)].map((match) => match[1]));
      expect(
        [...required].filter((name) => !builtins.has(name)),
        fn.name,
      ).to.deep.equal(["@aws-sdk/signature-v4-crt"]);
      expect(text, fn.name).to.not.include(MOCK_HASH_KEY);
      expect(fn.secretInputs, fn.name).to.deep.equal([]);
    }
  });
});
