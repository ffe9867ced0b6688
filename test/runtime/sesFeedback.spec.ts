import { expect } from "chai";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { createSesFeedbackHandler } from "../../runtime/handlers/sesFeedbackHandler";
import { createNotifyHandler } from "../../runtime/handlers/notify";
import { createOperationsApiHandler } from "../../runtime/handlers/operationsApi";
import { createCustomersApiHandler } from "../../runtime/handlers/customersApi";
import type { SesEmailEvent } from "../../runtime/domain/sesFeedback";
import { createRuntimeFixture, type RuntimeFixture } from "../support/runtimeFixture";
import {
  apiEvent,
  envelopeBody,
  sqsEvent,
  uniqueId,
  validCustomer,
  validOperation,
} from "../support/sampleData";

describe("SES feedback", () => {
  let fixture: RuntimeFixture;
  let feedback: ReturnType<typeof createSesFeedbackHandler>;
  let operationsApi: ReturnType<typeof createOperationsApiHandler>;

  before(async () => {
    fixture = await createRuntimeFixture();
    feedback = createSesFeedbackHandler(fixture.options());
    operationsApi = createOperationsApiHandler(fixture.options());
  });

  /** A customer, an operation and its sent deposit notification; returns what feedback needs. */
  async function sentNotification(email = fixture.uniqueAddress("alex")) {
    const customerId = uniqueId("cust");
    await createCustomersApiHandler(fixture.options())(
      apiEvent("PUT", "/customers/{id}", { id: customerId, body: validCustomer({ email, locale: "en-GB" }) }),
    );
    const operation = validOperation({ customerId });
    await operationsApi(apiEvent("POST", "/operations", { body: operation }));
    const event = fixture.services.events.find((e) => JSON.parse(e.Detail).operationId === operation.id)!;
    await createNotifyHandler(fixture.options())(sqsEvent(envelopeBody(event, "deposit")));
    const [mail] = await fixture.emailsTo(email);
    return { operationId: operation.id as string, customerId, email, messageId: mail.messageId, event };
  }

  function sesEvent(
    eventType: string,
    sent: { operationId: string; email: string; messageId: string },
    extra: Partial<SesEmailEvent["detail"]> = {},
    tags = true,
  ): SesEmailEvent {
    return {
      source: "aws.ses",
      "detail-type": `Email ${eventType}`,
      detail: {
        eventType,
        mail: {
          messageId: sent.messageId,
          destination: [sent.email],
          tags: {
            "ses:configuration-set": [fixture.env.SES_CONFIGURATION_SET],
            ...(tags ? { "operation-id": [sent.operationId], "notification-kind": ["deposit"] } : {}),
          },
        },
        ...extra,
      },
    };
  }

  async function status(operationId: string) {
    const response = await operationsApi(apiEvent("GET", "/operations/{id}", { id: operationId }));
    return JSON.parse(response.body).notifications[0].status as string;
  }

  it("moves sent to delivered, and a complaint after delivery forward again", async () => {
    const sent = await sentNotification();
    expect(await feedback(sesEvent("Delivery", sent))).to.deep.equal({ applied: true });
    expect(await status(sent.operationId)).to.equal("delivered");
    await feedback(
      sesEvent("Complaint", sent, { complaint: { complainedRecipients: [{ emailAddress: sent.email }] } }),
    );
    expect(await status(sent.operationId)).to.equal("complained");
  });

  it("never moves a status backwards when feedback arrives out of order", async () => {
    const sent = await sentNotification();
    await feedback(
      sesEvent("Bounce", sent, {
        bounce: { bounceType: "Permanent", bouncedRecipients: [{ emailAddress: sent.email }] },
      }),
    );
    expect(await feedback(sesEvent("Delivery", sent))).to.deep.equal({ applied: false });
    expect(await status(sent.operationId)).to.equal("bounced");
  });

  it("suppresses the address on a permanent bounce, so the next notification to it is suppressed", async () => {
    const email = fixture.uniqueAddress("bouncing");
    const sent = await sentNotification(email);
    await feedback(
      sesEvent("Bounce", sent, {
        bounce: { bounceType: "Permanent", bouncedRecipients: [{ emailAddress: email.toUpperCase() }] },
      }),
    );
    const next = await sentNotification(email);
    expect(await fixture.emailsTo(email)).to.have.length(1);
    const response = await operationsApi(apiEvent("GET", "/operations/{id}", { id: next.operationId }));
    expect(JSON.parse(response.body).notifications[0]).to.include({
      status: "suppressed",
      reason: "address-suppressed",
    });
  });

  /** Sends a deposit notification to an existing customer; returns what notify recorded. */
  async function notifyCustomer(customerId: string) {
    const operation = validOperation({ customerId });
    await operationsApi(apiEvent("POST", "/operations", { body: operation }));
    const event = fixture.services.events.find((e) => JSON.parse(e.Detail).operationId === operation.id)!;
    await createNotifyHandler(fixture.options())(sqsEvent(envelopeBody(event, "deposit")));
    const response = await operationsApi(apiEvent("GET", "/operations/{id}", { id: String(operation.id) }));
    return JSON.parse(response.body).notifications[0] as { status: string; reason?: string };
  }

  async function putCustomer(customerId: string, email: string, handler = customersApi()) {
    const response = await handler(
      apiEvent("PUT", "/customers/{id}", { id: customerId, body: validCustomer({ email }) }),
    );
    expect(response.statusCode, response.body).to.equal(200);
  }

  const customersApi = (options = {}) => createCustomersApiHandler(fixture.options(options));
  const bounce = (sent: { operationId: string; email: string; messageId: string }) =>
    sesEvent("Bounce", sent, {
      bounce: { bounceType: "Permanent", bouncedRecipients: [{ emailAddress: sent.email }] },
    });
  const suppressed = { status: "suppressed", reason: "address-suppressed" };

  it("suppresses a bounced address for every customer who gave it: before the bounce, after it, or by PATCH", async () => {
    const email = fixture.uniqueAddress("shared");
    const sent = await sentNotification(email);
    const before = uniqueId("cust");
    await putCustomer(before, email.toUpperCase());
    const patched = uniqueId("cust");
    await putCustomer(patched, fixture.uniqueAddress("other"));
    const elsewhere = uniqueId("cust");
    await putCustomer(elsewhere, fixture.uniqueAddress("elsewhere"));

    await feedback(bounce(sent));
    const after = uniqueId("cust");
    await putCustomer(after, email);
    const response = await customersApi()(
      apiEvent("PATCH", "/customers/{id}", { id: patched, body: { email } }),
    );
    expect(response.statusCode, response.body).to.equal(200);

    expect(await notifyCustomer(sent.customerId)).to.include(suppressed);
    expect(await notifyCustomer(before)).to.include(suppressed);
    expect(await notifyCustomer(after)).to.include(suppressed);
    expect(await notifyCustomer(patched)).to.include(suppressed);
    expect(await notifyCustomer(elsewhere)).to.include({ status: "sent" });
    expect(await fixture.emailsTo(email)).to.have.length(1);
  });

  it("suppresses a customer whose address was registered, but whose profile was not yet saved, when the bounce came", async () => {
    const email = fixture.uniqueAddress("racing");
    const sent = await sentNotification(email);
    const racing = uniqueId("cust");
    // The customer's profile write waits until the bounce has been handled: the suppression finds
    // the customer registered under the address, but no profile yet.
    const dynamodb = new DynamoDBClient({});
    let bounced = false;
    dynamodb.middlewareStack.add(
      (next) => async (args) => {
        const input = JSON.stringify(args.input);
        if (!bounced && input.includes(`CUSTOMER#${racing}`) && input.includes("UpdateExpression")) {
          bounced = true;
          await feedback(bounce(sent));
        }
        return next(args);
      },
      { step: "initialize", name: "bounceBeforeTheProfileIsSaved" },
    );
    await putCustomer(racing, email, customersApi({ clients: { dynamodb } }));
    expect(await notifyCustomer(racing)).to.include(suppressed);
    expect(await fixture.emailsTo(email)).to.have.length(1);
  });

  it("does not suppress on a transient bounce", async () => {
    const email = fixture.uniqueAddress("full-mailbox");
    const sent = await sentNotification(email);
    expect(
      await feedback(
        sesEvent("Bounce", sent, {
          bounce: { bounceType: "Transient", bouncedRecipients: [{ emailAddress: email }] },
        }),
      ),
    ).to.deep.equal({ applied: false });
    expect(await status(sent.operationId)).to.equal("sent");
    await sentNotification(email);
    expect(await fixture.emailsTo(email)).to.have.length(2);
  });

  it("records rejects and rendering failures, and finds the notification by message id when tags are missing", async () => {
    const rejected = await sentNotification();
    await feedback(sesEvent("Reject", rejected, { reject: { reason: "Bad content" } }, false));
    expect(await status(rejected.operationId)).to.equal("rejected");
    const failed = await sentNotification();
    await feedback(
      sesEvent("Rendering Failure", failed, {
        failure: { errorMessage: "Attribute 'amount' is not present", templateName: "t" },
      }),
    );
    expect(await status(failed.operationId)).to.equal("rendering-failed");
  });

  it("ignores feedback for a message it never sent", async () => {
    const unknown = { operationId: "never", email: "x@example.com", messageId: "unknown-message" };
    expect(await feedback(sesEvent("Delivery", unknown, {}, false))).to.deep.equal({ applied: false });
  });

  it("ignores events of another configuration set: no status change, no suppression", async () => {
    const email = fixture.uniqueAddress("elsewhere");
    const sent = await sentNotification(email);
    const foreign = sesEvent("Complaint", sent, {
      complaint: { complainedRecipients: [{ emailAddress: email }] },
    });
    foreign.detail.mail.tags!["ses:configuration-set"] = ["another-stack"];
    expect(await feedback(foreign)).to.deep.equal({ applied: false });
    expect(await status(sent.operationId)).to.equal("sent");
    await sentNotification(email);
    expect(await fixture.emailsTo(email)).to.have.length(2);
  });
});
