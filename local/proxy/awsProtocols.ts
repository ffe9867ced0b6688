import type { SdkCall } from "../iam/sdkRequests";
import type { ReceivedRequest } from "../sigv4/verifySignature";

/**
 * What SDK command an HTTP request to an AWS endpoint is, with the input the request carries, so
 * that it can be authorized with the same mapping as a command recorded from a client. Each
 * service's protocol says where the operation and its input are:
 * https://smithy.io/2.0/aws/protocols/index.html
 */
export type ProxiedService = "dynamodb" | "secretsmanager" | "sqs" | "ses" | "s3";

/** The SigV4 signing name of each proxied service. */
export const SIGNING_NAMES: Record<ProxiedService, string> = {
  dynamodb: "dynamodb",
  secretsmanager: "secretsmanager",
  sqs: "sqs",
  ses: "ses",
  s3: "s3",
};

function header(request: ReceivedRequest, name: string): string | undefined {
  const value = request.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

function jsonBody(request: ReceivedRequest): Record<string, unknown> {
  const text = request.body.toString("utf8");
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/** JSON 1.0/1.1 protocols: `X-Amz-Target: <Prefix>.<Operation>`, the input as the body. */
function awsJson(request: ReceivedRequest, client: string, prefix: string): SdkCall | undefined {
  const target = header(request, "x-amz-target") ?? "";
  if (!target.startsWith(`${prefix}.`)) return undefined;
  return { client, command: `${target.slice(prefix.length + 1)}Command`, input: jsonBody(request) };
}

/** SES v2 is REST-JSON: the operation is the method and the path. https://docs.aws.amazon.com/ses/latest/APIReference-V2/API_Operations.html */
function sesV2(request: ReceivedRequest): SdkCall | undefined {
  const path = request.url.split("?")[0];
  if (request.method === "POST" && path === "/v2/email/outbound-emails") {
    return { client: "SESv2Client", command: "SendEmailCommand", input: jsonBody(request) };
  }
  const template = /^\/v2\/email\/templates\/([^/]+)$/.exec(path);
  if (request.method === "GET" && template) {
    return {
      client: "SESv2Client",
      command: "GetEmailTemplateCommand",
      input: { TemplateName: decodeURIComponent(template[1]) },
    };
  }
  return undefined;
}

/** The S3 object operations, path-style (`/<bucket>/<key>`), with the headers IAM reads as condition keys. */
function s3(request: ReceivedRequest): SdkCall | undefined {
  const [rawPath, query = ""] = request.url.split(/\?(.*)/s);
  const [, bucket, ...keyParts] = rawPath.split("/");
  if (!bucket) return undefined;
  const key = keyParts.map(decodeURIComponent).join("/");
  const params = new URLSearchParams(query);
  const objectCommand: Record<string, string> = {
    PUT: "PutObject",
    GET: "GetObject",
    HEAD: "HeadObject",
    DELETE: "DeleteObject",
  };
  if (key && objectCommand[request.method] && ![...params.keys()].some((name) => name !== "x-id")) {
    const input: Record<string, unknown> = { Bucket: bucket, Key: key };
    const fromHeader: Record<string, string> = {
      ServerSideEncryption: "x-amz-server-side-encryption",
      SSEKMSKeyId: "x-amz-server-side-encryption-aws-kms-key-id",
      SSECustomerAlgorithm: "x-amz-server-side-encryption-customer-algorithm",
      IfNoneMatch: "if-none-match",
    };
    for (const [field, name] of Object.entries(fromHeader)) {
      const value = header(request, name);
      if (value !== undefined) input[field] = value;
    }
    return { client: "S3Client", command: `${objectCommand[request.method]}Command`, input };
  }
  if (!key && request.method === "GET" && params.get("list-type") === "2") {
    return { client: "S3Client", command: "ListObjectsV2Command", input: { Bucket: bucket } };
  }
  return undefined;
}

/** The command a request to the service is, or undefined when the local cloud cannot tell (it then refuses it). */
export function sdkCallOf(service: ProxiedService, request: ReceivedRequest): SdkCall | undefined {
  switch (service) {
    case "dynamodb":
      return awsJson(request, "DynamoDBClient", "DynamoDB_20120810");
    case "secretsmanager":
      return awsJson(request, "SecretsManagerClient", "secretsmanager");
    case "sqs":
      return awsJson(request, "SQSClient", "AmazonSQS");
    case "ses":
      return sesV2(request);
    case "s3":
      return s3(request);
  }
}
