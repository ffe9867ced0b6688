import { TABLE_DESIGN } from "../domain/tableDesign";
import type { HandlerId } from "./environment";

/**
 * The stack resources a handler's AWS calls reach, by role: the component resolves each to an ARN,
 * the tests to the resource a recorded request names.
 */
export type StackResource =
  | "table"
  | `index:${(typeof TABLE_DESIGN.indexes)[keyof typeof TABLE_DESIGN.indexes]["name"]}`
  | "eventBus"
  | "hashKeySecret"
  | "evidenceObjects"
  | "sesIdentity"
  | "sesConfigurationSet"
  | "sesTemplates";

/** One kind of AWS call: the IAM action it needs, on which stack resource. */
export interface AwsCall {
  action: string;
  on: StackResource;
}

/**
 * Every AWS call each handler makes, declared once. The component grants exactly these (plus what
 * Lambda itself does with the role), and a spec fails when a handler sends a request this list
 * does not name, or when the plan's policies would not allow the request the handler really built.
 * SES v2 `SendEmail` is authorised on the identity, the configuration set and the template.
 */
export const AWS_CALLS = {
  operationsApi: [
    { action: "dynamodb:PutItem", on: "table" },
    { action: "dynamodb:GetItem", on: "table" },
    { action: "dynamodb:UpdateItem", on: "table" },
    { action: "dynamodb:Query", on: "table" },
    { action: "dynamodb:Query", on: `index:${TABLE_DESIGN.indexes.byFailure.name}` },
    { action: "events:PutEvents", on: "eventBus" },
    { action: "secretsmanager:GetSecretValue", on: "hashKeySecret" },
  ],
  customersApi: [
    { action: "dynamodb:GetItem", on: "table" },
    { action: "dynamodb:UpdateItem", on: "table" },
    { action: "dynamodb:BatchGetItem", on: "table" },
    { action: "dynamodb:Query", on: `index:${TABLE_DESIGN.indexes.byCustomer.name}` },
    { action: "secretsmanager:GetSecretValue", on: "hashKeySecret" },
  ],
  notify: [
    { action: "dynamodb:GetItem", on: "table" },
    { action: "dynamodb:UpdateItem", on: "table" },
    { action: "secretsmanager:GetSecretValue", on: "hashKeySecret" },
    { action: "ses:GetEmailTemplate", on: "sesTemplates" },
    { action: "ses:SendEmail", on: "sesIdentity" },
    { action: "ses:SendEmail", on: "sesConfigurationSet" },
    { action: "ses:SendEmail", on: "sesTemplates" },
    { action: "s3:PutObject", on: "evidenceObjects" },
  ],
  sesFeedback: [
    { action: "dynamodb:UpdateItem", on: "table" },
    { action: "dynamodb:Query", on: `index:${TABLE_DESIGN.indexes.bySesMessageId.name}` },
    { action: "secretsmanager:GetSecretValue", on: "hashKeySecret" },
  ],
} as const satisfies Record<HandlerId, readonly AwsCall[]>;

/** The IAM actions a handler needs on one stack resource. */
export function actionsOn(handler: HandlerId, resource: StackResource): string[] {
  return [
    ...new Set(
      (AWS_CALLS[handler] as readonly AwsCall[])
        .filter((call) => call.on === resource)
        .map((call) => call.action),
    ),
  ];
}
