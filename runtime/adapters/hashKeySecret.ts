import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { ERROR_CODES, domainError } from "../domain/errors";
import { callAws } from "./awsErrors";

export const MIN_HASH_KEY_LENGTH = 32;

/** The key behind the keyed hashes of account numbers and addresses, read once per container. */
export function createHashKeySecret(secretsManager: SecretsManagerClient, secretId: string) {
  let cached: Promise<string> | undefined;
  async function load(): Promise<string> {
    const result = await callAws("Secrets Manager GetSecretValue", () =>
      secretsManager.send(new GetSecretValueCommand({ SecretId: secretId })),
    );
    const key = result.SecretString ?? "";
    if (key.length < MIN_HASH_KEY_LENGTH) {
      throw domainError(
        ERROR_CODES.configuration,
        `The hash key secret must hold at least ${MIN_HASH_KEY_LENGTH} characters`,
      );
    }
    return key;
  }
  return {
    get(): Promise<string> {
      if (!cached) {
        cached = load().catch((error) => {
          cached = undefined;
          throw error;
        });
      }
      return cached;
    },
  };
}
export type HashKeySecret = ReturnType<typeof createHashKeySecret>;
