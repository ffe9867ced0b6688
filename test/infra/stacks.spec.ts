import { expect } from "chai";
import { physicalNames } from "../../components/naming";
import { resolveSettings } from "../../components/settings";
import { MOCK_HASH_KEY, type RecordedResource } from "../../local/pulumi/pulumiMocks";
import {
  componentRun,
  minimalArgs,
  ofType,
  onlyOfType,
  stackRun,
  twoInstancesRun,
  type StackRun,
} from "../support/pulumiStacks";

/** AWS's documented name limits, stated here independently of the component's own table. */
const AWS_NAME_LIMITS: Record<string, { field: string; max: number; pattern?: RegExp }> = {
  "aws:lambda/function:Function": { field: "name", max: 64 },
  "aws:iam/role:Role": { field: "name", max: 64 },
  "aws:iam/policy:Policy": { field: "name", max: 128 },
  "aws:sqs/queue:Queue": { field: "name", max: 80 },
  "aws:cloudwatch/eventRule:EventRule": { field: "name", max: 64 },
  "aws:cloudwatch/eventBus:EventBus": { field: "name", max: 256 },
  "aws:cloudwatch/eventArchive:EventArchive": { field: "name", max: 48 },
  "aws:ses/template:Template": { field: "name", max: 64, pattern: /^[A-Za-z0-9_-]+$/ },
  "aws:sesv2/configurationSet:ConfigurationSet": { field: "configurationSetName", max: 64 },
  // SES identities are unique per account and region: two instances need two senders.
  "aws:sesv2/emailIdentity:EmailIdentity": { field: "emailIdentity", max: 320 },
  "aws:cloudwatch/logGroup:LogGroup": { field: "name", max: 512 },
  "aws:cloudwatch/metricAlarm:MetricAlarm": { field: "name", max: 255 },
  "aws:cloudwatch/dashboard:Dashboard": { field: "dashboardName", max: 255 },
  "aws:s3/bucket:Bucket": { field: "bucket", max: 63, pattern: /^[a-z0-9][a-z0-9-]*[a-z0-9]$/ },
  "aws:dynamodb/table:Table": { field: "name", max: 255 },
  "aws:sns/topic:Topic": { field: "name", max: 256 },
  "aws:secretsmanager/secret:Secret": { field: "name", max: 512 },
  "aws:kms/alias:Alias": { field: "name", max: 256 },
  "aws:apigateway/restApi:RestApi": { field: "name", max: 1024 },
};

function physicalName(resource: RecordedResource): string | undefined {
  const limit = AWS_NAME_LIMITS[resource.type];
  return limit ? String(resource.inputs[limit.field]) : undefined;
}

