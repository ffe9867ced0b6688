import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { MIN_HASH_KEY_LENGTH } from "../runtime/adapters/hashKeySecret";
import type { StackContext } from "./context";

/**
 * The key of the keyed hashes (account numbers, e-mail addresses), in Secrets Manager under the stack
 * key. The value comes from a Pulumi secret and stays one: it is in no output and in no archive; the
 * functions read it at run time by the secret's ARN.
 */
export function createHashKeySecret(ctx: StackContext, key: aws.kms.Key) {
  const { settings, names } = ctx;
  const secret = new aws.secretsmanager.Secret(
    `${ctx.name}-hash-key`,
    {
      name: names.secret,
      description: `Key of the keyed hashes of account numbers and addresses (${names.prefix})`,
      kmsKeyId: key.arn,
      recoveryWindowInDays: settings.secretRecoveryWindowDays,
      tags: settings.tags,
    },
    ctx.opts({ data: true }),
  );
  const value = pulumi.secret(settings.hashKey).apply((hashKey) => {
    if (typeof hashKey !== "string" || hashKey.length < MIN_HASH_KEY_LENGTH) {
      throw new Error(`BankNotificationStack: hashKey must hold at least ${MIN_HASH_KEY_LENGTH} characters`);
    }
    return hashKey;
  });
  const version = new aws.secretsmanager.SecretVersion(
    `${ctx.name}-hash-key`,
    { secretId: secret.id, secretString: value },
    ctx.opts({ data: true }),
  );
  return { secret, version };
}
