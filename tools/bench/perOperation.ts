import { createAwsClients } from "../../runtime/clients/awsClients";
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
}

function cost(tally: Tally): OperationCost {
  const { calls, awsCalls, wcu, rcu, emails, indexWcu } = tally;
  return { awsCalls, wcu, rcu, emails, indexWcu, calls };
}

/**
 * What one operation costs on warm functions: `POST /operations`, then notify's first delivery of
 * its one notification, then a redelivery of the same message. A first operation end to end warms
 * both functions (hash key read, template fingerprint, connections), as in a container that has
 * already served one.
 */
export async function measurePerOperation(world: BenchWorld): Promise<PerOperation> {
  const recorder = await createCallRecorder({ inspector: world.inspector, tableName: world.tableName });
  const clients = recorder.instrument(createAwsClients());
  const api = world.operationsApi(clients);
  const notify = world.notify(clients);
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
  recorder.reset();
  const message = await submit("bench-measured");
  const apiCost = cost(recorder.tally());
  recorder.reset();
  await deliver(message);
  const first = cost(recorder.tally());
  recorder.reset();
  await deliver(message);
  const again = cost(recorder.tally());
  return { api: apiCost, notifyFirstDelivery: first, notifyRedelivery: again };
}
