import { createHash } from "node:crypto";
import { createValidatedPolicy } from "@cloud-copilot/iam-policy";
import {
  anonymousPrincipal,
  getDenialReasons,
  getGrantReasons,
  runSimulation,
  runUnsafeSimulation,
  type RequestDenial,
  type RequestGrant,
} from "@cloud-copilot/iam-simulate";

/**
 * The one door to the IAM policy evaluator (@cloud-copilot/iam-simulate, AGPL-3.0: a devDependency,
 * used by the tests and the local cloud, never shipped). Everything else asks this module whether AWS
 * would allow a request, so the evaluator can be swapped here alone.
 *
 * How AWS decides, which the evaluator implements:
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
 */

export interface PolicyDocument {
  Version?: string;
  Statement: unknown[];
}

export interface NamedPolicy {
  name: string;
  document: PolicyDocument;
}

/** Who makes the request. */
export type Caller =
  /** A role session, as a Lambda function or a producer's workload calls AWS. */
  | { kind: "role"; roleArn: string; sessionName: string }
  | { kind: "user"; userArn: string }
  /** An AWS service acting for a resource of this account (EventBridge delivering for a rule). */
  | { kind: "service"; service: string; sourceArn?: string; sourceAccount?: string }
  | { kind: "anonymous" };

export interface AuthorizationRequest {
  caller: Caller;
  action: string;
  resource: string;
  /** The account owning the resource. */
  resourceAccount: string;
  /** Request-specific condition keys (`s3:x-amz-server-side-encryption`, `events:source`, …). */
  context?: Record<string, string | string[]>;
  /** Whether the request came over TLS (`aws:SecureTransport`); AWS SDKs always use TLS. */
  secureTransport?: boolean;
  identityPolicies: NamedPolicy[];
  resourcePolicy?: PolicyDocument;
}

export type EvaluationResult = "Allowed" | "ExplicitlyDenied" | "ImplicitlyDenied";

export interface Decision {
  result: EvaluationResult;
  allowed: boolean;
  /** `identity:<policy>#<Sid>` or `resource#<Sid>` of each statement that decided. */
  statements: string[];
  /** One line a person can act on, in the words AWS uses for AccessDenied. */
  message: string;
}

const ENCRYPTION_CONTEXT_PREFIX = "kms:EncryptionContext:";
const ACCOUNT_IN_ARN = /^arn:[^:]+:(?:iam|sts)::(\d{12}):/;

/** The account of an IAM or STS principal ARN. */
export function accountOfPrincipal(arn: string): string | undefined {
  return ACCOUNT_IN_ARN.exec(arn)?.[1];
}

/** The ARN AWS gives a role session: `arn:aws:sts::<account>:assumed-role/<role name>/<session>`. */
export function roleSessionArn(roleArn: string, sessionName: string): string {
  return `arn:aws:sts::${accountOfPrincipal(roleArn)}:assumed-role/${roleArn.split("/").pop()}/${sessionName}`;
}

function principalOf(caller: Caller): {
  principal: string | typeof anonymousPrincipal;
  context: Record<string, string>;
} {
  switch (caller.kind) {
    case "role": {
      const [, account] = ACCOUNT_IN_ARN.exec(caller.roleArn) ?? [];
      return {
        principal: roleSessionArn(caller.roleArn, caller.sessionName),
        // Global keys AWS sets for a role session; the evaluator does not derive them itself.
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalarn
        context: {
          "aws:PrincipalArn": caller.roleArn,
          "aws:PrincipalAccount": account,
          "aws:PrincipalType": "AssumedRole",
        },
      };
    }
    case "user": {
      const [, account] = ACCOUNT_IN_ARN.exec(caller.userArn) ?? [];
      return {
        principal: caller.userArn,
        context: {
          "aws:PrincipalArn": caller.userArn,
          "aws:PrincipalAccount": account,
          "aws:PrincipalType": "User",
        },
      };
    }
    case "service":
      return {
        principal: caller.service,
        // https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourcearn
        context: {
          "aws:PrincipalServiceName": caller.service,
          ...(caller.sourceArn ? { "aws:SourceArn": caller.sourceArn } : {}),
          ...(caller.sourceAccount ? { "aws:SourceAccount": caller.sourceAccount } : {}),
        },
      };
    case "anonymous":
      return { principal: anonymousPrincipal, context: {} };
  }
}

function callerName(caller: Caller): string {
  switch (caller.kind) {
    case "role":
      return `${caller.roleArn} (session ${caller.sessionName})`;
    case "user":
      return caller.userArn;
    case "service":
      return caller.service;
    case "anonymous":
      return "an anonymous caller";
  }
}

