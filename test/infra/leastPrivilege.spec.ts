import { expect } from "chai";
import {
  createCustomersApiHandler,
  createNotifyHandler,
  createOperationsApiHandler,
  createSesFeedbackHandler,
} from "../../runtime";
import { NOTIFICATION_KINDS, isSecurityCritical } from "../../runtime/domain/operationKinds";
import { createAwsClients, type AwsClients } from "../../runtime/clients/awsClients";
import { plannedWorld, type FunctionSlug, type PlannedWorld } from "../support/plannedWorld";
import { asList, byArn, ofType, onlyOfType, parsePolicy, type StackRun } from "../support/pulumiStacks";
import {
  apiEvent,
  envelopeBody,
  sqsEvent,
  uniqueId,
  validCustomer,
  validOperation,
} from "../support/sampleData";

/** IAM service prefix of each SDK client: the data-plane calls a handler makes itself. */
const IAM_PREFIX: Record<string, string> = {
  DynamoDBClient: "dynamodb",
  SESv2Client: "ses",
  EventBridgeClient: "events",
  SecretsManagerClient: "secretsmanager",
  S3Client: "s3",
};

interface RecordedCall {
  action: string;
  input: Record<string, unknown>;
}

/** One action on one resource: a call a handler made, or a grant of its role. */
interface Access {
  action: string;
  resource: string;
}

/** Clients that record every call they make: the IAM action and the input the runtime built. */
function recordingClients(calls: RecordedCall[]): AwsClients {
  const clients = createAwsClients();
  const record =
    (
      next: (args: { input: object }) => Promise<unknown>,
      context: { clientName?: string; commandName?: string },
    ) =>
    async (args: { input: object }) => {
      calls.push({
        action: `${IAM_PREFIX[context.clientName!]}:${context.commandName!.replace(/Command$/, "")}`,
        input: args.input as Record<string, unknown>,
      });
      return next(args);
    };
  for (const client of Object.values(clients)) {
    const stack = client.middlewareStack as unknown as {
      add(middleware: typeof record, options: object): void;
    };
    stack.add(record, { step: "initialize", name: "recordIamAction" });
  }
  return clients;
}

/**
 * The resources a call acts on, as IAM names them, from the input the runtime built.
 * https://docs.aws.amazon.com/service-authorization/latest/reference/reference_policies_actions-resources-contextkeys.html
 */
function resourcesOf(call: RecordedCall, run: StackRun): string[] {
  const region = "eu-west-3";
  const account = "444455556666";
  const arn = (service: string, resource: string) => `arn:aws:${service}:${region}:${account}:${resource}`;
  const input = call.input;
  switch (call.action.split(":")[0]) {
    case "dynamodb":
      // A batch names its tables in RequestItems.
      return input.RequestItems
        ? Object.keys(input.RequestItems).map((table) => arn("dynamodb", `table/${table}`))
        : [arn("dynamodb", `table/${input.TableName}${input.IndexName ? `/index/${input.IndexName}` : ""}`)];
    case "s3":
      return [`arn:aws:s3:::${input.Bucket}/${input.Key}`];
    case "events":
      return [
        ...new Set(
          (input.Entries as { EventBusName?: string }[]).map((entry) =>
            arn("events", `event-bus/${entry.EventBusName ?? "default"}`),
          ),
        ),
      ];
    case "secretsmanager":
      return [String(input.SecretId)];
    case "ses": {
      if (call.action === "ses:GetEmailTemplate") return [arn("ses", `template/${input.TemplateName}`)];
      // SES authorizes a send against the verified identity of the From address: the address, or its domain.
      const verified = String(onlyOfType(run, "aws:sesv2/emailIdentity:EmailIdentity").inputs.emailIdentity);
      const from = String(input.FromEmailAddress);
      const identity = from === verified || from.endsWith(`@${verified}`) ? verified : from;
      const template = (input.Content as { Template?: { TemplateName?: string } }).Template?.TemplateName;
      return [
        arn("ses", `identity/${identity}`),
        arn("ses", `configuration-set/${input.ConfigurationSetName}`),
        ...(template ? [arn("ses", `template/${template}`)] : []),
      ];
    }
    default:
      throw new Error(`no resource mapping for ${call.action}`);
  }
}

/** The data-plane grants of the function whose SERVICE_NAME is `slug`, one per action and resource. */
function grantsOf(run: StackRun, slug: FunctionSlug): Access[] {
  const lambda = ofType(run, "aws:lambda/function:Function").find(
    (candidate) =>
      (candidate.inputs.environment as { variables: Record<string, string> }).variables.SERVICE_NAME === slug,
  )!;
  const role = byArn(run, lambda.inputs.role)!;
  const policy = ofType(run, "aws:iam/rolePolicy:RolePolicy").find(
    (candidate) => candidate.inputs.role === role.inputs.name,
  )!;
  return parsePolicy(policy.inputs.policy)
    .Statement.filter((statement) => statement.Effect === "Allow")
    .flatMap((statement) =>
      asList(statement.Action)
        .filter((action) => Object.values(IAM_PREFIX).includes(action.split(":")[0]))
        .flatMap((action) => asList(statement.Resource).map((resource) => ({ action, resource }))),
    );
}

