import { readFileSync } from "node:fs";
import * as path from "node:path";
import { expect } from "chai";
import { REPO_ROOT } from "../../local/pulumi/pulumiMocks";
import { componentRun, ofType, stackRun, type StackRun } from "../support/pulumiStacks";

/**
 * docs/OPERATIONS.md, the runbook, against the plans: every alarm a plan creates has exactly one
 * entry under "## Alarms" (a `### ` heading whose backticked names may use `<prefix>`, `<function>`
 * and `<kind>`), every entry names an alarm some plan creates, and every `npm run` script it names
 * exists. The placeholders' values come from the same plan: its name prefix, its functions, the
 * rules of its own bus.
 */

const RUNBOOK = readFileSync(path.join(REPO_ROOT, "docs", "OPERATIONS.md"), "utf8");
const SCRIPTS = Object.keys(
  (
    JSON.parse(readFileSync(path.join(REPO_ROOT, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    }
  ).scripts,
);

interface Entry {
  heading: string;
  patterns: string[];
}

function alarmEntries(): Entry[] {
  const section = RUNBOOK.split(/^## /m).find((part) => part.startsWith("Alarms\n"));
  if (!section) throw new Error("docs/OPERATIONS.md has no '## Alarms' section");
  return section
    .split("\n")
    .filter((line) => line.startsWith("### "))
    .map((heading) => ({ heading, patterns: [...heading.matchAll(/`([^`]+)`/g)].map((match) => match[1]) }));
}

/** What the plan's alarms are named after: its prefix, its functions, its own bus's rules. */
function vocabulary(run: StackRun) {
  const alarms = ofType(run, "aws:cloudwatch/metricAlarm:MetricAlarm").map((alarm) =>
    String(alarm.inputs.name),
  );
  const common = alarms.reduce((prefix, name) => {
    let length = 0;
    while (length < prefix.length && prefix[length] === name[length]) length++;
    return prefix.slice(0, length);
  });
  const prefix = common.slice(0, common.lastIndexOf("-"));
  const after = (name: string) => name.slice(prefix.length + 1);
  return {
    alarms,
    prefix,
    function: ofType(run, "aws:lambda/function:Function").map((fn) => after(String(fn.inputs.name))),
    kind: ofType(run, "aws:cloudwatch/eventRule:EventRule")
      .filter((rule) => rule.inputs.eventBusName !== "default")
      .map((rule) => after(String(rule.inputs.name))),
  };
}

const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

function matcher(pattern: string, words: ReturnType<typeof vocabulary>): RegExp {
  const source = pattern
    .split(/(<[a-z]+>)/)
    .map((part) => {
      if (!/^<[a-z]+>$/.test(part)) return escape(part);
      const name = part.slice(1, -1);
      if (name === "prefix") return escape(words.prefix);
      if (name === "function" || name === "kind") return `(?:${words[name].map(escape).join("|")})`;
      throw new Error(`docs/OPERATIONS.md: unknown placeholder ${part} in ${pattern}`);
    })
    .join("");
  return new RegExp(`^${source}$`);
}

/** Each alarm of the plan with the runbook entries whose names match it. */
function coverage(run: StackRun): { alarm: string; entries: string[] }[] {
  const words = vocabulary(run);
  const entries = alarmEntries();
  return words.alarms.map((alarm) => ({
    alarm,
    entries: entries
      .filter(({ patterns }) => patterns.some((pattern) => matcher(pattern, words).test(alarm)))
      .map(({ heading }) => heading),
  }));
}

describe("infra: docs/OPERATIONS.md, the runbook, covers what the plans create", function () {
  this.timeout(240_000);
  const plans: Record<string, () => Promise<StackRun>> = {
    prod: () => stackRun("prod"),
    dev: () => stackRun("dev"),
    "a stack asking for the SES account's reputation alarms": () =>
      componentRun({ overrides: { sesAccountReputationAlarms: true } }),
  };

  for (const [name, plan] of Object.entries(plans)) {
    it(`has exactly one alarm entry for every alarm of ${name}`, async () => {
      const covered = coverage(await plan());
      expect(covered.length, "alarms in the plan").to.be.above(30);
      expect(covered.filter(({ entries }) => entries.length === 0).map(({ alarm }) => alarm)).to.deep.equal(
        [],
      );
      expect(covered.filter(({ entries }) => entries.length > 1)).to.deep.equal([]);
    });
  }

  it("has no alarm entry, and no name in an entry, for an alarm no plan creates", async () => {
    const runs = await Promise.all(Object.values(plans).map((plan) => plan()));
    const entries = alarmEntries();
    expect(entries.length, "alarm entries").to.be.above(15);
    const unused = entries.flatMap(({ patterns }) =>
      patterns.filter(
        (pattern) =>
          !runs.some((run) => {
            const words = vocabulary(run);
            return words.alarms.some((alarm) => matcher(pattern, words).test(alarm));
          }),
      ),
    );
    expect(unused).to.deep.equal([]);
  });

  it("names only npm scripts that package.json defines", () => {
    const named = [
      ...new Set([...RUNBOOK.matchAll(/npm run (?:--silent )?([a-z][a-z0-9:-]*)/g)].map((match) => match[1])),
    ];
    expect(named).to.include.members(["redrive", "plan", "call", "bench"]);
    expect(named.filter((script) => !SCRIPTS.includes(script))).to.deep.equal([]);
  });
});
