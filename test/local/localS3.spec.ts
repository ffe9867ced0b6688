import { expect } from "chai";
import { CreateBucketCommand, GetObjectCommand, PutObjectCommand, S3Client } from "@aws-sdk/client-s3";
import { createEvidenceArchive } from "../../runtime/adapters/evidenceArchive";
import { useLocalServices } from "../support/sharedServices";

describe("local S3: conditional writes", () => {
  const bucket = `conditional-${Date.now().toString(36)}`;
  let s3: S3Client;

  before(async () => {
    await useLocalServices();
    s3 = new S3Client({ requestChecksumCalculation: "WHEN_REQUIRED" });
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  });

  it("refuses If-None-Match: * on an existing key with 412 PreconditionFailed and keeps the first body", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "a.json", Body: "one", IfNoneMatch: "*" }));
    const second = await s3
      .send(new PutObjectCommand({ Bucket: bucket, Key: "a.json", Body: "two", IfNoneMatch: "*" }))
      .then(
        () => undefined,
        (error: Error & { $metadata?: { httpStatusCode?: number } }) => error,
      );
    expect(second?.name).to.equal("PreconditionFailed");
    expect(second?.$metadata?.httpStatusCode).to.equal(412);
    const body = await (
      await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "a.json" }))
    ).Body!.transformToString();
    expect(body).to.equal("one");
  });

  it("lets an unconditional write replace an object", async () => {
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "b.json", Body: "one" }));
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: "b.json", Body: "two" }));
    const body = await (
      await s3.send(new GetObjectCommand({ Bucket: bucket, Key: "b.json" }))
    ).Body!.transformToString();
    expect(body).to.equal("two");
  });

  it("so two evidence writers racing on one key write it once", async () => {
    const archive = createEvidenceArchive(s3, bucket);
    const outcomes = await Promise.all([
      archive.writeOnce("evidence/op/deposit/m.json", { writer: 1 }),
      archive.writeOnce("evidence/op/deposit/m.json", { writer: 2 }),
    ]);
    expect(outcomes.sort()).to.deep.equal(["already-present", "written"]);
  });

  it("evidence uploads carry a SHA-256 checksum, which buckets with default Object Lock retention require", async () => {
    const headers: Record<string, string>[] = [];
    const client = new S3Client({ requestChecksumCalculation: "WHEN_REQUIRED" });
    client.middlewareStack.add(
      (next) => async (args) => {
        headers.push((args.request as { headers: Record<string, string> }).headers);
        return next(args);
      },
      { step: "finalizeRequest", name: "captureHeaders" },
    );
    await createEvidenceArchive(client, bucket).writeOnce("evidence/op/deposit/checksum.json", { ok: true });
    const [sent] = headers;
    expect(sent["x-amz-checksum-sha256"] ?? sent["x-amz-trailer"]).to.match(
      /^[A-Za-z0-9+/=]{44}$|x-amz-checksum-sha256/,
    );
  });
});
