import { expect } from "chai";
import type { PolicyStatement } from "../../components/iam";
import type { RecordedResource } from "../../local/pulumi/pulumiMocks";
import {
  asList,
  byArn,
  componentRun,
  ofType,
  onlyOfType,
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

const ACCOUNT = "444455556666";

/**
 * The only actions the stack grants on `*`: X-Ray defines no resource type for them, so `*` is the
 * only value that works (Lambda active tracing sends them with the function's role).
 * https://docs.aws.amazon.com/service-authorization/latest/reference/list_awsx-ray.html
 */
const ACTIONS_WITHOUT_RESOURCE_TYPES = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"];

describe("infra: IAM", function () {
  this.timeout(120_000);
  let dev: StackRun;
  let prod: StackRun;
  let pair: StackRun;

  before(async () => {
    [dev, prod, pair] = await Promise.all([stackRun("dev"), stackRun("prod"), twoInstancesRun()]);
  });

  it("grants no `*` action anywhere, and `*` resources only for the X-Ray actions AWS cannot scope", () => {
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
              ).to.include(action);
            }
          }
        }
      }
    }
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

  // What each role, the producer policy and the customer-admin policy allow is evaluated against
  // the requests the handlers really send and the calls producers make: infra/iamEvaluation.spec.ts.

  it("sets the region's API Gateway logging role only where a stack opts in, with an inline policy (neither dev nor prod does)", async () => {
    for (const run of [dev, prod]) expect(ofType(run, "aws:apigateway/account:Account")).to.have.length(0);
    const owner = await componentRun({ overrides: { manageApiGatewayAccountRole: true } });
    const account = onlyOfType(owner, "aws:apigateway/account:Account");
    const role = byArn(owner, account.inputs.cloudwatchRoleArn)!;
    expect(role.inputs.name).to.equal("notifications-consumer-apigw-cloudwatch-eu-west-1");
    expect(JSON.parse(String(role.inputs.assumeRolePolicy)).Statement[0].Principal).to.deep.equal({
      Service: "apigateway.amazonaws.com",
    });
    expect(rolePolicyOf(owner, String(role.inputs.name))[0].Resource).to.equal(
      "arn:aws:logs:eu-west-1:123456789012:log-group:*",
    );
  });

  it("lets notify send to the account's identities only where SES is in the sandbox (dev), still only from the sender", () => {
    const send = (run: StackRun, stack: string, region: string) =>
      rolePolicyOf(run, `bank-notif-${stack}-notify-${region}`).find(
        (candidate) => candidate.Sid === "SendTemplatedEmail",
      )!;
    expect(asList(send(dev, "dev", "eu-west-1").Resource)).to.include(
      "arn:aws:ses:eu-west-1:111122223333:identity/*",
    );
    expect(send(dev, "dev", "eu-west-1").Condition).to.deep.equal({
      StringEquals: { "ses:FromAddress": "notifications-dev@example.com" },
    });
    expect(
      asList(send(prod, "prod", "eu-west-3").Resource).some((arn) => String(arn).endsWith("identity/*")),
    ).to.equal(false);
  });
});
