import { InvokeCommand, LambdaClient, type InvocationType } from "@aws-sdk/client-lambda";
import { expect } from "chai";
import { issueCredentials } from "../../local/cloud/credentials";
import type { CredentialStore, LambdaInvoker } from "../../local/cloud/types";
import { createStackAuthorizer } from "../../local/iam/stackAuthorizer";
import { stackModel } from "../../local/iam/stackModel";
import { startInvokeServer } from "../../local/lambda/invokeServer";
import { loadStackConfig } from "../../local/pulumi/pulumiMocks";
import { ofType, stackRun, type StackRun } from "../support/pulumiStacks";

/**
 * The local cloud's Lambda Invoke endpoint, built from the dev plan: callers signed with keys issued
 * from the plan, authorized with the plan's policies, invocations handed to a recording invoker.
 */

const REGION = "eu-west-1";
const ACCOUNT = "111122223333";
const FEEDBACK = "bank-notif-dev-ses-feedback";

describe("local Lambda: the Invoke API for people and tools", () => {
  let run: StackRun;
  let credentials: CredentialStore;
  let server: { url: string; close(): Promise<void> };
  let invocations: { kind: "sync" | "async"; functionArn: string; event: unknown }[];
  let logs: string[];

  const recording: LambdaInvoker = {
    async invoke(functionArn, event) {
      invocations.push({ kind: "sync", functionArn, event });
      return { ok: true, result: { handled: event }, durationMs: 1, requestId: "request-1" };
    },
    async invokeAsync(functionArn, event) {
      invocations.push({ kind: "async", functionArn, event });
    },
  };

  const feedbackArn = () =>
    String(ofType(run, "aws:lambda/function:Function").find((fn) => fn.inputs.name === FEEDBACK)!.state.arn);

  function client(name: string): LambdaClient {
    const principal = credentials.byName(name)!;
    return new LambdaClient({
      region: REGION,
      endpoint: server.url,
      credentials: { accessKeyId: principal.accessKeyId, secretAccessKey: principal.secretAccessKey },
      maxAttempts: 1,
    });
  }

  const invoke = (as: string, type: InvocationType, functionName = FEEDBACK) =>
    client(as).send(
      new InvokeCommand({
        FunctionName: functionName,
        InvocationType: type,
        Payload: Buffer.from(JSON.stringify({ detail: { eventType: "Delivery" } })),
      }),
    );

  before(async function () {
    this.timeout(240_000);
    run = await stackRun("dev");
    const config = loadStackConfig("dev").config;
    const [producerRoleArn] = JSON.parse(config["bank-notification-stack:producerPrincipalArns"]) as string[];
    const model = stackModel(run.resources);
    credentials = issueCredentials(model, { producerRoleArn, accountId: ACCOUNT });
    const scope = { partition: "aws", region: REGION, accountId: ACCOUNT };
    server = await startInvokeServer({
      region: REGION,
      accountId: ACCOUNT,
      credentials,
      authorizer: createStackAuthorizer(model, scope),
      invoker: recording,
      functionArnOf: (nameOrArn) => {
        const fn = model
          .ofType("aws:lambda/function:Function")
          .find((candidate) => candidate.inputs.name === nameOrArn || candidate.state.arn === nameOrArn);
        return fn ? String(fn.state.arn) : undefined;
      },
      log: (level, message) => logs.push(`${level} ${message}`),
    });
  });

  after(async () => {
    await server?.close();
  });

  beforeEach(() => {
    invocations = [];
    logs = [];
  });

  it("queues an asynchronous invocation (Event) for the operator, whose policy allows invoking the feedback function, and answers 202", async () => {
    const answer = await invoke("operator", "Event");
    expect(answer.StatusCode).to.equal(202);
    expect(invocations).to.deep.equal([
      { kind: "async", functionArn: feedbackArn(), event: { detail: { eventType: "Delivery" } } },
    ]);
  });

  it("accepts the function's ARN as well as its name", async () => {
    const answer = await invoke("operator", "Event", feedbackArn());
    expect(answer.StatusCode).to.equal(202);
    expect(invocations).to.have.length(1);
  });

  it("answers a synchronous invocation (RequestResponse) with the function's result", async () => {
    const answer = await invoke("operator", "RequestResponse");
    expect(answer.StatusCode).to.equal(200);
    expect(answer.FunctionError).to.equal(undefined);
    expect(JSON.parse(Buffer.from(answer.Payload!).toString("utf8"))).to.deep.equal({
      handled: { detail: { eventType: "Delivery" } },
    });
  });

  it("authorizes a DryRun (204) without invoking anything", async () => {
    const answer = await invoke("operator", "DryRun");
    expect(answer.StatusCode).to.equal(204);
    expect(invocations).to.deep.equal([]);
  });

  it("refuses the producer, whose policies allow no lambda:InvokeFunction, with 403 AccessDeniedException, and invokes nothing", async () => {
    const failure = await invoke("producer", "Event").catch((error: unknown) => error);
    expect(failure).to.have.property("name", "AccessDeniedException");
    expect(failure).to.have.nested.property("$metadata.httpStatusCode", 403);
    expect(String((failure as Error).message)).to.include("lambda:InvokeFunction");
    expect(invocations).to.deep.equal([]);
  });

  it("refuses the operator on another function of the stack (the notify function)", async () => {
    const failure = await invoke("operator", "Event", "bank-notif-dev-notify").catch(
      (error: unknown) => error,
    );
    expect(failure).to.have.property("name", "AccessDeniedException");
    expect(invocations).to.deep.equal([]);
  });

  it("refuses a key the local cloud never issued with UnrecognizedClientException", async () => {
    const stranger = new LambdaClient({
      region: REGION,
      endpoint: server.url,
      credentials: { accessKeyId: "AKIANEVERISSUED00000", secretAccessKey: "x".repeat(40) },
      maxAttempts: 1,
    });
    const failure = await stranger
      .send(
        new InvokeCommand({ FunctionName: FEEDBACK, InvocationType: "Event", Payload: Buffer.from("{}") }),
      )
      .catch((error: unknown) => error);
    expect(failure).to.have.property("name", "UnrecognizedClientException");
    expect(invocations).to.deep.equal([]);
  });
});
