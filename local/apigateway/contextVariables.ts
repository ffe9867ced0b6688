/**
 * API Gateway's `$context` variables, as gateway response templates and access log formats use them.
 * Only substitution is reproduced, not the Velocity Template Language: a template with a directive
 * (`#if`, `#set`, …), another variable family (`$util`, `$input`, …) or a `$context` variable the local
 * gateway does not fill is refused when the API starts, never rendered wrong.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-mapping-template-reference.html#context-variable-reference
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-variables-for-access-logging.html
 */
export const CONTEXT_VARIABLES = [
  "accountId",
  "apiId",
  "authenticate.error",
  "authenticate.status",
  "authorize.error",
  "authorize.status",
  "domainName",
  "domainPrefix",
  "error.message",
  "error.messageString",
  "error.responseType",
  "extendedRequestId",
  "httpMethod",
  "identity.accessKey",
  "identity.accountId",
  "identity.caller",
  "identity.sourceIp",
  "identity.user",
  "identity.userAgent",
  "identity.userArn",
  "identity.vpceId",
  "integration.error",
  "integration.latency",
  "integration.status",
  "integrationLatency",
  "integrationStatus",
  "path",
  "protocol",
  "requestId",
  "requestTime",
  "requestTimeEpoch",
  "resourceId",
  "resourcePath",
  "responseLatency",
  "responseLength",
  "stage",
  "status",
  "xrayTraceId",
] as const;
export type ContextVariable = (typeof CONTEXT_VARIABLES)[number];
export type ContextValues = Partial<Record<ContextVariable, string | number>>;

/** `$context.a.b` or `${context.a.b}`. */
const REFERENCE = /\$\{context((?:\.[A-Za-z]\w*)+)\}|\$context((?:\.[A-Za-z]\w*)+)/g;
const UNSUPPORTED =
  /#\{?(?:set|if|elseif|else|end|foreach|macro|parse|include|stop|break|evaluate|define)\b|\$!?\{?(?!context\b)[A-Za-z]/;

/** Why the local gateway cannot render this template, or undefined when it can. */
export function unsupportedInTemplate(template: string): string | undefined {
  const unknown = [...template.matchAll(REFERENCE)]
    .map((match) => (match[1] ?? match[2]).slice(1))
    .filter((name) => !(CONTEXT_VARIABLES as readonly string[]).includes(name));
  if (unknown.length > 0) return `it uses $context.${unknown.join(", $context.")}, which it does not fill`;
  const construct = UNSUPPORTED.exec(template.replace(REFERENCE, ""));
  return construct ? `it uses "${construct[0]}": only $context variables are rendered locally` : undefined;
}

/**
 * The template with each variable replaced by its value; `missing` stands for a value the request
 * does not have (access logs write `-`).
 */
export function renderContextTemplate(template: string, values: ContextValues, missing: string): string {
  return template.replace(REFERENCE, (_match, formal: string | undefined, informal: string | undefined) => {
    const value = values[(formal ?? informal)!.slice(1) as ContextVariable];
    return value === undefined || value === "" ? missing : String(value);
  });
}
