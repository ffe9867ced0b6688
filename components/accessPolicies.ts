import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { API_ROUTES, executeApiRoutePath, type Audience } from "./api";
import type { StackContext } from "./context";
import { eventSourceCondition, policyDocument } from "./iam";

/**
 * The identity policies other teams attach to their roles, as outputs of the stack: producers may
 * submit operations (API or bus, the bus only with this stack's event source), the customer
 * administration may use the customer routes. Nothing more.
 */
export function createAccessPolicies(
  ctx: StackContext,
  deps: { restApi: aws.apigateway.RestApi; eventBus: aws.cloudwatch.EventBus },
) {
  const { settings } = ctx;
  const routeArns = (audience: Audience) =>
    API_ROUTES.filter((route) => route.audience === audience).map(
      (route) =>
        pulumi.interpolate`${deps.restApi.executionArn}/${settings.apiStageName}/${executeApiRoutePath(route)}`,
    );
  const producer = new aws.iam.Policy(
    `${ctx.name}-producer`,
    {
      name: ctx.accountWideNames.producerPolicy,
      description:
        "Submit bank operations to the notification stack: POST /operations, or PutEvents on its bus",
      policy: policyDocument([
        {
          Sid: "SubmitOperations",
          Effect: "Allow",
          Action: "execute-api:Invoke",
          Resource: routeArns("producer"),
        },
        {
          Sid: "PutOperationEvents",
          Effect: "Allow",
          Action: "events:PutEvents",
          Resource: deps.eventBus.arn,
          Condition: eventSourceCondition(settings.eventSource),
        },
      ]),
      tags: settings.tags,
    },
    ctx.opts(),
  );
  const customerAdmin = new aws.iam.Policy(
    `${ctx.name}-customer-admin`,
    {
      name: ctx.accountWideNames.customerAdminPolicy,
      description: "Customer administration of the notification stack: every API route but POST /operations",
      policy: policyDocument([
        {
          Sid: "ManageCustomers",
          Effect: "Allow",
          Action: "execute-api:Invoke",
          Resource: routeArns("customerAdmin"),
        },
      ]),
      tags: settings.tags,
    },
    ctx.opts(),
  );
  return { producer, customerAdmin };
}
