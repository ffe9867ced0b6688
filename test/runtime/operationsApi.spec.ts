import { expect } from "chai";
import { createServer } from "node:net";
import type { AddressInfo } from "node:net";
import sinon from "sinon";
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { createOperationsApiHandler } from "../../runtime/handlers/operationsApi";
import { createRuntimeFixture, EVENT_SOURCE, type RuntimeFixture } from "../support/runtimeFixture";
import { apiEvent, validOperation, VALID_IBAN } from "../support/sampleData";

describe("POST /operations and GET /operations/{id}", () => {
  let fixture: RuntimeFixture;
  let api: ReturnType<typeof createOperationsApiHandler>;

  before(async () => {
    fixture = await createRuntimeFixture();
    api = createOperationsApiHandler(fixture.options());
  });
  afterEach(() => sinon.restore());

  const submit = (body: unknown, handler = api) => handler(apiEvent("POST", "/operations", { body }));
  const eventsFor = (operationId: string) =>
    fixture.services.events.filter((event) => JSON.parse(event.Detail).operationId === operationId);

  it("records, publishes once to the stack's bus and answers 202", async () => {
    const operation = validOperation();
    const response = await submit(operation);
    expect(response.statusCode, response.body).to.equal(202);
    expect(JSON.parse(response.body)).to.deep.equal({ operationId: operation.id, status: "published" });
    const [event, ...others] = eventsFor(operation.id as string);
    expect(others).to.have.length(0);
    expect(event).to.include({
      EventBusName: fixture.env.EVENT_BUS_NAME,
      Source: EVENT_SOURCE,
      DetailType: "deposit",
    });
    expect(event.Detail).not.to.include(VALID_IBAN);
    const stored = JSON.parse(
      (await api(apiEvent("GET", "/operations/{id}", { id: operation.id as string }))).body,
    );
    expect(stored).to.include({
      operationId: operation.id,
      status: "published",
      account: "•••• 0189",
      kind: "deposit",
    });
    expect(stored.notifications).to.deep.equal([]);
  });

  it("answers a repeated identical body the same way, even with keys reordered, without republishing", async () => {
    const operation = validOperation();
    const first = await submit(operation);
    const reordered = Object.fromEntries(Object.entries(operation).reverse());
    const second = await submit(reordered);
    expect(second.statusCode).to.equal(first.statusCode);
    expect(second.body).to.equal(first.body);
    expect(eventsFor(operation.id as string)).to.have.length(1);
  });

  it("refuses the same id with another body with a 409 naming the conflict, and publishes nothing more", async () => {
    const operation = validOperation();
    await submit(operation);
    const response = await submit({ ...operation, amount: { value: "9999.99", currency: "EUR" } });
    expect(response.statusCode).to.equal(409);
    const { error } = JSON.parse(response.body);
    expect(error.code).to.equal("CONFLICT");
    expect(error.message).to.include(operation.id as string);
    expect(error.fields[0].field).to.equal("id");
    expect(eventsFor(operation.id as string)).to.have.length(1);
  });

  it("after a failure between recording and publishing, the producer's retry publishes the recorded operation", async () => {
    const operation = validOperation();
    fixture.services.failNextPutEvents(1, "InternalFailure");
    const failed = await submit(operation);
    expect(failed.statusCode).to.equal(503);
    expect(failed.headers["retry-after"]).to.equal("1");
    expect(eventsFor(operation.id as string)).to.have.length(0);
    const recorded = JSON.parse(
      (await api(apiEvent("GET", "/operations/{id}", { id: operation.id as string }))).body,
    );
    expect(recorded.status).to.equal("recorded");

    const retried = await submit(operation);
    expect(retried.statusCode).to.equal(202);
    expect(eventsFor(operation.id as string)).to.have.length(1);
    const published = JSON.parse(
      (await api(apiEvent("GET", "/operations/{id}", { id: operation.id as string }))).body,
    );
    expect(published.status).to.equal("published");
  });

  it("maps a throttled PutEvents to a retryable 503 and keeps the record for the retry", async () => {
    const eventBridge = new EventBridgeClient({});
    const throttled = Object.assign(new Error("Rate exceeded"), {
      name: "ThrottlingException",
      $metadata: { httpStatusCode: 400 },
    });
    sinon.stub(eventBridge, "send").rejects(throttled);
    const handler = createOperationsApiHandler(fixture.options({ clients: { eventBridge } }));
    const operation = validOperation();
    const response = await submit(operation, handler);
    expect(response.statusCode).to.equal(503);
    expect(JSON.parse(response.body).error.code).to.equal("THROTTLED");
    expect(response.body).to.not.include("Rate exceeded").and.not.include("ThrottlingException");
    sinon.restore();
    expect((await submit(operation)).statusCode).to.equal(202);
    expect(eventsFor(operation.id as string)).to.have.length(1);
  });

  it("answers a retryable failure with a generic message and the request id, and logs the AWS error under that id", async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const { port } = closed.address() as AddressInfo;
    await new Promise((resolve) => closed.close(resolve));
    const eventBridge = new EventBridgeClient({ endpoint: `http://127.0.0.1:${port}`, maxAttempts: 1 });
    const handler = createOperationsApiHandler(fixture.options({ clients: { eventBridge } }));
    const request = apiEvent("POST", "/operations", { body: validOperation() });
    const response = await handler(request);
    expect(response.statusCode).to.equal(503);
    expect(response.headers["retry-after"]).to.equal("1");
    const requestId = request.requestContext!.requestId!;
    expect(JSON.parse(response.body)).to.deep.equal({
      error: {
        code: "UNAVAILABLE",
        message: "The service is busy or unavailable; retry later, and quote the request id if it persists",
        requestId,
      },
    });
    const logged = fixture.logs.map((line) => JSON.parse(line)).find((line) => line.requestId === requestId);
    expect(logged).to.include({ level: "ERROR", errorCode: "UNAVAILABLE" });
    expect(logged.error.message).to.include("EventBridge PutEvents failed").and.include("ECONNREFUSED");
  });

  it("accepts an operation a few minutes in the future (clock skew) but not more", async () => {
    const inFourMinutes = new Date(fixture.clock.now + 4 * 60_000).toISOString();
    expect((await submit(validOperation({ occurredAt: inFourMinutes }))).statusCode).to.equal(202);
    const inTenMinutes = new Date(fixture.clock.now + 10 * 60_000).toISOString();
    expect((await submit(validOperation({ occurredAt: inTenMinutes }))).statusCode).to.equal(400);
  });

  it("answers 404 for an unknown operation and 400 for an invalid id", async () => {
    expect((await api(apiEvent("GET", "/operations/{id}", { id: "never-seen" }))).statusCode).to.equal(404);
    expect((await api(apiEvent("GET", "/operations/{id}", { id: "bad id!" }))).statusCode).to.equal(400);
    expect((await api(apiEvent("DELETE", "/operations/{id}", { id: "x" }))).statusCode).to.equal(404);
  });

  it("reads the hash key from Secrets Manager once per container", async () => {
    const secretsManager = new SecretsManagerClient({});
    const send = sinon.spy(secretsManager, "send");
    const handler = createOperationsApiHandler(fixture.options({ clients: { secretsManager } }));
    for (let i = 0; i < 3; i++) expect((await submit(validOperation(), handler)).statusCode).to.equal(202);
    expect(send.getCalls().filter((call) => call.args[0] instanceof GetSecretValueCommand)).to.have.length(1);
  });

  it("answers a missing secret (a deployment fault) with a 500 that hides internals, and logs it as an error", async () => {
    const env = {
      ...fixture.env,
      HASH_KEY_SECRET_ID: "arn:aws:secretsmanager:eu-west-1:123456789012:secret:missing",
    };
    const handler = createOperationsApiHandler(fixture.options({ env }));
    const response = await submit(validOperation(), handler);
    expect(response.statusCode).to.equal(500);
    expect(response.body).not.to.include("missing");
    expect(JSON.parse(response.body).error.code).to.equal("CONFIGURATION");
    const errors = fixture.logs.map((line) => JSON.parse(line)).filter((line) => line.level === "ERROR");
    expect(errors.some((line) => line.error?.message?.includes("ResourceNotFoundException"))).to.equal(true);
  });

  it("logs the operation id and never the account number", async () => {
    const operation = validOperation();
    await submit(operation);
    const lines = fixture.logs.map((line) => JSON.parse(line));
    expect(lines.some((line) => line.operationId === operation.id)).to.equal(true);
    expect(fixture.logs.join("\n")).not.to.include(VALID_IBAN);
    const metric = lines.find((line) => line._aws && line.OperationsPublished === 1);
    expect(metric._aws.CloudWatchMetrics[0].Namespace).to.equal("BankNotifications");
    expect(metric._aws.CloudWatchMetrics[0].Dimensions).to.deep.equal([["Service", "Kind"], ["Service"]]);
  });
});
