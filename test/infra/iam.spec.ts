import { expect } from "chai";
import { ACTIONS_WITHOUT_RESOURCE_TYPES, type PolicyStatement } from "../../components/iam";
import type { RecordedResource } from "../../local/pulumi/pulumiMocks";
import {
  asList,
  byArn,
  ofType,
  parsePolicy,
  stackRun,
  twoInstancesRun,
  type StackRun,
} from "../support/pulumiStacks";

/** Every identity policy the stack creates: the roles' inline policies and the access policies. */
function identityPolicies(run: StackRun): { owner: string; statements: PolicyStatement[] }[] {
  return [
    ...ofType(run, "aws:iam/rolePolicy:RolePolicy").map((policy) => ({
      owner: String(policy.inputs.role),
      statements: parsePolicy(policy.inputs.policy).Statement,
    })),
    ...ofType(run, "aws:iam/policy:Policy").map((policy) => ({
      owner: String(policy.inputs.name),
      statements: parsePolicy(policy.inputs.policy).Statement,
    })),
  ];
}

function rolePolicyOf(run: StackRun, roleName: string): PolicyStatement[] {
  const policy = ofType(run, "aws:iam/rolePolicy:RolePolicy").find(
    (candidate) => candidate.inputs.role === roleName,
  );
  if (!policy) throw new Error(`no inline policy on ${roleName}`);
  return parsePolicy(policy.inputs.policy).Statement;
}

/** Statement id → its actions and the names of the resources it targets, for readable expectations. */
function grants(run: StackRun, statements: PolicyStatement[]) {
  return Object.fromEntries(
    statements.map((statement) => [
      statement.Sid,
      {
        actions: asList(statement.Action).sort(),
        resources: asList(statement.Resource).map((resource) => {
          const found = byArn(run, resource);
          if (!found) return resource;
          const { name, bucket, emailIdentity, configurationSetName } = found.inputs;
          return `${found.type.split(":")[1]}:${String(name ?? bucket ?? emailIdentity ?? configurationSetName ?? found.name)}`;
        }),
      },
    ]),
  );
}

const ACCOUNT = "444455556666";

