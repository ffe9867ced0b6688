import { readFileSync } from "node:fs";
import { expect } from "chai";
import { architectureGraph, type ArchitectureGraph } from "../../tools/architectureGraph";
import { DIAGRAM_FILE, renderSvg, toDot } from "../../tools/diagram";
import { plannedResource, type Plan } from "../../tools/plan";
import { stackRun } from "../support/pulumiStacks";

/** The prod plan as `npm run plan -- --stack prod --json` prints it (the JSON round trip included). */
async function prodPlan(): Promise<Plan> {
  const prod = await stackRun("prod");
  const plan: Plan = { stack: "prod", resources: await Promise.all(prod.resources.map(plannedResource)) };
  return JSON.parse(JSON.stringify(plan)) as Plan;
}

describe("infra: npm run diagram", function () {
  this.timeout(120_000);
  let graph: ArchitectureGraph;
  const edge = (from: string, to: string) =>
    graph.edges.find((candidate) => candidate.from === from && candidate.to === to);
  const groupOf = (id: string) => graph.nodes.find((node) => node.id === id)?.group;

  before(async () => {
    graph = architectureGraph(await prodPlan());
  });

  it("leaves the committed docs/architecture.svg as it is: the picture matches the code (else run npm run diagram)", async () => {
    const committed = readFileSync(DIAGRAM_FILE, "utf8");
    const drawn = await renderSvg(toDot(graph));
    expect(drawn === committed, "docs/architecture.svg is stale: run npm run diagram").to.equal(true);
  });

  it("draws the same SVG from the same plan, byte for byte", async () => {
    const dot = toDot(graph);
    expect(toDot(architectureGraph(await prodPlan()))).to.equal(dot);
    expect(await renderSvg(dot)).to.equal(await renderSvg(dot));
  });

  it("draws ingest: the API hands each route to its function, producers may call it and put events", () => {
    const api = "api:notifications-api";
    expect(edge(api, "function:bank-notif-prod-operations-api")?.label.split("\n")).to.deep.equal([
      "POST /operations",
      "GET /operations/{id}",
      "GET /notifications/failed",
    ]);
    expect(edge(api, "function:bank-notif-prod-customers-api")?.label).to.include("DELETE /customers/{id}");
    expect(edge("policy:bank-notif-prod-producer-eu-west-3", api)?.label).to.equal("POST /operations");
    expect(
      edge("policy:bank-notif-prod-producer-eu-west-3", "bus:bank-notif-prod-operations")?.label,
    ).to.equal("PutEvents");
    expect(edge("function:bank-notif-prod-operations-api", "bus:bank-notif-prod-operations")?.label).to.equal(
      "PutEvents",
    );
  });

  it("draws routing and notify: rules → queue → notify function → table, evidence and SES", () => {
    const rules = graph.nodes.find((node) => node.id.startsWith("rules:bank-notif-prod-operations|"))!;
    expect(rules.title).to.equal("8 rules");
    expect(edge("bus:bank-notif-prod-operations", rules.id)).to.not.equal(undefined);
    expect(edge(rules.id, "queue:bank-notif-prod-notify")?.label).to.equal("{ notificationKind, event }");
    expect(edge("queue:bank-notif-prod-notify", "function:bank-notif-prod-notify")?.label).to.equal(
      "batches of 10, ≤ 10 concurrent\npartial batch failures",
    );
    expect(edge("function:bank-notif-prod-notify", "table:bank-notif-prod-notifications")?.label).to.equal(
      "reads, writes",
    );
    expect(
      edge("function:bank-notif-prod-notify", "bucket:bank-notif-prod-evidence-444455556666-eu-west-3")
        ?.label,
    ).to.equal("writes");
    expect(edge("function:bank-notif-prod-notify", "ses")?.label).to.equal("SendEmail (template)");
    expect(edge("function:bank-notif-prod-notify", "secret:bank-notif-prod/hash-key")?.label).to.equal(
      "reads the hash key",
    );
  });

  it("draws feedback: SES → the default bus → the feedback rule → the feedback function → table", () => {
    expect(edge("ses", "bus:default")?.label).to.equal(
      "delivery · bounce · complaint\nreject · rendering failure",
    );
    const rule = graph.nodes.find((node) => node.id.startsWith("rules:default|"))!;
    expect(edge("bus:default", rule.id)).to.not.equal(undefined);
    expect(edge(rule.id, "function:bank-notif-prod-ses-feedback")).to.not.equal(undefined);
    expect(edge("function:bank-notif-prod-ses-feedback", "table:bank-notif-prod-notifications")).to.not.equal(
      undefined,
    );
  });

  it("draws every failure path into its dead-letter queue, and the alarms notifying the topic", () => {
    const failures = graph.edges
      .filter((candidate) => candidate.kind === "failure")
      .map(({ from, to, label }) => `${from} -> ${to}: ${label}`);
    expect(failures.sort()).to.deep.equal(
      [
        `function:bank-notif-prod-ses-feedback -> queue:bank-notif-prod-feedback-dlq: failed after 2 retries`,
        `queue:bank-notif-prod-notify -> queue:bank-notif-prod-notify-dlq: after 5 receives`,
        `${graph.nodes.find((node) => node.id.startsWith("rules:bank-notif-prod-operations|"))!.id} -> queue:bank-notif-prod-delivery-dlq: undeliverable`,
        `${graph.nodes.find((node) => node.id.startsWith("rules:default|"))!.id} -> queue:bank-notif-prod-delivery-dlq: undeliverable`,
      ].sort(),
    );
    expect(edge("alarms", "topic:bank-notif-prod-alarms")?.label).to.equal("ALARM and OK");
    expect(
      edge("topic:bank-notif-prod-alarms", "subscriber:notifications-oncall@examplebank.com"),
    ).to.not.equal(undefined);
  });

  it("groups the services by role: ingest, routing, notify, feedback, storage, observability, security", () => {
    expect(groupOf("api:notifications-api")).to.equal("ingest");
    expect(groupOf("function:bank-notif-prod-operations-api")).to.equal("ingest");
    expect(groupOf("bus:bank-notif-prod-operations")).to.equal("routing");
    expect(groupOf("queue:bank-notif-prod-delivery-dlq")).to.equal("routing");
    expect(groupOf("queue:bank-notif-prod-notify")).to.equal("notify");
    expect(groupOf("function:bank-notif-prod-notify")).to.equal("notify");
    expect(groupOf("ses")).to.equal("notify");
    expect(groupOf("bus:default")).to.equal("feedback");
    expect(groupOf("queue:bank-notif-prod-feedback-dlq")).to.equal("feedback");
    expect(groupOf("table:bank-notif-prod-notifications")).to.equal("storage");
    expect(groupOf("alarms")).to.equal("observability");
    expect(groupOf("key")).to.equal("security");
    expect(groupOf("secret:bank-notif-prod/hash-key")).to.equal("security");
    for (const group of ["Ingest", "Routing", "Notify", "Feedback", "Storage", "Observability", "Security"]) {
      expect(toDot(graph)).to.include(`label="${group}"`);
    }
  });
});
