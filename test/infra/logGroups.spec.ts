import { expect } from "chai";
import type { RecordedResource } from "../../local/pulumi/pulumiMocks";
import {
  componentRun,
  ofType,
  onlyOfType,
  parsePolicy,
  stackRun,
  type StackRun,
} from "../support/pulumiStacks";

type LogWriter = (resource: RecordedResource, run: StackRun) => string[];

const LOG_GROUP_ARN = /^arn:aws:logs:[a-z0-9-]+:\d{12}:log-group:(.+?)(:\*)?$/;

function logGroupNameOf(arn: unknown): string {
  const match = LOG_GROUP_ARN.exec(String(arn));
  if (!match) throw new Error(`${String(arn)} is not a log group ARN`);
  return match[1];
}

/**
 * The log groups AWS services write to because of a resource, by the resource's type. Every type the
 * plans hold is listed, so a new kind of resource fails this spec until someone says where it logs.
 */
const LOG_WRITERS: Record<string, LogWriter> = {
  // Lambda writes to the logging config's group, or to /aws/lambda/<name> when there is none.
  // https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-loggroups.html
  "aws:lambda/function:Function": (fn) => [
    String(
      (fn.inputs.loggingConfig as { logGroup?: string } | undefined)?.logGroup ??
        `/aws/lambda/${fn.inputs.name}`,
    ),
  ],
  // Access logs go to the stage's destination.
  "aws:apigateway/stage:Stage": (stage) => {
    const access = stage.inputs.accessLogSettings as { destinationArn?: string } | undefined;
    return access?.destinationArn ? [logGroupNameOf(access.destinationArn)] : [];
  },
  // Execution logs (ERROR or INFO) go to a group API Gateway names and creates itself.
  // https://docs.aws.amazon.com/apigateway/latest/developerguide/set-up-logging.html
  "aws:apigateway/methodSettings:MethodSettings": (settings) => {
    const level = (settings.inputs.settings as { loggingLevel?: string }).loggingLevel ?? "OFF";
    return level === "OFF"
      ? []
      : [`API-Gateway-Execution-Logs_${settings.inputs.restApi}/${settings.inputs.stageName}`];
  },
  // A rule target that is a log group.
  "aws:cloudwatch/eventTarget:EventTarget": (target) =>
    LOG_GROUP_ARN.test(String(target.inputs.arn)) ? [logGroupNameOf(target.inputs.arn)] : [],
  // A bus with a log configuration delivers its logs elsewhere; none of the stack's has one.
  "aws:cloudwatch/eventBus:EventBus": (bus) => {
    expect(bus.inputs.logConfig, bus.name).to.equal(undefined);
    return [];
  },
  // Delivery-status logging of a topic needs feedback roles; the alarm topic has none.
  "aws:sns/topic:Topic": (topic) => {
    expect(
      Object.keys(topic.inputs).filter((input) => /FeedbackRoleArn$/.test(input)),
      topic.name,
    ).to.deep.equal([]);
    return [];
  },
  ...Object.fromEntries(
    [
      "bank-notification-stack:index:BankNotificationStack",
      "aws:apigateway/account:Account",
      "aws:apigateway/deployment:Deployment",
      "aws:apigateway/restApi:RestApi",
      "aws:cloudwatch/dashboard:Dashboard",
      "aws:cloudwatch/eventArchive:EventArchive",
      "aws:cloudwatch/eventRule:EventRule",
      "aws:cloudwatch/logGroup:LogGroup",
      "aws:cloudwatch/metricAlarm:MetricAlarm",
      "aws:dynamodb/table:Table",
      "aws:iam/policy:Policy",
      "aws:iam/role:Role",
      "aws:iam/rolePolicy:RolePolicy",
      "aws:kms/alias:Alias",
      "aws:kms/key:Key",
      "aws:lambda/eventSourceMapping:EventSourceMapping",
      "aws:lambda/functionEventInvokeConfig:FunctionEventInvokeConfig",
      "aws:lambda/permission:Permission",
      "aws:s3/bucket:Bucket",
      "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration",
      "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
      "aws:s3/bucketOwnershipControls:BucketOwnershipControls",
      "aws:s3/bucketPolicy:BucketPolicy",
      "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
      "aws:s3/bucketVersioning:BucketVersioning",
      "aws:secretsmanager/secret:Secret",
      "aws:secretsmanager/secretVersion:SecretVersion",
      "aws:ses/template:Template",
      "aws:sesv2/configurationSet:ConfigurationSet",
      "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination",
      "aws:sesv2/emailIdentity:EmailIdentity",
      "aws:sesv2/emailIdentityMailFromAttributes:EmailIdentityMailFromAttributes",
      "aws:sns/topicPolicy:TopicPolicy",
      "aws:sns/topicSubscription:TopicSubscription",
      "aws:sqs/queue:Queue",
      "aws:sqs/queuePolicy:QueuePolicy",
      "aws:sqs/redriveAllowPolicy:RedriveAllowPolicy",
    ].map((type): [string, LogWriter] => [type, () => []]),
  ),
};

