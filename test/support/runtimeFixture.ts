import { randomBytes, randomUUID } from "node:crypto";
import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, S3Client } from "@aws-sdk/client-s3";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { ENVIRONMENT } from "../../runtime/config/environment";
import { createTableFromDesign, uploadTemplates } from "../../local/bootstrap";
import type { HandlerOptions } from "../../runtime/handlers/handlerContext";
import { useLocalServices } from "./sharedServices";
import type { LocalServices } from "../../local/localServices";

export interface StoredEmail {
  messageId: string;
  from: string;
  destination: { to: string[] };
  subject: string;
  body: { html?: string; text?: string };
  at: number;
}

/**
 * A fresh, isolated world for one spec: its own table, bucket, secret and template prefix on the
 * shared local services, plus captured log lines and a controllable clock.
 */
export interface RuntimeFixture {
  services: LocalServices;
  tableName: string;
  bucket: string;
  templatePrefix: string;
  env: Record<string, string>;
  logs: string[];
  clock: { now: number };
  options(overrides?: Partial<HandlerOptions>): HandlerOptions;
  emailsTo(address: string): Promise<StoredEmail[]>;
  uniqueAddress(name: string): string;
}

export const EVENT_SOURCE = "bank.core-banking";
export const SENDER = "notifications@bank.example";

export async function createRuntimeFixture(): Promise<RuntimeFixture> {
  const services = await useLocalServices();
  const suffix = randomBytes(4).toString("hex");
  const tableName = `notifications-${suffix}`;
  const bucket = `evidence-${suffix}`;
  const templatePrefix = `test-${suffix}`;
  const secretId = `arn:aws:secretsmanager:${services.region}:123456789012:secret:hash-key-${suffix}`;
  services.secrets[secretId] = randomBytes(32).toString("hex");

  await createTableFromDesign(new DynamoDBClient({}), tableName);
  await new S3Client({}).send(new CreateBucketCommand({ Bucket: bucket }));
  await uploadTemplates(new SESv2Client({}), templatePrefix);

  const env: Record<string, string> = {
    ...services.awsEnvironment(),
    [ENVIRONMENT.tableName]: tableName,
    [ENVIRONMENT.eventBusName]: `bus-${suffix}`,
    [ENVIRONMENT.eventSource]: EVENT_SOURCE,
    [ENVIRONMENT.hashKeySecretId]: secretId,
    [ENVIRONMENT.senderAddress]: SENDER,
    [ENVIRONMENT.configurationSetName]: `config-${suffix}`,
    [ENVIRONMENT.templatePrefix]: templatePrefix,
    [ENVIRONMENT.evidenceBucket]: bucket,
    [ENVIRONMENT.leaseSeconds]: "60",
  };
  const logs: string[] = [];
  const clock = { now: Date.parse("2026-03-14T10:00:00Z") };
  return {
    services,
    tableName,
    bucket,
    templatePrefix,
    env,
    logs,
    clock,
    options: (overrides = {}) => ({
      env,
      now: () => clock.now,
      write: (line) => logs.push(line),
      ...overrides,
    }),
    async emailsTo(address) {
      const response = await fetch(`${services.endpoints.ses}/store`);
      const store = (await response.json()) as { emails: StoredEmail[] };
      return store.emails.filter((email) => email.destination.to.includes(address));
    },
    uniqueAddress: (name) => `${name}.${randomUUID().slice(0, 8)}@example.com`,
  };
}
