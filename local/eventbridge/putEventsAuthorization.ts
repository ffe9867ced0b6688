import type { LocalPrincipal } from "../cloud/types";
import type { Caller, Decision } from "../iam/evaluator";
import { iamRequestsOf, type AccountScope } from "../iam/sdkRequests";
import type { StackAuthorizer } from "../iam/stackAuthorizer";
import type { PutEventsRequestEntry } from "./putEventsRequest";

/**
 * Whether the caller may put these entries: `events:PutEvents` on each bus they name, with
 * `events:source` and `events:detail-type` holding the values of all the bus's entries (multivalued
 * keys: https://docs.aws.amazon.com/eventbridge/latest/userguide/policy-keys-eventbridge.html).
 * One refused bus refuses the whole request with AccessDeniedException, worded as AWS words it
 * (https://docs.aws.amazon.com/IAM/latest/UserGuide/troubleshoot_access-denied.html).
 */
export type PutEventsAuthorization =
  { allowed: true } | { allowed: false; message: string; decision: Decision };

/** The ARN AWS names a caller by in an AccessDenied message. */
function callerArn(caller: Caller): string {
  switch (caller.kind) {
    case "role": {
      const [, partition, , , account] = caller.roleArn.split(":");
      return `arn:${partition}:sts::${account}:assumed-role/${caller.roleArn.split("/").pop()}/${caller.sessionName}`;
    }
    case "user":
      return caller.userArn;
    case "service":
      return caller.service;
    case "anonymous":
      return "anonymous";
  }
}

function reason(decision: Decision): string {
  if (decision.result !== "ExplicitlyDenied")
    return "because no identity-based policy allows the events:PutEvents action";
  const resourceSide = decision.statements.some((statement) => statement.startsWith("resource"));
  return `with an explicit deny in ${resourceSide ? "a resource-based policy" : "an identity-based policy"}`;
}

export async function authorizePutEvents(
  authorizer: StackAuthorizer,
  scope: AccountScope,
  principal: LocalPrincipal,
  entries: PutEventsRequestEntry[],
): Promise<PutEventsAuthorization> {
  const requests = iamRequestsOf(
    { client: "EventBridgeClient", command: "PutEventsCommand", input: { Entries: entries } },
    scope,
    () => {
      throw new Error("PutEvents names no SES identity");
    },
  );
  for (const request of requests) {
    const decision = await authorizer.check(principal.caller, request, principal.policies);
    if (!decision.allowed) {
      return {
        allowed: false,
        decision,
        message: `User: ${callerArn(principal.caller)} is not authorized to perform: events:PutEvents on resource: ${request.resource} ${reason(decision)}`,
      };
    }
  }
  return { allowed: true };
}