/** `*` and `?` as IAM's ArnLike reads them. */
function arnLike(pattern: string, arn: string): boolean {
  const escaped = pattern
    .replace(/[.+^${}()|[\]\\]/g, "\\$&")
    .replace(/\*/g, ".*")
    .replace(/\?/g, ".");
  return new RegExp(`^${escaped}$`).test(arn);
}

function writtenLogGroups(run: StackRun): Set<string> {
  const written = new Set<string>();
  for (const resource of run.resources) {
    const writer = LOG_WRITERS[resource.type];
    expect(writer, `${resource.type}: say which log groups it makes AWS write`).to.not.equal(undefined);
    for (const name of writer(resource, run)) written.add(name);
  }
  return written;
}

describe("infra: every log group AWS writes for the stack is declared, keyed and retained", function () {
  this.timeout(120_000);
  let runs: { run: StackRun; region: string; account: string; retention: number }[];

  before(async () => {
    const [dev, prod, owner] = await Promise.all([
      stackRun("dev"),
      stackRun("prod"),
      componentRun({ overrides: { manageApiGatewayAccountRole: true } }),
    ]);
    runs = [
      { run: dev, region: "eu-west-1", account: "111122223333", retention: 14 },
      { run: prod, region: "eu-west-3", account: "444455556666", retention: 400 },
      { run: owner, region: "eu-west-1", account: "123456789012", retention: 400 },
    ];
  });

  it("declares every log group a function, the API stage or a rule writes to, with the stack key and the stack's retention", () => {
    for (const { run, retention } of runs) {
      const keyArn = onlyOfType(run, "aws:kms/key:Key").state.arn;
      const declared = ofType(run, "aws:cloudwatch/logGroup:LogGroup");
      const written = writtenLogGroups(run);
      for (const name of written) {
        const [group, ...others] = declared.filter((candidate) => candidate.inputs.name === name);
        expect(group, `${run.stack}: ${name} is written but not declared`).to.not.equal(undefined);
        expect(others, name).to.deep.equal([]);
        expect(group.inputs.kmsKeyId, name).to.equal(keyArn);
        expect(group.inputs.retentionInDays, name).to.equal(retention);
      }
      // The four functions' groups and the API's access log.
      expect(written.size, run.stack).to.equal(5);
      expect(declared.map((group) => group.inputs.name)).to.have.members([...written]);
    }
  });

  it("lets CloudWatch Logs use the stack key for each of them", () => {
    for (const { run, region, account } of runs) {
      const logs = parsePolicy(onlyOfType(run, "aws:kms/key:Key").inputs.policy).Statement.find(
        (statement) =>
          typeof statement.Principal === "object" &&
          statement.Principal.Service === `logs.${region}.amazonaws.com`,
      )!;
      const pattern = String(logs.Condition!.ArnLike["kms:EncryptionContext:aws:logs:arn"]);
      for (const name of writtenLogGroups(run)) {
        expect(
          arnLike(pattern, `arn:aws:logs:${region}:${account}:log-group:${name}`),
          `${run.stack} ${name}`,
        ).to.equal(true);
      }
    }
  });
});
