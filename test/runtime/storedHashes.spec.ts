import { expect } from "chai";
import { createHash, createHmac } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { DynamoDBDocumentClient, ScanCommand } from "@aws-sdk/lib-dynamodb";
import { GetObjectCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { GetEmailTemplateCommand, SESv2Client } from "@aws-sdk/client-sesv2";
import { canonicalJson } from "../../runtime/domain/canonicalJson";
import { validateOperationInput } from "../../runtime/domain/operationSchema";
import { createCustomersApiHandler } from "../../runtime/handlers/customersApi";
import { createNotifyHandler } from "../../runtime/handlers/notify";
import { createOperationsApiHandler } from "../../runtime/handlers/operationsApi";
import { createSesFeedbackHandler } from "../../runtime/handlers/sesFeedbackHandler";
import { createRuntimeFixture, type RuntimeFixture } from "../support/runtimeFixture";
import {
  apiEvent,
  envelopeBody,
  sqsEvent,
  uniqueId,
  validCustomer,
  validOperation,
  OTHER_VALID_IBAN,
  VALID_IBAN,
} from "../support/sampleData";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

/** Every 64-hex-digit string in a value, with where it was found, including inside keys like ADDRESS#<hash>. */
function hashesIn(value: unknown, where: string): { hash: string; where: string }[] {
  if (typeof value === "string")
    return [...value.matchAll(/[a-f0-9]{64}/g)].map(([hash]) => ({ hash, where }));
  if (value instanceof Set) return [...value].flatMap((item) => hashesIn(item, where));
  if (Array.isArray(value)) return value.flatMap((item, index) => hashesIn(item, `${where}[${index}]`));
  if (value !== null && typeof value === "object") {
    return Object.entries(value).flatMap(([key, item]) => hashesIn(item, `${where}.${key}`));
  }
  return [];
}

describe("stored hashes: nothing personal can be recovered without the hash key", () => {
  let fixture: RuntimeFixture;

  before(async () => {
    fixture = await createRuntimeFixture();
  });

  it("keys every hash of an address, an IBAN or a body in the table and the evidence, and says which", async () => {
    const customerId = uniqueId("cust");
    const email = fixture.uniqueAddress("Hashed.Person");
    await createCustomersApiHandler(fixture.options())(
      apiEvent("PUT", "/customers/{id}", { id: customerId, body: validCustomer({ email }) }),
    );
    const operation = validOperation({
      customerId,
      kind: "transfer-in",
      counterparty: { name: "Jeanne Dupont", iban: OTHER_VALID_IBAN },
    });
    const submitted = apiEvent("POST", "/operations", { body: operation });
    expect((await createOperationsApiHandler(fixture.options())(submitted)).statusCode).to.equal(202);
    const event = fixture.services.events.find((e) => JSON.parse(e.Detail).operationId === operation.id)!;
    const notified = await createNotifyHandler(fixture.options())(
      sqsEvent(envelopeBody(event, "transfer-in")),
    );
    expect(notified.batchItemFailures).to.deep.equal([]);
    const [mail] = await fixture.emailsTo(email);
    await createSesFeedbackHandler(fixture.options())({
      source: "aws.ses",
      detail: {
        eventType: "Bounce",
        mail: {
          messageId: mail.messageId,
          tags: {
            "ses:configuration-set": [fixture.env.SES_CONFIGURATION_SET],
            "operation-id": [operation.id as string],
            "notification-kind": ["transfer-in"],
          },
        },
        bounce: { bounceType: "Permanent", bouncedRecipients: [{ emailAddress: email }] },
      },
    });

    const items =
      (
        await DynamoDBDocumentClient.from(new DynamoDBClient({})).send(
          new ScanCommand({ TableName: fixture.tableName }),
        )
      ).Items ?? [];
    const s3 = new S3Client({});
    const listed = await s3.send(new ListObjectsV2Command({ Bucket: fixture.bucket }));
    const evidence = await Promise.all(
      (listed.Contents ?? []).map(async ({ Key }) =>
        JSON.parse(
          await (
            await s3.send(new GetObjectCommand({ Bucket: fixture.bucket, Key }))
          ).Body!.transformToString(),
        ),
      ),
    );
    expect(evidence).to.have.length(1);
    const stored = [...hashesIn(items, "table"), ...hashesIn(evidence, "evidence")];

    const key = fixture.services.secrets[fixture.env.HASH_KEY_SECRET_ID];
    const hmac = (text: string) => createHmac("sha256", key).update(text).digest("hex");
    const validated = canonicalJson(validateOperationInput(operation));
    // What the README and runtime/domain/privacy.ts say is hashed, and with what.
    const keyed: Record<string, string> = {
      [hmac(VALID_IBAN)]: "the account's IBAN",
      [hmac(OTHER_VALID_IBAN)]: "the counterparty's IBAN",
      [hmac(email.toLowerCase())]: "the recipient's address",
      [hmac(validated)]: "the operation's canonical body",
    };
    const template = await new SESv2Client({}).send(
      new GetEmailTemplateCommand({ TemplateName: `${fixture.templatePrefix}-transfer-in-fr` }),
    );
    const content = template.TemplateContent!;
    const templateHash = sha256(
      JSON.stringify({ subject: content.Subject, html: content.Html, text: content.Text }),
    );

    const guessable = new Set(
      [VALID_IBAN, OTHER_VALID_IBAN, email, email.toLowerCase(), validated, submitted.body!].map(sha256),
    );
    for (const { hash, where } of stored) {
      expect(guessable.has(hash), `${where} is an unkeyed SHA-256 of personal data`).to.equal(false);
      if (hash === templateHash) {
        expect(where, "only the template's hash is a plain SHA-256").to.match(
          /^(table\[\d+\]\.evidence\.templateSha256|evidence\[0\]\.template\.sha256)$/,
        );
        continue;
      }
      expect(keyed, `${where} holds a hash of something unexpected`).to.have.property(hash);
    }
    expect(new Set(stored.map(({ hash }) => keyed[hash] ?? "template"))).to.have.all.keys(
      "the account's IBAN",
      "the counterparty's IBAN",
      "the recipient's address",
      "the operation's canonical body",
      "template",
    );
  });
});
