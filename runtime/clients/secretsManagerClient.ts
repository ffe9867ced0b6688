import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";

export function createSecretsManagerClient(): SecretsManagerClient {
  return new SecretsManagerClient({});
}
