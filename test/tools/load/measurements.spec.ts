import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import type { Profiler } from "node:inspector";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { expect } from "chai";
import { alarmsThatWouldFire, apiErrorMetrics, queueDepthMetric } from "../../../tools/load/alarms";
import { nameBottleneck } from "../../../tools/load/bottleneck";
import type { AlarmDefinition } from "../../../tools/load/cloudControl";
import { stageShares } from "../../../tools/load/cpuStages";
import { containersIn, coresBetween, readCpu } from "../../../tools/load/processCpu";

describe("tools: npm run load's measurements", () => {
  describe("the alarms that would fire", () => {
    const alarms: AlarmDefinition[] = [
      {
        name: "bank-notif-dev-notify-dlq-depth",
        namespace: "AWS/SQS",
        metricName: "ApproximateNumberOfMessagesVisible",
        dimensions: { QueueName: "bank-notif-dev-notify-dlq" },
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: 1,
      },
      {
        name: "bank-notif-dev-rule-deposit-failed-invocations",
        namespace: "AWS/Events",
        metricName: "FailedInvocations",
        dimensions: { EventBusName: "bank-notif-dev-operations", RuleName: "bank-notif-dev-deposit" },
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: 1,
      },
    ];

    it("names an alarm whose metric, dimensions and threshold the measured value meets", () => {
      expect(alarmsThatWouldFire(alarms, [queueDepthMetric("bank-notif-dev-notify-dlq", 3)])).to.deep.equal([
        "bank-notif-dev-notify-dlq-depth",
      ]);
      expect(
        alarmsThatWouldFire(alarms, [
          {
            namespace: "AWS/Events",
            metricName: "FailedInvocations",
            dimensions: { RuleName: "bank-notif-dev-deposit", EventBusName: "bank-notif-dev-operations" },
            value: 2,
          },
        ]),
      ).to.deep.equal(["bank-notif-dev-rule-deposit-failed-invocations"]);
    });

    it("counts the run's 5XX answers against the stack's API 5XX alarm", () => {
      const api5xx: AlarmDefinition = {
        name: "bank-notif-dev-api-5xx",
        namespace: "AWS/ApiGateway",
        metricName: "5XXError",
        dimensions: { ApiName: "bank-notif-dev-api", Stage: "v1" },
        comparisonOperator: "GreaterThanOrEqualToThreshold",
        threshold: 5,
      };
      expect(alarmsThatWouldFire([api5xx], apiErrorMetrics([api5xx], 5))).to.deep.equal([
        "bank-notif-dev-api-5xx",
      ]);
      expect(alarmsThatWouldFire([api5xx], apiErrorMetrics([api5xx], 4))).to.deep.equal([]);
    });

    it("names none below the threshold or for another queue", () => {
      expect(
        alarmsThatWouldFire(alarms, [
          queueDepthMetric("bank-notif-dev-notify-dlq", 0),
          queueDepthMetric("bank-notif-dev-delivery-dlq", 5),
        ]),
      ).to.deep.equal([]);
    });
  });

  describe("where the cloud's event loop spends its time", () => {
    /** A profile whose samples sit under the given frames (root first). */
    function profile(stacks: [string[], number][]): Profiler.Profile {
      const nodes: Profiler.ProfileNode[] = [{ id: 1, callFrame: frame("(root)", ""), children: [] }];
      const samples: number[] = [];
      for (const [stack, count] of stacks) {
        let parent = nodes[0];
        for (const url of stack) {
          const node: Profiler.ProfileNode = {
            id: nodes.length + 1,
            callFrame: frame(url.startsWith("(") ? url : "f", url.startsWith("(") ? "" : url),
            children: [],
          };
          nodes.push(node);
          parent.children!.push(node.id);
          parent = node;
        }
        for (let i = 0; i < count; i++) samples.push(parent.id);
      }
      return { nodes, samples, startTime: 0, endTime: 1 };
    }
    function frame(functionName: string, url: string): Profiler.ProfileNode["callFrame"] {
      return { functionName, url, scriptId: "0", lineNumber: 0, columnNumber: 0 };
    }
    const repo = "file:///work/repo";

    it("gives each busy sample to the nearest frame of a stage, through the SDK and Node's own frames", () => {
      const shares = stageShares(
        profile([
          [
            [
              `${repo}/local/proxy/authorizingProxy.ts`,
              `${repo}/node_modules/@cloud-copilot/iam-simulate/dist/index.js`,
            ],
            6,
          ],
          [
            [
              `${repo}/local/sqs/eventSourceMapping.ts`,
              `${repo}/node_modules/@smithy/core/dist-cjs/index.js`,
              "node:internal/streams",
            ],
            2,
          ],
          [[`${repo}/node_modules/dynalite/index.js`, `${repo}/node_modules/classic-level/index.js`], 1],
          [["node:internal/timers"], 1],
          [["(idle)"], 10],
        ]),
      );
      expect(shares.busy).to.equal(0.5);
      expect(shares.stages).to.deep.equal({
        "IAM evaluation": 0.6,
        "Lambda runner, logs and the SQS poller": 0.2,
        "DynamoDB (dynalite)": 0.1,
        "Node itself (HTTP, sockets, native)": 0.1,
      });
    });
  });

  describe("naming the bottleneck", () => {
    const base = { machineCores: 2, emailsPerSecond: 4, containers: { "bank-notif-dev-notify": 2 } };

    it("names the local cloud's process and its busiest stages when its event loop is saturated", () => {
      const named = nameBottleneck({
        ...base,
        keptUp: false,
        cloudPid: 42,
        cores: { "local cloud process": 0.95, "bank-notif-dev-notify": 0.2 },
        stages: {
          busy: 0.97,
          stages: { "IAM evaluation": 0.5, "DynamoDB (dynalite)": 0.1, EventBridge: 0.01 },
        },
      });
      expect(named).to.match(
        /^the local cloud's process \(pid 42\).*busy 97 % of the time, 0\.95 core; of its busy time: IAM evaluation 50 %, DynamoDB \(dynalite\) 10 %$/,
      );
    });

    it("names SES pacing when e-mails leave at the stack's sending rate", () => {
      const named = nameBottleneck({
        ...base,
        keptUp: false,
        emailsPerSecond: 13.5,
        sesMaxSendRate: 14,
        cores: { "local cloud process": 0.4, "bank-notif-dev-notify": 0.3 },
      });
      expect(named).to.equal("SES pacing: notify's workers keep to sesMaxSendRate (14/s)");
    });

    it("names no bottleneck when the run kept up and nothing was at its limit", () => {
      const named = nameBottleneck({
        ...base,
        keptUp: true,
        cores: { "local cloud process": 0.3, "bank-notif-dev-notify": 0.1 },
      });
      expect(named).to.equal(
        "none at this rate: every stage kept up (busiest: local cloud process, 0.3 core)",
      );
    });
  });

  describe("CPU per process", () => {
    let folder: string;
    before(() => {
      folder = mkdtempSync(path.join(tmpdir(), "load-cpu-"));
    });
    after(() => rmSync(folder, { recursive: true, force: true }));

    it("counts a function container's CPU under its function, by the folder it runs in", async function () {
      if (process.platform !== "linux") this.skip();
      const container = path.join(folder, "lambda", "bank-notif-dev-notify");
      mkdirSync(container, { recursive: true });
      // A stand-in for the cloud's process, so that the containers the e2e specs' own local cloud
      // runs as children of this process are not counted.
      const busyLoop = "const end = Date.now() + 3000; while (Date.now() < end);";
      const cloud = spawn(
        process.execPath,
        [
          "-e",
          `require("node:child_process").spawn(process.execPath, ["-e", ${JSON.stringify(busyLoop)}], { cwd: ${JSON.stringify(container)}, stdio: "ignore" }); setTimeout(() => {}, 3000);`,
        ],
        { stdio: "ignore" },
      );
      try {
        await new Promise((resolve) => setTimeout(resolve, 300));
        const first = readCpu(cloud.pid!);
        expect(containersIn(first)).to.deep.equal({ "bank-notif-dev-notify": 1 });
        await new Promise((resolve) => setTimeout(resolve, 800));
        const cores = coresBetween(first, readCpu(cloud.pid!));
        expect(cores["bank-notif-dev-notify"]).to.be.above(0);
        expect(cores).to.have.property("local cloud process");
        expect(cores).to.have.property("load generator");
      } finally {
        cloud.kill();
      }
    });
  });
});
