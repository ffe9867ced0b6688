import { expect } from "chai";
import { mapAwsError } from "../../runtime/adapters/awsErrors";

function awsError(name: string, status?: number, extra: Record<string, unknown> = {}) {
  return Object.assign(new Error(`${name} happened`), {
    name,
    $metadata: { httpStatusCode: status },
    ...extra,
  });
}

describe("AWS errors in the domain's words", () => {
  const cases: [string, Error, string, boolean][] = [
    ["DynamoDB throttling", awsError("ProvisionedThroughputExceededException", 400), "THROTTLED", true],
    ["SES sending rate", awsError("TooManyRequestsException", 429), "THROTTLED", true],
    ["a bare 429", awsError("SomethingNew", 429), "THROTTLED", true],
    ["a failed condition", awsError("ConditionalCheckFailedException", 400), "CONFLICT", false],
    ["S3 If-None-Match refused", awsError("PreconditionFailed", 412), "CONFLICT", false],
    ["a missing template", awsError("NotFoundException", 404), "CONFIGURATION", false],
    ["a missing table or secret", awsError("ResourceNotFoundException", 400), "CONFIGURATION", false],
    ["a missing bucket", awsError("NoSuchBucket", 404), "CONFIGURATION", false],
    ["an S3 conditional-write race", awsError("ConditionalRequestConflict", 409), "CONFLICT", false],
    ["a 503", awsError("ServiceUnavailable", 503), "UNAVAILABLE", true],
    [
      "a refused connection",
      Object.assign(new Error("connect ECONNREFUSED"), { code: "ECONNREFUSED" }),
      "UNAVAILABLE",
      true,
    ],
    ["an SDK-retryable error", awsError("Weird", 400, { $retryable: {} }), "UNAVAILABLE", true],
    ["a rejected message", awsError("MessageRejected", 400), "PERMANENT_FAILURE", false],
  ];
  for (const [name, error, code, retryable] of cases) {
    it(`maps ${name} to ${code}${retryable ? " (retryable)" : ""}`, () => {
      const mapped = mapAwsError(error, "Some call");
      expect(mapped).to.include({ code, retryable });
      expect(mapped.message).to.match(/^Some call failed: /);
      expect(mapped).to.be.instanceOf(Error);
    });
  }

  it("never carries an e-mail address quoted by AWS into the message", () => {
    const rejected = awsError("MessageRejected", 400);
    rejected.message =
      "Email address is not verified. The following identities failed the check in region EU-WEST-1: Jane.Doe+bank@example.co.uk";
    const mapped = mapAwsError(rejected, "SES SendEmail");
    expect(mapped.message).to.equal(
      "SES SendEmail failed: MessageRejected: Email address is not verified. The following identities failed the check in region EU-WEST-1: [address]",
    );
  });
});
