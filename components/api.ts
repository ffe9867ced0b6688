import { createHash } from "node:crypto";
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { CUSTOMER_ROUTES, OPERATION_ROUTES } from "../runtime";
import type { StackContext } from "./context";
import type { StackFunctions } from "./functions";
import { assumeRolePolicy, policyDocument, type PolicyStatementInput } from "./iam";
import type { FunctionId } from "./settings";

/** Who may call a route: core-banking producers, or the bank's customer administration. */
export type Audience = "producer" | "customerAdmin";

/** The functions behind the API. */
export type ApiFunctionId = Extract<FunctionId, "operationsApi" | "customersApi">;

export interface ApiRoute {
  method: string;
  resource: string;
  functionId: ApiFunctionId;
  audience: Audience;
}

/**
 * Who may call each of the runtime's routes. Keyed by the runtime's route tables, so that a route
 * added there fails to compile here until someone decides who may call it: producers submit
 * operations; the bank's customer administration (support included) does everything else.
 */
const OPERATION_ROUTE_AUDIENCE: Record<keyof typeof OPERATION_ROUTES, Audience> = {
  submit: "producer",
  get: "customerAdmin",
  failedNotifications: "customerAdmin",
};
const CUSTOMER_ROUTE_AUDIENCE: Record<keyof typeof CUSTOMER_ROUTES, Audience> = {
  put: "customerAdmin",
  get: "customerAdmin",
  patch: "customerAdmin",
  erase: "customerAdmin",
  operations: "customerAdmin",
};

/** Every route of the API, from the runtime's route tables, with the function serving it and its audience. */
export const API_ROUTES: readonly ApiRoute[] = [
  ...Object.entries(OPERATION_ROUTE_AUDIENCE).map(([key, audience]) => ({
    ...OPERATION_ROUTES[key as keyof typeof OPERATION_ROUTES],
    functionId: "operationsApi" as const,
    audience,
  })),
  ...Object.entries(CUSTOMER_ROUTE_AUDIENCE).map(([key, audience]) => ({
    ...CUSTOMER_ROUTES[key as keyof typeof CUSTOMER_ROUTES],
    functionId: "customersApi" as const,
    audience,
  })),
];

/** A route as it appears in execute-api ARNs: `POST/operations`, `GET/customers/*\/operations`. */
export function executeApiRoutePath(route: Pick<ApiRoute, "method" | "resource">): string {
  return `${route.method}${route.resource.replace(/\{[^}]+\}/g, "*")}`;
}

const SIGV4_SCHEME = "sigv4";
const PARAMETERS_ONLY_VALIDATOR = "parameters-only";

/** The runtime's error shape, `{ error: { code, message, requestId } }`, for API Gateway's own errors too. */
const GATEWAY_ERROR_TEMPLATE =
  '{"error":{"code":"$context.error.responseType","message":$context.error.messageString,"requestId":"$context.requestId"}}';

/**
 * The API as an OpenAPI 3 document for API Gateway: every operation requires SigV4 (AWS_IAM), path
 * parameters are validated by API Gateway and bodies by the runtime, every operation is a Lambda
 * proxy integration, and gateway errors use the runtime's error shape.
 */
/** The OpenAPI extension that carries a REST API's resource policy. */
const RESOURCE_POLICY_EXTENSION = "x-amazon-apigateway-policy";

export function openApiDocument(title: string, integrationUris: Record<ApiFunctionId, string>) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of API_ROUTES) {
    const parameters = [...route.resource.matchAll(/\{([^}]+)\}/g)].map(([, name]) => ({
      name,
      in: "path",
      required: true,
      schema: { type: "string" },
    }));
    const path = (paths[route.resource] ??= parameters.length > 0 ? { parameters } : {});
    path[route.method.toLowerCase()] = {
      security: [{ [SIGV4_SCHEME]: [] }],
      "x-amazon-apigateway-request-validator": PARAMETERS_ONLY_VALIDATOR,
      "x-amazon-apigateway-integration": {
        type: "aws_proxy",
        httpMethod: "POST",
        uri: integrationUris[route.functionId],
        passthroughBehavior: "when_no_match",
      },
    };
  }
  const errorResponse = { responseTemplates: { "application/json": GATEWAY_ERROR_TEMPLATE } };
  return {
    openapi: "3.0.1",
    info: { title, version: "1" },
    paths,
    components: {
      securitySchemes: {
        [SIGV4_SCHEME]: {
          type: "apiKey",
          name: "Authorization",
          in: "header",
          "x-amazon-apigateway-authtype": "awsSigv4",
        },
      },
    },
    "x-amazon-apigateway-request-validators": {
      [PARAMETERS_ONLY_VALIDATOR]: { validateRequestParameters: true, validateRequestBody: false },
    },
    "x-amazon-apigateway-gateway-responses": { DEFAULT_4XX: errorResponse, DEFAULT_5XX: errorResponse },
  };
}

