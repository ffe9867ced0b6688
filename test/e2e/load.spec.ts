import { execFile } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import { expect } from "chai";
import { REPO_ROOT } from "../../local/pulumi/pulumiMocks";
import type { LoadReport } from "../../tools/load/loadReport";
import { startEarly } from "../support/pulumiEarlyStart";

const run = promisify(execFile);
const load = (args: string[], signal?: AbortSignal) =>
  run(process.execPath, ["--import=tsx", "tools/load.ts", ...args], {
    cwd: REPO_ROOT,
    env: { PATH: process.env.PATH },
    maxBuffer: 16 * 1024 * 1024,
    signal,
  });

/** The smallest load run: a local cloud of its own, 2 operations a second for 4 seconds. */
const smallRun = startEarly(async ({ signal, scratchFolder }) => {
  const { stdout } = await load(
    ["--rate", "2", "--duration", "4", "--json", "--state", scratchFolder("load-cli-")],
    signal,
  );
  return stdout;
});

describe("tools: npm run load -- --json", function () {
  this.timeout(300_000);
  let report: LoadReport;

  before(async () => {
    report = JSON.parse(await smallRun.result()) as LoadReport;
  });

  it("prints the contract's figures first: accepted, rejected, lost, duplicated, latencyMs, emailsPerSecond, bottleneck", () => {
    expect(Object.keys(report).slice(0, 7)).to.deep.equal([
      "accepted",
      "rejected",
      "lost",
      "duplicated",
      "latencyMs",
      "emailsPerSecond",
      "bottleneck",
    ]);
    expect(Object.keys(report.latencyMs ?? {})).to.deep.equal(["p50", "p95", "p99"]);
    expect(report.bottleneck).to.be.a("string").and.not.equal("");
  });

  it("sends 8 operations at 2 a second, accepts them all, and loses and duplicates nothing (exit code 0)", () => {
    expect(report.offered).to.include({ rate: 2, durationSeconds: 4, operations: 8 });
    expect(report).to.include({ accepted: 8, rejected: 0, lost: 0, duplicated: 0, interrupted: false });
    expect(report.notifications.due).to.equal(report.notifications.sent + report.notifications.suppressed);
    expect(report.latencyMs!.p50).to.be.above(0).and.at.most(report.latencyMs!.p99);
    expect(report.emailsPerSecond).to.be.above(0);
  });

  it("measures the local cloud's process and its event loop, under the load test stack configuration", () => {
    expect(report.measurements.cores["local cloud process"]).to.be.above(0);
    expect(report.measurements.cloudEventLoop?.busy).to.be.above(0).and.at.most(1);
    expect(report.stackConfiguration).to.include({
      apiThrottlingRateLimit: 1000,
      sesMaxSendRate: 50,
      maxContainers: 10,
    });
  });

  it("refuses a rate that is not a positive number, naming the option, before starting anything", async () => {
    const failed = await load(["--rate", "fast"]).then(
      () => undefined,
      (error: { code: number; stderr: string }) => error,
    );
    expect(failed?.code).to.equal(1);
    expect(failed?.stderr).to.include("--rate must be a number above 0 and at most 1000, not fast");
  });

  it("refuses an unknown fault and a mix with field-level problems", async () => {
    const fault = await load(["--fault", "meteor"]).then(
      () => undefined,
      (error: { stderr: string }) => error,
    );
    expect(fault?.stderr).to.include(
      "--fault must be one of ses-throttling, dynamodb-unavailable, notify-killed-after-send, poison-event, bus-target-failing, not meteor",
    );
    const folder = mkdtempSync(path.join(tmpdir(), "load-cli-mix-"));
    try {
      const mix = path.join(folder, "mix.json");
      writeFileSync(mix, JSON.stringify({ kinds: { deposit: -1 } }));
      const badMix = await load(["--mix", mix]).then(
        () => undefined,
        (error: { stderr: string }) => error,
      );
      expect(badMix?.stderr)
        .to.include("customers is required")
        .and.include("kinds must map names to weights");
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
