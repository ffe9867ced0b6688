import { expect } from "chai";
import {
  createCustomersApiHandler,
  createNotifyHandler,
  createOperationsApiHandler,
  createSesFeedbackHandler,
} from "../../runtime";
import { ENVIRONMENT } from "../../runtime/config/environment";
import { createAwsClients, type AwsClients } from "../../runtime/clients/awsClients";
import { createRuntimeFixture, type RuntimeFixture } from "../support/runtimeFixture";
import {
  apiEvent,
  envelopeBody,
  sqsEvent,
  uniqueId,
  validCustomer,
  validOperation,
} from "../support/sampleData";
import { asList, byArn, ofType, parsePolicy, stackRun, type StackRun } from "../support/pulumiStacks";

/** IAM service prefix of each SDK client. */
const IAM_PREFIX: Record<string, string> = {
  DynamoDBClient: "dynamodb",
  SESv2Client: "ses",
  EventBridgeClient: "events",
  SecretsManagerClient: "secretsmanager",
  S3Client: "s3",
};

/** `service:Action`, or `dynamodb:Query@<index>` for a query on an index. */
type Call = string;

/** Clients that record every call they make, as the IAM action it needs. */
function recordingClients(calls: Set<Call>): AwsClients {
  const clients = createAwsClients();
  const record =
    (
      next: (args: { input: object }) => Promise<unknown>,
      context: { clientName?: string; commandName?: string },
    ) =>
    async (args: { input: object }) => {
      const action = `${IAM_PREFIX[context.clientName!]}:${context.commandName!.replace(/Command$/, "")}`;
      const index = (args.input as { IndexName?: string }).IndexName;
      calls.add(index ? `${action}@${index}` : action);
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

/** The data-plane grants of the function whose SERVICE_NAME is `service`, as calls. */
function grantedCalls(run: StackRun, service: string): Set<Call> {
  const lambda = ofType(run, "aws:lambda/function:Function").find(
    (candidate) =>
      (candidate.inputs.environment as { variables: Record<string, string> }).variables[
        ENVIRONMENT.serviceName
      ] === service,
  )!;
  const role = byArn(run, lambda.inputs.role)!;
  const policy = ofType(run, "aws:iam/rolePolicy:RolePolicy").find(
    (candidate) => candidate.inputs.role === role.inputs.name,
  )!;
  const granted = new Set<Call>();
  for (const statement of parsePolicy(policy.inputs.policy).Statement) {
    if (statement.Effect !== "Allow") continue;
    for (const action of asList(statement.Action)) {
      if (!Object.values(IAM_PREFIX).includes(action.split(":")[0])) continue;
      const indexes = asList(statement.Resource)
        .map((resource) => /:table\/[^/]+\/index\/(.+)$/.exec(String(resource))?.[1])
        .filter(Boolean);
      if (indexes.length === 0 || asList(statement.Resource).some((r) => !/\/index\//.test(String(r))))
        granted.add(action);
      for (const index of indexes) granted.add(`${action}@${index}`);
    }
  }
  return granted;
}

describe("infra: each role grants exactly the AWS calls its handler makes", function () {
  this.timeout(120_000);
  let fixture: RuntimeFixture;
  let dev: StackRun;
  const calls: Record<string, Set<Call>> = {
    "operations-api": new Set(),
    "customers-api": new Set(),
    notify: new Set(),
    "ses-feedback": new Set(),
  };

  before(async () => {
    [fixture, dev] = await Promise.all([createRuntimeFixture(), stackRun("dev")]);
    const options = (service: string) => fixture.options({ clients: recordingClients(calls[service]) });
    const customers = createCustomersApiHandler(options("customers-api"));
    const operations = createOperationsApiHandler(options("operations-api"));
    const notify = createNotifyHandler(options("notify"));
    const feedback = createSesFeedbackHandler(options("ses-feedback"));

    // Every route and every path of the four handlers that reaches AWS.
    const customerId = uniqueId("iam");
    const email = fixture.uniqueAddress("iam");
    await customers(apiEvent("PUT", "/customers/{id}", { id: customerId, body: validCustomer({ email }) }));
    await customers(
      apiEvent("PATCH", "/customers/{id}", { id: customerId, body: { timeZone: "Europe/Berlin" } }),
    );
    await customers(apiEvent("GET", "/customers/{id}", { id: customerId }));
    const operation = validOperation({ customerId });
    await operations(apiEvent("POST", "/operations", { body: operation }));
    await operations(apiEvent("GET", "/operations/{id}", { id: operation.id as string }));
    await operations(apiEvent("GET", "/notifications/failed"));
    await customers(apiEvent("GET", "/customers/{id}/operations", { id: customerId }));
    const event = fixture.services.events.find((e) => JSON.parse(e.Detail).operationId === operation.id)!;
    expect((await notify(sqsEvent(envelopeBody(event, "deposit")))).batchItemFailures).to.deep.equal([]);
    const [mail] = await fixture.emailsTo(email);
    const bounce = (tags: Record<string, string[]>) =>
      feedback({
        source: "aws.ses",
        detail: {
          eventType: "Bounce",
          mail: {
            messageId: mail.messageId,
            tags: { "ses:configuration-set": [fixture.env.SES_CONFIGURATION_SET], ...tags },
          },
          bounce: { bounceType: "Permanent", bouncedRecipients: [{ emailAddress: email }] },
        },
      });
    await bounce({});
    await bounce({ "operation-id": [operation.id as string], "notification-kind": ["deposit"] });
    await customers(apiEvent("DELETE", "/customers/{id}", { id: customerId }));
  });

  for (const service of ["operations-api", "customers-api", "notify", "ses-feedback"]) {
    it(`${service}: every call is granted, and every data-plane grant is used`, () => {
      const granted = grantedCalls(dev, service);
      expect([...calls[service]].sort(), "calls the role does not allow").to.satisfy((made: string[]) =>
        made.every((call) => granted.has(call)),
      );
      expect([...granted].sort()).to.deep.equal([...calls[service]].sort());
    });
  }
});