/** `*` and `?` as IAM reads them in a Resource element. */
function resourceMatches(pattern: string, resource: string): boolean {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`).test(resource);
}

/**
 * Resources next to one a call named: the same ARN with one of its names changed (another table,
 * index, bucket, bus, secret, identity, configuration set or template). In an S3 object ARN only the
 * bucket and the first key segment are names: below the evidence prefix, keys are the runtime's.
 */
function neighboursOf(resource: string): string[] {
  const s3 = resource.startsWith("arn:aws:s3:::");
  const head = s3 ? "arn:aws:s3:::" : `${resource.split(":").slice(0, 5).join(":")}:`;
  const segments = resource.slice(head.length).split("/");
  const named = s3 ? 2 : segments.length;
  return segments
    .slice(0, named)
    .map(
      (_, changed) =>
        head + segments.map((segment, index) => (index === changed ? `${segment}-other` : segment)).join("/"),
    );
}

const covers = (grant: Access, call: Access) =>
  grant.action === call.action && resourceMatches(grant.resource, call.resource);

const SLUGS: FunctionSlug[] = ["operations-api", "customers-api", "notify", "ses-feedback"];
const NOW = Date.parse("2026-03-14T10:00:00Z");

describe("infra: each role grants exactly the AWS calls its handler makes, on the resources it names", function () {
  this.timeout(180_000);
  let world: PlannedWorld;
  const recorded = Object.fromEntries(SLUGS.map((slug) => [slug, [] as RecordedCall[]])) as Record<
    FunctionSlug,
    RecordedCall[]
  >;

  before(async () => {
    world = await plannedWorld("prod");
    const options = (slug: FunctionSlug) => ({
      env: world.environment(slug),
      now: () => NOW,
      write: () => undefined,
      clients: recordingClients(recorded[slug]),
    });
    const customers = createCustomersApiHandler(options("customers-api"));
    const operations = createOperationsApiHandler(options("operations-api"));
    const notify = createNotifyHandler(options("notify"));
    const feedback = createSesFeedbackHandler(options("ses-feedback"));
    const emailsTo = async (address: string) => {
      const store = (await (await fetch(`${world.services.endpoints.ses}/store`)).json()) as {
        emails: { messageId: string; destination: { to: string[] } }[];
      };
      return store.emails.filter((email) => email.destination.to.includes(address));
    };

    // Every route, and every path of the four handlers that reaches AWS: one e-mail per notification
    // kind in each language, so that every template the role may send is sent.
    const people = ["fr-FR", "en-GB"].map((locale) => ({
      id: uniqueId("least-privilege"),
      email: `${uniqueId("iam")}@example.com`,
      locale,
    }));
    for (const person of people) {
      const saved = await customers(
        apiEvent("PUT", "/customers/{id}", {
          id: person.id,
          body: validCustomer({ email: person.email, locale: person.locale }),
        }),
      );
      expect(saved.statusCode, saved.body).to.equal(200);
    }
    const [first] = people;
    await customers(
      apiEvent("PATCH", "/customers/{id}", { id: first.id, body: { timeZone: "Europe/Berlin" } }),
    );
    await customers(apiEvent("GET", "/customers/{id}", { id: first.id }));
    for (const person of people) {
      for (const kind of NOTIFICATION_KINDS) {
        const operationKind = kind === "large-amount" ? "deposit" : kind;
        const amount = isSecurityCritical(kind)
          ? { amount: undefined, balanceAfter: undefined }
          : { amount: { value: "25000.00", currency: "EUR" } };
        const operation = validOperation({ customerId: person.id, kind: operationKind, ...amount });
        const submitted = await operations(apiEvent("POST", "/operations", { body: operation }));
        expect(submitted.statusCode, submitted.body).to.equal(202);
        const event = world.services.events.find((e) => JSON.parse(e.Detail).operationId === operation.id)!;
        expect((await notify(sqsEvent(envelopeBody(event, kind)))).batchItemFailures, kind).to.deep.equal([]);
      }
    }
    const operationId = JSON.parse(
      world.services.events.find((e) => JSON.parse(e.Detail).customerId === first.id)!.Detail,
    ).operationId as string;
    await operations(apiEvent("GET", "/operations/{id}", { id: operationId }));
    await operations(apiEvent("GET", "/notifications/failed"));
    await customers(apiEvent("GET", "/customers/{id}/operations", { id: first.id }));
    const [mail] = await emailsTo(first.email);
    const bounce = (tags: Record<string, string[]>) =>
      feedback({
        source: "aws.ses",
        detail: {
          eventType: "Bounce",
          mail: {
            messageId: mail.messageId,
            tags: { "ses:configuration-set": ["bank-notif-prod-notifications"], ...tags },
          },
          bounce: { bounceType: "Permanent", bouncedRecipients: [{ emailAddress: first.email }] },
        },
      });
    await bounce({});
    await bounce({ "operation-id": [operationId], "notification-kind": ["deposit"] });
    await customers(apiEvent("DELETE", "/customers/{id}", { id: first.id }));
  });

  for (const slug of SLUGS) {
    it(`${slug}: every call is granted on the resource it names, and every data-plane grant is used, and none reaches a resource next to them`, () => {
      const calls = recorded[slug].flatMap((call) =>
        resourcesOf(call, world.run).map((resource): Access => ({ action: call.action, resource })),
      );
      const grants = grantsOf(world.run, slug);
      const ungranted = calls.filter((call) => !grants.some((grant) => covers(grant, call)));
      expect(
        [...new Set(ungranted.map((call) => `${call.action} ${call.resource}`))],
        "calls the role does not allow",
      ).to.deep.equal([]);
      const unused = grants.filter((grant) => !calls.some((call) => covers(grant, call)));
      expect(
        unused.map((grant) => `${grant.action} ${grant.resource}`),
        "grants no call uses",
      ).to.deep.equal([]);
      const neighbours = calls.flatMap((call) =>
        neighboursOf(call.resource).map((resource): Access => ({ action: call.action, resource })),
      );
      const reached = neighbours.filter((neighbour) => grants.some((grant) => covers(grant, neighbour)));
      expect(
        [...new Set(reached.map((neighbour) => `${neighbour.action} ${neighbour.resource}`))],
        "resources the handler does not name, which a grant reaches",
      ).to.deep.equal([]);
    });
  }
});
