import { expect } from "chai";
import * as sinon from "sinon";
import { issueCredentials } from "../../local/cloud/credentials";
import type { CredentialStore, InvokeOutcome } from "../../local/cloud/types";
import { createStackAuthorizer } from "../../local/iam/stackAuthorizer";
import { stackModel, type PlannedResource } from "../../local/iam/stackModel";
import { startRestApi, type RunningRestApi } from "../../local/apigateway/restApi";
import { routeMatcher, type RestRoute } from "../../local/apigateway/openApiRoutes";
import type { ExecutionLogEntry } from "../../local/apigateway/requestPipeline";
import type { ProxyEvent } from "../../local/apigateway/proxyEvent";
import { signedFetch, signRequest } from "../../local/sigv4/signedFetch";
import { loadStackConfig } from "../../local/pulumi/pulumiMocks";
import { stackRun, type StackRun } from "../support/pulumiStacks";

/**
 * API Gateway's behaviour, served from the dev plan's own RestApi, Stage, MethodSettings and Lambda
 * permissions. The function is a recorder returning a canned proxy result: what reaches it, and what
 * API Gateway answers around it, is the subject here. Requests are signed by the AWS SDK's signer.
 */

const REST_API = "aws:apigateway/restApi:RestApi";
const PERMISSION = "aws:lambda/permission:Permission";
/** Pulumi.dev.yaml: the account and region of the dev stack. */
const ACCOUNT = "111122223333";
const REGION = "eu-west-1";
const OPERATIONS_FUNCTION = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:bank-notif-dev-operations-api`;
const CUSTOMERS_FUNCTION = `arn:aws:lambda:${REGION}:${ACCOUNT}:function:bank-notif-dev-customers-api`;
const T0 = Date.UTC(2026, 2, 14, 10, 0, 0);

const CANNED_RESULT = {
  statusCode: 202,
  headers: { "content-type": "application/json", "x-both": "from-headers" },
  multiValueHeaders: { "x-multi": ["a", "b"], "x-both": ["from-multi"] },
  body: JSON.stringify({ accepted: true }),
};

interface Recorded {
  functionArn: string;
  event: ProxyEvent;
}

function recorder(result: () => Promise<InvokeOutcome> | InvokeOutcome) {
  const invocations: Recorded[] = [];
  return {
    invocations,
    lambda: {
      async invoke(functionArn: string, event: unknown): Promise<InvokeOutcome> {
        invocations.push({ functionArn, event: event as ProxyEvent });
        return result();
      },
    },
  };
}

const succeeded = (result: unknown = CANNED_RESULT): InvokeOutcome => ({
  ok: true,
  result,
  durationMs: 3,
  requestId: "lambda-request",
});

/** The resources with the RestApi's OpenAPI body changed. */
function withBody(
  resources: PlannedResource[],
  edit: (body: Record<string, unknown>) => void,
): PlannedResource[] {
  return resources.map((resource) => {
    if (resource.type !== REST_API) return resource;
    const body = JSON.parse(String(resource.inputs.body)) as Record<string, unknown>;
    edit(body);
    return { ...resource, inputs: { ...resource.inputs, body: JSON.stringify(body) } };
  });
}

interface Gateway {
  api: RunningRestApi;
  credentials: CredentialStore;
  invocations: Recorded[];
  executions: ExecutionLogEntry[];
  accessLines: string[];
  executionArn: string;
}

describe("local API Gateway: the dev plan's REST API on 127.0.0.1", function () {
  let run: StackRun;
  let clock: number;
  const started: RunningRestApi[] = [];

  before(async function () {
    this.timeout(180_000);
    run = await stackRun("dev");
  });
  beforeEach(() => {
    clock = T0;
  });
  afterEach(async () => {
    sinon.restore();
    await Promise.all(started.splice(0).map((api) => api.close()));
  });

  async function gateway(
    options: {
      resources?: PlannedResource[];
      result?: () => Promise<InvokeOutcome> | InvokeOutcome;
      port?: number;
    } = {},
  ): Promise<Gateway> {
    const resources = options.resources ?? run.resources;
    const model = stackModel(resources);
    const config = loadStackConfig("dev").config;
    const first = (key: string) => (JSON.parse(config[`bank-notification-stack:${key}`]) as string[])[0];
    const credentials = issueCredentials(model, {
      producerRoleArn: first("producerPrincipalArns"),
      customerAdminRoleArn: first("customerAdminPrincipalArns"),
      accountId: ACCOUNT,
    });
    const restApi = resources.find((resource) => resource.type === REST_API)!;
    const executionArn = String(restApi.state.executionArn);
    const { invocations, lambda } = recorder(options.result ?? (() => succeeded()));
    const executions: ExecutionLogEntry[] = [];
    const accessLines: string[] = [];
    const api = await startRestApi({
      restApi,
      stage: resources.find((resource) => resource.type === "aws:apigateway/stage:Stage")!,
      methodSettings: resources.filter(
        (resource) => resource.type === "aws:apigateway/methodSettings:MethodSettings",
      ),
      executionArn,
      region: REGION,
      accountId: ACCOUNT,
      credentials,
      authorizer: createStackAuthorizer(model, { partition: "aws", region: REGION, accountId: ACCOUNT }),
      lambda,
      port: options.port,
      now: () => clock,
      log: { access: (line) => accessLines.push(line), execution: (entry) => executions.push(entry) },
    });
    started.push(api);
    return { api, credentials, invocations, executions, accessLines, executionArn };
  }

  const as = (
    gw: Gateway,
    name: string,
    method: string,
    path: string,
    extra: { body?: string | Buffer; headers?: Record<string, string>; signingDate?: Date } = {},
  ) =>
    signedFetch(`${gw.api.url}${path}`, {
      method,
      credentials: gw.credentials.byName(name)!,
      region: REGION,
      signingDate: extra.signingDate ?? new Date(clock),
      ...(extra.body === undefined ? {} : { body: extra.body }),
      headers: extra.headers ?? (extra.body === undefined ? {} : { "content-type": "application/json" }),
    });

  const operation = JSON.stringify({ operationId: "op-1", amount: "12.50", currency: "EUR" });

  /** The runtime's error shape, which the dev API's DEFAULT_4XX and DEFAULT_5XX templates produce. */
  async function gatewayError(
    response: Response,
  ): Promise<{ code: string; message: string; requestId: string }> {
    const body = (await response.json()) as { error: { code: string; message: string; requestId: string } };
    expect(body.error.requestId).to.equal(response.headers.get("x-amzn-requestid"));
    return body.error;
  }

  describe("a permitted request", () => {
    it("a producer's POST /operations reaches the operations function with API Gateway's proxy event", async () => {
      const gw = await gateway();
      const producer = gw.credentials.byName("producer")!;
      const response = await as(gw, "producer", "POST", "/operations?source=core&source=batch", {
        body: operation,
      });

      expect(response.status).to.equal(202);
      expect(await response.json()).to.deep.equal({ accepted: true });
      expect(response.headers.get("x-multi")).to.equal("a, b");
      expect(response.headers.get("x-both"), "headers and multiValueHeaders merged").to.equal(
        "from-multi, from-headers",
      );
      const requestId = response.headers.get("x-amzn-requestid")!;
      expect(requestId).to.match(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);

      expect(gw.invocations).to.have.length(1);
      const { functionArn, event } = gw.invocations[0];
      expect(functionArn).to.equal(OPERATIONS_FUNCTION);
      expect(event).to.deep.include({
        resource: "/operations",
        path: "/operations",
        httpMethod: "POST",
        queryStringParameters: { source: "batch" },
        multiValueQueryStringParameters: { source: ["core", "batch"] },
        pathParameters: null,
        stageVariables: null,
        body: operation,
        isBase64Encoded: false,
      });
      expect(event.headers).to.include({
        "content-type": "application/json",
        "X-Forwarded-For": "127.0.0.1",
      });
      expect(event.headers!["X-Amzn-Trace-Id"]).to.match(/^Root=1-[0-9a-f]{8}-[0-9a-f]{24}$/);
      expect(event.multiValueHeaders!["content-type"]).to.deep.equal(["application/json"]);
      expect(event.headers!.authorization).to.match(/^AWS4-HMAC-SHA256 Credential=AKIALOCAL/);
      expect(event.requestContext).to.deep.include({
        accountId: ACCOUNT,
        apiId: gw.executionArn.split(":").pop(),
        stage: "v1",
        requestId,
        httpMethod: "POST",
        resourcePath: "/operations",
        path: "/v1/operations",
        protocol: "HTTP/1.1",
        requestTimeEpoch: T0,
        requestTime: "14/Mar/2026:10:00:00 +0000",
      });
      expect(event.requestContext.identity).to.deep.include({
        userArn: `arn:aws:sts::${ACCOUNT}:assumed-role/core-banking-dev/local-producer`,
        accessKey: producer.accessKeyId,
        accountId: ACCOUNT,
        sourceIp: "127.0.0.1",
        userAgent: "node",
        cognitoIdentityId: null,
      });
      expect(event.requestContext.identity.caller).to.match(/^AROA[0-9A-F]{17}:local-producer$/);
      expect(event.requestContext.identity.user).to.equal(event.requestContext.identity.caller);
    });

    it("passes path parameters, decoded, to the customers function for a customer administrator", async () => {
      const gw = await gateway();
      const response = await as(gw, "customerAdmin", "GET", "/customers/cust%2D42/operations");
      expect(response.status).to.equal(202);
      const { functionArn, event } = gw.invocations[0];
      expect(functionArn).to.equal(CUSTOMERS_FUNCTION);
      expect(event).to.deep.include({
        resource: "/customers/{id}/operations",
        path: "/customers/cust%2D42/operations",
        pathParameters: { id: "cust-42" },
        queryStringParameters: null,
        multiValueQueryStringParameters: null,
        body: null,
      });
    });
  });

  describe("authentication: SigV4 verified with the issued keys", () => {
    it("refuses an unsigned request with 403 Missing Authentication Token, in the API's gateway response template, and invokes nothing", async () => {
      const gw = await gateway();
      const response = await fetch(`${gw.api.url}/operations`, { method: "POST", body: operation });
      expect(response.status).to.equal(403);
      expect(response.headers.get("content-type")).to.equal("application/json");
      const requestId = response.headers.get("x-amzn-requestid");
      expect(await response.text()).to.equal(
        `{"error":{"code":"MISSING_AUTHENTICATION_TOKEN","message":"Missing Authentication Token","requestId":"${requestId}"}}`,
      );
      expect(gw.invocations).to.deep.equal([]);
    });

    it("refuses a request signed with the wrong secret: 403 signature mismatch, nothing invoked", async () => {
      const gw = await gateway();
      const producer = gw.credentials.byName("producer")!;
      const response = await signedFetch(`${gw.api.url}/operations`, {
        method: "POST",
        body: operation,
        credentials: { accessKeyId: producer.accessKeyId, secretAccessKey: "not-the-issued-secret" },
        region: REGION,
        signingDate: new Date(clock),
      });
      expect(response.status).to.equal(403);
      expect(await gatewayError(response)).to.deep.include({
        code: "INVALID_SIGNATURE",
        message:
          "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.",
      });
      expect(gw.invocations).to.deep.equal([]);
    });

    it("refuses a body changed after signing: 403, nothing invoked", async () => {
      const gw = await gateway();
      const url = `${gw.api.url}/operations`;
      const signed = await signRequest(url, {
        method: "POST",
        body: operation,
        headers: { "content-type": "application/json" },
        credentials: gw.credentials.byName("producer")!,
        region: REGION,
        signingDate: new Date(clock),
      });
      const response = await fetch(url, { ...signed, body: operation.replace("12.50", "99999.00") });
      expect(response.status).to.equal(403);
      expect((await gatewayError(response)).code).to.equal("INVALID_SIGNATURE");
      expect(gw.invocations).to.deep.equal([]);
    });

    it("refuses a signature more than 5 minutes old: 403 Signature expired, nothing invoked", async () => {
      const gw = await gateway();
      const response = await as(gw, "producer", "POST", "/operations", {
        body: operation,
        signingDate: new Date(T0 - 5 * 60 * 1000 - 1000),
      });
      expect(response.status).to.equal(403);
      expect(await gatewayError(response)).to.deep.include({
        code: "INVALID_SIGNATURE",
        message:
          "Signature expired: 20260314T095459Z is now earlier than 20260314T095500Z (20260314T100000Z - 5 min.)",
      });
      expect(gw.invocations).to.deep.equal([]);
    });

    it("refuses an access key it never issued: 403, nothing invoked", async () => {
      const gw = await gateway();
      const response = await signedFetch(`${gw.api.url}/operations`, {
        method: "POST",
        body: operation,
        credentials: { accessKeyId: "AKIAIOSFODNN7EXAMPLE", secretAccessKey: "x" },
        region: REGION,
        signingDate: new Date(clock),
      });
      expect(response.status).to.equal(403);
      expect((await gatewayError(response)).message).to.equal(
        "The security token included in the request is invalid.",
      );
      expect(gw.invocations).to.deep.equal([]);
    });
  });

  describe("authorization: execute-api:Invoke against identity policies and the resource policy", () => {
    const denied = (gw: Gateway, method: string, path: string, principal: string) =>
      `User: arn:aws:sts::${ACCOUNT}:assumed-role/${principal} is not authorized to perform: execute-api:Invoke on resource: ${gw.executionArn}/v1/${method}${path}`;

    it("refuses an outsider, whatever its own policy allows: 403 explicit deny, the deciding statement logged, nothing invoked", async () => {
      const gw = await gateway();
      const response = await as(gw, "outsider", "POST", "/operations", { body: operation });
      expect(response.status).to.equal(403);
      expect(await gatewayError(response)).to.deep.include({
        code: "ACCESS_DENIED",
        message: `${denied(gw, "POST", "/operations", "local-outsider/local-outsider")} with an explicit deny`,
      });
      expect(gw.executions).to.have.length(1);
      expect(gw.executions[0].statements).to.include("resource#DenyUnlistedPrincipalsEverywhere");
      expect(gw.invocations).to.deep.equal([]);
    });

    it("refuses a customer administrator's POST /operations: 403 explicit deny, nothing invoked", async () => {
      const gw = await gateway();
      const response = await as(gw, "customerAdmin", "POST", "/operations", { body: operation });
      expect(response.status).to.equal(403);
      expect((await gatewayError(response)).message).to.equal(
        `${denied(gw, "POST", "/operations", "customer-admin-dev/local-customer-admin")} with an explicit deny`,
      );
      expect(gw.executions[0].statements).to.deep.equal(["resource#DenyAllButTheProducers"]);
      expect(gw.invocations).to.deep.equal([]);
    });

    it("refuses a producer's GET /customers/x: 403 explicit deny, nothing invoked", async () => {
      const gw = await gateway();
      const response = await as(gw, "producer", "GET", "/customers/x");
      expect(response.status).to.equal(403);
      expect((await gatewayError(response)).message).to.equal(
        `${denied(gw, "GET", "/customers/x", "core-banking-dev/local-producer")} with an explicit deny`,
      );
      expect(gw.executions[0].statements).to.deep.equal(["resource#DenyAllButTheCustomerAdmins"]);
      expect(gw.invocations).to.deep.equal([]);
    });

    it("words an implicit deny without 'with an explicit deny' (an API without a resource policy)", async () => {
      const gw = await gateway({
        resources: withBody(run.resources, (body) => delete body["x-amazon-apigateway-policy"]),
      });
      const response = await as(gw, "customerAdmin", "POST", "/operations", { body: operation });
      expect(response.status).to.equal(403);
      expect((await gatewayError(response)).message).to.equal(
        denied(gw, "POST", "/operations", "customer-admin-dev/local-customer-admin"),
      );
      expect(gw.invocations).to.deep.equal([]);
    });
  });

  describe("the integration", () => {
    it("answers 500 Internal server error, invoking nothing, when the function's policy does not let API Gateway invoke it", async () => {
      const gw = await gateway({
        resources: run.resources.filter(
          (resource) =>
            !(resource.type === PERMISSION && String(resource.inputs.sourceArn).endsWith("/POST/operations")),
        ),
      });
      const response = await as(gw, "producer", "POST", "/operations", { body: operation });
      expect(response.status).to.equal(500);
      expect(await gatewayError(response)).to.deep.include({
        code: "API_CONFIGURATION_ERROR",
        message: "Internal server error",
      });
      expect(gw.executions[0].message).to.match(/Invalid permissions on Lambda function/);
      expect(gw.invocations).to.deep.equal([]);
      const other = await as(gw, "customerAdmin", "GET", "/operations/op-1");
      expect(other.status, "the other routes keep their permissions").to.equal(202);
    });

    it("answers 502 Internal server error when the function fails", async () => {
      const gw = await gateway({
        result: () => ({
          ok: false,
          errorType: "Error",
          errorMessage: "boom",
          durationMs: 2,
          requestId: "r",
        }),
      });
      const response = await as(gw, "producer", "POST", "/operations", { body: operation });
      expect(response.status).to.equal(502);
      expect(await gatewayError(response)).to.deep.include({
        code: "DEFAULT_5XX",
        message: "Internal server error",
      });
      expect(gw.invocations).to.have.length(1);
      expect(gw.executions[0].message).to.equal(
        "Lambda execution failed due to customer function error: Error: boom",
      );
    });

    for (const [what, result] of [
      ["a body that is not a string", { statusCode: 200, body: { accepted: true } }],
      ["no statusCode", { body: "{}" }],
      ["a string instead of an object", "ok"],
      ["headers that are not strings", { statusCode: 200, headers: { a: { b: 1 } }, body: "" }],
    ] as const) {
      it(`answers 502 to a malformed proxy result: ${what}`, async () => {
        const gw = await gateway({ result: () => succeeded(result) });
        const response = await as(gw, "producer", "POST", "/operations", { body: operation });
        expect(response.status).to.equal(502);
        expect((await gatewayError(response)).message).to.equal("Internal server error");
        expect(gw.executions[0].message).to.match(/Malformed Lambda proxy response/);
      });
    }

    it("answers 504 Endpoint request timed out when the function has not answered after 29 seconds", async () => {
      const gw = await gateway({ result: () => new Promise<InvokeOutcome>(() => undefined) });
      const timers = sinon.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
      let settled = false;
      const pending = as(gw, "producer", "POST", "/operations", { body: operation }).finally(() => {
        settled = true;
      });
      /** Lets the loopback connection deliver what it has, for at most about a second of real time. */
      const deliver = async () => {
        for (let turn = 0; turn < 2000 && !settled; turn += 1)
          await new Promise((resolve) => setImmediate(resolve));
      };
      while (gw.invocations.length === 0) await new Promise((resolve) => setImmediate(resolve));
      await timers.tickAsync(28_999);
      await deliver();
      expect(settled, "still waiting at 28.999 s").to.equal(false);
      await timers.tickAsync(1);
      await deliver();
      expect(settled, "answered at 29 s").to.equal(true);
      const response = await pending;
      expect(response.status).to.equal(504);
      expect(await gatewayError(response)).to.deep.include({
        code: "INTEGRATION_TIMEOUT",
        message: "Endpoint request timed out",
      });
    });
  });

  describe("routes", () => {
    for (const [method, target] of [
      ["GET", "/nowhere"],
      ["PUT", "/operations"],
      ["GET", "/"],
      ["GET", "/operations/op-1/extra"],
    ] as const) {
      it(`answers a signed ${method} ${target} that the API does not define with 403 Missing Authentication Token`, async () => {
        const gw = await gateway();
        const response = await as(gw, "producer", method, target);
        expect(response.status).to.equal(403);
        expect((await gatewayError(response)).code).to.equal("MISSING_AUTHENTICATION_TOKEN");
        expect(gw.invocations).to.deep.equal([]);
      });
    }

    it("answers a path outside the stage with 403 Missing Authentication Token", async () => {
      const gw = await gateway();
      const response = await fetch(gw.api.url.replace(/\/v1$/, "/prod/operations"), { method: "POST" });
      expect(response.status).to.equal(403);
      expect((await gatewayError(response)).code).to.equal("MISSING_AUTHENTICATION_TOKEN");
    });

    it("prefers a literal segment to {param}, and {param} to {proxy+}, and does not fall back to a less specific resource", () => {
      const route = (resourcePath: string, method = "GET"): RestRoute => ({
        resourcePath,
        method,
        functionArn: `fn${resourcePath}`,
        timeoutMs: 29_000,
      });
      const match = routeMatcher([
        route("/items/{id}"),
        route("/items/special"),
        route("/{proxy+}"),
        route("/items/{id}/parts", "POST"),
      ]);
      expect(match("GET", "/items/special")?.route.resourcePath).to.equal("/items/special");
      expect(match("GET", "/items/7")).to.deep.include({ pathParameters: { id: "7" } });
      expect(match("GET", "/other/a%2Fb/c")?.pathParameters).to.deep.equal({ proxy: "other/a/b/c" });
      expect(match("GET", "/items/7/parts"), "POST only, not /{proxy+}").to.equal(undefined);
    });
  });

  describe("gateway responses and logs", () => {
    it("answers AWS's default body when the API customises no gateway response", async () => {
      const gw = await gateway({
        resources: withBody(run.resources, (body) => delete body["x-amazon-apigateway-gateway-responses"]),
      });
      const response = await fetch(`${gw.api.url}/operations`, { method: "POST" });
      expect(response.status).to.equal(403);
      expect(await response.text()).to.equal('{"message":"Missing Authentication Token"}');
    });

    it("applies a gateway response's own status code and static headers", async () => {
      const gw = await gateway({
        resources: withBody(run.resources, (body) => {
          (
            body["x-amazon-apigateway-gateway-responses"] as Record<string, unknown>
          ).MISSING_AUTHENTICATION_TOKEN = {
            statusCode: "404",
            responseParameters: { "gatewayresponse.header.x-hint": "'sign your requests'" },
            responseTemplates: { "application/json": '{"type":"$context.error.responseType"}' },
          };
        }),
      });
      const response = await fetch(`${gw.api.url}/operations`, { method: "POST" });
      expect(response.status).to.equal(404);
      expect(response.headers.get("x-hint")).to.equal("sign your requests");
      expect(await response.text()).to.equal('{"type":"MISSING_AUTHENTICATION_TOKEN"}');
    });

    it("refuses to start with a gateway response template it cannot render", async () => {
      const resources = withBody(run.resources, (body) => {
        (body["x-amazon-apigateway-gateway-responses"] as Record<string, unknown>).THROTTLED = {
          responseTemplates: { "application/json": "#if($context.error.message)x#end" },
        };
      });
      await gateway({ resources }).then(
        () => expect.fail("started"),
        (error: Error) => expect(error.message).to.match(/THROTTLED .*"#if"/),
      );
    });

    it("writes one access log line per request in the stage's format", async () => {
      const gw = await gateway();
      await as(gw, "outsider", "GET", "/customers/c-1");
      expect(gw.accessLines).to.have.length(1);
      expect(JSON.parse(gw.accessLines[0])).to.deep.include({
        httpMethod: "GET",
        resourcePath: "/customers/{id}",
        status: "403",
        principal: `arn:aws:sts::${ACCOUNT}:assumed-role/local-outsider/local-outsider`,
        sourceIp: "127.0.0.1",
        vpceId: "-",
        errorType: "ACCESS_DENIED",
        integrationStatus: "-",
      });
    });
  });

  describe("stage throttling (MethodSettings */*: 10 requests per second, burst 20)", () => {
    it("admits a burst of 20 requests to a method, refuses the 21st with 429 Too Many Requests, and refills at 10 per second", async () => {
      const gw = await gateway();
      const burst = await Promise.all(
        Array.from({ length: 21 }, () => as(gw, "producer", "POST", "/operations", { body: operation })),
      );
      const statuses = burst.map((response) => response.status).sort();
      expect(statuses.filter((status) => status === 202)).to.have.length(20);
      const refused = burst.find((response) => response.status === 429)!;
      expect(await gatewayError(refused)).to.deep.include({
        code: "THROTTLED",
        message: "Too Many Requests",
      });
      expect(gw.invocations).to.have.length(20);

      clock += 100;
      expect((await as(gw, "producer", "POST", "/operations", { body: operation })).status).to.equal(202);
      expect((await as(gw, "producer", "POST", "/operations", { body: operation })).status).to.equal(429);
      expect(
        (await as(gw, "customerAdmin", "GET", "/customers/c-1")).status,
        "another method has its own bucket",
      ).to.equal(202);
    });
  });

  describe("binary media types", () => {
    const bytes = Buffer.from([0xff, 0x00, 0xfe, 0x41]);

    it("passes a body whose Content-Type is a binary media type base64-encoded, and decodes a base64 result for a binary Accept", async () => {
      const gw = await gateway({
        resources: withBody(run.resources, (body) => {
          body["x-amazon-apigateway-binary-media-types"] = ["application/octet-stream"];
        }),
        result: () =>
          succeeded({
            statusCode: 200,
            headers: { "content-type": "application/octet-stream" },
            body: bytes.toString("base64"),
            isBase64Encoded: true,
          }),
      });
      const response = await as(gw, "producer", "POST", "/operations", {
        body: bytes,
        headers: { "content-type": "application/octet-stream", accept: "application/octet-stream" },
      });
      expect(gw.invocations[0].event).to.deep.include({ body: "/wD+QQ==", isBase64Encoded: true });
      expect(Buffer.from(await response.arrayBuffer())).to.deep.equal(bytes);
    });

    it("passes bodies as text when the API declares no binary media type", async () => {
      const gw = await gateway();
      await as(gw, "producer", "POST", "/operations", {
        body: "plain text",
        headers: { "content-type": "application/octet-stream" },
      });
      expect(gw.invocations[0].event).to.deep.include({ body: "plain text", isBase64Encoded: false });
    });
  });

  describe("starting", () => {
    it("reports a port in use instead of crashing", async () => {
      const first = await gateway();
      await gateway({ port: first.api.port }).then(
        () => expect.fail("started twice on one port"),
        (error: Error) =>
          expect(error.message).to.equal(
            `The local API Gateway cannot listen on 127.0.0.1:${first.api.port}: the port is in use. Give another port, or 0 for a free one.`,
          ),
      );
    });

    it("refuses a method that does not require AWS_IAM, naming it", async () => {
      const resources = withBody(run.resources, (body) => {
        const paths = body.paths as Record<string, Record<string, { security?: unknown }>>;
        delete paths["/operations"].post.security;
      });
      await gateway({ resources }).then(
        () => expect.fail("started"),
        (error: Error) => expect(error.message).to.match(/^POST \/operations does not require AWS_IAM/),
      );
    });

    it("serves the stage URL on 127.0.0.1", async () => {
      const gw = await gateway();
      expect(gw.api.url).to.equal(`http://127.0.0.1:${gw.api.port}/v1`);
    });
  });
});
