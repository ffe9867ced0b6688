import { expect } from "chai";
import { ofType, onlyOfType, parsePolicy, stackRun, type StackRun } from "../support/pulumiStacks";

describe("infra: the stack key (KMS)", function () {
  this.timeout(120_000);
  let dev: StackRun;
  let prod: StackRun;
  let keyArn: unknown;

  before(async () => {
    [dev, prod] = await Promise.all([stackRun("dev"), stackRun("prod")]);
    keyArn = onlyOfType(prod, "aws:kms/key:Key").state.arn;
  });

  it("is one customer-managed key with yearly rotation, and an alias", () => {
    const key = onlyOfType(prod, "aws:kms/key:Key");
    expect(key.inputs.enableKeyRotation).to.equal(true);
    expect(key.inputs.deletionWindowInDays).to.equal(30);
    expect(onlyOfType(dev, "aws:kms/key:Key").inputs.deletionWindowInDays).to.equal(7);
    expect(onlyOfType(prod, "aws:kms/alias:Alias").inputs.name).to.equal("alias/bank-notif-prod");
  });

  it("grants the account (for IAM policies) and exactly the services that encrypt for the stack", () => {
    const policy = parsePolicy(onlyOfType(prod, "aws:kms/key:Key").inputs.policy);
    const principals = policy.Statement.map((statement) => statement.Principal);
    expect(principals).to.deep.equal([
      { AWS: "arn:aws:iam::444455556666:root" },
      { Service: "logs.eu-west-3.amazonaws.com" },
      { Service: "events.amazonaws.com" },
      { Service: "events.amazonaws.com" },
      { Service: "events.amazonaws.com" },
      { Service: "sns.amazonaws.com" },
      { Service: "cloudwatch.amazonaws.com" },
    ]);
    for (const statement of policy.Statement) expect(statement.Effect).to.equal("Allow");
  });

  // Which service, acting for which resource, may use the key is evaluated in infra/iamEvaluation.spec.ts.

  it("lets every log group of the stack, and only those, use the key", () => {
    const logGroups = ofType(prod, "aws:cloudwatch/logGroup:LogGroup");
    expect(logGroups).to.have.length(5);
    for (const logGroup of logGroups) {
      expect(logGroup.inputs.kmsKeyId, logGroup.name).to.equal(keyArn);
      expect(String(logGroup.inputs.name)).to.match(/^\/bank-notif-prod\//);
    }
  });

  it("encrypts the table, the queues, the secret, the bucket, the bus, its archive and the alarm topic with the stack key", () => {
    for (const run of [dev, prod]) {
      const key = onlyOfType(run, "aws:kms/key:Key").state.arn;
      expect(onlyOfType(run, "aws:cloudwatch/eventBus:EventBus").inputs.kmsKeyIdentifier).to.equal(key);
      expect(onlyOfType(run, "aws:cloudwatch/eventArchive:EventArchive").inputs.kmsKeyIdentifier).to.equal(
        key,
      );
    }
    expect(onlyOfType(prod, "aws:dynamodb/table:Table").inputs.serverSideEncryption).to.deep.equal({
      enabled: true,
      kmsKeyArn: keyArn,
    });
    const queues = ofType(prod, "aws:sqs/queue:Queue");
    expect(queues).to.have.length(4);
    for (const queue of queues) expect(queue.inputs.kmsMasterKeyId, queue.name).to.equal(keyArn);
    expect(onlyOfType(prod, "aws:secretsmanager/secret:Secret").inputs.kmsKeyId).to.equal(keyArn);
    expect(onlyOfType(prod, "aws:sns/topic:Topic").inputs.kmsMasterKeyId).to.equal(keyArn);
    const encryption = onlyOfType(
      prod,
      "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration",
    );
    expect(encryption.inputs.rules).to.deep.equal([
      {
        applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: keyArn },
        bucketKeyEnabled: true,
      },
    ]);
  });
});
