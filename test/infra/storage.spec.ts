import { expect } from "chai";
import { evidenceKey } from "../../runtime/domain/evidence";
import { KEY_ATTRIBUTES, TABLE_DESIGN } from "../../runtime/domain/tableDesign";
import {
  componentRun,
  onlyOfType,
  ofType,
  parsePolicy,
  stackRun,
  type StackRun,
} from "../support/pulumiStacks";

describe("infra: storage (DynamoDB table, evidence bucket)", function () {
  this.timeout(120_000);
  let dev: StackRun;
  let prod: StackRun;

  before(async () => {
    [dev, prod] = await Promise.all([stackRun("dev"), stackRun("prod")]);
  });

  describe("the table", () => {
    it("is declared from the runtime's key names: string keys, the three indexes, TTL", () => {
      const table = onlyOfType(prod, "aws:dynamodb/table:Table").inputs;
      expect(table.hashKey).to.equal(TABLE_DESIGN.partitionKey);
      expect(table.rangeKey).to.equal(TABLE_DESIGN.sortKey);
      expect(table.attributes).to.have.deep.members(KEY_ATTRIBUTES.map((name) => ({ name, type: "S" })));
      const indexes = table.globalSecondaryIndexes as { name: string; keySchemas: unknown }[];
      expect(indexes.map(({ name, keySchemas }) => ({ name, keySchemas }))).to.have.deep.members(
        Object.values(TABLE_DESIGN.indexes).map((index) => ({
          name: index.name,
          keySchemas: [
            { attributeName: index.partitionKey, keyType: "HASH" },
            ...("sortKey" in index ? [{ attributeName: index.sortKey, keyType: "RANGE" }] : []),
          ],
        })),
      );
      expect(table.ttl).to.deep.equal({ attributeName: TABLE_DESIGN.timeToLiveAttribute, enabled: true });
    });

    it("projects into each index only what its query reads, so status changes rewrite no index entry", () => {
      const indexes = onlyOfType(prod, "aws:dynamodb/table:Table").inputs.globalSecondaryIndexes as {
        name: string;
        projectionType: string;
        nonKeyAttributes?: string[];
      }[];
      const projections = Object.fromEntries(
        indexes.map(({ name, projectionType, nonKeyAttributes }) => [
          name,
          { projectionType, ...(nonKeyAttributes ? { nonKeyAttributes } : {}) },
        ]),
      );
      expect(projections).to.deep.equal({
        byCustomer: { projectionType: "KEYS_ONLY" },
        bySesMessageId: { projectionType: "INCLUDE", nonKeyAttributes: ["operationId", "notificationKind"] },
        byFailure: {
          projectionType: "INCLUDE",
          nonKeyAttributes: [
            "operationId",
            "notificationKind",
            "status",
            "reason",
            "updatedAt",
            "sesMessageId",
          ],
        },
      });
    });

    it("is on-demand with point-in-time recovery", () => {
      const table = onlyOfType(prod, "aws:dynamodb/table:Table").inputs;
      expect(table.billingMode).to.equal("PAY_PER_REQUEST");
      expect(table.pointInTimeRecovery).to.deep.equal({ enabled: true });
    });

    it("has deletion protection in prod, not in dev (the stack config opts out)", () => {
      expect(onlyOfType(prod, "aws:dynamodb/table:Table").inputs.deletionProtectionEnabled).to.equal(true);
      expect(onlyOfType(dev, "aws:dynamodb/table:Table").inputs.deletionProtectionEnabled).to.equal(false);
    });
  });

  describe("the evidence bucket", () => {
    it("is named for the stack, account and region", () => {
      expect(onlyOfType(prod, "aws:s3/bucket:Bucket").inputs.bucket).to.equal(
        "bank-notif-prod-evidence-444455556666-eu-west-3",
      );
    });

    it("blocks every form of public access and enforces bucket ownership", () => {
      expect(onlyOfType(prod, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock").inputs).to.include({
        blockPublicAcls: true,
        blockPublicPolicy: true,
        ignorePublicAcls: true,
        restrictPublicBuckets: true,
      });
      expect(
        onlyOfType(prod, "aws:s3/bucketOwnershipControls:BucketOwnershipControls").inputs.rule,
      ).to.deep.equal({
        objectOwnership: "BucketOwnerEnforced",
      });
    });

    // What the bucket policy allows and refuses is evaluated against the uploads notify really sends
    // (infra/iamEvaluation.spec.ts): wording checks cannot tell a policy that denies every write.
    it("is versioned and refuses requests without TLS", () => {
      expect(
        onlyOfType(prod, "aws:s3/bucketVersioning:BucketVersioning").inputs.versioningConfiguration,
      ).to.deep.equal({
        status: "Enabled",
      });
      const bucketArn = onlyOfType(prod, "aws:s3/bucket:Bucket").state.arn;
      const [tls] = parsePolicy(onlyOfType(prod, "aws:s3/bucketPolicy:BucketPolicy").inputs.policy).Statement;
      expect(tls).to.deep.equal({
        Sid: "DenyInsecureTransport",
        Effect: "Deny",
        Principal: "*",
        Action: "s3:*",
        Resource: [bucketArn, `${bucketArn}/*`],
        Condition: { Bool: { "aws:SecureTransport": "false" } },
      });
    });

    it("keeps evidence write-once under Object Lock in prod for the retention period, then expires it", () => {
      expect(onlyOfType(prod, "aws:s3/bucket:Bucket").inputs.objectLockEnabled).to.equal(true);
      const lock = onlyOfType(
        prod,
        "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration",
      ).inputs;
      expect(lock.rule).to.deep.equal({ defaultRetention: { mode: "COMPLIANCE", days: 3653 } });
      const [rule] = onlyOfType(prod, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
        .inputs.rules as Record<string, unknown>[];
      expect(rule.filter).to.deep.equal({ prefix: "evidence/" });
      expect(rule.expiration).to.deep.equal({ days: 3653 });
    });

    it("has no Object Lock in dev, which the stack config opts out of, and a short retention", () => {
      expect(onlyOfType(dev, "aws:s3/bucket:Bucket").inputs.objectLockEnabled).to.equal(false);
      expect(
        ofType(dev, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration"),
      ).to.have.length(0);
      const [rule] = onlyOfType(dev, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
        .inputs.rules as Record<string, unknown>[];
      expect(rule.expiration).to.deep.equal({ days: 30 });
    });

    it("can be emptied by a destroy in dev, never in prod", () => {
      expect(onlyOfType(dev, "aws:s3/bucket:Bucket").inputs.forceDestroy).to.equal(true);
      expect(onlyOfType(prod, "aws:s3/bucket:Bucket").inputs.forceDestroy).to.equal(false);
    });

    it("is emptied by a destroy only when the stack neither protects its data nor locks the evidence", async () => {
      const cases: [{ protect: boolean; evidenceObjectLock: boolean }, boolean][] = [
        [{ protect: false, evidenceObjectLock: false }, true],
        [{ protect: false, evidenceObjectLock: true }, false],
        [{ protect: true, evidenceObjectLock: false }, false],
      ];
      for (const [overrides, forceDestroy] of cases) {
        const run = await componentRun({ overrides });
        expect(
          onlyOfType(run, "aws:s3/bucket:Bucket").inputs.forceDestroy,
          JSON.stringify(overrides),
        ).to.equal(forceDestroy);
      }
      expect(
        onlyOfType(await componentRun(), "aws:s3/bucket:Bucket").inputs.forceDestroy,
        "defaults",
      ).to.equal(false);
    });

    it("expires exactly the keys the notify handler writes", () => {
      const key = evidenceKey({ operationId: "op-1", notificationKind: "deposit", sesMessageId: "ses-1" });
      for (const run of [dev, prod]) {
        const [rule] = onlyOfType(run, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")
          .inputs.rules as { filter: { prefix: string } }[];
        expect(key.startsWith(rule.filter.prefix), run.stack).to.equal(true);
      }
    });
  });
});
