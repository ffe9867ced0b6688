import { createHash } from "node:crypto";
import { expect } from "chai";
import { CUSTOMER_ROUTES, OPERATION_ROUTES } from "../../runtime";
import type { PolicyStatement } from "../../components/iam";
import {
  byArn,
  componentRun,
  ofType,
  onlyOfType,
  parsePolicy,
  stackRun,
  type StackRun,
} from "../support/pulumiStacks";

interface OpenApiOperation {
  security?: Record<string, string[]>[];
  "x-amazon-apigateway-request-validator"?: string;
  "x-amazon-apigateway-integration": { type: string; uri: string; httpMethod: string };
}
interface OpenApi {
  paths: Record<string, Record<string, OpenApiOperation | unknown>>;
  components: { securitySchemes: Record<string, Record<string, string>> };
  "x-amazon-apigateway-request-validators": Record<
    string,
    { validateRequestParameters: boolean; validateRequestBody: boolean }
  >;
  "x-amazon-apigateway-gateway-responses": Record<string, { responseTemplates: Record<string, string> }>;
}

const HTTP_METHODS = ["get", "put", "post", "patch", "delete", "head", "options"];

function openApiOf(run: StackRun): OpenApi {
  return JSON.parse(String(onlyOfType(run, "aws:apigateway/restApi:RestApi").inputs.body)) as OpenApi;
}

function operationsOf(api: OpenApi): { method: string; resource: string; operation: OpenApiOperation }[] {
  return Object.entries(api.paths).flatMap(([resource, item]) =>
    Object.entries(item)
      .filter(([method]) => HTTP_METHODS.includes(method))
      .map(([method, operation]) => ({
        method: method.toUpperCase(),
        resource,
        operation: operation as OpenApiOperation,
      })),
  );
}

/** The resource policy, which lives in the OpenAPI body so that a body update cannot wipe it. */
function resourcePolicy(run: StackRun) {
  const body = JSON.parse(String(onlyOfType(run, "aws:apigateway/restApi:RestApi").inputs.body));
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/openapi-extensions-policy.html
  return parsePolicy(JSON.stringify(body["x-amazon-apigateway-policy"]));
}

function statement(run: StackRun, sid: string): PolicyStatement {
  const policy = resourcePolicy(run);
  const found = policy.Statement.find((candidate) => candidate.Sid === sid);
  if (!found) throw new Error(`no statement ${sid}`);
  return found;
}

