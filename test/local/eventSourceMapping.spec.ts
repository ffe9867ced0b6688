import { expect } from "chai";
import { recordsToKeep, type SqsRecord } from "../../local/sqs/eventSourceMapping";

function record(messageId: string): SqsRecord {
  return {
    messageId,
    receiptHandle: `handle-${messageId}`,
    body: "{}",
    attributes: {},
    messageAttributes: {},
    md5OfBody: "",
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:eu-west-1:111122223333:queue",
    awsRegion: "eu-west-1",
  };
}

const batch = ["a", "b", "c"].map(record);
const ok = (result: unknown) => ({ ok: true as const, result, durationMs: 1, requestId: "r" });
const kept = (outcome: Parameters<typeof recordsToKeep>[0], report = true) =>
  recordsToKeep(outcome, batch, report).map((each) => each.messageId);

// https://docs.aws.amazon.com/lambda/latest/dg/services-sqs-errorhandling.html#services-sqs-batchfailurereporting
describe("local event source mapping: what a batch leaves on the queue", () => {
  it("keeps every record when the invocation fails (an error or a timeout)", () => {
    expect(
      kept({
        ok: false,
        errorType: "Sandbox.Timedout",
        errorMessage: "Task timed out",
        durationMs: 1,
        requestId: "r",
      }),
    ).to.deep.equal(["a", "b", "c"]);
  });

  it("keeps only the records a partial batch response lists", () => {
    expect(kept(ok({ batchItemFailures: [{ itemIdentifier: "b" }] }))).to.deep.equal(["b"]);
  });

  it("deletes the whole batch for an empty list, a null list or no response", () => {
    expect(kept(ok({ batchItemFailures: [] }))).to.deep.equal([]);
    expect(kept(ok({ batchItemFailures: null }))).to.deep.equal([]);
    expect(kept(ok(null))).to.deep.equal([]);
  });

  it("fails the whole batch for a response it cannot read: an unknown, empty or missing identifier", () => {
    expect(kept(ok({ batchItemFailures: [{ itemIdentifier: "z" }] }))).to.deep.equal(["a", "b", "c"]);
    expect(kept(ok({ batchItemFailures: [{ itemIdentifier: "" }] }))).to.deep.equal(["a", "b", "c"]);
    expect(kept(ok({ batchItemFailures: [{ id: "a" }] }))).to.deep.equal(["a", "b", "c"]);
    expect(kept(ok({ batchItemFailures: "a" }))).to.deep.equal(["a", "b", "c"]);
  });

  it("ignores a partial batch response when the mapping does not report item failures", () => {
    expect(kept(ok({ batchItemFailures: [{ itemIdentifier: "b" }] }), false)).to.deep.equal([]);
  });
});
