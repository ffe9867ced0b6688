import type { ProxiedService } from "./awsProtocols";

/**
 * An error answered the way the service's protocol carries it, so that the AWS SDK raises the
 * exception of that name: JSON protocols put `__type` in the body, REST-JSON the
 * `x-amzn-ErrorType` header, S3 an XML `<Error>` document.
 * https://smithy.io/2.0/aws/protocols/aws-json-1_1-protocol.html#operation-error-serialization
 * https://docs.aws.amazon.com/AmazonS3/latest/API/ErrorResponses.html
 */
export interface ErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type AwsErrorCode =
  | "AccessDenied"
  | "MissingAuthenticationToken"
  | "IncompleteSignature"
  | "InvalidSignature"
  | "SignatureExpired"
  | "UnrecognizedClient";

/** How S3 and the JSON services name each failure. */
const NAMES: Record<AwsErrorCode, { json: string; s3: string }> = {
  AccessDenied: { json: "AccessDeniedException", s3: "AccessDenied" },
  MissingAuthenticationToken: { json: "MissingAuthenticationTokenException", s3: "AccessDenied" },
  IncompleteSignature: { json: "IncompleteSignatureException", s3: "AuthorizationHeaderMalformed" },
  InvalidSignature: { json: "InvalidSignatureException", s3: "SignatureDoesNotMatch" },
  SignatureExpired: { json: "InvalidSignatureException", s3: "RequestTimeTooSkewed" },
  UnrecognizedClient: { json: "UnrecognizedClientException", s3: "InvalidAccessKeyId" },
};

function escapeXml(text: string): string {
  return text.replace(/[<>&'"]/g, (character) => `&#${character.charCodeAt(0)};`);
}

export function awsErrorResponse(
  service: ProxiedService,
  code: AwsErrorCode,
  message: string,
  requestId: string,
): ErrorResponse {
  const name = NAMES[code];
  if (service === "s3") {
    return {
      status: 403,
      headers: { "content-type": "application/xml", "x-amz-request-id": requestId },
      body:
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${name.s3}</Code>` +
        `<Message>${escapeXml(message)}</Message><RequestId>${requestId}</RequestId></Error>`,
    };
  }
  if (service === "ses") {
    return {
      status: 403,
      headers: {
        "content-type": "application/json",
        "x-amzn-errortype": name.json,
        "x-amzn-requestid": requestId,
      },
      body: JSON.stringify({ message }),
    };
  }
  return {
    status: 400,
    headers: {
      "content-type": service === "dynamodb" ? "application/x-amz-json-1.0" : "application/x-amz-json-1.1",
      "x-amzn-requestid": requestId,
    },
    body: JSON.stringify({ __type: `com.amazon.coral.service#${name.json}`, message }),
  };
}

/** Any AWS error, in the service's protocol (an injected fault: throttling, unavailability). */
export function faultResponse(
  service: ProxiedService,
  status: number,
  code: string,
  message: string,
  requestId: string,
): ErrorResponse {
  if (service === "s3") {
    return {
      status,
      headers: { "content-type": "application/xml", "x-amz-request-id": requestId },
      body:
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${escapeXml(code)}</Code>` +
        `<Message>${escapeXml(message)}</Message><RequestId>${requestId}</RequestId></Error>`,
    };
  }
  if (service === "ses") {
    return {
      status,
      headers: {
        "content-type": "application/json",
        "x-amzn-errortype": code,
        "x-amzn-requestid": requestId,
      },
      body: JSON.stringify({ message }),
    };
  }
  return {
    status,
    headers: {
      "content-type": service === "dynamodb" ? "application/x-amz-json-1.0" : "application/x-amz-json-1.1",
      "x-amzn-requestid": requestId,
    },
    body: JSON.stringify({ __type: `com.amazonaws.${service}#${code}`, message }),
  };
}
