import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import type * as pulumi from "@pulumi/pulumi";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import { expect } from "chai";
import type { LocalServices } from "../../local/localServices";
import { ENVIRONMENT } from "../../runtime/config/environment";
import { notificationInputTemplate } from "../../runtime/domain/operationEvent";
import { CONFIGURATION_SET_TAG, EMAIL_TAGS } from "../../runtime/domain/sesFeedback";
import { FUNCTION_IDS, type FunctionId } from "../../components/settings";
import {
  archiveEntries,
  invokeLikeLambda,
  NODE_22,
  resolvableFrom,
  unpackArchive,
  type UnpackedFunction,
} from "../support/pulumiArchives";
import { plannedWorld } from "../support/plannedWorld";
import { REPO_ROOT } from "../../local/pulumi/pulumiMocks";
import { ofType, type StackName } from "../support/pulumiStacks";
import { apiEvent, validCustomer } from "../support/sampleData";

/**
 * Each stack's functions as their archives are deployed, against the local services holding what
 * their environment names (the plan's table, bucket, secret and templates). Dev runs under this
 * machine's Node and Node 22; prod, whose evidence bucket has Object Lock with a default retention,
 * under Node 22 (Lambda's nodejs22.x).
 */
const RUNS: { stack: StackName; account: string; nodes: [string, string][] }[] = [
  {
    stack: "dev",
    account: "111122223333",
    nodes: [
      [`Node ${process.versions.node} (this machine)`, process.execPath],
      ["Node 22 (Lambda's nodejs22.x)", NODE_22],
    ],
  },
  { stack: "prod", account: "444455556666", nodes: [["Node 22 (Lambda's nodejs22.x)", NODE_22]] },
];

