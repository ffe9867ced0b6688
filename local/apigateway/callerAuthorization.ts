import type { CredentialStore, LocalPrincipal } from "../cloud/types";
import type { StackAuthorizer } from "../iam/stackAuthorizer";
import { verifySignature, type ReceivedRequest } from "../sigv4/verifySignature";
import { callerIdentity, type CallerIdentity } from "./callerIdentity";
import { GATEWAY_ERRORS, type GatewayError } from "./gatewayResponses";

/**
 * AWS_IAM authorization of an API request: the SigV4 signature (service `execute-api`) must verify
 * with a key the local cloud issued, then `execute-api:Invoke` on the method's ARN is evaluated with
 * the caller's identity policies and the API's resource policy (in one account either may allow,
 * an explicit deny in either wins).
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/apigateway-authorization-flow.html
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-control-access-using-iam-policies-to-invoke-api.html
 */
export type CallerAuthorization =
  | { ok: true; principal: LocalPrincipal; identity: CallerIdentity; statements: string[] }
  | {
      ok: false;
      error: GatewayError;
      /** Set once the signature verified. */
      identity?: CallerIdentity;
      /** Why, for the log: the verifier's or the evaluator's words, with the deciding statements. */
      reason: string;
      statements: string[];
    };

export interface CallerAuthorizationOptions {
  region: string;
  credentials: CredentialStore;
  authorizer: StackAuthorizer;
  now: () => number;
}

export async function authorizeCaller(
  request: ReceivedRequest,
  /** `arn:aws:execute-api:<region>:<account>:<api id>/<stage>/<METHOD>/<path>` */
  methodArn: string,
  sourceIp: string,
  options: CallerAuthorizationOptions,
): Promise<CallerAuthorization> {
  const verified = await verifySignature(request, {
    service: "execute-api",
    region: options.region,
    principalOf: (accessKeyId) => options.credentials.byAccessKey(accessKeyId),
    now: options.now,
  });
  if (!verified.ok) {
    return {
      ok: false,
      error:
        verified.code === "MissingAuthenticationToken"
          ? GATEWAY_ERRORS.missingAuthenticationToken()
          : GATEWAY_ERRORS.invalidSignature(verified.message),
      reason: `${verified.code}: ${verified.message}`,
      statements: [],
    };
  }
  const { principal } = verified;
  const identity = callerIdentity(principal);
  const decision = await options.authorizer.check(
    principal.caller,
    // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceip
    { action: "execute-api:Invoke", resource: methodArn, context: { "aws:SourceIp": sourceIp } },
    principal.policies,
  );
  if (!decision.allowed) {
    const explicit = decision.result === "ExplicitlyDenied" ? " with an explicit deny" : "";
    return {
      ok: false,
      error: GATEWAY_ERRORS.accessDenied(
        `User: ${identity.userArn} is not authorized to perform: execute-api:Invoke on resource: ${methodArn}${explicit}`,
      ),
      identity,
      reason: decision.message,
      statements: decision.statements,
    };
  }
  return { ok: true, principal, identity, statements: decision.statements };
}
