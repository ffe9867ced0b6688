import * as pulumi from "@pulumi/pulumi";

/** One IAM policy statement, in the JSON shape AWS reads. */
export interface PolicyStatement {
  Sid: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | { AWS?: string | string[]; Service?: string | string[] };
  Action: string | string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[] | boolean>>;
}

type Values = pulumi.Input<string> | pulumi.Input<string>[];

/** A statement whose ARNs, principals and condition values may still be outputs. */
export interface PolicyStatementInput {
  Sid: string;
  Effect: "Allow" | "Deny";
  Principal?: "*" | { AWS?: Values; Service?: Values };
  Action: string | string[];
  Resource: Values;
  Condition?: Record<string, Record<string, Values | boolean>>;
}

/** A policy document (JSON) from statements whose values may still be outputs. */
export function policyDocument(statements: PolicyStatementInput[]): pulumi.Output<string> {
  return pulumi
    .output(statements)
    .apply((resolved) => JSON.stringify({ Version: "2012-10-17", Statement: resolved as PolicyStatement[] }));
}

/** Trust policy of a role that only the given AWS service can assume. */
export function assumeRolePolicy(service: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [
      {
        Sid: "ServiceAssumesRole",
        Effect: "Allow",
        Principal: { Service: service },
        Action: "sts:AssumeRole",
      },
    ],
  });
}

/** Refuses requests that do not use TLS: the statement every resource policy of the stack starts with. */
export function denyInsecureTransport(action: string | string[], resource: Values): PolicyStatementInput {
  return {
    Sid: "DenyInsecureTransport",
    Effect: "Deny",
    Principal: "*",
    Action: action,
    Resource: resource,
    Condition: { Bool: { "aws:SecureTransport": "false" } },
  };
}

/**
 * PutEvents only with this source. `events:source` holds one value per entry (a multivalued key), so
 * every value must match, and the Null check refuses a request that carries none: `ForAllValues` alone
 * is true for an empty set. https://docs.aws.amazon.com/eventbridge/latest/userguide/policy-keys-eventbridge.html
 * https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-single-vs-multi-valued-context-keys.html
 */
export function eventSourceCondition(eventSource: string): NonNullable<PolicyStatementInput["Condition"]> {
  return {
    "ForAllValues:StringEquals": { "events:source": [eventSource] },
    Null: { "events:source": "false" },
  };
}
