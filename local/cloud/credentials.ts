import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import type { NamedPolicy } from "../iam/evaluator";
import type { StackModel } from "../iam/stackModel";
import type { CredentialStore, LocalPrincipal } from "./types";

/**
 * Credentials the local cloud issues: one access key per function (its execution role), and three
 * API callers: a producer and a customer administrator, each the first principal the stack names
 * with the access policy the stack offers it attached, and an outsider the API's resource policy
 * does not name, whose own policy would allow everything the API and the bus offer.
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

/** Keys are kept in `file` (when given) so that a restart keeps them. */
function loadKeys(file: string | undefined): IssuedKeys {
  return file && existsSync(file) ? (JSON.parse(readFileSync(file, "utf8")) as IssuedKeys) : {};
}

export interface CallerPrincipals {
  producerRoleArn?: string;
  customerAdminRoleArn?: string;
  accountId: string;
}

export function issueCredentials(
  model: StackModel,
  callers: CallerPrincipals,
  file?: string,
): CredentialStore {
  const keys = loadKeys(file);
  const principals: LocalPrincipal[] = [];
  const issue = (
    name: string,
    principal: Omit<LocalPrincipal, "name" | "accessKeyId" | "secretAccessKey">,
  ) => {
    keys[name] ??= newKey();
    principals.push({ name, ...keys[name], ...principal });
  };
  for (const fn of model.ofType("aws:lambda/function:Function")) {
    const functionName = String(fn.inputs.name);
    const roleArn = model.functionRoleArn(functionName);
    issue(functionName, {
      caller: { kind: "role", roleArn, sessionName: functionName },
      policies: model.rolePolicies(roleArn),
    });
  }
  const accessPolicy = (suffix: string): NamedPolicy[] =>
    model
      .ofType("aws:iam/policy:Policy")
      .filter((policy) => policy.name.endsWith(suffix))
      .map((policy) => ({
        name: String(policy.inputs.name),
        document: JSON.parse(String(policy.inputs.policy)),
      }));
  if (callers.producerRoleArn) {
    issue("producer", {
      caller: { kind: "role", roleArn: callers.producerRoleArn, sessionName: "local-producer" },
      policies: accessPolicy("-producer"),
    });
  }
  if (callers.customerAdminRoleArn) {
    issue("customerAdmin", {
      caller: { kind: "role", roleArn: callers.customerAdminRoleArn, sessionName: "local-customer-admin" },
      policies: accessPolicy("-customer-admin"),
    });
  }
  issue("outsider", {
    caller: {
      kind: "role",
      roleArn: `arn:aws:iam::${callers.accountId}:role/local-outsider`,
      sessionName: "local-outsider",
    },
    policies: [OUTSIDER_POLICY],
  });
  if (file) writeFileSync(file, JSON.stringify(keys, null, 2), { mode: 0o600 });
  return {
    byAccessKey: (accessKeyId) => principals.find((principal) => principal.accessKeyId === accessKeyId),
    byName: (name) => principals.find((principal) => principal.name === name),
    all: () => [...principals],
  };
}