for (const { stack, account, nodes } of RUNS) {
  describe(`infra: the ${stack} function archives run outside the repository`, function () {
    this.timeout(180_000);
    let root: string;
    let services: LocalServices;
    const functions = {} as Record<FunctionId, UnpackedFunction>;

    /** What Lambda adds to the function's own variables, and the endpoints of the local services. */
    const invoke = (node: string, id: FunctionId, event: unknown) =>
      invokeLikeLambda(node, functions[id], event, {
        ...services.awsEnvironment(),
        AWS_LAMBDA_FUNCTION_NAME: id,
        AWS_LAMBDA_LOG_LEVEL: "DEBUG",
      });

    before(async () => {
      const world = await plannedWorld(stack);
      services = world.services;
      root = mkdtempSync(path.join(tmpdir(), `bank-notification-archives-${stack}-`));
      expect(path.relative(REPO_ROOT, root).startsWith("..")).to.equal(true);
      for (const fn of ofType(world.run, "aws:lambda/function:Function")) {
        const id = FUNCTION_IDS.find((candidate) =>
          String(fn.inputs.name).endsWith(
            candidate.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`),
          ),
        )!;
        const folder = path.join(root, id);
        await unpackArchive(await archiveEntries(fn.inputs.code as pulumi.asset.AssetArchive), folder);
        const environment = (fn.inputs.environment as { variables: Record<string, string> }).variables;
        functions[id] = { folder, handler: String(fn.inputs.handler), environment };
      }
      // Nothing outside the archive is reachable, not even an AWS SDK: each archive is one file that
      // carries its own clients.
      for (const id of FUNCTION_IDS) {
        for (const request of ["@aws-sdk/client-dynamodb", "yup", "typescript", "@pulumi/pulumi"]) {
          expect(
            await resolvableFrom(process.execPath, functions[id].folder, request),
            `${id}: ${request}`,
          ).to.equal(false);
        }
      }
    });

    after(() => {
      if (root) rmSync(root, { recursive: true, force: true });
    });

    for (const [label, node] of nodes) {
      it(`takes an operation in through the API, sends its e-mail, archives its evidence, then applies SES feedback (${label})`, async () => {
        const suffix = randomUUID().slice(0, 8);
        const customerId = `cust-${suffix}`;
        const operationId = `op-${suffix}`;
        const address = `camille.${suffix}@example.com`;

        const saved = (await invoke(
          node,
          "customersApi",
          apiEvent("PUT", "/customers/{id}", {
            id: customerId,
            body: validCustomer({ email: address }),
          }),
        )) as { statusCode: number };
        expect(saved.statusCode).to.equal(200);

        const occurredAt = new Date(Date.now() - 60_000).toISOString();
        const submitted = (await invoke(
          node,
          "operationsApi",
          apiEvent("POST", "/operations", {
            body: {
              id: operationId,
              customerId,
              kind: "transfer-in",
              accountIban: "FR7630006000011234567890189",
              amount: { value: "20000000.00", currency: "EUR" },
              occurredAt,
            },
          }),
        )) as { statusCode: number; body: string };
        expect(submitted.statusCode, submitted.body).to.equal(202);
        const published = services.events.find(
          (event) => JSON.parse(event.Detail).operationId === operationId,
        )!;
        expect(published).to.include({
          Source: functions.operationsApi.environment[ENVIRONMENT.eventSource],
          DetailType: "transfer-in",
          EventBusName: functions.operationsApi.environment[ENVIRONMENT.eventBusName],
        });

        // What the transfer-in rule's input transformer puts on the queue for this event.
        const busEvent = {
          version: "0",
          id: published.eventId,
          "detail-type": published.DetailType,
          source: published.Source,
          account,
          time: occurredAt,
          region: services.region,
          resources: [],
          detail: JSON.parse(published.Detail),
        };
        const body = notificationInputTemplate("transfer-in").replace(
          "<aws.events.event.json>",
          JSON.stringify(busEvent),
        );
        const batch = (await invoke(node, "notify", {
          Records: [{ messageId: `msg-${suffix}`, body }],
        })) as {
          batchItemFailures: unknown[];
        };
        expect(batch).to.deep.equal({ batchItemFailures: [] });
        const store = (await (await fetch(`${services.endpoints.ses}/store`)).json()) as {
          emails: { messageId: string; destination: { to: string[] }; subject: string }[];
        };
        const [email, ...others] = store.emails.filter((candidate) =>
          candidate.destination.to.includes(address),
        );
        expect(others).to.deep.equal([]);
        expect(email.subject).to.be.a("string").and.not.equal("");
        const evidence = await new S3Client({}).send(
          new ListObjectsV2Command({
            Bucket: functions.notify.environment[ENVIRONMENT.evidenceBucket],
            Prefix: `evidence/${operationId}/`,
          }),
        );
        expect((evidence.Contents ?? []).map((object) => object.Key)).to.deep.equal([
          `evidence/${operationId}/transfer-in/${email.messageId}.json`,
        ]);

        const feedback = await invoke(node, "sesFeedback", {
          source: "aws.ses",
          "detail-type": "Email Delivered",
          detail: {
            eventType: "Delivery",
            mail: {
              messageId: email.messageId,
              tags: {
                [CONFIGURATION_SET_TAG]: [
                  functions.sesFeedback.environment[ENVIRONMENT.configurationSetName],
                ],
                [EMAIL_TAGS.operationId]: [operationId],
                [EMAIL_TAGS.notificationKind]: ["transfer-in"],
              },
            },
          },
        });
        expect(feedback).to.deep.equal({ applied: true });

        const read = (await invoke(
          node,
          "operationsApi",
          apiEvent("GET", "/operations/{id}", { id: operationId }),
        )) as {
          statusCode: number;
          body: string;
        };
        expect(read.statusCode).to.equal(200);
        expect(JSON.parse(read.body).notifications).to.satisfy((list: { status: string }[]) =>
          list.some((notification) => notification.status === "delivered"),
        );
      });
    }
  });
}