describe("infra: the program's stacks and several instances", function () {
  this.timeout(120_000);
  let dev: StackRun;
  let prod: StackRun;
  let pair: StackRun;

  before(async () => {
    [dev, prod, pair] = await Promise.all([stackRun("dev"), stackRun("prod"), twoInstancesRun()]);
  });

  it("creates one BankNotificationStack whose children are all parented to it", () => {
    for (const run of [dev, prod]) {
      const component = onlyOfType(run, "bank-notification-stack:index:BankNotificationStack");
      expect(component.parent).to.equal(null);
      const orphans = run.resources.filter(
        (resource) => resource !== component && resource.parent !== component.name,
      );
      expect(orphans.map((resource) => `${resource.type} ${resource.name}`)).to.deep.equal([]);
    }
  });

  it("keeps every physical name within AWS's length limit and character set", () => {
    for (const run of [dev, prod, pair]) {
      for (const resource of run.resources) {
        const limit = AWS_NAME_LIMITS[resource.type];
        if (!limit) continue;
        const name = physicalName(resource)!;
        expect(name.length, `${resource.type} ${name}`).to.be.within(1, limit.max);
        if (limit.pattern) expect(name, resource.type).to.match(limit.pattern);
      }
    }
  });

  it("lets two instances coexist in one program and one account: no Pulumi name or AWS name is shared", () => {
    const components = ofType(pair, "bank-notification-stack:index:BankNotificationStack");
    expect(components.map((component) => component.name)).to.deep.equal(["payments", "savings"]);
    const urns = pair.resources.map((resource) => `${resource.type}::${resource.name}`);
    expect(new Set(urns).size).to.equal(urns.length);
    for (const type of Object.keys(AWS_NAME_LIMITS)) {
      const names = ofType(pair, type).map(physicalName);
      expect(new Set(names).size, type).to.equal(names.length);
    }
    expect(ofType(pair, "aws:lambda/function:Function")).to.have.length(8);
    expect(pair.outputs).to.deep.equal({
      first: "payments-coexistence-notifications",
      second: "savings-coexistence-notifications",
    });
  });

  it("lets one stack run in two regions of an account with the default prefix: IAM, dashboard and bucket names differ", async () => {
    // IAM role and policy names are unique in the account; so are CloudWatch dashboards (their ARN
    // has no region); bucket names are global.
    const accountWide = [
      "aws:iam/role:Role",
      "aws:iam/policy:Policy",
      "aws:cloudwatch/dashboard:Dashboard",
      "aws:s3/bucket:Bucket",
    ];
    const [ireland, sydney] = await Promise.all(
      ["eu-west-1", "ap-southeast-2"].map((region) =>
        componentRun({ stack: "payments", region, overrides: { manageApiGatewayAccountRole: true } }),
      ),
    );
    for (const type of accountWide) {
      const inIreland = ofType(ireland, type).map(physicalName);
      const inSydney = ofType(sydney, type).map(physicalName);
      expect(inIreland, type).to.have.length.above(0);
      expect(
        inIreland.filter((name) => inSydney.includes(name)),
        type,
      ).to.deep.equal([]);
    }
    expect(onlyOfType(sydney, "aws:cloudwatch/dashboard:Dashboard").inputs.dashboardName).to.equal(
      "notifications-payments-ap-southeast-2",
    );
    expect(ofType(sydney, "aws:iam/role:Role").map(physicalName)).to.include.members([
      "notifications-payments-notify-ap-southeast-2",
      "notifications-payments-apigw-cloudwatch-ap-southeast-2",
    ]);
    // The regional names keep the prefix alone.
    expect(onlyOfType(sydney, "aws:dynamodb/table:Table").inputs.name).to.equal(
      "notifications-payments-notifications",
    );
  });

  it("keeps account-wide names within AWS limits with the longest prefix in a long region name", async () => {
    const run = await componentRun({
      region: "ap-southeast-5",
      overrides: { namePrefix: "a".repeat(26), manageApiGatewayAccountRole: true },
    });
    for (const type of ["aws:iam/role:Role", "aws:iam/policy:Policy", "aws:cloudwatch/dashboard:Dashboard"]) {
      for (const resource of ofType(run, type)) {
        expect(physicalName(resource)!.length, physicalName(resource)).to.be.within(
          1,
          AWS_NAME_LIMITS[type].max,
        );
      }
    }
  });

  it("refuses a name prefix whose names would break AWS limits, saying what to change", () => {
    expect(() =>
      resolveSettings("x", "dev", minimalArgs({ namePrefix: "a-very-long-prefix-for-notifications" })),
    ).to.throw(/namePrefix "a-very-long-prefix-for-notifications" must be 2 to 26 lowercase/);
    expect(() => physicalNames("p".repeat(60))).to.throw(
      /has \d+ characters; AWS allows \d+\. Choose a shorter namePrefix/,
    );
    expect(() => resolveSettings("x", "dev", minimalArgs({ namePrefix: "Upper_Case" }))).to.throw(
      /lowercase/,
    );
  });

  it("refuses settings AWS or the runtime would reject, naming the setting", () => {
    const invalid: [Parameters<typeof minimalArgs>[0], RegExp][] = [
      [
        { sendingDomain: "bank.example", senderAddress: "alerts@other.example" },
        /must be an address of sendingDomain/,
      ],
      [{ logRetentionDays: 10 }, /logRetentionDays 10 is not accepted/],
      [
        { functionTimeoutSeconds: { operationsApi: 30 } },
        /functionTimeoutSeconds.operationsApi must be a whole number from 1 to 28/,
      ],
      [{ producerPrincipalArns: ["core-banking"] }, /producerPrincipalArns holds "core-banking"/],
      // aws:PrincipalArn is never an account root or a session ARN: the API's deny would lock these out.
      [{ producerPrincipalArns: ["arn:aws:iam::123456789012:root"] }, /give an IAM role or user ARN/],
      [
        { customerAdminPrincipalArns: ["arn:aws:sts::123456789012:assumed-role/admin/session"] },
        /customerAdminPrincipalArns holds .* give an IAM role or user ARN/,
      ],
      [{ largeAmountThresholds: { eur: 10 } }, /not an ISO 4217 currency code/],
      [{ largeAmountThresholds: { EUR: 6e9 } }, /largeAmountThresholds.EUR/],
      [{ eventSource: "aws.ses" }, /eventSource/],
      // Programs in YAML or another language have no type checker: a misspelt key or value must not pass.
      [
        { functionMemoryMb: { notfy: 1024 } as never },
        /functionMemoryMb has no setting "notfy"; use one of operationsApi, customersApi, notify, sesFeedback/,
      ],
      [{ alarmThresholds: { apiLatencyMs: 2000 } as never }, /alarmThresholds has no setting "apiLatencyMs"/],
      [{ logLevel: "info" as never }, /logLevel "info" must be one of DEBUG, INFO, WARN, ERROR/],
    ];
    for (const [overrides, message] of invalid) {
      expect(() => resolveSettings("x", "dev", minimalArgs(overrides)), String(message)).to.throw(message);
    }
  });

  it("keeps the hash key secret: marked secret, in no output and in no other input", () => {
    for (const run of [dev, prod]) {
      const version = onlyOfType(run, "aws:secretsmanager/secretVersion:SecretVersion");
      expect(version.secretInputs).to.deep.equal(["secretString"]);
      expect(JSON.stringify(run.outputs)).to.not.include(MOCK_HASH_KEY);
      for (const resource of run.resources.filter((candidate) => candidate !== version)) {
        expect(JSON.stringify(resource.inputs) ?? "", resource.name).to.not.include(MOCK_HASH_KEY);
      }
      expect(run.outputs.hashKeySecretArn).to.match(/^arn:aws:secretsmanager:/);
    }
  });

  it("protects the data in prod (Pulumi protect) and leaves dev disposable", () => {
    const dataTypes = [
      "aws:kms/key:Key",
      "aws:dynamodb/table:Table",
      "aws:s3/bucket:Bucket",
      "aws:secretsmanager/secret:Secret",
      "aws:secretsmanager/secretVersion:SecretVersion",
    ];
    for (const type of dataTypes) {
      expect(onlyOfType(prod, type).protect, type).to.equal(true);
      expect(onlyOfType(dev, type).protect, type).to.equal(false);
    }
    expect(
      onlyOfType(prod, "aws:cloudwatch/eventBus:EventBus").protect,
      "nothing else is protected",
    ).to.equal(false);
  });

  it("differs between dev and prod where the stack config says", () => {
    const difference = (read: (run: StackRun) => unknown) => [read(dev), read(prod)];
    const input = (type: string, field: string) => (run: StackRun) => onlyOfType(run, type).inputs[field];
    expect(difference(input("aws:sesv2/emailIdentity:EmailIdentity", "emailIdentity"))).to.deep.equal([
      "notifications-dev@example.com",
      "notifications.examplebank.com",
    ]);
    expect(
      difference((run) => ofType(run, "aws:cloudwatch/logGroup:LogGroup")[0].inputs.retentionInDays),
    ).to.deep.equal([14, 400]);
    expect(difference(input("aws:dynamodb/table:Table", "deletionProtectionEnabled"))).to.deep.equal([
      false,
      true,
    ]);
    expect(difference(input("aws:s3/bucket:Bucket", "objectLockEnabled"))).to.deep.equal([false, true]);
    expect(
      difference(input("aws:lambda/eventSourceMapping:EventSourceMapping", "scalingConfig")),
    ).to.deep.equal([{ maximumConcurrency: 2 }, { maximumConcurrency: 10 }]);
    expect(
      difference(
        (run) =>
          ofType(run, "aws:lambda/function:Function").map(
            (fn) => (fn.inputs.loggingConfig as { applicationLogLevel: string }).applicationLogLevel,
          )[0],
      ),
    ).to.deep.equal(["DEBUG", "INFO"]);
    expect(
      difference(
        (run) =>
          ofType(run, "aws:cloudwatch/metricAlarm:MetricAlarm").find((alarm) =>
            String(alarm.inputs.name).endsWith("-notify-errors"),
          )!.inputs.threshold,
      ),
    ).to.deep.equal([5, 1]);
    expect(difference(input("aws:secretsmanager/secret:Secret", "recoveryWindowInDays"))).to.deep.equal([
      7, 30,
    ]);
    expect(dev.outputs.apiUrl).to.match(/^https:\/\/[0-9a-f]+\.execute-api\.eu-west-1\.amazonaws\.com\/v1$/);
    expect(prod.outputs.apiUrl).to.match(/\.execute-api\.eu-west-3\.amazonaws\.com\/v1$/);
  });
});
