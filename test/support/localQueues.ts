import type { AddressInfo } from "node:net";
import {
  CreateQueueCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageCommand,
  SQSClient,
  type Message,
} from "@aws-sdk/client-sqs";
import type { QueueSender } from "../../local/cloud/types";

/**
 * fauxqs serving SQS on 127.0.0.1 (its `buildApp`, as local/localServices.ts starts it for S3), with
 * the given queues created by name, a QueueSender that sends to them through the AWS SDK, and a way
 * to read what they received. Queues are named by their ARN's last part, as AWS names them.
 */
export interface LocalQueues {
  sender: QueueSender;
  /** Every message waiting in the queue (received, so no longer visible). */
  drain(queueArn: string): Promise<Message[]>;
  stop(): Promise<void>;
}

const queueName = (queueArn: string) => queueArn.split(":").pop()!;

export async function startLocalQueues(queueArns: string[], region: string): Promise<LocalQueues> {
  const { buildApp } = await import("fauxqs");
  const app = buildApp({ logger: false, host: "localhost", defaultRegion: region });
  await app.listen({ port: 0, host: "127.0.0.1" });
  const client = new SQSClient({
    region,
    endpoint: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    credentials: { accessKeyId: "fauxqs", secretAccessKey: "fauxqs" },
    // fauxqs's queue URLs name a *.localhost host; every call goes to the endpoint instead.
    useQueueUrlAsEndpoint: false,
  });
  for (const arn of queueArns) await client.send(new CreateQueueCommand({ QueueName: queueName(arn) }));
  const urlOf = async (arn: string) =>
    (await client.send(new GetQueueUrlCommand({ QueueName: queueName(arn) }))).QueueUrl!;
  return {
    sender: {
      async sendMessage(queueArn, body, attributes) {
        const sent = await client.send(
          new SendMessageCommand({
            QueueUrl: await urlOf(queueArn),
            MessageBody: body,
            ...(attributes ? { MessageAttributes: attributes } : {}),
          }),
        );
        return { messageId: sent.MessageId! };
      },
    },
    async drain(queueArn) {
      const QueueUrl = await urlOf(queueArn);
      const messages: Message[] = [];
      for (;;) {
        const received = await client.send(
          new ReceiveMessageCommand({ QueueUrl, MaxNumberOfMessages: 10, MessageAttributeNames: ["All"] }),
        );
        if (!received.Messages?.length) return messages;
        messages.push(...received.Messages);
      }
    },
    async stop() {
      client.destroy();
      await app.close();
    },
  };
}
