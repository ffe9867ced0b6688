import * as pulumi from "@pulumi/pulumi";
import { expect } from "chai";
import {
  createCustomersApiHandler,
  createNotifyHandler,
  createOperationsApiHandler,
  createSesFeedbackHandler,
} from "../../runtime";
import { ENVIRONMENT } from "../../runtime/config/environment";
import { DEPLOYMENT_ONLY_PACKAGES } from "../../components/functions";
import { FUNCTION_IDS, type FunctionId } from "../../components/settings";
import { MOCK_HASH_KEY, type RecordedResource } from "../../local/pulumi/pulumiMocks";
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

  it("are the four runtime handlers, each a CallbackFunction archive whose entry point is the serialized factory", () => {
    const functions = functionsOf(prod);
    for (const id of FUNCTION_IDS) {
      expect(functions[id].inputs.handler, id).to.equal("__index.handler");
      expect(functions[id].inputs.code, id).to.be.instanceOf(pulumi.asset.AssetArchive);
    }
    expect(ofType(prod, "aws:lambda/function:Function")).to.have.length(4);
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
        ENVIRONMENT.logLevel,
        "Lambda sets it from the logging config",
      );
      expect(JSON.stringify(env), id).to.not.include(MOCK_HASH_KEY);
    }
    const notify = environmentOf(functions.notify);
    expect(notify[ENVIRONMENT.hashKeySecretId]).to.equal(
      onlyOfType(prod, "aws:secretsmanager/secret:Secret").state.arn,
    );
    expect(notify[ENVIRONMENT.leaseSeconds]).to.equal("120");
    expect(notify[ENVIRONMENT.templatePrefix]).to.equal("bank-notif-prod");
    expect(Object.keys(environmentOf(functions.customersApi))).to.not.include(ENVIRONMENT.hashKeySecretId);
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

  it("package their archive without deployment-only packages, and no secret", async () => {
    for (const fn of ofType(prod, "aws:lambda/function:Function")) {
      const assets = await (fn.inputs.code as pulumi.asset.AssetArchive).assets;
      const entries = Object.keys(assets);
      expect(entries, fn.name).to.include("__index.js");
      for (const excluded of [...DEPLOYMENT_ONLY_PACKAGES, "aws-sdk", "mocha", "chai", "dynalite"]) {
        expect(entries, fn.name).to.not.include(`node_modules/${excluded}`);
      }
      const text = await (assets["__index.js"] as pulumi.asset.StringAsset).text;
      expect(text, fn.name).to.not.include(MOCK_HASH_KEY);
      expect(fn.secretInputs, fn.name).to.deep.equal([]);
    }
  });
});
