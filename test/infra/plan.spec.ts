import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect } from "chai";
import { formatPlan, plannedResource, type AssetSummary, type Plan } from "../../tools/plan";
import { MOCK_HASH_KEY, REPO_ROOT, SECRET_PLACEHOLDER } from "../../local/pulumi/pulumiMocks";
import { startEarly } from "../support/pulumiEarlyStart";
import { stackRun } from "../support/pulumiStacks";

const run = promisify(execFile);

/** The types the issue asks `npm run plan -- --stack prod --json` to list at least. */
const REQUIRED_TYPES = [
  "aws:kms/key:Key",
  "aws:dynamodb/table:Table",
  "aws:s3/bucket:Bucket",
  "aws:cloudwatch/eventBus:EventBus",
  "aws:cloudwatch/eventArchive:EventArchive",
  "aws:cloudwatch/eventRule:EventRule",
  "aws:cloudwatch/eventTarget:EventTarget",
  "aws:sqs/queue:Queue",
  "aws:sqs/queuePolicy:QueuePolicy",
  "aws:lambda/eventSourceMapping:EventSourceMapping",
  "aws:lambda/function:Function",
  "aws:lambda/permission:Permission",
  "aws:apigateway/restApi:RestApi",
  "aws:iam/role:Role",
  "aws:iam/policy:Policy",
  "aws:sesv2/emailIdentity:EmailIdentity",
  "aws:sesv2/configurationSet:ConfigurationSet",
  "aws:sesv2/configurationSetEventDestination:ConfigurationSetEventDestination",
  "aws:ses/template:Template",
  "aws:secretsmanager/secret:Secret",
  "aws:cloudwatch/logGroup:LogGroup",
  "aws:cloudwatch/metricAlarm:MetricAlarm",
  "aws:cloudwatch/dashboard:Dashboard",
  "aws:sns/topic:Topic",
];

/**
 * The plan runs in a child process, as a person runs it, from the start of the test run. `--silent`
 * keeps npm's own banner off stdout, so that the output pipes into a JSON reader.
 */
const planned = startEarly(({ signal }) =>
  run("npm", ["run", "--silent", "plan", "--", "--stack", "prod", "--json"], {
    cwd: REPO_ROOT,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, AWS_ACCESS_KEY_ID: "", AWS_SECRET_ACCESS_KEY: "", AWS_PROFILE: "" },
    signal,
  }),
);

describe("infra: npm run plan", function () {
  this.timeout(120_000);
  let stdout: string;
  let plan: Plan;

  before(async () => {
    ({ stdout } = await planned.result());
    plan = JSON.parse(stdout) as Plan;
  });

  it("prints one JSON document and nothing else with --json", () => {
    expect(stdout.trim().startsWith("{")).to.equal(true);
    expect(JSON.stringify(JSON.parse(stdout), null, 2)).to.equal(stdout.trim());
    expect(plan.stack).to.equal("prod");
    for (const resource of plan.resources) {
      expect(Object.keys(resource)).to.deep.equal(["type", "name", "parent", "inputs"]);
    }
  });

  it("lists every resource type the stack needs, and no AWS managed policy attachment", () => {
    const types = new Set(plan.resources.map((resource) => resource.type));
    for (const type of REQUIRED_TYPES) expect(types.has(type), type).to.equal(true);
    expect([...types].filter((type) => /PolicyAttachment/.test(type))).to.deep.equal([]);
    expect(stdout).to.not.include("arn:aws:iam::aws:policy/");
  });

  it("names each resource's parent among the planned resources", () => {
    const names = new Set(plan.resources.map((resource) => resource.name));
    for (const resource of plan.resources) {
      if (resource.parent !== null) expect(names.has(resource.parent), resource.name).to.equal(true);
    }
  });

  it("uses realistic ARNs of the stack's account and region", () => {
    const table = plan.resources.find((resource) => resource.type === "aws:iam/rolePolicy:RolePolicy")!;
    expect(String(table.inputs.policy)).to.include(
      "arn:aws:dynamodb:eu-west-3:444455556666:table/bank-notif-prod-notifications",
    );
  });

  it("masks secrets and summarises archives as {kind, files, bytes}", () => {
    expect(stdout).to.not.include(MOCK_HASH_KEY);
    const version = plan.resources.find(
      (resource) => resource.type === "aws:secretsmanager/secretVersion:SecretVersion",
    )!;
    expect(version.inputs.secretString).to.equal(SECRET_PLACEHOLDER);
    for (const fn of plan.resources.filter((resource) => resource.type === "aws:lambda/function:Function")) {
      const code = fn.inputs.code as AssetSummary;
      expect(Object.keys(code)).to.deep.equal(["kind", "files", "bytes"]);
      expect(code.kind).to.equal("AssetArchive");
      expect(code.files).to.deep.equal(["index.js"]);
      expect(code.bytes).to.be.above(1000);
    }
  });

  it("prints a readable tree without --json, then a summary by AWS service and the stack outputs", async () => {
    const dev = await stackRun("dev");
    const text = formatPlan(
      { stack: "dev", resources: await Promise.all(dev.resources.map(plannedResource)) },
      dev.outputs,
    );
    const lines = text.split("\n");
    expect(lines[0]).to.equal(`Plan of stack dev: ${dev.resources.length} resources`);
    expect(lines).to.include("+ bank-notification-stack:index:BankNotificationStack notifications");
    expect(lines).to.include("  + aws:dynamodb/table:Table notifications-table");
    expect(lines).to.include("      name: bank-notif-dev-notifications");
    expect(text).to.match(/code: AssetArchive: \d+ entries, \d+\.\d MB/);
    expect(text).to.not.include(MOCK_HASH_KEY);

    const summary = /^Resources: (\d+) to create \((.+)\)$/.exec(
      lines.find((line) => line.startsWith("Resources:"))!,
    )!;
    expect(Number(summary[1])).to.equal(dev.resources.length);
    const groups = summary[2].split(", ").map((group) => group.split(" "));
    expect(groups.reduce((total, [, count]) => total + Number(count), 0)).to.equal(dev.resources.length);
    expect(summary[2])
      .to.include("lambda ")
      .and.include("dynamodb 1")
      .and.include("bank-notification-stack 1");
    const counts = groups.map(([, count]) => Number(count));
    expect(counts).to.deep.equal([...counts].sort((a, b) => b - a));

    expect(lines).to.include('  tableName: "bank-notif-dev-notifications"');
    expect(lines).to.include('  eventSource: "bank.core-banking.dev"');
    expect(text).to.match(/\n {2}apiUrl: "https:\/\/\w+\.execute-api\.eu-west-1\.amazonaws\.com\/v1"\n/);
  });

  it("explains itself with --help, and rejects an unknown argument with the usage", async () => {
    const plan = (args: string[]) =>
      run(process.execPath, ["--import=tsx", "tools/plan.ts", ...args], { cwd: REPO_ROOT });
    const help = await plan(["--help"]);
    expect(help.stdout).to.match(/^Usage: npm run plan -- --stack <stack> \[--json\]\n/);
    expect(help.stdout).to.include("the stack to plan: dev, prod");
    const refused = await plan(["--stack", "prod", "--yaml"]).then(
      () => expect.fail("an unknown argument was accepted"),
      (error: { code: number; stderr: string }) => error,
    );
    expect(refused.code).to.equal(2);
    expect(refused.stderr).to.match(/^Unknown argument "--yaml"\.\n\nUsage: npm run plan/);
  });
});
