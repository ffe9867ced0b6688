/**
 * `npm run demo`: starts the local cloud (in a state folder of its own), creates customers in both
 * languages through the API, sends a realistic mix through the API and the bus, waits for every
 * outcome, prints a table and exits non-zero if any expectation fails.
 */
import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import type { PutEventsRequestEntry } from "@aws-sdk/client-eventbridge";
import { cloudClient, waitFor, type CloudClient } from "../local/cloud/cloudClient";
import { startLocalCloud } from "../local/cloud/localCloud";
import { REPO_ROOT } from "../local/pulumi/pulumiMocks";
import { buildOperationEvent } from "../runtime/domain/operationEvent";
import type { OperationInput } from "../runtime/domain/operationSchema";

const HELP = `npm run demo [-- --state DIR]

Starts the local cloud with the dev stack and a test stack configuration (notify's timeout 5 s, two
receives before the DLQ, 14 e-mails per second as the SES emulator has no sandbox, retry waits 60
times faster), then: customers in French and English
through the API; operations through the API and the bus, among them a duplicate on each, an
opted-out customer, a large amount, a bounced address and a poison event; then waits for every
outcome and prints what happened. Exits 1 if anything differs from what is expected.

  --state DIR   the demo's state folder (default .local/demo, started fresh)
  --help        this text
`;

const TEST_STACK_CONFIG = {
  functionTimeoutSeconds: { notify: 5 },
  notifyMaxReceiveCount: 2,
  sesMaxSendRate: 14,
};
const OUTCOME_TIMEOUT_MS = 90_000;

interface Customer {
  id: string;
  email: string;
  locale: string;
  optedOut?: string[];
}

interface Expectation {
  label: string;
  channel: "API" | "bus";
  customer: Customer;
  operation: OperationInput;
  /** Final status of each notification, by kind; `dead-lettered` for the poison event. */
  expected: Record<string, string>;
}

function operation(
  customer: Customer,
  kind: OperationInput["kind"],
  amount?: [string, string],
): OperationInput {
  return {
    id: `demo-${randomUUID().slice(0, 8)}`,
    customerId: customer.id,
    kind,
    accountIban: "FR7630006000011234567890189",
    ...(amount ? { amount: { value: amount[0], currency: amount[1] } } : {}),
    occurredAt: new Date(Date.now() - 60_000).toISOString().replace(/\.\d{3}Z$/, "Z"),
    ...(kind === "card-blocked" ? { description: "Card ending 4242 blocked after three wrong PINs" } : {}),
  };
}

