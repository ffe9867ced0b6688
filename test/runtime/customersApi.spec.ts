import { expect } from "chai";
import { DynamoDBClient, GetItemCommand } from "@aws-sdk/client-dynamodb";
import { createCustomersApiHandler } from "../../runtime/handlers/customersApi";
import { createOperationsApiHandler } from "../../runtime/handlers/operationsApi";
import { createRuntimeFixture, type RuntimeFixture } from "../support/runtimeFixture";
import { apiEvent, uniqueId, validCustomer, validOperation } from "../support/sampleData";

describe("/customers/{id}", () => {
  let fixture: RuntimeFixture;
  let api: ReturnType<typeof createCustomersApiHandler>;

  before(async () => {
    fixture = await createRuntimeFixture();
    api = createCustomersApiHandler(fixture.options());
  });

  const call = async (method: string, id: string, body?: unknown, resource = "/customers/{id}") => {
    const response = await api(apiEvent(method, resource, { id, body }));
    return { status: response.statusCode, body: JSON.parse(response.body) };
  };

  it("creates with PUT, reads with GET and canonicalises the locale", async () => {
    const id = uniqueId("cust");
    const created = await call("PUT", id, validCustomer({ locale: "fr-fr" }));
    expect(created.status).to.equal(200);
    expect(created.body).to.include({ customerId: id, locale: "fr-FR", email: "camille.martin@example.com" });
    const read = await call("GET", id);
    expect(read.body).to.deep.equal(created.body);
  });

  it("PATCH changes only the fields sent, preferences included", async () => {
    const id = uniqueId("cust");
    await call("PUT", id, validCustomer());
    fixture.clock.now += 1000;
    const patched = await call("PATCH", id, {
      preferences: { optedOutCategories: ["card-activity"] },
      timeZone: "America/Montreal",
    });
    expect(patched.status).to.equal(200);
    expect(patched.body.timeZone).to.equal("America/Montreal");
    expect(patched.body.email).to.equal("camille.martin@example.com");
    expect(patched.body.preferences).to.deep.equal({
      optedOutCategories: ["card-activity"],
      minimumAmounts: {},
    });
    expect(patched.body.updatedAt).not.to.equal(patched.body.createdAt);
  });

  it("concurrent PATCHes never lose an update silently: the loser gets a 409 to retry", async () => {
    const id = uniqueId("cust");
    await call("PUT", id, validCustomer());
    const results = await Promise.all([
      call("PATCH", id, { timeZone: "America/Montreal" }),
      call("PATCH", id, { displayName: "Camille Martin-Durand" }),
    ]);
    const statuses = results.map((result) => result.status).sort();
    expect(JSON.stringify(statuses)).to.be.oneOf(["[200,200]", "[200,409]"]);
    const final = (await call("GET", id)).body;
    if (statuses[1] === 200)
      expect(final).to.include({ timeZone: "America/Montreal", displayName: "Camille Martin-Durand" });
    else expect(results.find((result) => result.status === 409)!.body.error.message).to.match(/try again/);
  });

  it("PATCH or GET of a customer that does not exist is a 404 that says to PUT first", async () => {
    const missing = await call("PATCH", uniqueId("nobody"), { timeZone: "Europe/Paris" });
    expect(missing.status).to.equal(404);
    expect(missing.body.error.message).to.match(/PUT/);
    expect((await call("GET", uniqueId("nobody"))).status).to.equal(404);
  });

  it("DELETE erases personal data, keeps a tombstone, and the customer's operations stay", async () => {
    const id = uniqueId("cust");
    await call("PUT", id, validCustomer());
    const operations = createOperationsApiHandler(fixture.options());
    const operation = validOperation({ customerId: id });
    await operations(apiEvent("POST", "/operations", { body: operation }));

    const erased = await call("DELETE", id);
    expect(erased.status).to.equal(200);
    expect(erased.body).to.include({ customerId: id, erased: true });

    const item = await new DynamoDBClient({}).send(
      new GetItemCommand({
        TableName: fixture.tableName,
        Key: { pk: { S: `CUSTOMER#${id}` }, sk: { S: "PROFILE" } },
      }),
    );
    expect(Object.keys(item.Item ?? {}).sort()).to.deep.equal([
      "createdAt",
      "customerId",
      "erased",
      "erasedAt",
      "pk",
      "sk",
      "updatedAt",
      "version",
    ]);
    expect(JSON.stringify(item.Item)).not.to.include("camille");

    const read = await call("GET", id);
    expect(read.status).to.equal(404);
    expect(read.body.error.message).to.include("erased");
    expect((await call("PATCH", id, { timeZone: "Europe/Paris" })).status).to.equal(404);
    const kept = await operations(apiEvent("GET", "/operations/{id}", { id: operation.id as string }));
    expect(kept.statusCode).to.equal(200);
  });

  it("DELETE of an unknown customer is a 404", async () => {
    expect((await call("DELETE", uniqueId("nobody"))).status).to.equal(404);
  });

  it("lists a customer's operations newest first, masked", async () => {
    const id = uniqueId("cust");
    const operations = createOperationsApiHandler(fixture.options());
    for (const occurredAt of ["2026-03-01T08:00:00+01:00", "2026-03-10T08:00:00Z", "2026-03-05T08:00:00Z"]) {
      await operations(
        apiEvent("POST", "/operations", { body: validOperation({ customerId: id, occurredAt }) }),
      );
    }
    const listed = await call("GET", id, undefined, "/customers/{id}/operations");
    expect(listed.body.operations.map((o: { occurredAt: string }) => o.occurredAt)).to.deep.equal([
      "2026-03-10T08:00:00Z",
      "2026-03-05T08:00:00Z",
      "2026-03-01T08:00:00+01:00",
    ]);
    expect(listed.body.operations[0].account).to.equal("•••• 0189");
  });

  it("lists each operation as GET /operations/{id} shows it, its status as it is now", async () => {
    const id = uniqueId("cust");
    const operations = createOperationsApiHandler(fixture.options());
    const operation = validOperation({ customerId: id });
    const submit = () => operations(apiEvent("POST", "/operations", { body: operation }));
    const shown = async () => {
      const { body } = await operations(apiEvent("GET", "/operations/{id}", { id: String(operation.id) }));
      const { notifications, ...view } = JSON.parse(body);
      expect(notifications).to.deep.equal([]);
      return view;
    };
    fixture.services.failNextPutEvents(1, "InternalFailure");
    expect((await submit()).statusCode).to.equal(503);
    const recorded = await call("GET", id, undefined, "/customers/{id}/operations");
    expect(recorded.body.operations).to.deep.equal([await shown()]);
    expect(recorded.body.operations[0].status).to.equal("recorded");

    expect((await submit()).statusCode).to.equal(202);
    const published = await call("GET", id, undefined, "/customers/{id}/operations");
    expect(published.body.operations).to.deep.equal([await shown()]);
    expect(published.body.operations[0]).to.include({ status: "published" }).and.have.property("publishedAt");
  });
});
