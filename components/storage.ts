import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { KEY_ATTRIBUTES, TABLE_DESIGN } from "../runtime/domain/tableDesign";
import type { StackContext } from "./context";
import { denyInsecureTransport, policyDocument } from "./iam";

/** Key prefix of the evidence objects the notify function writes (see the runtime's `evidenceKey`). */
import { EVIDENCE_PREFIX } from "../runtime/domain/evidence";

/** The runtime's single table, declared from the key names the runtime itself uses. */
export function createTable(ctx: StackContext, key: aws.kms.Key) {
  const { settings, names } = ctx;
  const keySchema = (partitionKey: string, sortKey?: string) => [
    { attributeName: partitionKey, keyType: "HASH" },
    ...(sortKey ? [{ attributeName: sortKey, keyType: "RANGE" }] : []),
  ];
  return new aws.dynamodb.Table(
    `${ctx.name}-table`,
    {
      name: names.table,
      billingMode: "PAY_PER_REQUEST",
      hashKey: TABLE_DESIGN.partitionKey,
      rangeKey: TABLE_DESIGN.sortKey,
      attributes: KEY_ATTRIBUTES.map((name) => ({ name, type: "S" })),
      globalSecondaryIndexes: Object.values(TABLE_DESIGN.indexes).map((index) => ({
        name: index.name,
        keySchemas: keySchema(index.partitionKey, "sortKey" in index ? index.sortKey : undefined),
        projectionType: index.projection.type,
        ...("attributes" in index.projection ? { nonKeyAttributes: [...index.projection.attributes] } : {}),
      })),
      ttl: { attributeName: TABLE_DESIGN.timeToLiveAttribute, enabled: true },
      pointInTimeRecovery: { enabled: true },
      serverSideEncryption: { enabled: true, kmsKeyArn: key.arn },
      deletionProtectionEnabled: settings.protect,
      tags: settings.tags,
    },
    ctx.opts({ data: true }),
  );
}

/**
 * Whether destroying the stack may empty the evidence bucket first. S3 only deletes an empty bucket,
 * and a versioned bucket is empty only once every version is gone
 * (https://docs.aws.amazon.com/AmazonS3/latest/userguide/delete-bucket.html), so without this a
 * disposable stack cannot be destroyed. Never while the stack protects its data, and never under
 * Object Lock, whose retained versions nobody may delete before their date.
 */
function evidenceBucketForceDestroy(settings: { protect: boolean; evidenceObjectLock: boolean }): boolean {
  return !settings.protect && !settings.evidenceObjectLock;
}

/**
 * The evidence bucket: private, owner-enforced, versioned, KMS-encrypted with a bucket key, TLS only,
 * write-once under Object Lock unless the stack opts out, and expiring after the retention period.
 */
export function createEvidenceBucket(ctx: StackContext, key: aws.kms.Key) {
  const { settings, names } = ctx;
  const bucketName = pulumi
    .all([ctx.accountId, ctx.region])
    .apply(([accountId, region]) => names.evidenceBucket(accountId, region));
  const bucket = new aws.s3.Bucket(
    `${ctx.name}-evidence`,
    {
      bucket: bucketName,
      objectLockEnabled: settings.evidenceObjectLock,
      forceDestroy: evidenceBucketForceDestroy(settings),
      tags: settings.tags,
    },
    ctx.opts({ data: true }),
  );
  const publicAccessBlock = new aws.s3.BucketPublicAccessBlock(
    `${ctx.name}-evidence`,
    {
      bucket: bucket.id,
      blockPublicAcls: true,
      blockPublicPolicy: true,
      ignorePublicAcls: true,
      restrictPublicBuckets: true,
    },
    ctx.opts(),
  );
  const ownership = new aws.s3.BucketOwnershipControls(
    `${ctx.name}-evidence`,
    { bucket: bucket.id, rule: { objectOwnership: "BucketOwnerEnforced" } },
    ctx.opts(),
  );
  const versioning = new aws.s3.BucketVersioning(
    `${ctx.name}-evidence`,
    { bucket: bucket.id, versioningConfiguration: { status: "Enabled" } },
    ctx.opts(),
  );
  const encryption = new aws.s3.BucketServerSideEncryptionConfiguration(
    `${ctx.name}-evidence`,
    {
      bucket: bucket.id,
      rules: [
        {
          applyServerSideEncryptionByDefault: { sseAlgorithm: "aws:kms", kmsMasterKeyId: key.arn },
          bucketKeyEnabled: true,
        },
      ],
    },
    ctx.opts(),
  );
  const policy = new aws.s3.BucketPolicy(
    `${ctx.name}-evidence`,
    {
      bucket: bucket.id,
      policy: policyDocument([
        denyInsecureTransport("s3:*", [bucket.arn, pulumi.interpolate`${bucket.arn}/*`]),
        // Each deny fires only when its header is present and wrong: a condition on a key the request
        // lacks is true for `StringNotEquals` and `StringNotEqualsIfExists` alike, so without the Null
        // check every upload relying on the bucket's default encryption (the stack key) is denied.
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Null
        // https://docs.aws.amazon.com/AmazonS3/latest/userguide/specifying-kms-encryption.html
        {
          Sid: "DenyObjectsEncryptedWithAnotherKey",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:PutObject",
          Resource: pulumi.interpolate`${bucket.arn}/*`,
          Condition: {
            StringNotEquals: { "s3:x-amz-server-side-encryption-aws-kms-key-id": key.arn },
            Null: { "s3:x-amz-server-side-encryption-aws-kms-key-id": "false" },
          },
        },
        {
          Sid: "DenyObjectsEncryptedOtherThanWithKms",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:PutObject",
          Resource: pulumi.interpolate`${bucket.arn}/*`,
          Condition: {
            StringNotEquals: { "s3:x-amz-server-side-encryption": "aws:kms" },
            Null: { "s3:x-amz-server-side-encryption": "false" },
          },
        },
        {
          // A customer-provided key (SSE-C) sends neither header above; S3 would hold data the stack key cannot read.
          Sid: "DenyObjectsWithCustomerProvidedKeys",
          Effect: "Deny",
          Principal: "*",
          Action: "s3:PutObject",
          Resource: pulumi.interpolate`${bucket.arn}/*`,
          Condition: { Null: { "s3:x-amz-server-side-encryption-customer-algorithm": "false" } },
        },
      ]),
    },
    ctx.opts({ dependsOn: [publicAccessBlock] }),
  );
  const lifecycle = new aws.s3.BucketLifecycleConfiguration(
    `${ctx.name}-evidence`,
    {
      bucket: bucket.id,
      rules: [
        {
          id: "expire-evidence-after-retention",
          status: "Enabled",
          filter: { prefix: EVIDENCE_PREFIX },
          expiration: { days: settings.evidenceRetentionDays },
          noncurrentVersionExpiration: { noncurrentDays: 30 },
          abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
        },
      ],
    },
    ctx.opts({ dependsOn: [versioning] }),
  );
  const objectLock = settings.evidenceObjectLock
    ? new aws.s3.BucketObjectLockConfiguration(
        `${ctx.name}-evidence`,
        {
          bucket: bucket.id,
          objectLockEnabled: "Enabled",
          rule: {
            defaultRetention: { mode: settings.evidenceObjectLockMode, days: settings.evidenceRetentionDays },
          },
        },
        ctx.opts({ dependsOn: [versioning] }),
      )
    : undefined;
  return { bucket, publicAccessBlock, ownership, versioning, encryption, policy, lifecycle, objectLock };
}
