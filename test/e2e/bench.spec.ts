import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { expect } from "chai";
import { FUNCTION_IDS } from "../../components/settings";
import type { BenchReport } from "../../tools/bench";
import { startEarly } from "../support/pulumiEarlyStart";
import { REPO_ROOT } from "../../local/pulumi/pulumiMocks";

const run = promisify(execFile);

/** The smallest bench run: one init round, a handful of operations through the pipeline and the burst. */
const tinyRun = startEarly(async ({ signal }) => {
  const { stdout } = await run(
    process.execPath,
    ["--import=tsx", "tools/bench.ts", "--json", "--runs", "1", "--pipeline", "3", "--burst", "3"],
    { cwd: REPO_ROOT, env: { PATH: process.env.PATH }, maxBuffer: 16 * 1024 * 1024, signal },
  );
  return stdout;
});

const finite = (value: unknown) => typeof value === "number" && Number.isFinite(value);

describe("tools: npm run bench -- --json", function () {
  this.timeout(300_000);
  let report: BenchReport;

  before(async () => {
    report = JSON.parse(await tinyRun.result()) as BenchReport;
  });

  it("prints one JSON document with every function's archive, floor and init figures", () => {
    expect(report.sdk).to.equal("bundled");
    expect(Object.keys(report.functions)).to.deep.equal([...FUNCTION_IDS]);
    for (const id of FUNCTION_IDS) {
      const figures = report.functions[id];
      expect(figures.archive.zippedBytes, id).to.be.above(0).and.below(figures.archive.unpackedBytes);
      expect(figures.archive.packages, id).to.include("@aws-sdk/client-dynamodb");
      expect(figures.floor.zippedBytes, id).to.be.above(0);
      for (const timing of [figures.initMs, figures.floorInitMs]) {
        expect([timing.median, timing.p90].every(finite), id).to.equal(true);
      }
    }
  });

  it("measures one operation's calls and units, and that a redelivery sends no e-mail", () => {
    const { api, notifyFirstDelivery, notifyRedelivery, feedbackDelivery } = report.perOperation;
    for (const step of [api, notifyFirstDelivery, notifyRedelivery, feedbackDelivery]) {
      expect([step.awsCalls, step.wcu, step.rcu, step.emails].every(finite)).to.equal(true);
    }
    expect(api.calls).to.include("EventBridge:PutEvents");
    expect(notifyFirstDelivery.emails).to.equal(1);
    expect(notifyRedelivery.emails).to.equal(0);
    expect(notifyRedelivery.awsCalls).to.be.above(0);
    expect(feedbackDelivery.calls).to.deep.equal(["DynamoDB:UpdateItem"]);
  });

  it("runs the pipeline and the burst, losing and duplicating nothing", () => {
    const { pipeline, burst } = report;
    expect([pipeline.opsPerSecond, pipeline.latencyMs.p50, pipeline.latencyMs.p99].every(finite)).to.equal(
      true,
    );
    const { project, sdk, emulators } = pipeline.cpuShare;
    expect(project + sdk + emulators).to.be.closeTo(1, 0.01);
    expect(burst).to.include({ operations: 3, lost: 0, duplicated: 0 });
    expect(report.notes).to.be.an("array").with.length.above(0);
  });
});
