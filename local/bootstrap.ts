import { CreateTableCommand, DynamoDBClient, type AttributeDefinition } from "@aws-sdk/client-dynamodb";
import { CreateEmailTemplateCommand, SESv2Client } from "@aws-sdk/client-sesv2";
import { KEY_ATTRIBUTES, TABLE_DESIGN } from "../runtime/domain/tableDesign";
import { sesTemplateName } from "../runtime/domain/templateData";
import { loadTemplateCatalog } from "../components/templateCatalog";

/** The table the runtime expects, created in dynalite from the same design the component declares. */
export async function createTableFromDesign(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  const attributes: AttributeDefinition[] = KEY_ATTRIBUTES.map((name) => ({
    AttributeName: name,
    AttributeType: "S",
  }));
  await dynamodb.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: "PAY_PER_REQUEST",
      AttributeDefinitions: attributes,
      KeySchema: [
        { AttributeName: TABLE_DESIGN.partitionKey, KeyType: "HASH" },
        { AttributeName: TABLE_DESIGN.sortKey, KeyType: "RANGE" },
      ],
      GlobalSecondaryIndexes: Object.values(TABLE_DESIGN.indexes).map((index) => ({
        IndexName: index.name,
        KeySchema: [
          { AttributeName: index.partitionKey, KeyType: "HASH" },
          ...("sortKey" in index ? [{ AttributeName: index.sortKey, KeyType: "RANGE" as const }] : []),
        ],
        Projection: {
          ProjectionType: index.projection.type,
          ...("attributes" in index.projection ? { NonKeyAttributes: [...index.projection.attributes] } : {}),
        },
      })),
    }),
  );
}

export async function uploadTemplates(ses: SESv2Client, prefix: string): Promise<void> {
  for (const template of loadTemplateCatalog()) {
    await ses.send(
      new CreateEmailTemplateCommand({
        TemplateName: sesTemplateName(prefix, template.kind, template.locale),
        TemplateContent: { Subject: template.subject, Html: template.html, Text: template.text },
      }),
    );
  }
}
