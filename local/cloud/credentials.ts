import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { Caller, NamedPolicy } from "../iam/evaluator";
import type { StackModel } from "../iam/stackModel";
import type { CredentialStore, LocalPrincipal } from "./types";

/**
 * Credentials the local cloud issues: one access key per function (its execution role), and three
 * API callers: a producer and a customer administrator, each the first principal the stack names
 * with the access policy the stack offers it attached, and an outsider the API's resource policy
 * does not name, whose own policy would allow everything the API and the bus offer. A principal's
 * policies are read from the stack when a request is evaluated, so they are the graph's current ones.
 */
export interface IssuedKeys {
  [principalName: string]: { accessKeyId: string; secretAccessKey: string };
}

const OUTSIDER_POLICY: NamedPolicy = {
  name: "outsider-broad-access",
  document: {
    Version: "2012-10-17",
    Statement: [{ Effect: "Allow", Action: ["execute-api:Invoke", "events:PutEvents"], Resource: "*" }],
  },
};

function newKey(): { accessKeyId: string; secretAccessKey: string } {
  return {
    accessKeyId: `AKIALOCAL${randomBytes(6).toString("hex").toUpperCase()}`,
    secretAccessKey: randomBytes(30).toString("base64url"),
  };
}

export interface GrowingCredentialStore extends CredentialStore {
  /** Issues (or finds again) the key of a principal whose policies `policies()` reads when asked. */
  issue(name: string, caller: Caller, policies: () => NamedPolicy[]): LocalPrincipal;
}

/** A store whose keys are kept in `file` (when given), so that a restart keeps them. */
export function createCredentialStore(file?: string): GrowingCredentialStore {
  const keys: IssuedKeys =
    file && existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as IssuedKeys) : {};
  const principals: LocalPrincipal[] = [];
  return {
    issue(name, caller, policies) {
      const existing = principals.find((principal) => principal.name === name);
      if (existing) return existing;
      const issued = (keys[name] ??= newKey());
      const principal = { name, ...issued, caller } as LocalPrincipal;
      Object.defineProperty(principal, "policies", { get: policies, enumerable: true });
      principals.push(principal);
      if (file) writeFileSync(file, JSON.stringify(keys, null, 2), { mode: 0o600 });
      return principal;
    },
    byAccessKey: (accessKeyId) => principals.find((principal) => principal.accessKeyId === accessKeyId),
    byName: (name) => principals.find((principal) => principal.name === name),
    all: () => [...principals],
  };
}

export interface CallerPrincipals {
  producerRoleArn?: string;
  customerAdminRoleArn?: string;
  accountId: string;
}

/** The access policies the stack offers other teams, by the end of their Pulumi name. */
function accessPolicy(model: StackModel, suffix: string): NamedPolicy[] {
  return model
    .ofType("aws:iam/policy:Policy")
    .filter((policy) => policy.name.endsWith(suffix))
    .map((policy) => ({
      name: String(policy.inputs.name),
      document: JSON.parse(String(policy.inputs.policy)),
    }));
}

/** The producer, the customer administrator and the outsider. */
export function issueCallers(
  store: GrowingCredentialStore,
  model: StackModel,
  callers: CallerPrincipals,
): void {
  if (callers.producerRoleArn) {
    store.issue(
      "producer",
      { kind: "role", roleArn: callers.producerRoleArn, sessionName: "local-producer" },
      () => accessPolicy(model, "-producer"),
    );
  }
  if (callers.customerAdminRoleArn) {
    store.issue(
      "customerAdmin",
      { kind: "role", roleArn: callers.customerAdminRoleArn, sessionName: "local-customer-admin" },
      () => accessPolicy(model, "-customer-admin"),
    );
  }
  store.issue(
    "outsider",
    {
      kind: "role",
      roleArn: `arn:aws:iam::${callers.accountId}:role/local-outsider`,
      sessionName: "local-outsider",
    },
    () => [OUTSIDER_POLICY],
  );
}

/** A function's execution role, as the caller its code uses. */
export function issueFunction(
  store: GrowingCredentialStore,
  model: StackModel,
  functionName: string,
): LocalPrincipal {
  const roleArn = model.functionRoleArn(functionName);
  return store.issue(functionName, { kind: "role", roleArn, sessionName: functionName }, () =>
    model.rolePolicies(roleArn),
  );
}

/** Every principal at once, over a complete plan (for specs of a single service). */
export function issueCredentials(
  model: StackModel,
  callers: CallerPrincipals,
  file?: string,
): CredentialStore {
  const store = createCredentialStore(file);
  for (const fn of model.ofType("aws:lambda/function:Function"))
    issueFunction(store, model, String(fn.inputs.name));
  issueCallers(store, model, callers);
  return store;
}
