import { createServer, type AddressInfo, type Socket } from "node:net";
import { expect } from "chai";
import {
  CreateBucketCommand,
  GetObjectCommand,
  GetObjectLockConfigurationCommand,
  PutObjectCommand,
  PutObjectLockConfigurationCommand,
  S3Client,
} from "@aws-sdk/client-s3";
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
    const archive = createEvidenceArchive(s3, bucket, { deadlineMs: 10_000 });
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
    await createEvidenceArchive(client, bucket, { deadlineMs: 10_000 }).writeOnce(
      "evidence/op/deposit/checksum.json",
      { ok: true },
    );
    const [sent] = headers;
    expect(sent["x-amz-checksum-sha256"] ?? sent["x-amz-trailer"]).to.match(
      /^[A-Za-z0-9+/=]{44}$|x-amz-checksum-sha256/,
    );
  });

  it("abandons an evidence write S3 has not answered within the deadline", async () => {
    // A stalled S3 is a fault the local S3 cannot be made to produce: a server that accepts and never answers.
    const sockets: Socket[] = [];
    const silent = createServer().on("connection", (socket) => sockets.push(socket));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const { port } = silent.address() as AddressInfo;
    try {
      const stalled = new S3Client({
        endpoint: `http://127.0.0.1:${port}`,
        forcePathStyle: true,
        maxAttempts: 1,
        requestChecksumCalculation: "WHEN_REQUIRED",
      });
      const started = Date.now();
      const failure = await createEvidenceArchive(stalled, bucket, { deadlineMs: 300 })
        .writeOnce("evidence/op/deposit/stalled.json", { ok: true })
        .then(
          () => undefined,
          (error: Error) => error,
        );
      expect(failure, "the write fails").to.be.instanceOf(Error);
      expect(Date.now() - started).to.be.within(300, 3_000);
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });
});

describe("local S3: Object Lock", () => {
  let s3: S3Client;
  let locked: string;

  /** A request the SDK signs as usual, without the checksum it would add (as a hand-made client would). */
  async function putWithoutChecksum(bucket: string, key: string) {
    const client = new S3Client({ requestChecksumCalculation: "WHEN_REQUIRED" });
    client.middlewareStack.add(
      (next) => async (args) => {
        const headers = (args.request as { headers: Record<string, string> }).headers;
        for (const name of Object.keys(headers)) {
          if (
            name === "content-md5" ||
            name.startsWith("x-amz-checksum-") ||
            name === "x-amz-sdk-checksum-algorithm"
          )
            delete headers[name];
        }
        return next(args);
      },
      { step: "finalizeRequest", name: "dropChecksums" },
    );
    return client.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: "{}" })).then(
      () => undefined,
      (error: Error & { $metadata?: { httpStatusCode?: number } }) => error,
    );
  }

  before(async () => {
    await useLocalServices();
    s3 = new S3Client({ requestChecksumCalculation: "WHEN_REQUIRED" });
    locked = `locked-${Date.now().toString(36)}`;
    await s3.send(new CreateBucketCommand({ Bucket: locked, ObjectLockEnabledForBucket: true }));
    await s3.send(
      new PutObjectLockConfigurationCommand({
        Bucket: locked,
        ObjectLockConfiguration: {
          ObjectLockEnabled: "Enabled",
          Rule: { DefaultRetention: { Mode: "COMPLIANCE", Days: 3653 } },
        },
      }),
    );
  });

  it("keeps the default retention of a bucket created with Object Lock", async () => {
    const { ObjectLockConfiguration } = await s3.send(
      new GetObjectLockConfigurationCommand({ Bucket: locked }),
    );
    expect(ObjectLockConfiguration).to.deep.equal({
      ObjectLockEnabled: "Enabled",
      Rule: { DefaultRetention: { Mode: "COMPLIANCE", Days: 3653 } },
    });
  });

  it("refuses to configure Object Lock on a bucket created without it", async () => {
    const plain = `plain-${Date.now().toString(36)}`;
    await s3.send(new CreateBucketCommand({ Bucket: plain }));
    const refused = await s3
      .send(
        new PutObjectLockConfigurationCommand({
          Bucket: plain,
          ObjectLockConfiguration: {
            ObjectLockEnabled: "Enabled",
            Rule: { DefaultRetention: { Mode: "GOVERNANCE", Days: 1 } },
          },
        }),
      )
      .then(
        () => undefined,
        (error: Error) => error,
      );
    expect(refused?.name).to.equal("InvalidBucketState");
  });

  it("refuses an upload without Content-MD5 or a checksum into a bucket with a default retention", async () => {
    const refused = await putWithoutChecksum(locked, "evidence/no-checksum.json");
    expect(refused?.name).to.equal("InvalidRequest");
    expect(refused?.$metadata?.httpStatusCode).to.equal(400);
    const plain = `plain-${Date.now().toString(36)}-2`;
    await s3.send(new CreateBucketCommand({ Bucket: plain }));
    expect(await putWithoutChecksum(plain, "evidence/no-checksum.json"), "without Object Lock").to.equal(
      undefined,
    );
  });

  it("so the evidence archive, which sends a checksum, writes into such a bucket", async () => {
    expect(
      await createEvidenceArchive(s3, locked, { deadlineMs: 10_000 }).writeOnce(
        "evidence/op/deposit/locked.json",
        { ok: true },
      ),
    ).to.equal("written");
  });
});
