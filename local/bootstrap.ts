import { CreateTableCommand, DynamoDBClient, type AttributeDefinition } from "@aws-sdk/client-dynamodb";
import { CreateEmailTemplateCommand, SESv2Client } from "@aws-sdk/client-sesv2";
import { KEY_ATTRIBUTES, TABLE_DESIGN } from "../runtime/domain/tableDesign";
import { sesTemplateName } from "../runtime/domain/templateData";
import { loadTemplateCatalog } from "../components/templateCatalog";

/** The table the runtime expects, created in dynalite from the same design the component declares. */
export async function createTableFromDesign(dynamodb: DynamoDBClient, tableName: string): Promise<void> {
  const { indexes } = TABLE_DESIGN;
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
      GlobalSecondaryIndexes: [
        {
          IndexName: indexes.byCustomer.name,
          KeySchema: [
            { AttributeName: indexes.byCustomer.partitionKey, KeyType: "HASH" },
            { AttributeName: indexes.byCustomer.sortKey, KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
        {
          IndexName: indexes.bySesMessageId.name,
          KeySchema: [{ AttributeName: indexes.bySesMessageId.partitionKey, KeyType: "HASH" }],
          Projection: { ProjectionType: "ALL" },
        },
        {
          IndexName: indexes.byFailure.name,
          KeySchema: [
            { AttributeName: indexes.byFailure.partitionKey, KeyType: "HASH" },
            { AttributeName: indexes.byFailure.sortKey, KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
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
