import type { AccountScope, ActionRequest } from "./sdkRequests";

/**
 * The KMS requests AWS makes on the caller's behalf when a request touches a resource encrypted
 * with a customer-managed key: the service calls KMS with the caller's credentials, so the caller
 * needs the key too (`kms:ViaService` names the service; the encryption context names the resource).
 */

function via(service: string, scope: AccountScope): Record<string, string> {
  // https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-via-service
  return {
    "kms:ViaService": `${service}.${scope.region}.amazonaws.com`,
    "kms:CallerAccount": scope.accountId,
  };
}

function kms(action: string, keyArn: string, context: Record<string, string>): ActionRequest {
  return { action, resource: keyArn, context };
}

/** The KMS calls a request on a resource encrypted with `keyArn` brings about, with the caller's identity. */
export function kmsRequestsFor(
  request: ActionRequest,
  keyArn: string | undefined,
  scope: AccountScope,
): ActionRequest[] {
  if (!keyArn) return [];
  const [service, action] = request.action.split(":");
  switch (service) {
    case "dynamodb": {
      // DynamoDB decrypts the table key with the caller's credentials, for reads and writes alike:
      // https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/encryption.howitworks.html
      const tableName = request.resource.split(":table/")[1].split("/")[0];
      return [
        kms("kms:Decrypt", keyArn, {
          ...via("dynamodb", scope),
          "kms:EncryptionContext:aws:dynamodb:tableName": tableName,
          "kms:EncryptionContext:aws:dynamodb:subscriberId": scope.accountId,
        }),
      ];
    }
    case "secretsmanager":
      // https://docs.aws.amazon.com/secretsmanager/latest/userguide/security-encryption.html#security-encryption-authz
      return action === "GetSecretValue"
        ? [
            kms("kms:Decrypt", keyArn, {
              ...via("secretsmanager", scope),
              "kms:EncryptionContext:SecretARN": request.resource,
            }),
          ]
        : [];
    case "s3": {
      // An upload needs GenerateDataKey, a download Decrypt; with an S3 Bucket Key the encryption
      // context is the bucket's ARN. https://docs.aws.amazon.com/AmazonS3/latest/userguide/UsingKMSEncryption.html
      // https://docs.aws.amazon.com/AmazonS3/latest/userguide/bucket-key.html#bucket-key-policies
      const bucketArn = request.resource.split("/")[0];
      const context = { ...via("s3", scope), "kms:EncryptionContext:aws:s3:arn": bucketArn };
      if (action === "PutObject") return [kms("kms:GenerateDataKey", keyArn, context)];
      if (action === "GetObject") return [kms("kms:Decrypt", keyArn, context)];
      return [];
    }
    case "sqs": {
      // A producer needs GenerateDataKey and Decrypt, a consumer Decrypt:
      // https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-key-management.html
      const context = { ...via("sqs", scope), "kms:EncryptionContext:aws:sqs:arn": request.resource };
      if (action === "SendMessage")
        return [kms("kms:GenerateDataKey", keyArn, context), kms("kms:Decrypt", keyArn, context)];
      if (action === "ReceiveMessage") return [kms("kms:Decrypt", keyArn, context)];
      return [];
    }
    default:
      // EventBridge encrypts a bus's events with its own service principal, not the caller's:
      // https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-encryption-key-policy.html
      return [];
  }
}
