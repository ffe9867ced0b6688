import { createHash } from "node:crypto";
import { accountOfPrincipal, roleSessionArn } from "../iam/evaluator";
import type { LocalPrincipal } from "../cloud/types";

/**
 * Who called, as API Gateway reports an IAM-authorized caller (`$context.identity`): the ARN of the
 * caller (a role session's `assumed-role` ARN), its principal id (`<role id>:<session>` for a role
 * session, the user id for a user), its access key and its account.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html#context-variable-reference
 */
export interface CallerIdentity {
  userArn: string;
  /** The principal id, also reported as `user`. */
  caller: string;
  accessKey: string;
  accountId: string;
}

/**
 * IAM's unique id of a role or user (`AROA…`, `AIDA…`): the roles the local cloud signs for may
 * not be in the plan, so a stable stand-in derived from the ARN.
 */
function uniqueId(prefix: "AROA" | "AIDA", arn: string): string {
  return prefix + createHash("sha256").update(arn).digest("hex").slice(0, 17).toUpperCase();
}

export function callerIdentity(principal: LocalPrincipal): CallerIdentity {
  const { caller } = principal;
  switch (caller.kind) {
    case "role":
      return {
        userArn: roleSessionArn(caller.roleArn, caller.sessionName),
        caller: `${uniqueId("AROA", caller.roleArn)}:${caller.sessionName}`,
        accessKey: principal.accessKeyId,
        accountId: accountOfPrincipal(caller.roleArn) ?? "",
      };
    case "user":
      return {
        userArn: caller.userArn,
        caller: uniqueId("AIDA", caller.userArn),
        accessKey: principal.accessKeyId,
        accountId: accountOfPrincipal(caller.userArn) ?? "",
      };
    default:
      throw new Error(`${principal.name} holds credentials but is a ${caller.kind} principal`);
  }
}