describe("infra: API", function () {
  this.timeout(120_000);
  let dev: StackRun;
  let prod: StackRun;

  before(async () => {
    [dev, prod] = await Promise.all([stackRun("dev"), stackRun("prod")]);
  });

  it("serves exactly the runtime's routes, each a Lambda proxy integration of the function that handles it", () => {
    const operations = operationsOf(openApiOf(prod));
    const expected = [
      ...Object.values(OPERATION_ROUTES).map((route) => ({ ...route, fn: "bank-notif-prod-operations-api" })),
      ...Object.values(CUSTOMER_ROUTES).map((route) => ({ ...route, fn: "bank-notif-prod-customers-api" })),
    ];
    expect(operations.map(({ method, resource }) => `${method} ${resource}`)).to.have.members(
      expected.map(({ method, resource }) => `${method} ${resource}`),
    );
    for (const { method, resource, fn } of expected) {
      const { operation } = operations.find(
        (candidate) => candidate.method === method && candidate.resource === resource,
      )!;
      const integration = operation["x-amazon-apigateway-integration"];
      expect(integration.type).to.equal("aws_proxy");
      expect(integration.httpMethod).to.equal("POST");
      expect(integration.uri).to.equal(
        `arn:aws:apigateway:eu-west-3:lambda:path/2015-03-31/functions/arn:aws:lambda:eu-west-3:444455556666:function:${fn}/invocations`,
      );
    }
  });

  it("requires AWS_IAM (SigV4) on every method, and validates parameters only", () => {
    const api = openApiOf(prod);
    const [[schemeName, scheme]] = Object.entries(api.components.securitySchemes);
    expect(scheme).to.deep.equal({
      type: "apiKey",
      name: "Authorization",
      in: "header",
      "x-amazon-apigateway-authtype": "awsSigv4",
    });
    const operations = operationsOf(api);
    expect(operations).to.have.length(8);
    for (const { method, resource, operation } of operations) {
      expect(operation.security, `${method} ${resource}`).to.deep.equal([{ [schemeName]: [] }]);
      const validator = operation["x-amazon-apigateway-request-validator"]!;
      expect(api["x-amazon-apigateway-request-validators"][validator]).to.deep.equal({
        validateRequestParameters: true,
        validateRequestBody: false,
      });
    }
  });

  it("answers its own errors in the runtime's error shape", () => {
    const responses = openApiOf(prod)["x-amazon-apigateway-gateway-responses"];
    for (const type of ["DEFAULT_4XX", "DEFAULT_5XX"]) {
      const template = JSON.parse(
        responses[type].responseTemplates["application/json"].replace("$context.error.messageString", '"m"'),
      );
      expect(Object.keys(template.error)).to.deep.equal(["code", "message", "requestId"]);
    }
  });

  it("allows the producers on POST /operations only, and explicitly denies everybody else there", () => {
    const allow = statement(prod, "AllowProducers");
    expect(allow.Principal).to.deep.equal({ AWS: ["arn:aws:iam::444455556666:role/core-banking-producer"] });
    expect(allow.Resource).to.deep.equal(["execute-api:/v1/POST/operations"]);
    const deny = statement(prod, "DenyAllButTheProducers");
    expect(deny).to.deep.include({ Effect: "Deny", Principal: "*", Action: "execute-api:Invoke" });
    expect(deny.Resource).to.deep.equal(allow.Resource);
    expect(deny.Condition).to.deep.equal({
      ArnNotLike: { "aws:PrincipalArn": ["arn:aws:iam::444455556666:role/core-banking-producer"] },
    });
  });

  it("allows the customer administration on its routes only, and explicitly denies everybody else there", () => {
    const allow = statement(prod, "AllowCustomerAdmins");
    expect(allow.Principal).to.deep.equal({
      AWS: ["arn:aws:iam::444455556666:role/customer-administration"],
    });
    expect(allow.Resource).to.have.members([
      "execute-api:/v1/GET/operations/*",
      "execute-api:/v1/GET/notifications/failed",
      "execute-api:/v1/PUT/customers/*",
      "execute-api:/v1/GET/customers/*",
      "execute-api:/v1/PATCH/customers/*",
      "execute-api:/v1/DELETE/customers/*",
      "execute-api:/v1/GET/customers/*/operations",
    ]);
    const deny = statement(prod, "DenyAllButTheCustomerAdmins");
    expect(deny.Effect).to.equal("Deny");
    expect(deny.Resource).to.deep.equal(allow.Resource);
    expect(deny.Condition).to.deep.equal({
      ArnNotLike: { "aws:PrincipalArn": ["arn:aws:iam::444455556666:role/customer-administration"] },
    });
  });

  it("denies every principal that is neither, on every route and stage", () => {
    expect(statement(prod, "DenyUnlistedPrincipalsEverywhere")).to.deep.equal({
      Sid: "DenyUnlistedPrincipalsEverywhere",
      Effect: "Deny",
      Principal: "*",
      Action: "execute-api:Invoke",
      Resource: "execute-api:/*",
      Condition: {
        ArnNotLike: {
          "aws:PrincipalArn": [
            "arn:aws:iam::444455556666:role/core-banking-producer",
            "arn:aws:iam::444455556666:role/customer-administration",
          ],
        },
      },
    });
  });

  it("is private in prod, reachable only through its VPC endpoint; regional in dev", () => {
    expect(onlyOfType(prod, "aws:apigateway/restApi:RestApi").inputs.endpointConfiguration).to.deep.equal({
      types: "PRIVATE",
      vpcEndpointIds: ["vpce-0a1b2c3d4e5f60718"],
    });
    expect(statement(prod, "DenyOutsideVpcEndpoints").Condition).to.deep.equal({
      StringNotEquals: { "aws:SourceVpce": ["vpce-0a1b2c3d4e5f60718"] },
    });
    expect(onlyOfType(dev, "aws:apigateway/restApi:RestApi").inputs.endpointConfiguration).to.deep.equal({
      types: "REGIONAL",
    });
    const devPolicy = resourcePolicy(dev);
    expect(devPolicy.Statement.map((candidate) => candidate.Sid)).to.not.include("DenyOutsideVpcEndpoints");
  });

  it("has a stage with X-Ray, JSON access logs (error messages included) to a KMS log group, throttling, and no execution logs", () => {
    const stage = onlyOfType(prod, "aws:apigateway/stage:Stage").inputs;
    expect(stage.stageName).to.equal("v1");
    expect(stage.xrayTracingEnabled).to.equal(true);
    const access = stage.accessLogSettings as { destinationArn: string; format: string };
    const logGroup = byArn(prod, access.destinationArn)!;
    expect(logGroup.inputs.name).to.equal("/bank-notif-prod/api/access");
    expect(logGroup.inputs.kmsKeyId).to.equal(onlyOfType(prod, "aws:kms/key:Key").state.arn);
    expect(JSON.parse(access.format)).to.include({
      requestId: "$context.requestId",
      status: "$context.status",
      errorMessage: "$context.error.message",
      authorizeError: "$context.authorize.error",
      integrationError: "$context.integration.error",
    });
    const settings = onlyOfType(prod, "aws:apigateway/methodSettings:MethodSettings").inputs;
    expect(settings.methodPath).to.equal("*/*");
    expect(settings.settings).to.deep.equal({
      metricsEnabled: true,
      loggingLevel: "OFF",
      dataTraceEnabled: false,
      throttlingRateLimit: 200,
      throttlingBurstLimit: 400,
    });
    expect(
      onlyOfType(dev, "aws:apigateway/methodSettings:MethodSettings").inputs.settings as object,
    ).to.include({
      throttlingRateLimit: 10,
      throttlingBurstLimit: 20,
    });
  });

  it("keeps the resource policy inside the OpenAPI body, so a body update cannot wipe it, and redeploys on any change", () => {
    expect(ofType(prod, "aws:apigateway/restApiPolicy:RestApiPolicy")).to.have.length(0);
    const restApi = onlyOfType(prod, "aws:apigateway/restApi:RestApi").inputs;
    expect(restApi).to.not.have.property("policy");
    const body = String(restApi.body);
    const triggers = onlyOfType(prod, "aws:apigateway/deployment:Deployment").inputs.triggers as Record<
      string,
      string
    >;
    expect(triggers.redeployment).to.equal(createHash("sha256").update(body).digest("hex"));
    expect(resourcePolicy(prod).Statement.length).to.be.greaterThan(0);
  });

  it("lets API Gateway invoke each function on its own routes of this stage only", () => {
    const apiId = onlyOfType(prod, "aws:apigateway/restApi:RestApi").id;
    const permissions = ofType(prod, "aws:lambda/permission:Permission").filter(
      (permission) => permission.inputs.principal === "apigateway.amazonaws.com",
    );
    expect(
      permissions.map((permission) => `${permission.inputs.function} ${permission.inputs.sourceArn}`),
    ).to.have.members(
      [
        "bank-notif-prod-operations-api POST/operations",
        "bank-notif-prod-operations-api GET/operations/*",
        "bank-notif-prod-operations-api GET/notifications/failed",
        "bank-notif-prod-customers-api PUT/customers/*",
        "bank-notif-prod-customers-api GET/customers/*",
        "bank-notif-prod-customers-api PATCH/customers/*",
        "bank-notif-prod-customers-api DELETE/customers/*",
        "bank-notif-prod-customers-api GET/customers/*/operations",
      ].map((line) => line.replace(" ", ` arn:aws:execute-api:eu-west-3:444455556666:${apiId}/v1/`)),
    );
  });

  it("where a stack sets the region's logging role, creates the stage (whose access logs need it) after it, and leaves role, policy and setting in place on destroy", async () => {
    const owner = await componentRun({ overrides: { manageApiGatewayAccountRole: true } });
    const account = onlyOfType(owner, "aws:apigateway/account:Account");
    expect(onlyOfType(owner, "aws:apigateway/stage:Stage").dependencies).to.include(account.name);
    const role = byArn(owner, account.inputs.cloudwatchRoleArn)!;
    const rolePolicy = ofType(owner, "aws:iam/rolePolicy:RolePolicy").find(
      (candidate) => candidate.inputs.role === role.inputs.name,
    )!;
    for (const shared of [account, role, rolePolicy]) {
      expect(shared.retainOnDelete, shared.type).to.equal(true);
      expect(shared.protect, shared.type).to.equal(false);
    }
    const others = owner.resources.filter((resource) => ![account, role, rolePolicy].includes(resource));
    expect(
      others.filter((resource) => resource.retainOnDelete).map((resource) => resource.name),
    ).to.deep.equal([]);
  });

  it("leaves the region's logging role to a prerequisite in both stacks: a disposable stack must not own it", () => {
    for (const run of [dev, prod]) {
      expect(ofType(run, "aws:apigateway/account:Account"), run.stack).to.have.length(0);
      expect(
        ofType(run, "aws:iam/role:Role").map((role) => String(role.inputs.name)),
        run.stack,
      ).to.not.satisfy((names: string[]) => names.some((name) => name.includes("apigw")));
    }
  });
});