async function statusesOf(client: CloudClient, operationId: string): Promise<Record<string, string>> {
  const answer = await client.call("GET", `/operations/${operationId}`);
  if (answer.status !== 200) return {};
  const notifications = (answer.body.notifications ?? []) as { notificationKind: string; status: string }[];
  return Object.fromEntries(notifications.map((item) => [item.notificationKind, item.status]));
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { state: { type: "string" }, help: { type: "boolean", default: false } },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const started = Date.now();
  const stateDir = values.state ?? path.join(REPO_ROOT, ".local", "demo");
  process.stdout.write("Starting the local cloud (dev stack, test configuration)...\n");
  const cloud = await startLocalCloud({
    stack: "dev",
    stateDir,
    fresh: true,
    timeScale: 60,
    config: TEST_STACK_CONFIG,
    echo: () => undefined,
  });
  try {
    const client = cloudClient(cloud.description, { fauxqsEndpoint: cloud.services.endpoints.s3 });
    const hashKey = readFileSync(path.join(stateDir, "hash-key"), "utf8").trim();
    const customers: Record<string, Customer> = {
      camille: { id: "demo-camille", email: "camille.martin@example.com", locale: "fr-FR" },
      alex: { id: "demo-alex", email: "alex.morgan@example.com", locale: "en-GB" },
      sam: { id: "demo-sam", email: "sam.taylor@example.com", locale: "en-GB", optedOut: ["card-activity"] },
      // SES's mailbox simulator answers this address with a permanent bounce.
      bounced: { id: "demo-bounced", email: "bounce@simulator.amazonses.com", locale: "fr-FR" },
    };
    for (const customer of Object.values(customers)) {
      const saved = await client.call("PUT", `/customers/${customer.id}`, {
        body: {
          email: customer.email,
          locale: customer.locale,
          displayName: customer.id.replace("demo-", "").replace(/^./, (letter) => letter.toUpperCase()),
          timeZone: customer.locale === "fr-FR" ? "Europe/Paris" : "Europe/London",
          preferences: { optedOutCategories: customer.optedOut ?? [], minimumAmounts: {} },
        },
      });
      if (saved.status !== 200) throw new Error(`PUT /customers/${customer.id} answered ${saved.status}`);
    }

    const expectations: Expectation[] = [
      {
        label: "deposit",
        channel: "API",
        customer: customers.camille,
        operation: operation(customers.camille, "deposit", ["123.45", "EUR"]),
        expected: { deposit: "delivered" },
      },
      {
        label: "card payment",
        channel: "API",
        customer: customers.alex,
        operation: operation(customers.alex, "card-payment", ["42.50", "GBP"]),
        expected: { "card-payment": "delivered" },
      },
      {
        label: "large transfer",
        channel: "API",
        customer: customers.camille,
        operation: operation(customers.camille, "transfer-in", ["20000.00", "EUR"]),
        expected: { "transfer-in": "delivered", "large-amount": "delivered" },
      },
      {
        label: "opted out",
        channel: "API",
        customer: customers.sam,
        operation: operation(customers.sam, "card-payment", ["12.00", "GBP"]),
        expected: { "card-payment": "suppressed" },
      },
      {
        label: "bounced address",
        channel: "API",
        customer: customers.bounced,
        operation: operation(customers.bounced, "withdrawal", ["60.00", "EUR"]),
        expected: { withdrawal: "bounced" },
      },
      {
        label: "card blocked",
        channel: "bus",
        customer: customers.alex,
        operation: operation(customers.alex, "card-blocked"),
        expected: { "card-blocked": "delivered" },
      },
      {
        label: "transfer out",
        channel: "bus",
        customer: customers.sam,
        operation: operation(customers.sam, "transfer-out", ["300.00", "EUR"]),
        expected: { "transfer-out": "delivered" },
      },
      {
        label: "poison event",
        channel: "bus",
        customer: customers.alex,
        operation: operation(customers.alex, "deposit", ["10.00", "EUR"]),
        expected: { deposit: "dead-lettered" },
      },
    ];
    const source = String(cloud.description.outputs.eventSource);
    const busEntry = (expectation: Expectation): PutEventsRequestEntry => {
      const event = buildOperationEvent(expectation.operation, { source, hashKey });
      const detail = expectation.label === "poison event" ? { ...event.detail, version: 99 } : event.detail;
      return {
        EventBusName: cloud.description.eventBusName,
        Source: event.source,
        DetailType: event.detailType,
        Detail: JSON.stringify(detail),
      };
    };
    for (const expectation of expectations) {
      if (expectation.channel === "API") {
        const answer = await client.call("POST", "/operations", {
          as: "producer",
          body: expectation.operation,
        });
        if (answer.status !== 202)
          throw new Error(`POST /operations (${expectation.label}) answered ${answer.status}`);
      } else {
        const answer = await client.putEvents([busEntry(expectation)]);
        if (answer.FailedEntryCount)
          throw new Error(`PutEvents (${expectation.label}) failed: ${JSON.stringify(answer.Entries)}`);
      }
    }
    // Duplicates: the same operation through the API, the same event on the bus.
    const duplicateApi = await client.call("POST", "/operations", {
      as: "producer",
      body: expectations[0].operation,
    });
    await client.putEvents([busEntry(expectations[5])]);

    const outcomes = new Map<Expectation, Record<string, string>>();
    await waitFor(
      async () => {
        const emails = await client.emails();
        for (const expectation of expectations) {
          if (expectation.label === "poison event") {
            const dead = await client.peek("bank-notif-dev-notify-dlq");
            if (dead.some((message) => String(message.Body).includes(expectation.operation.id)))
              outcomes.set(expectation, { deposit: "dead-lettered" });
          } else if (expectation.channel === "API") {
            outcomes.set(expectation, await statusesOf(client, expectation.operation.id));
          } else {
            const sent = emails.filter((email) => email.destination.to.includes(expectation.customer.email));
            const kind = Object.keys(expectation.expected)[0];
            if (
              sent.some(
                (email) =>
                  email.subject.length > 0 && (kind !== "card-blocked" || /card|carte/i.test(email.subject)),
              )
            )
              outcomes.set(expectation, { [kind]: "delivered" });
          }
        }
        const done = expectations.every((expectation) =>
          Object.entries(expectation.expected).every(
            ([kind, status]) => outcomes.get(expectation)?.[kind] === status,
          ),
        );
        return done ? true : undefined;
      },
      "every outcome",
      OUTCOME_TIMEOUT_MS,
    ).catch(() => undefined);

    const emails = await client.emails();
    const rows = expectations.flatMap((expectation) =>
      Object.entries(expectation.expected).map(([kind, status]) => {
        const actual = outcomes.get(expectation)?.[kind] ?? "(nothing)";
        return {
          channel: expectation.channel,
          label: expectation.label,
          kind,
          locale: expectation.customer.locale,
          expected: status,
          actual,
          ok: actual === status,
        };
      }),
    );
    const expectedEmails = rows.filter((row) => ["delivered", "bounced"].includes(row.expected)).length;
    const duplicateOk =
      duplicateApi.status === 202 &&
      emails.filter((email) => email.destination.to.includes(customers.camille.email)).length === 3;
    const cardBlockedOk =
      emails.filter((email) => email.destination.to.includes(customers.alex.email)).length === 2;
    const exactlyOnce = emails.length === expectedEmails;
    const width = (key: keyof (typeof rows)[number]) =>
      Math.max(key.length, ...rows.map((row) => String(row[key]).length));
    const columns = ["channel", "label", "kind", "locale", "expected", "actual"] as const;
    process.stdout.write(`\n${columns.map((column) => column.padEnd(width(column))).join("  ")}  ok\n`);
    for (const row of rows) {
      process.stdout.write(
        `${columns.map((column) => String(row[column]).padEnd(width(column))).join("  ")}  ${row.ok ? "yes" : "NO"}\n`,
      );
    }
    const perKindAndLocale = new Map<string, number>();
    for (const row of rows.filter((each) => ["delivered", "bounced"].includes(each.actual))) {
      const key = `${row.kind} (${row.locale})`;
      perKindAndLocale.set(key, (perKindAndLocale.get(key) ?? 0) + 1);
    }
    const count = (status: string) => rows.filter((row) => row.actual === status).length;
    process.stdout.write(
      [
        "",
        `operations: ${expectations.filter((e) => e.channel === "API").length} through the API, ${expectations.filter((e) => e.channel === "bus").length} on the bus, plus one duplicate on each`,
        `e-mails sent: ${emails.length}, expected ${expectedEmails} (${[...perKindAndLocale].map(([key, n]) => `${key} ${n}`).join(", ")})`,
        `suppressed: ${count("suppressed")}, bounced: ${count("bounced")}, failed: ${count("failed")}, dead-lettered: ${count("dead-lettered")}`,
        `the API duplicate sent no second e-mail: ${duplicateOk ? "yes" : "NO"}; the bus duplicate sent no second e-mail: ${cardBlockedOk ? "yes" : "NO"}`,
        `took ${((Date.now() - started) / 1000).toFixed(1)} s`,
        "",
      ].join("\n"),
    );
    process.exitCode = rows.every((row) => row.ok) && duplicateOk && cardBlockedOk && exactlyOnce ? 0 : 1;
  } finally {
    await cloud.stop();
  }
}

main().then(
  () => process.exit(process.exitCode ?? 0),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
