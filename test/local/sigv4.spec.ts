import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { DynamoDBClient, ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { SignatureV4 } from "@smithy/signature-v4";
import { expect } from "chai";
import { createHash } from "node:crypto";
import { buffer } from "node:stream/consumers";
import {
  NodeSha256,
  verifySignature,
  type ReceivedRequest,
  type Verification,
} from "../../local/sigv4/verifySignature";

const KEYS = { AKIDLOCALPRODUCER: { secretAccessKey: "producer-secret", name: "producer" } };
type Principal = (typeof KEYS)["AKIDLOCALPRODUCER"];

describe("local SigV4 verification (AWS's signer re-signs what it received)", () => {
  let server: Server;
  let url: string;
  let received: ReceivedRequest[];
  let clock: number | undefined;
  const verify = (
    request: ReceivedRequest,
    service = "dynamodb",
    region = "eu-west-1",
  ): Promise<Verification<Principal>> =>
    verifySignature(request, {
      service,
      region,
      principalOf: (key) => KEYS[key as keyof typeof KEYS],
      now: () => clock ?? Date.now(),
    });

  before(async () => {
    server = createServer(async (request, response) => {
      const body = await buffer(request);
      received.push({ method: request.method!, url: request.url!, headers: request.headers, body });
      response.writeHead(200, { "content-type": "application/x-amz-json-1.0" });
      response.end(JSON.stringify({ TableNames: [] }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  beforeEach(() => {
    received = [];
    clock = undefined;
  });
  after(() => server.close());

  const client = (
    secretAccessKey = "producer-secret",
    accessKeyId = "AKIDLOCALPRODUCER",
    region = "eu-west-1",
  ) =>
    new DynamoDBClient({
      endpoint: url,
      region,
      credentials: { accessKeyId, secretAccessKey },
      maxAttempts: 1,
    });

  it("accepts a request signed by the AWS SDK with the principal's secret", async () => {
    await client().send(new ListTablesCommand({ Limit: 5 }));
    const outcome = await verify(received[0]);
    expect(outcome).to.deep.include({ ok: true, accessKeyId: "AKIDLOCALPRODUCER" });
  });

  it("refuses a request signed with another secret", async () => {
    await client("not-the-secret").send(new ListTablesCommand({}));
    expect(await verify(received[0])).to.deep.include({ ok: false, code: "InvalidSignature" });
  });

  it("refuses an access key it never issued", async () => {
    await client("x", "AKIDUNKNOWN").send(new ListTablesCommand({}));
    expect(await verify(received[0])).to.deep.include({ ok: false, code: "UnrecognizedClient" });
  });

  it("refuses an unsigned request as API Gateway does: Missing Authentication Token", async () => {
    expect(
      await verify({ method: "GET", url: "/", headers: { host: "x" }, body: Buffer.alloc(0) }),
    ).to.deep.equal({
      ok: false,
      code: "MissingAuthenticationToken",
      message: "Missing Authentication Token",
    });
  });

  it("refuses a body changed after signing, whether or not the signer declared its hash", async () => {
    await client().send(new ListTablesCommand({ Limit: 5 }));
    const tampered = { ...received[0], body: Buffer.from(JSON.stringify({ Limit: 6 })) };
    expect(await verify(tampered)).to.deep.include({ ok: false, code: "InvalidSignature" });
    const signer = new SignatureV4({
      credentials: { accessKeyId: "AKIDLOCALPRODUCER", secretAccessKey: "producer-secret" },
      region: "eu-west-1",
      service: "execute-api",
      sha256: NodeSha256,
    });
    const body = JSON.stringify({ amount: "10.00" });
    const signed = await signer.sign({
      method: "POST",
      protocol: "http:",
      hostname: "127.0.0.1",
      path: "/v1/operations",
      query: {},
      headers: {
        host: "127.0.0.1",
        "x-amz-content-sha256": createHash("sha256").update(body).digest("hex"),
      },
      body,
    });
    const request = {
      method: "POST",
      url: "/v1/operations",
      headers: signed.headers,
      body: Buffer.from(body),
    };
    expect(await verify(request, "execute-api")).to.deep.include({ ok: true });
    const changed = { ...request, body: Buffer.from(JSON.stringify({ amount: "99999.00" })) };
    expect(await verify(changed, "execute-api")).to.deep.include({ ok: false, code: "InvalidSignature" });
  });

  it("reads only the headers the client signed: headers added after signing (an HTTP client's, a proxy's) change nothing", async () => {
    const signer = new SignatureV4({
      credentials: { accessKeyId: "AKIDLOCALPRODUCER", secretAccessKey: "producer-secret" },
      region: "eu-west-1",
      service: "execute-api",
      sha256: NodeSha256,
      // As the SDK's execute-api clients sign: no x-amz-content-sha256 header.
      applyChecksum: false,
    });
    const body = JSON.stringify({ amount: "10.00" });
    const signed = await signer.sign({
      method: "POST",
      protocol: "http:",
      hostname: "127.0.0.1",
      path: "/v1/operations",
      query: {},
      headers: { host: "127.0.0.1:8080", "content-type": "application/json" },
      body,
    });
    const request = {
      method: "POST",
      url: "/v1/operations",
      headers: {
        ...signed.headers,
        accept: "*/*",
        "accept-encoding": "gzip, deflate",
        "content-length": String(body.length),
        "x-forwarded-for": "10.0.0.1",
      },
      body: Buffer.from(body),
    };
    expect(await verify(request, "execute-api")).to.deep.include({ ok: true });
    const retyped = { ...request, headers: { ...request.headers, "content-type": "text/plain" } };
    expect(await verify(retyped, "execute-api"), "a signed header changed").to.deep.include({
      ok: false,
      code: "InvalidSignature",
    });
  });

  it("refuses a signature more than 5 minutes away from the clock, either way", async () => {
    await client().send(new ListTablesCommand({}));
    clock = Date.now() + 5 * 60 * 1000 + 10_000;
    expect(await verify(received[0])).to.deep.include({ ok: false, code: "SignatureExpired" });
    clock = Date.now() - 5 * 60 * 1000 - 10_000;
    expect(await verify(received[0])).to.deep.include({ ok: false, code: "SignatureExpired" });
    clock = Date.now() + 4 * 60 * 1000;
    expect(await verify(received[0])).to.deep.include({ ok: true });
  });

  it("refuses a credential scoped to another region or another service", async () => {
    await client("producer-secret", "AKIDLOCALPRODUCER", "us-east-1").send(new ListTablesCommand({}));
    expect(await verify(received[0])).to.deep.include({ ok: false, code: "InvalidSignature" });
    await client().send(new ListTablesCommand({}));
    expect(await verify(received[1], "execute-api")).to.deep.include({ ok: false, code: "InvalidSignature" });
  });
});
