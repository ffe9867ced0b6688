import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import type { S3Client } from "@aws-sdk/client-s3";
import type { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import type { SESv2Client } from "@aws-sdk/client-sesv2";
import { createDynamoDbClient } from "./dynamodbClient";
import { createEventBridgeClient } from "./eventBridgeClient";
import { createS3Client } from "./s3Client";
import { createSecretsManagerClient } from "./secretsManagerClient";
import { createSesClient } from "./sesClient";

/**
 * Every client a handler may use. Handlers import only the type and build their own clients from
 * the one-client modules beside this one, so a function's code never loads a client it does not use.
 */
export interface AwsClients {
  dynamodb: DynamoDBClient;
  ses: SESv2Client;
  eventBridge: EventBridgeClient;
  secretsManager: SecretsManagerClient;
  s3: S3Client;
}

/** A fresh set of every client, configured as the handlers configure theirs (for tests and tools). */
export function createAwsClients(): AwsClients {
  return {
    dynamodb: createDynamoDbClient(),
    ses: createSesClient(),
    eventBridge: createEventBridgeClient(),
    secretsManager: createSecretsManagerClient(),
    s3: createS3Client(),
  };
}