/**
 * The resource policy: each audience may invoke its own routes, everyone else is explicitly denied
 * (a same-account principal would otherwise get in on its identity policy alone), and a private API
 * only answers through its VPC endpoints.
 */
export function apiResourcePolicyStatements(options: {
  stageName: string;
  producerPrincipalArns: string[];
  customerAdminPrincipalArns: string[];
  vpcEndpointIds: string[];
}): PolicyStatementInput[] {
  const principalsOf: Record<Audience, string[]> = {
    producer: options.producerPrincipalArns,
    customerAdmin: options.customerAdminPrincipalArns,
  };
  const sidOf: Record<Audience, string> = { producer: "Producers", customerAdmin: "CustomerAdmins" };
  const routeArns = (audience: Audience) =>
    API_ROUTES.filter((route) => route.audience === audience).map(
      (route) => `execute-api:/${options.stageName}/${executeApiRoutePath(route)}`,
    );
  const statements: PolicyStatementInput[] = [];
  for (const audience of ["producer", "customerAdmin"] as const) {
    const principals = principalsOf[audience];
    if (principals.length > 0) {
      statements.push({
        Sid: `Allow${sidOf[audience]}`,
        Effect: "Allow",
        Principal: { AWS: principals },
        Action: "execute-api:Invoke",
        Resource: routeArns(audience),
      });
    }
    statements.push({
      Sid: `DenyAllButThe${sidOf[audience]}`,
      Effect: "Deny",
      Principal: "*",
      Action: "execute-api:Invoke",
      Resource: routeArns(audience),
      ...(principals.length > 0 ? { Condition: { ArnNotLike: { "aws:PrincipalArn": principals } } } : {}),
    });
  }
  const everyone = [...options.producerPrincipalArns, ...options.customerAdminPrincipalArns];
  statements.push({
    Sid: "DenyUnlistedPrincipalsEverywhere",
    Effect: "Deny",
    Principal: "*",
    Action: "execute-api:Invoke",
    Resource: "execute-api:/*",
    ...(everyone.length > 0 ? { Condition: { ArnNotLike: { "aws:PrincipalArn": everyone } } } : {}),
  });
  if (options.vpcEndpointIds.length > 0) {
    statements.push({
      Sid: "DenyOutsideVpcEndpoints",
      Effect: "Deny",
      Principal: "*",
      Action: "execute-api:Invoke",
      Resource: "execute-api:/*",
      Condition: { StringNotEquals: { "aws:SourceVpce": options.vpcEndpointIds } },
    });
  }
  return statements;
}

/**
 * Access log line: who called what and how it ended, with the authorization and integration error
 * messages that execution logs would otherwise carry; no body, no personal data. Variables:
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-variables-for-access-logging.html
 */
const ACCESS_LOG_FORMAT = JSON.stringify({
  requestId: "$context.requestId",
  extendedRequestId: "$context.extendedRequestId",
  requestTime: "$context.requestTime",
  httpMethod: "$context.httpMethod",
  resourcePath: "$context.resourcePath",
  status: "$context.status",
  protocol: "$context.protocol",
  responseLength: "$context.responseLength",
  principal: "$context.identity.userArn",
  sourceIp: "$context.identity.sourceIp",
  vpceId: "$context.identity.vpceId",
  integrationLatency: "$context.integrationLatency",
  responseLatency: "$context.responseLatency",
  errorType: "$context.error.responseType",
  errorMessage: "$context.error.message",
  authorizeError: "$context.authorize.error",
  integrationStatus: "$context.integration.status",
  integrationError: "$context.integration.error",
  xrayTraceId: "$context.xrayTraceId",
});

/**
 * The account-level role API Gateway writes CloudWatch logs with. One per account and region, shared
 * with every API there, so the stack only sets it when asked to, and leaves it in place when the
 * stack is destroyed: deleting it would stop the logs of every API in the region
 * (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html).
 */
function createAccountLoggingRole(ctx: StackContext) {
  const shared = { retainOnDelete: true };
  const role = new aws.iam.Role(
    `${ctx.name}-apigw-cloudwatch`,
    {
      name: ctx.accountWideNames.apiGatewayCloudWatchRole,
      description: "API Gateway writes execution and access logs of this region's APIs",
      assumeRolePolicy: assumeRolePolicy("apigateway.amazonaws.com"),
      tags: ctx.settings.tags,
    },
    ctx.opts(shared),
  );
  const logGroups = ctx.arn("logs", "log-group:*");
  const rolePolicy = new aws.iam.RolePolicy(
    `${ctx.name}-apigw-cloudwatch`,
    {
      role: role.id,
      name: "write-api-logs",
      policy: policyDocument([
        {
          Sid: "WriteApiLogsOfThisRegion",
          Effect: "Allow",
          Action: [
            "logs:CreateLogGroup",
            "logs:CreateLogStream",
            "logs:DescribeLogGroups",
            "logs:DescribeLogStreams",
            "logs:PutLogEvents",
            "logs:GetLogEvents",
            "logs:FilterLogEvents",
          ],
          Resource: logGroups,
        },
      ]),
    },
    ctx.opts(shared),
  );
  const account = new aws.apigateway.Account(
    `${ctx.name}-apigw-account`,
    { cloudwatchRoleArn: role.arn },
    ctx.opts({ ...shared, dependsOn: [rolePolicy] }),
  );
  return { role, rolePolicy, account };
}