function statementName(reason: RequestDenial | RequestGrant): string {
  const sid =
    "statementId" in reason && reason.statementId
      ? reason.statementId
      : "statementIndex" in reason
        ? `statement ${reason.statementIndex}`
        : "";
  const policy = "policyIdentifier" in reason && reason.policyIdentifier ? `:${reason.policyIdentifier}` : "";
  return `${reason.policyType}${policy}${sid ? `#${sid}` : ""}`;
}

/**
 * Decisions already made, by the whole request: caller, action, resource, context and the text of
 * every policy. A decision depends on nothing else (no time or network condition keys are set), so
 * the same request decides the same way, and a policy changed by a fault or a test is a new key.
 * Bounded; the oldest entry goes first. It makes the local cloud's IAM evaluation, otherwise half of
 * its event loop under load, a hash lookup for the calls a function repeats.
 */
const decisions = new Map<string, Decision>();
const MAX_DECISIONS = 20_000;

function requestKey(request: AuthorizationRequest): string {
  return createHash("sha256").update(JSON.stringify(request)).digest("base64");
}

/** Whether AWS would allow the request, and which statements decided. */
export async function authorize(request: AuthorizationRequest): Promise<Decision> {
  const key = requestKey(request);
  const known = decisions.get(key);
  if (known) return known;
  const decision = Object.freeze(await evaluate(request));
  Object.freeze(decision.statements);
  if (decisions.size >= MAX_DECISIONS) decisions.delete(decisions.keys().next().value!);
  decisions.set(key, decision);
  return decision;
}

async function evaluate(request: AuthorizationRequest): Promise<Decision> {
  const { principal, context: principalContext } = principalOf(request.caller);
  const contextVariables: Record<string, string | string[]> = {
    ...principalContext,
    "aws:SecureTransport": String(request.secureTransport ?? true),
    ...request.context,
  };
  const simulation = {
    request: {
      principal,
      action: request.action,
      resource: { resource: request.resource, accountId: request.resourceAccount },
      contextVariables,
    },
    identityPolicies: request.identityPolicies.map(({ name, document }) => ({ name, policy: document })),
    serviceControlPolicies: [],
    resourceControlPolicies: [],
    ...(request.resourcePolicy ? { resourcePolicy: request.resourcePolicy } : {}),
  };
  // The checked run validates the action, the resource type and every condition key.
  const response = await runSimulation(simulation, {});
  if (response.resultType === "error") {
    throw new Error(
      `The IAM evaluator refused the request ${request.action} on ${request.resource}: ` +
        JSON.stringify(response.errors),
    );
  }
  if (response.resultType !== "single" || !response.result.analysis) {
    throw new Error(`The IAM evaluator could not evaluate ${request.action} on ${request.resource}`);
  }
  // A key it does not know for the action would be silently dropped: a mapping mistake, so fail.
  // It does not know the templated `kms:EncryptionContext:<key>` keys; the unchecked run below,
  // which takes the context as given, evaluates those.
  const ignored = response.result.ignoredContextKeys ?? [];
  const unknown = ignored.filter((key) => !key.startsWith(ENCRYPTION_CONTEXT_PREFIX));
  if (unknown.length > 0) {
    throw new Error(`${request.action} on ${request.resource} has no condition keys ${unknown.join(", ")}`);
  }
  const analysis = response.result.analysis;
  const result =
    ignored.length > 0
      ? runUnsafeSimulation(
          {
            ...simulation,
            // The unchecked run loads the resource policy without a name, then reads it: give one.
            ...(request.resourcePolicy
              ? {
                  resourcePolicy: createValidatedPolicy(request.resourcePolicy, () => [], {
                    name: "resource",
                  }),
                }
              : {}),
          },
          {},
        )
      : analysis.result;
  const allowed = result === "Allowed";
  // The checked run's analysis names the deciding statements; where the unchecked run decided
  // otherwise (an encryption-context condition), it cannot say which.
  const statements =
    result !== analysis.result
      ? ["statements conditioned on kms:EncryptionContext"]
      : (allowed ? getGrantReasons(analysis) : getDenialReasons(analysis)).map(statementName);
  const who = callerName(request.caller);
  const message = allowed
    ? `${who} may perform ${request.action} on ${request.resource} (${statements.join(", ")})`
    : `${who} is not authorized to perform ${request.action} on ${request.resource}` +
      (result === "ExplicitlyDenied"
        ? ` with an explicit deny in ${statements.join(", ")}`
        : ` because no policy allows it (${statements.join(", ") || "no applicable statement"})`);
  return { result, allowed, statements, message };
}
