import { GetCommand, PutCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { suppressionKey } from "../domain/tableDesign";
import { callAws } from "./awsErrors";

/**
 * Addresses that must not be mailed again, keyed by a keyed hash of the lower-cased address so the
 * list holds no address in clear and survives a customer's erasure.
 */
export function createSuppressionRepository(documents: DynamoDBDocumentClient, tableName: string) {
  return {
    async isSuppressed(addressHash: string): Promise<boolean> {
      const result = await callAws("DynamoDB GetItem suppression", () =>
        documents.send(
          new GetCommand({ TableName: tableName, Key: suppressionKey(addressHash), ConsistentRead: true }),
        ),
      );
      return result.Item !== undefined;
    },

    async suppress(addressHash: string, reason: string, nowIso: string): Promise<void> {
      await callAws("DynamoDB PutItem suppression", () =>
        documents.send(
          new PutCommand({
            TableName: tableName,
            Item: { ...suppressionKey(addressHash), reason, suppressedAt: nowIso },
          }),
        ),
      );
    },
  };
}
export type SuppressionRepository = ReturnType<typeof createSuppressionRepository>;
