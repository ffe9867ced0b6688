import { expect } from "chai";
import { createHandlerContext } from "../../runtime/handlers/handlerContext";
import { lambdaKeepsLine } from "../support/lambdaLogFilter";
import { loadStackConfig, runProgram } from "../../local/pulumi/pulumiMocks";
import { ofType, stackRun, type StackRun } from "../support/pulumiStacks";

/** The prod stack with its `logLevel` set to `level`. */
function prodWithLogLevel(level: string): Promise<StackRun> {
  const { config, secretKeys } = loadStackConfig("prod");
  const key = Object.keys(config).find((name) => name.endsWith(":logLevel"))!;
  return runProgram({
    stack: "prod",
    config: { config: { ...config, [key]: level }, secretKeys },
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    program: () => (require("../../index") as () => Record<string, unknown>)(),
  });
}

describe("infra: metrics do not depend on the log level", function () {
  this.timeout(300_000);
  const runs: Record<string, StackRun> = {};

  before(async () => {
    runs.DEBUG = await stackRun("dev");
    runs.INFO = await stackRun("prod");
    runs.WARN = await prodWithLogLevel("WARN");
    runs.ERROR = await prodWithLogLevel("ERROR");
  });

  for (const [level, lambdaLevel] of [
    ["DEBUG", "DEBUG"],
    ["INFO", "INFO"],
    ["WARN", "INFO"],
    ["ERROR", "INFO"],
  ] as const) {
    describe(`at logLevel ${level}`, () => {
      it(`keeps Lambda's application log filter at ${lambdaLevel} and gives the runtime LOG_LEVEL=${level}`, () => {
        const functions = ofType(runs[level], "aws:lambda/function:Function");
        expect(functions).to.have.length(4);
        for (const fn of functions) {
          const logging = fn.inputs.loggingConfig as Record<string, unknown>;
          expect(logging.applicationLogLevel, fn.name).to.equal(lambdaLevel);
          expect(logging.systemLogLevel, fn.name).to.equal("WARN");
          const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
          expect(env.LOG_LEVEL, fn.name).to.equal(level);
        }
      });

      it("every metric line the runtime writes reaches CloudWatch Logs, and only log lines at the level or above", () => {
        for (const fn of ofType(runs[level], "aws:lambda/function:Function")) {
          const env = (fn.inputs.environment as { variables: Record<string, string> }).variables;
          const applicationLogLevel = (fn.inputs.loggingConfig as { applicationLogLevel: string })
            .applicationLogLevel;
          const lines: string[] = [];
          // What Lambda sets from the logging config, beside the function's own variables.
          const context = createHandlerContext("probe", {
            env: { ...env, AWS_LAMBDA_LOG_LEVEL: applicationLogLevel },
            write: (line) => lines.push(line),
          });
          context.metrics.emit("NotificationsFailed", 1, "Count", { Kind: "deposit" });
          context.logger.debug("a debug line");
          context.logger.info("an info line");
          context.logger.warn("a warning line");
          context.logger.error("an error line");
          const kept = lines.filter((line) => lambdaKeepsLine(line, applicationLogLevel));
          const metrics = kept.filter((line) => JSON.parse(line)._aws);
          expect(metrics, `${fn.name}: the metric line`).to.have.length(1);
          expect(JSON.parse(metrics[0]).NotificationsFailed).to.equal(1);
          const messages = kept
            .filter((line) => !JSON.parse(line)._aws)
            .map((line) => JSON.parse(line).message);
          const expected = {
            DEBUG: ["a debug line", "an info line", "a warning line", "an error line"],
            INFO: ["an info line", "a warning line", "an error line"],
            WARN: ["a warning line", "an error line"],
            ERROR: ["an error line"],
          }[level];
          expect(messages, fn.name).to.deep.equal(expected);
        }
      });
    });
  }

  it("models Lambda's filter: a line without a valid level counts as INFO, so a filter at WARN drops every metric line", () => {
    const metric = JSON.stringify({ _aws: { Timestamp: 0, CloudWatchMetrics: [] }, Service: "notify", X: 1 });
    expect(lambdaKeepsLine(metric, "WARN")).to.equal(false);
    expect(lambdaKeepsLine(metric, "INFO")).to.equal(true);
    expect(lambdaKeepsLine(JSON.stringify({ level: "debug", message: "m" }), "INFO")).to.equal(false);
    expect(lambdaKeepsLine(JSON.stringify({ level: "bogus", message: "m" }), "WARN")).to.equal(false);
    expect(lambdaKeepsLine(JSON.stringify({ level: "ERROR", message: "m" }), "WARN")).to.equal(true);
  });
});
