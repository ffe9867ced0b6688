import { authorize, type Caller, type Decision, type NamedPolicy } from "./evaluator";
import { kmsRequestsFor } from "./kmsRequests";
import type { AccountScope, ActionRequest } from "./sdkRequests";
import { arnParts, type StackModel } from "./stackModel";

export interface CheckedRequest {
  request: ActionRequest;
  decision: Decision;
}

/**
 * Authorizes requests against a planned stack: the caller's identity policies, the policy of the
 * resource the request names (bucket, queue, key, topic, function, API), and, for a resource
 * encrypted with the stack's key, the KMS calls the service makes with the caller's credentials.
 */
export function createStackAuthorizer(model: StackModel, scope: AccountScope) {
  /** S3 ARNs carry no account: a bucket of the stack belongs to the stack's account. */
  const accountOf = (resource: string) => arnParts(resource).account || scope.accountId;

  async function check(
    caller: Caller,
    request: ActionRequest,
    identityPolicies: NamedPolicy[],
  ): Promise<Decision> {
    return authorize({
      caller,
      action: request.action,
      resource: request.resource,
      resourceAccount: accountOf(request.resource),
      context: request.context,
      identityPolicies,
      resourcePolicy: model.resourcePolicy(request.resource),
    });
  }

  return {
    check,

    /** The request and the KMS requests it brings about, each with its decision. */
    async checkWithKey(
      caller: Caller,
      request: ActionRequest,
      identityPolicies: NamedPolicy[],
    ): Promise<CheckedRequest[]> {
      const derived = kmsRequestsFor(request, model.encryptionKey(request.resource), scope);
      return Promise.all(
        [request, ...derived].map(async (each) => ({
          request: each,
          decision: await check(caller, each, identityPolicies),
        })),
      );
    },

    /** A Lambda function's execution role, as the caller its code and Lambda itself use. */
    functionCaller(functionName: string): { caller: Caller; policies: NamedPolicy[] } {
      const roleArn = model.functionRoleArn(functionName);
      return {
        caller: { kind: "role", roleArn, sessionName: functionName },
        policies: model.rolePolicies(roleArn),
      };
    },
  };
}
export type StackAuthorizer = ReturnType<typeof createStackAuthorizer>;
