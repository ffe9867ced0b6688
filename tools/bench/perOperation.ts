import { GetItemCommand } from "@aws-sdk/client-dynamodb";
import { createAwsClients } from "../../runtime/clients/awsClients";
import { ENVIRONMENT } from "../../runtime/config/environment";
import { EMAIL_TAGS } from "../../runtime/domain/sesFeedback";
import { createCallRecorder, type Tally } from "./awsCallRecorder";
import type { BenchWorld, QueueMessage } from "./benchWorld";

export interface OperationCost {
  awsCalls: number;
  wcu: number;
  rcu: number;
  emails: number;
  /** Of `wcu`, the units written to indexes. */
  indexWcu: number;
  /** `Service:Operation` of each call, in order. */
  calls: string[];
}

export interface PerOperation {
  api: OperationCost;
  notifyFirstDelivery: OperationCost;
  notifyRedelivery: OperationCost;
  /** SES's delivery event for the e-mail, through the feedback function. */
  feedbackDelivery: OperationCost;
}

function cost(tally: Tally): OperationCost {
  const { calls, awsCalls, wcu, rcu, emails, indexWcu } = tally;
  return { awsCalls, wcu, rcu, emails, indexWcu, calls };
}

/** The SES delivery event of the e-mail notify sent for this operation, as SES puts it on the default bus. */
async function deliveryEvent(world: BenchWorld, operationId: string) {
  const { Item: item } = await world.inspector.send(
    new GetItemCommand({
      TableName: world.tableName,
      Key: { pk: { S: `OPERATION#${operationId}` }, sk: { S: "NOTIFICATION#deposit" } },
      ConsistentRead: true,
    }),
  );
  const sesMessageId = item?.sesMessageId?.S;
  if (!sesMessageId) throw new Error(`no e-mail was recorded for ${operationId}`);
  return {
    source: "aws.ses",
    "detail-type": "Email Delivered",
    detail: {
      eventType: "Delivery",
      mail: {
        messageId: sesMessageId,
        tags: {
          "ses:configuration-set": [world.env[ENVIRONMENT.configurationSetName]],
          [EMAIL_TAGS.operationId]: [operationId],
          [EMAIL_TAGS.notificationKind]: ["deposit"],
        },
      },
    },
  };
}

/**
 * What one operation costs on warm functions: `POST /operations`, then notify's first delivery of
 * its one notification, then a redelivery of the same message, then SES's delivery event through the
 * feedback function. A first operation end to end warms every function (hash key read, template
 * fingerprint, connections), as in a container that has already served one.
 */
export async function measurePerOperation(world: BenchWorld): Promise<PerOperation> {
  const recorder = await createCallRecorder({ inspector: world.inspector, tableName: world.tableName });
  const clients = recorder.instrument(createAwsClients());
  const api = world.operationsApi(clients);
  const notify = world.notify(clients);
  const feedback = world.sesFeedback(clients);
  const delivered: QueueMessage[] = [];
  world.onDelivery((messages) => delivered.push(...messages));
  const customerId = world.customerIds[0];

  const submit = async (operationId: string): Promise<QueueMessage> => {
    const response = await api(world.deposit(operationId, customerId));
    if (response.statusCode !== 202)
      throw new Error(`POST /operations answered ${response.statusCode}: ${response.body}`);
    const message = delivered.find((candidate) => candidate.operationId === operationId);
    if (!message) throw new Error(`no notification was delivered for ${operationId}`);
    return message;
  };
  const deliver = async (message: QueueMessage) => {
    const result = await notify({
      Records: [{ messageId: `${message.operationId}-message`, body: message.body }],
    });
    if (result.batchItemFailures.length > 0) throw new Error(`notify failed ${message.operationId}`);
  };

  await deliver(await submit("bench-warm-up"));
  await feedback(await deliveryEvent(world, "bench-warm-up"));
  recorder.reset();
  const message = await submit("bench-measured");
  const apiCost = cost(recorder.tally());
  recorder.reset();
  await deliver(message);
  const first = cost(recorder.tally());
  recorder.reset();
  await deliver(message);
  const again = cost(recorder.tally());
  const sesEvent = await deliveryEvent(world, "bench-measured");
  recorder.reset();
  const applied = await feedback(sesEvent);
  if (!applied.applied) throw new Error("the delivery event did not move the notification forward");
  const feedbackCost = cost(recorder.tally());
  return {
    api: apiCost,
    notifyFirstDelivery: first,
    notifyRedelivery: again,
    feedbackDelivery: feedbackCost,
  };
}
