import type { Decision } from "../iam/evaluator";
import type { StackAuthorizer } from "../iam/stackAuthorizer";

/**
 * API Gateway's own right to invoke a proxy integration's function: `lambda:InvokeFunction` by the
 * `apigateway.amazonaws.com` service principal, with `aws:SourceArn` the method's execute-api ARN,
 * against the function's resource-based policy (its Lambda permissions). Without it API Gateway
 * answers 500 "Internal server error" and logs "Invalid permissions on Lambda function".
 * https://docs.aws.amazon.com/lambda/latest/dg/services-apigateway.html#apigateway-permissions
 * https://repost.aws/knowledge-center/api-gateway-rest-api-lambda-integrations
 */
export function apiGatewayMayInvoke(
  authorizer: StackAuthorizer,
  functionArn: string,
  methodArn: string,
  accountId: string,
): Promise<Decision> {
  return authorizer.check(
    { kind: "service", service: "apigateway.amazonaws.com", sourceArn: methodArn, sourceAccount: accountId },
    { action: "lambda:InvokeFunction", resource: functionArn, context: {} },
    [],
  );
}
