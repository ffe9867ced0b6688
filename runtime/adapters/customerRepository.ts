import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { CustomerProfile } from "../domain/customerSchema";
import { customerKey } from "../domain/tableDesign";
import { callAws } from "./awsErrors";
import { buildUpdate, type UpdateParts } from "./updateExpression";

export interface CustomerRecord {
  customerId: string;
  /** Personal data; absent once the customer is erased. */
  profile?: CustomerProfile;
  erased: boolean;
  createdAt: string;
  updatedAt: string;
  /** Incremented by every write; an update applies only to the version it read. */
  version: number;
  erasedAt?: string;
  /** Keyed hashes of this customer's addresses that must not be mailed (see the address repository). */
  suppressedAddressHashes: string[];
}

export type LiveCustomerRecord = CustomerRecord & { profile: CustomerProfile };

export function isLiveCustomer(record: CustomerRecord | undefined): record is LiveCustomerRecord {
  return record !== undefined && !record.erased && record.profile !== undefined;
}

interface CustomerItem {
  customerId?: string;
  email?: string;
  locale?: string;
  displayName?: string;
  timeZone?: string;
  preferences?: CustomerProfile["preferences"];
  erased?: boolean;
  createdAt: string;
  updatedAt: string;
  version?: number;
  erasedAt?: string;
  suppressedAddressHashes?: Set<string>;
}

/**
 * An item without a customer id holds only a suppression copied to a customer whose creation never
 * completed (see `addSuppressedAddress`): there is no customer.
 */
function toRecord(item: CustomerItem | undefined): CustomerRecord | undefined {
  if (!item?.customerId) return undefined;
  const record: CustomerRecord = {
    customerId: item.customerId,
    erased: item.erased === true,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    version: item.version ?? 0,
    suppressedAddressHashes: [...(item.suppressedAddressHashes ?? [])].sort(),
  };
  if (item.erasedAt) record.erasedAt = item.erasedAt;
  if (!record.erased && item.email && item.locale && item.displayName && item.timeZone && item.preferences) {
    record.profile = {
      email: item.email,
      locale: item.locale,
      displayName: item.displayName,
      timeZone: item.timeZone,
      preferences: item.preferences,
    };
  }
  return record;
}

function written(item: Record<string, unknown> | undefined): CustomerRecord {
  const record = toRecord(item as CustomerItem | undefined);
  if (!record) throw new Error("DynamoDB returned no customer after writing one");
  return record;
}

/** A suppression of the customer's address, found when the address was registered, kept with the profile. */
const suppressionOf = (suppressedAddressHash: string | undefined): Pick<UpdateParts, "addToSet"> =>
  suppressedAddressHash ? { addToSet: { suppressedAddressHashes: new Set([suppressedAddressHash]) } } : {};

export function createCustomerRepository(documents: DynamoDBDocumentClient, tableName: string) {
  const update = (action: string, customerId: string, parts: UpdateParts) =>
    callAws(`DynamoDB UpdateItem customer ${action}`, () =>
      documents.send(
        new UpdateCommand({
          TableName: tableName,
          Key: customerKey(customerId),
          ...buildUpdate(parts),
          ReturnValues: "ALL_NEW",
        }),
      ),
    );

  return {
    async get(customerId: string): Promise<CustomerRecord | undefined> {
      const result = await callAws("DynamoDB GetItem customer", () =>
        documents.send(
          new GetCommand({ TableName: tableName, Key: customerKey(customerId), ConsistentRead: true }),
        ),
      );
      return toRecord(result.Item as CustomerItem | undefined);
    },

    /** Creates or replaces the profile; keeps the creation time of an existing customer. */
    async put(
      customerId: string,
      profile: CustomerProfile,
      nowIso: string,
      suppressedAddressHash?: string,
    ): Promise<CustomerRecord> {
      const result = await update("put", customerId, {
        set: { customerId, ...profile, updatedAt: nowIso },
        setIfAbsent: { createdAt: nowIso },
        increment: { version: 1 },
        ...suppressionOf(suppressedAddressHash),
        remove: ["erased", "erasedAt"],
      });
      return written(result.Attributes);
    },

    /** Replaces the profile only if nobody changed it since it was read (optimistic concurrency). */
    async replaceIfUnchanged(
      customerId: string,
      profile: CustomerProfile,
      readVersion: number,
      nowIso: string,
      suppressedAddressHash?: string,
    ): Promise<CustomerRecord> {
      const result = await update("replace", customerId, {
        set: { ...profile, updatedAt: nowIso },
        increment: { version: 1 },
        ...suppressionOf(suppressedAddressHash),
        condition: "#version = :readVersion AND attribute_not_exists(#erased)",
        conditionNames: ["erased"],
        conditionValues: { ":readVersion": readVersion },
      });
      return written(result.Attributes);
    },

    /**
     * Erasure: the profile's personal data goes, the tombstone stays (id, dates) so operations the
     * bank must retain still name a customer and later notifications are suppressed, not misdirected.
     */
    async erase(customerId: string, nowIso: string): Promise<CustomerRecord> {
      const result = await update("erasure", customerId, {
        set: { erased: true, erasedAt: nowIso, updatedAt: nowIso },
        increment: { version: 1 },
        remove: ["email", "locale", "displayName", "timeZone", "preferences", "suppressedAddressHashes"],
        condition: "attribute_exists(#customerId)",
        conditionNames: ["customerId"],
      });
      return written(result.Attributes);
    },

    /**
     * Marks one of the customer's addresses as suppressed. Unconditional: the customer may be between
     * registering the address and saving its profile, and the mark must not be lost then.
     */
    async addSuppressedAddress(customerId: string, suppressedAddressHash: string): Promise<void> {
      await update("suppressed address", customerId, suppressionOf(suppressedAddressHash));
    },
  };
}
export type CustomerRepository = ReturnType<typeof createCustomerRepository>;
