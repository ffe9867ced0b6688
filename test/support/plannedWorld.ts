import { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { CreateBucketCommand, PutObjectLockConfigurationCommand, S3Client } from "@aws-sdk/client-s3";
import { SESv2Client } from "@aws-sdk/client-sesv2";
import { createTableFromDesign, uploadTemplates } from "../../local/bootstrap";
import type { LocalServices } from "../../local/localServices";
import { ENVIRONMENT } from "../../runtime/config/environment";
import { MOCK_HASH_KEY } from "../../local/pulumi/pulumiMocks";
import { ofType, onlyOfType, stackRun, type StackName, type StackRun } from "./pulumiStacks";
import { useLocalServices } from "./sharedServices";

/** The slugs the component gives its functions, which are their SERVICE_NAME. */
export type FunctionSlug = "operations-api" | "customers-api" | "notify" | "ses-feedback";

export interface PlannedWorld {
  run: StackRun;
  services: LocalServices;
  /** The environment variables the plan gives the function whose SERVICE_NAME is `slug`. */
  environment(slug: FunctionSlug): Record<string, string>;
}

function environmentOf(run: StackRun, slug: FunctionSlug): Record<string, string> {
  const fn = ofType(run, "aws:lambda/function:Function").find(
    (candidate) =>
      (candidate.inputs.environment as { variables: Record<string, string> }).variables[
        ENVIRONMENT.serviceName
      ] === slug,
  );
  if (!fn) throw new Error(`${run.stack} has no function ${slug}`);
  return (fn.inputs.environment as { variables: Record<string, string> }).variables;
}

/** The evidence bucket as the plan configures it: Object Lock at creation, then its default retention. */
async function createEvidenceBucket(run: StackRun, name: string): Promise<void> {
  const s3 = new S3Client({ requestChecksumCalculation: "WHEN_REQUIRED" });
  const bucket = onlyOfType(run, "aws:s3/bucket:Bucket").inputs;
  await s3.send(
    new CreateBucketCommand({ Bucket: name, ObjectLockEnabledForBucket: bucket.objectLockEnabled === true }),
  );
  for (const lock of ofType(run, "aws:s3/bucketObjectLockConfiguration:BucketObjectLockConfiguration")) {
    const { mode, days } = (
      lock.inputs.rule as { defaultRetention: { mode: "COMPLIANCE" | "GOVERNANCE"; days: number } }
    ).defaultRetention;
    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: name,
        ObjectLockConfiguration: {
          ObjectLockEnabled: "Enabled",
          Rule: { DefaultRetention: { Mode: mode, Days: days } },
        },
      }),
    );
  }
}

const worlds = new Map<StackName, Promise<PlannedWorld>>();

/**
 * What a stack's functions name in their environment, created on the local services under the plan's
 * own names, once per test process: the table, the evidence bucket (with the plan's Object Lock
 * settings), the hash-key secret and the SES templates. Specs that run handlers with the plan's
 * environment share it; each keeps to its own customers and operations.
 */
export function plannedWorld(stack: StackName): Promise<PlannedWorld> {
  if (!worlds.has(stack)) {
    worlds.set(
      stack,
      (async () => {
        const [run, services] = await Promise.all([stackRun(stack), useLocalServices()]);
        const notify = environmentOf(run, "notify");
        await createTableFromDesign(new DynamoDBClient({}), notify[ENVIRONMENT.tableName]);
        await createEvidenceBucket(run, notify[ENVIRONMENT.evidenceBucket]);
        services.secrets[notify[ENVIRONMENT.hashKeySecretId]] = MOCK_HASH_KEY;
        // The SES emulator keeps one store per process: a local cloud started in this process may
        // already hold the plan's templates, with the same content.
        await uploadTemplates(new SESv2Client({}), notify[ENVIRONMENT.templatePrefix]).catch(
          (error: Error) => {
            if (!/already exists/i.test(error.message)) throw error;
          },
        );
        return { run, services, environment: (slug: FunctionSlug) => environmentOf(run, slug) };
      })(),
    );
  }
  return worlds.get(stack)!;
}