describe("infra: IAM", function () {
  this.timeout(120_000);
  let dev: StackRun;
  let prod: StackRun;
  let pair: StackRun;

  before(async () => {
    [dev, prod, pair] = await Promise.all([stackRun("dev"), stackRun("prod"), twoInstancesRun()]);
  });

  it("grants no `*` action anywhere, and `*` resources only for actions AWS cannot scope (each explained)", () => {
    for (const run of [dev, prod, pair]) {
      for (const { owner, statements } of identityPolicies(run)) {
        for (const statement of statements) {
          const actions = asList(statement.Action);
          for (const action of actions) expect(action, `${owner} ${statement.Sid}`).to.not.match(/\*/);
          if (asList(statement.Resource).includes("*")) {
            expect(asList(statement.Resource), `${owner} ${statement.Sid}`).to.deep.equal(["*"]);
            for (const action of actions) {
              expect(
                ACTIONS_WITHOUT_RESOURCE_TYPES,
                `${owner} ${statement.Sid} grants ${action} on *`,
              ).to.have.property(action);
            }
          }
        }
      }
    }
    for (const reason of Object.values(ACTIONS_WITHOUT_RESOURCE_TYPES))
      expect(reason).to.have.length.above(20);
  });

  it("scopes every other resource to an ARN of this account (S3 ARNs name no account: the bucket's name does)", () => {
    const ofThisAccount = new RegExp(
      `^(arn:aws:[a-z0-9-]+:[a-z0-9-]*:${ACCOUNT}:|arn:aws:s3:::[a-z0-9-]+-${ACCOUNT}-)`,
    );
    for (const { owner, statements } of identityPolicies(prod)) {
      for (const statement of statements) {
        for (const resource of asList(statement.Resource).filter((candidate) => candidate !== "*")) {
          expect(resource, `${owner} ${statement.Sid}`).to.match(ofThisAccount);
        }
      }
    }
  });

  it("attaches no AWS managed policy, and no policy at all except inline ones", () => {
    for (const run of [dev, prod, pair]) {
      const types = run.resources.map((resource) => resource.type);
      expect(types).to.not.include("aws:iam/rolePolicyAttachment:RolePolicyAttachment");
      expect(types).to.not.include("aws:iam/policyAttachment:PolicyAttachment");
      expect(types).to.not.include("aws:iam/rolePolicy:RolePolicyAttachment");
      for (const role of ofType(run, "aws:iam/role:Role")) {
        expect(role.inputs.managedPolicyArns ?? [], role.name).to.deep.equal([]);
      }
      expect(
        JSON.stringify(run.resources.map((resource: RecordedResource) => resource.inputs)),
      ).to.not.include("arn:aws:iam::aws:policy/");
    }
  });

  it("lets the operations API record, publish with its source, list failures and read the hash key", () => {
    expect(grants(prod, rolePolicyOf(prod, "bank-notif-prod-operations-api"))).to.deep.equal({
      WriteOwnLogGroup: {
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: ["arn:aws:logs:eu-west-3:444455556666:log-group:/bank-notif-prod/lambda/operations-api:*"],
      },
      SendActiveTracingData: {
        actions: ["xray:PutTelemetryRecords", "xray:PutTraceSegments"],
        resources: ["*"],
      },
      UseTable: {
        actions: ["dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query", "dynamodb:UpdateItem"],
        resources: ["dynamodb/table:bank-notif-prod-notifications"],
      },
      QueryIndexByFailure: {
        actions: ["dynamodb:Query"],
        resources: [
          "arn:aws:dynamodb:eu-west-3:444455556666:table/bank-notif-prod-notifications/index/byFailure",
        ],
      },
      UseStackKeyThroughItsServices: {
        actions: ["kms:Decrypt", "kms:GenerateDataKey"],
        resources: ["kms/key:notifications-key"],
      },
      ReadHashKeySecret: {
        actions: ["secretsmanager:GetSecretValue"],
        resources: ["secretsmanager/secret:bank-notif-prod/hash-key"],
      },
      PublishOperationEvents: {
        actions: ["events:PutEvents"],
        resources: ["cloudwatch/eventBus:bank-notif-prod-operations"],
      },
    });
    const publish = rolePolicyOf(prod, "bank-notif-prod-operations-api").find(
      (s) => s.Sid === "PublishOperationEvents",
    )!;
    expect(publish.Condition).to.deep.equal({ StringEquals: { "events:source": "bank.core-banking" } });
    const key = rolePolicyOf(prod, "bank-notif-prod-operations-api").find(
      (s) => s.Sid === "UseStackKeyThroughItsServices",
    )!;
    expect(key.Condition).to.deep.equal({
      StringEquals: {
        "kms:ViaService": ["dynamodb.eu-west-3.amazonaws.com", "secretsmanager.eu-west-3.amazonaws.com"],
      },
    });
  });

  it("lets the customers API use customer items and query the by-customer index only", () => {
    const statements = grants(prod, rolePolicyOf(prod, "bank-notif-prod-customers-api"));
    expect(Object.keys(statements)).to.have.members([
      "WriteOwnLogGroup",
      "SendActiveTracingData",
      "UseTable",
      "QueryIndexByCustomer",
      "UseStackKeyThroughItsServices",
    ]);
    expect(statements.UseTable.actions).to.deep.equal(["dynamodb:GetItem", "dynamodb:UpdateItem"]);
    expect(statements.QueryIndexByCustomer).to.deep.equal({
      actions: ["dynamodb:Query"],
      resources: [
        "arn:aws:dynamodb:eu-west-3:444455556666:table/bank-notif-prod-notifications/index/byCustomer",
      ],
    });
  });

  it("lets the notify function consume its queue, send from the sender only, read templates and write evidence", () => {
    const statements = rolePolicyOf(prod, "bank-notif-prod-notify");
    const granted = grants(prod, statements);
    expect(Object.keys(granted)).to.have.members([
      "WriteOwnLogGroup",
      "SendActiveTracingData",
      "UseTable",
      "UseStackKeyThroughItsServices",
      "ReadHashKeySecret",
      "ConsumeNotifyQueue",
      "SendTemplatedEmail",
      "ReadTemplates",
      "WriteEvidence",
    ]);
    expect(granted.UseTable.actions).to.deep.equal(["dynamodb:GetItem", "dynamodb:UpdateItem"]);
    expect(granted.ConsumeNotifyQueue).to.deep.equal({
      actions: ["sqs:DeleteMessage", "sqs:GetQueueAttributes", "sqs:ReceiveMessage"],
      resources: ["sqs/queue:bank-notif-prod-notify"],
    });
    expect(granted.SendTemplatedEmail.actions).to.deep.equal(["ses:SendEmail"]);
    expect(granted.SendTemplatedEmail.resources.slice(0, 2)).to.deep.equal([
      "sesv2/emailIdentity:notifications.examplebank.com",
      "sesv2/configurationSet:bank-notif-prod-notifications",
    ]);
    expect(granted.SendTemplatedEmail.resources.slice(2)).to.have.length(16);
    expect(granted.ReadTemplates.resources).to.deep.equal(granted.SendTemplatedEmail.resources.slice(2));
    for (const template of granted.ReadTemplates.resources)
      expect(template).to.match(/^ses\/template:bank-notif-prod-/);
    expect(statements.find((s) => s.Sid === "SendTemplatedEmail")!.Condition).to.deep.equal({
      StringEquals: { "ses:FromAddress": "alerts@notifications.examplebank.com" },
    });
    expect(granted.WriteEvidence).to.deep.equal({
      actions: ["s3:PutObject"],
      resources: ["arn:aws:s3:::bank-notif-prod-evidence-444455556666-eu-west-3/evidence/*"],
    });
    const key = statements.find((s) => s.Sid === "UseStackKeyThroughItsServices")!;
    expect(key.Condition!.StringEquals["kms:ViaService"]).to.deep.equal([
      "dynamodb.eu-west-3.amazonaws.com",
      "secretsmanager.eu-west-3.amazonaws.com",
      "s3.eu-west-3.amazonaws.com",
      "sqs.eu-west-3.amazonaws.com",
    ]);
  });

  it("lets the feedback function suppress addresses, find notifications by SES id and dead-letter failures", () => {
    const granted = grants(prod, rolePolicyOf(prod, "bank-notif-prod-ses-feedback"));
    expect(Object.keys(granted)).to.have.members([
      "WriteOwnLogGroup",
      "SendActiveTracingData",
      "UseTable",
      "QueryIndexBySesMessageId",
      "UseStackKeyThroughItsServices",
      "ReadHashKeySecret",
      "SendFailedEventsToDlq",
    ]);
    expect(granted.UseTable.actions).to.deep.equal(["dynamodb:PutItem", "dynamodb:UpdateItem"]);
    expect(granted.SendFailedEventsToDlq).to.deep.equal({
      actions: ["sqs:SendMessage"],
      resources: ["sqs/queue:bank-notif-prod-feedback-dlq"],
    });
  });

  it("offers a producer policy: POST /operations and PutEvents with the stack's source, nothing more", () => {
    const apiId = ofType(prod, "aws:apigateway/restApi:RestApi")[0].id;
    const producer = ofType(prod, "aws:iam/policy:Policy").find(
      (p) => p.inputs.name === "bank-notif-prod-producer",
    )!;
    expect(parsePolicy(producer.inputs.policy).Statement).to.deep.equal([
      {
        Sid: "SubmitOperations",
        Effect: "Allow",
        Action: "execute-api:Invoke",
        Resource: [`arn:aws:execute-api:eu-west-3:444455556666:${apiId}/v1/POST/operations`],
      },
      {
        Sid: "PutOperationEvents",
        Effect: "Allow",
        Action: "events:PutEvents",
        Resource: "arn:aws:events:eu-west-3:444455556666:event-bus/bank-notif-prod-operations",
        Condition: { StringEquals: { "events:source": "bank.core-banking" } },
      },
    ]);
  });

  it("offers a separate customer-admin policy: every other route, nothing more", () => {
    const apiId = ofType(prod, "aws:apigateway/restApi:RestApi")[0].id;
    const admin = ofType(prod, "aws:iam/policy:Policy").find(
      (p) => p.inputs.name === "bank-notif-prod-customer-admin",
    )!;
    const [statement, ...others] = parsePolicy(admin.inputs.policy).Statement;
    expect(others).to.deep.equal([]);
    expect(statement.Action).to.equal("execute-api:Invoke");
    const base = `arn:aws:execute-api:eu-west-3:444455556666:${apiId}/v1/`;
    expect(statement.Resource).to.have.members(
      [
        "GET/operations/*",
        "GET/notifications/failed",
        "PUT/customers/*",
        "GET/customers/*",
        "PATCH/customers/*",
        "DELETE/customers/*",
        "GET/customers/*/operations",
      ].map((route) => base + route),
    );
  });

  it("sets the account's API Gateway logging role only where the stack opts in (dev), with an inline policy", () => {
    expect(ofType(prod, "aws:apigateway/account:Account")).to.have.length(0);
    const account = ofType(dev, "aws:apigateway/account:Account")[0];
    const role = byArn(dev, account.inputs.cloudwatchRoleArn)!;
    expect(JSON.parse(String(role.inputs.assumeRolePolicy)).Statement[0].Principal).to.deep.equal({
      Service: "apigateway.amazonaws.com",
    });
    expect(rolePolicyOf(dev, String(role.inputs.name))[0].Resource).to.equal(
      "arn:aws:logs:eu-west-1:111122223333:log-group:*",
    );
  });

  it("lets notify send to the account's identities only where SES is in the sandbox (dev), still only from the sender", () => {
    const send = (run: StackRun, stack: string) =>
      rolePolicyOf(run, `bank-notif-${stack}-notify`).find(
        (candidate) => candidate.Sid === "SendTemplatedEmail",
      )!;
    expect(asList(send(dev, "dev").Resource)).to.include("arn:aws:ses:eu-west-1:111122223333:identity/*");
    expect(send(dev, "dev").Condition).to.deep.equal({
      StringEquals: { "ses:FromAddress": "notifications-dev@example.com" },
    });
    expect(asList(send(prod, "prod").Resource).some((arn) => String(arn).endsWith("identity/*"))).to.equal(
      false,
    );
  });
});
