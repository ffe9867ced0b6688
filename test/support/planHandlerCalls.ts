import { randomUUID } from "node:crypto";
import { expect } from "chai";
import type { SdkCall } from "../../local/iam/sdkRequests";
import {
  createCustomersApiHandler,
  createNotifyHandler,
  createOperationsApiHandler,
  createSesFeedbackHandler,
} from "../../runtime";
import { ENVIRONMENT } from "../../runtime/config/environment";
import { createAwsClients, type AwsClients } from "../../runtime/clients/awsClients";
import { FUNCTION_IDS, type FunctionId } from "../../components/settings";
import { plannedWorld } from "./plannedWorld";
import { ofType, type StackName, type StackRun } from "./pulumiStacks";
import { apiEvent, envelopeBody, sqsEvent, uniqueId, validCustomer, validOperation } from "./sampleData";

/**
 * Every AWS request the four handlers really build, recorded from their SDK clients while they
 * serve every route and path that reaches AWS, each handler running with the environment the plan
 * gives its function (so the requests name the plan's table, bucket, secret, bus and templates).
 */
export interface PlanFunction {
  id: FunctionId;
  /** The function's physical name. */
  name: string;
  environment: Record<string, string>;
}

export interface HandlerCalls {
  functions: Record<FunctionId, PlanFunction>;
  calls: Record<FunctionId, SdkCall[]>;
}

/** The plan's functions by id, matched on the SERVICE_NAME each function's environment sets. */
export function planFunctions(run: StackRun): Record<FunctionId, PlanFunction> {
  const slug = (id: string) => id.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);
  return Object.fromEntries(
    FUNCTION_IDS.map((id) => {
      const fn = ofType(run, "aws:lambda/function:Function").find(
        (candidate) =>
          (candidate.inputs.environment as { variables: Record<string, string> }).variables[
            ENVIRONMENT.serviceName
          ] === slug(id),
      );
      if (!fn) throw new Error(`the plan has no ${id} function`);
      return [
        id,
        {
          id,
          name: String(fn.inputs.name),
          environment: (fn.inputs.environment as { variables: Record<string, string> }).variables,
        },
      ];
    }),
  ) as Record<FunctionId, PlanFunction>;
}

/** Clients that record each command, with its input, before sending it. */
export function recordingClients(calls: SdkCall[]): AwsClients {
  const clients = createAwsClients();
  for (const client of Object.values(clients)) {
    const stack = client.middlewareStack as unknown as {
      add(middleware: unknown, options: object): void;
    };
    stack.add(
      (
        next: (args: { input: object }) => Promise<unknown>,
        context: { clientName?: string; commandName?: string },
      ) =>
        async (args: { input: object }) => {
          calls.push({
            client: context.clientName!,
            command: context.commandName!,
            input: structuredClone(args.input) as Record<string, unknown>,
          });
          return next(args);
        },
      { step: "initialize", name: "recordSdkCall" },
    );
  }
  return clients;
}

/** Runs every route and path of the four handlers that reaches AWS, recording what each sends. */
export async function recordHandlerCalls(stack: StackName): Promise<HandlerCalls> {
  const { run, services } = await plannedWorld(stack);
  const functions = planFunctions(run);
  const calls = Object.fromEntries(FUNCTION_IDS.map((id) => [id, [] as SdkCall[]])) as Record<
    FunctionId,
    SdkCall[]
  >;
  const options = (id: FunctionId) => ({
    env: { ...functions[id].environment, ...services.awsEnvironment() },
    clients: recordingClients(calls[id]),
    write: () => undefined,
  });
  const customers = createCustomersApiHandler(options("customersApi"));
  const operations = createOperationsApiHandler(options("operationsApi"));
  const notify = createNotifyHandler(options("notify"));
  const feedback = createSesFeedbackHandler(options("sesFeedback"));

  const customerId = uniqueId("iam");
  const email = `iam.${randomUUID().slice(0, 8)}@example.com`;
  const ok = (response: { statusCode: number; body: string }, status: number) => {
    expect(response.statusCode, response.body).to.equal(status);
  };
  ok(
    await customers(apiEvent("PUT", "/customers/{id}", { id: customerId, body: validCustomer({ email }) })),
    200,
  );
  ok(
    await customers(
      apiEvent("PATCH", "/customers/{id}", { id: customerId, body: { timeZone: "Europe/Berlin" } }),
    ),
    200,
  );
  ok(await customers(apiEvent("GET", "/customers/{id}", { id: customerId })), 200);
  const operation = validOperation({ customerId, occurredAt: new Date(Date.now() - 60_000).toISOString() });
  ok(await operations(apiEvent("POST", "/operations", { body: operation })), 202);
  ok(await operations(apiEvent("GET", "/operations/{id}", { id: operation.id as string })), 200);
  ok(await operations(apiEvent("GET", "/notifications/failed")), 200);
  ok(await customers(apiEvent("GET", "/customers/{id}/operations", { id: customerId })), 200);
  const event = services.events.find(
    (candidate) => JSON.parse(candidate.Detail).operationId === operation.id,
  );
  expect(event, "the operation's bus event").to.not.equal(undefined);
  const sent = await notify(sqsEvent(envelopeBody(event!, "deposit", new Date().toISOString())));
  expect(sent.batchItemFailures).to.deep.equal([]);
  const store = (await (await fetch(`${services.endpoints.ses}/store`)).json()) as {
    emails: { messageId: string; destination: { to: string[] } }[];
  };
  const mail = store.emails.find((candidate) => candidate.destination.to.includes(email));
  expect(mail, "the e-mail notify sent").to.not.equal(undefined);
  // A bounce without the operation's tags makes the feedback function look the message up by its id.
  const bounce = (tags: Record<string, string[]>) =>
    feedback({
      source: "aws.ses",
      detail: {
        eventType: "Bounce",
        mail: {
          messageId: mail!.messageId,
          tags: {
            "ses:configuration-set": [functions.sesFeedback.environment[ENVIRONMENT.configurationSetName]],
            ...tags,
          },
        },
        bounce: { bounceType: "Permanent", bouncedRecipients: [{ emailAddress: email }] },
      },
    });
  await bounce({});
  await bounce({ "operation-id": [operation.id as string], "notification-kind": ["deposit"] });
  ok(await customers(apiEvent("DELETE", "/customers/{id}", { id: customerId })), 200);
  return { functions, calls };
}
