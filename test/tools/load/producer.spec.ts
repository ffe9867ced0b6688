import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { submitOperation, type RetryPolicy } from "../../../tools/load/producer";
import type { ApiTarget } from "../../../tools/load/signedApi";

interface Received {
  method: string;
  url: string;
  authorization: string;
  body: string;
}

/** A stage on 127.0.0.1 answering each request with the next of `answers`. */
async function stage(answers: { status: number; body: unknown; headers?: Record<string, string> }[]) {
  const received: Received[] = [];
  const server: Server = createServer((request: IncomingMessage, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      received.push({
        method: request.method ?? "",
        url: request.url ?? "",
        authorization: String(request.headers.authorization),
        body: Buffer.concat(chunks).toString("utf8"),
      });
      const answer = answers[Math.min(received.length - 1, answers.length - 1)];
      response.writeHead(answer.status, { "content-type": "application/json", ...answer.headers });
      response.end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const target: ApiTarget = {
    apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
    region: "eu-west-1",
    credentials: async () => ({ accessKeyId: "AKIALOADTEST", secretAccessKey: "load-test-secret" }),
  };
  return { target, received, close: () => new Promise((resolve) => server.close(resolve)) };
}

const FAST: RetryPolicy = { maxAttempts: 4, baseMs: 1, capMs: 5 };
const operation = {
  id: "op-retry-1",
  customerId: "c-1",
  kind: "deposit" as const,
  accountIban: "FR7630006000011234567890189",
  amount: { value: "10.00", currency: "EUR" },
  occurredAt: "2026-01-15T09:30:00Z",
};
const unavailable = {
  status: 503,
  body: { error: { code: "UNAVAILABLE", message: "retry later", requestId: "req-1" } },
  headers: { "retry-after": "0" },
};

describe("tools: npm run load's producer", () => {
  it("retries a 503 with the same operation id and body, each attempt signed, until the 202", async () => {
    const api = await stage([unavailable, unavailable, { status: 202, body: { operationId: "op-retry-1" } }]);
    try {
      const submission = await submitOperation(api.target, operation, Date.now(), { policy: FAST });
      expect(submission.accepted).to.equal(true);
      expect(submission.attempts.map((attempt) => attempt.kind)).to.deep.equal([
        "503 UNAVAILABLE",
        "503 UNAVAILABLE",
        "202",
      ]);
      expect(submission.attempts[0].requestId).to.equal("req-1");
      expect(new Set(api.received.map((request) => request.body))).to.deep.equal(
        new Set([JSON.stringify(operation)]),
      );
      for (const request of api.received) {
        expect(request).to.include({ method: "POST", url: "/v1/operations" });
        expect(request.authorization).to.match(
          /^AWS4-HMAC-SHA256 Credential=AKIALOADTEST\/\d{8}\/eu-west-1\/execute-api\/aws4_request, SignedHeaders=[^,]*host[^,]*, Signature=[0-9a-f]{64}$/,
        );
      }
    } finally {
      await api.close();
    }
  });

  it("does not retry a 400 or a 409: the operation is rejected", async () => {
    for (const status of [400, 409]) {
      const api = await stage([
        { status, body: { error: { code: status === 400 ? "VALIDATION_FAILED" : "CONFLICT" } } },
      ]);
      try {
        const submission = await submitOperation(api.target, operation, Date.now(), { policy: FAST });
        expect(submission.accepted).to.equal(false);
        expect(api.received).to.have.length(1);
      } finally {
        await api.close();
      }
    }
  });

  it("gives up after the policy's attempts, counting what each answered, a refused connection included", async () => {
    const api = await stage([unavailable]);
    await api.close();
    const submission = await submitOperation(api.target, operation, Date.now(), { policy: FAST });
    expect(submission.accepted).to.equal(false);
    expect(submission.attempts.map((attempt) => attempt.kind)).to.deep.equal(
      Array(4).fill("network ECONNREFUSED"),
    );
  });
});
