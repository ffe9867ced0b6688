import { UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { addressKey } from "../domain/tableDesign";
import { callAws } from "./awsErrors";
import { buildUpdate } from "./updateExpression";

interface AddressItem {
  customerIds?: Set<string>;
  suppressedAt?: string;
}

/**
 * One item per e-mail address, keyed by a keyed hash of the lower-cased address so it holds no
 * address in clear and survives a customer's erasure: the customers who gave the address, and
 * whether it must not be mailed again.
 *
 * Registering a customer and suppressing the address are single-item writes, which are atomic
 * (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/WorkingWithItems.html), and each
 * returns the item as it wrote it, strongly consistent (`ReturnValues`,
 * https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_UpdateItem.html): a registration
 * sees an earlier suppression, and a suppression sees every earlier registration. Whichever comes
 * second marks the customer, so a customer whose address is suppressed is marked whatever the order.
 */
export function createAddressRepository(documents: DynamoDBDocumentClient, tableName: string) {
  const update = async (action: string, hash: string, parts: Parameters<typeof buildUpdate>[0]) => {
    const result = await callAws(`DynamoDB UpdateItem address ${action}`, () =>
      documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: addressKey(hash),
          ...buildUpdate(parts),
          ReturnValues: "ALL_NEW",
        }),
      ),
    );
    return result.Attributes as AddressItem;
  };

  return {
    /** Notes that this customer gave the address; says whether it is already suppressed. */
    async register(hash: string, customerId: string): Promise<{ suppressed: boolean }> {
      const item = await update("registration", hash, { addToSet: { customerIds: new Set([customerId]) } });
      return { suppressed: item.suppressedAt !== undefined };
    },

    /** Suppresses the address (the first time is kept); returns every customer who gave it. */
    async suppress(hash: string, reason: string, nowIso: string): Promise<string[]> {
      const item = await update("suppression", hash, {
        setIfAbsent: { suppressedAt: nowIso, reason },
      });
      return [...(item.customerIds ?? [])].sort();
    },
  };
}
export type AddressRepository = ReturnType<typeof createAddressRepository>;