/** The REST API in front of the two API functions. */
export function createApi(ctx: StackContext, functions: StackFunctions, key: aws.kms.Key) {
  const { settings, names } = ctx;
  const accountLogging = settings.manageApiGatewayAccountRole ? createAccountLoggingRole(ctx) : undefined;
  const isPrivate = settings.privateApiVpcEndpointIds.length > 0;

  const policy = policyDocument(
    apiResourcePolicyStatements({
      stageName: settings.apiStageName,
      producerPrincipalArns: settings.producerPrincipalArns,
      customerAdminPrincipalArns: settings.customerAdminPrincipalArns,
      vpcEndpointIds: settings.privateApiVpcEndpointIds,
    }),
  );
  // The resource policy travels inside the OpenAPI body: importing a body overwrites the REST API,
  // policy included, so a separate RestApiPolicy would be wiped by the next body change
  // (pulumi/pulumi-aws#4296) and the explicit deny with it.
  const body = pulumi
    .all([functions.operationsApi.fn.invokeArn, functions.customersApi.fn.invokeArn, policy])
    .apply(([operationsApi, customersApi, resourcePolicy]) =>
      JSON.stringify({
        ...openApiDocument(names.api, { operationsApi, customersApi }),
        [RESOURCE_POLICY_EXTENSION]: JSON.parse(resourcePolicy),
      }),
    );
  const restApi = new aws.apigateway.RestApi(
    `${ctx.name}-api`,
    {
      name: names.api,
      description: "Bank operations in, customer administration; every method requires AWS_IAM (SigV4)",
      body,
      endpointConfiguration: isPrivate
        ? { types: "PRIVATE", vpcEndpointIds: settings.privateApiVpcEndpointIds }
        : { types: "REGIONAL" },
      tags: settings.tags,
    },
    ctx.opts(),
  );
  const deployment = new aws.apigateway.Deployment(
    `${ctx.name}-api`,
    {
      restApi: restApi.id,
      description: "Redeployed whenever the OpenAPI document (resource policy included) changes",
      triggers: {
        redeployment: body.apply((text) => createHash("sha256").update(text).digest("hex")),
      },
    },
    ctx.opts({ dependsOn: [restApi] }),
  );
  const accessLogGroup = new aws.cloudwatch.LogGroup(
    `${ctx.name}-api-access`,
    {
      name: names.apiAccessLogGroup,
      retentionInDays: settings.logRetentionDays,
      kmsKeyId: key.arn,
      tags: settings.tags,
    },
    ctx.opts(),
  );
  const stage = new aws.apigateway.Stage(
    `${ctx.name}-api`,
    {
      restApi: restApi.id,
      deployment: deployment.id,
      stageName: settings.apiStageName,
      xrayTracingEnabled: true,
      accessLogSettings: { destinationArn: accessLogGroup.arn, format: ACCESS_LOG_FORMAT },
      tags: settings.tags,
    },
    ctx.opts({ dependsOn: accountLogging ? [accountLogging.account] : [] }),
  );
  const methodSettings = new aws.apigateway.MethodSettings(
    `${ctx.name}-api`,
    {
      restApi: restApi.id,
      stageName: stage.stageName,
      methodPath: "*/*",
      settings: {
        metricsEnabled: true,
        // Execution logs would go to API-Gateway-Execution-Logs_<api id>/<stage>, a group API Gateway
        // creates itself, without the stack key or a retention
        // (https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html). Its name
        // holds the API's id, which depends on the functions and so on the key: the key policy could
        // only name it with a wildcard over every API of the account. The access log carries the
        // error messages instead.
        loggingLevel: "OFF",
        dataTraceEnabled: false,
        throttlingRateLimit: settings.apiThrottlingRateLimit,
        throttlingBurstLimit: settings.apiThrottlingBurstLimit,
      },
    },
    ctx.opts(),
  );
  const permissions = API_ROUTES.map(
    (route) =>
      new aws.lambda.Permission(
        `${ctx.name}-api-${route.method.toLowerCase()}${route.resource.replace(/[^a-z]+/gi, "-")}`.replace(
          /-$/,
          "",
        ),
        {
          action: "lambda:InvokeFunction",
          function: functions[route.functionId].fn.name,
          principal: "apigateway.amazonaws.com",
          sourceArn: pulumi.interpolate`${restApi.executionArn}/${settings.apiStageName}/${executeApiRoutePath(route)}`,
        },
        ctx.opts(),
      ),
  );
  const url = pulumi.interpolate`${stage.invokeUrl}`;
  return {
    restApi,
    deployment,
    stage,
    methodSettings,
    accessLogGroup,
    permissions,
    accountLogging,
    url,
  };
}
