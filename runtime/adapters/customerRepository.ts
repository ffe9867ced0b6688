import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { CustomerProfile } from "../domain/customerSchema";
import { customerKey } from "../domain/tableDesign";
import { callAws } from "./awsErrors";

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
}

export type LiveCustomerRecord = CustomerRecord & { profile: CustomerProfile };

export function isLiveCustomer(record: CustomerRecord | undefined): record is LiveCustomerRecord {
  return record !== undefined && !record.erased && record.profile !== undefined;
}

interface CustomerItem {
  customerId: string;
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
}

/** Profile attribute names go through placeholders: several (timeZone, locale) are DynamoDB reserved words. */
const PROFILE_NAMES = {
  "#email": "email",
  "#locale": "locale",
  "#name": "displayName",
  "#tz": "timeZone",
  "#prefs": "preferences",
};

function toRecord(item: CustomerItem): CustomerRecord {
  const record: CustomerRecord = {
    customerId: item.customerId,
    erased: item.erased === true,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    version: item.version ?? 0,
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

export function createCustomerRepository(documents: DynamoDBDocumentClient, tableName: string) {
  return {
    async get(customerId: string): Promise<CustomerRecord | undefined> {
      const result = await callAws("DynamoDB GetItem customer", () =>
        documents.send(
          new GetCommand({ TableName: tableName, Key: customerKey(customerId), ConsistentRead: true }),
        ),
      );
      return result.Item ? toRecord(result.Item as CustomerItem) : undefined;
    },

    /** Creates or replaces the profile; keeps the creation time of an existing customer. */
    async put(customerId: string, profile: CustomerProfile, nowIso: string): Promise<CustomerRecord> {
      const result = await callAws("DynamoDB UpdateItem customer", () =>
        documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: customerKey(customerId),
            UpdateExpression:
              "SET customerId = :id, #email = :email, #locale = :locale, #name = :name, #tz = :tz, " +
              "#prefs = :prefs, createdAt = if_not_exists(createdAt, :now), updatedAt = :now, " +
              "version = if_not_exists(version, :zero) + :one " +
              "REMOVE erased, erasedAt",
            ExpressionAttributeNames: PROFILE_NAMES,
            ExpressionAttributeValues: {
              ":id": customerId,
              ":email": profile.email,
              ":locale": profile.locale,
              ":name": profile.displayName,
              ":tz": profile.timeZone,
              ":prefs": profile.preferences,
              ":now": nowIso,
              ":zero": 0,
              ":one": 1,
            },
            ReturnValues: "ALL_NEW",
          }),
        ),
      );
      return toRecord(result.Attributes as CustomerItem);
    },

    /** Replaces the profile only if nobody changed it since it was read (optimistic concurrency). */
    async replaceIfUnchanged(
      customerId: string,
      profile: CustomerProfile,
      readVersion: number,
      nowIso: string,
    ) {
      const result = await callAws("DynamoDB UpdateItem customer", () =>
        documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: customerKey(customerId),
            UpdateExpression:
              "SET #email = :email, #locale = :locale, #name = :name, #tz = :tz, #prefs = :prefs, updatedAt = :now, " +
              "version = version + :one",
            ConditionExpression: "version = :read AND attribute_not_exists(erased)",
            ExpressionAttributeNames: PROFILE_NAMES,
            ExpressionAttributeValues: {
              ":email": profile.email,
              ":locale": profile.locale,
              ":name": profile.displayName,
              ":tz": profile.timeZone,
              ":prefs": profile.preferences,
              ":now": nowIso,
              ":read": readVersion,
              ":one": 1,
            },
            ReturnValues: "ALL_NEW",
          }),
        ),
      );
      return toRecord(result.Attributes as CustomerItem);
    },

    /**
     * Erasure: the profile's personal data goes, the tombstone stays (id, dates) so operations the
     * bank must retain still name a customer and later notifications are suppressed, not misdirected.
     */
    async erase(customerId: string, nowIso: string): Promise<CustomerRecord> {
      const result = await callAws("DynamoDB UpdateItem customer erasure", () =>
        documents.send(
          new UpdateCommand({
            TableName: tableName,
            Key: customerKey(customerId),
            UpdateExpression:
              "SET erased = :true, erasedAt = :now, updatedAt = :now, version = version + :one " +
              "REMOVE #email, #locale, #name, #tz, #prefs",
            ConditionExpression: "attribute_exists(pk)",
            ExpressionAttributeNames: PROFILE_NAMES,
            ExpressionAttributeValues: { ":true": true, ":now": nowIso, ":one": 1 },
            ReturnValues: "ALL_NEW",
          }),
        ),
      );
      return toRecord(result.Attributes as CustomerItem);
    },
  };
}
export type CustomerRepository = ReturnType<typeof createCustomerRepository>;
