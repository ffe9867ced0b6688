import { readFileSync, writeFileSync } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { instance } from "@viz-js/viz";
import { REPO_ROOT } from "../local/pulumi/pulumiMocks";
import {
  architectureGraph,
  GROUPS,
  type ArchitectureGraph,
  type EdgeKind,
  type GraphEdge,
  type Group,
} from "./architectureGraph";
import { planStack } from "./plan";

/**
 * `npm run diagram`: draws docs/architecture.svg from the offline plan of a stack (`npm run plan`),
 * laid out by Graphviz's `dot` compiled to WebAssembly (@viz-js/viz: no system package, nothing
 * downloaded at run time). The same plan gives the same SVG, byte for byte, so a spec can tell when
 * the committed picture no longer matches the code.
 */

export const DIAGRAM_FILE = path.join(REPO_ROOT, "docs/architecture.svg");
export const DIAGRAM_STACK = "prod";

const COLOURS: Record<Group, string> = {
  ingest: "#e3f2fd",
  routing: "#ede7f6",
  notify: "#e8f5e9",
  feedback: "#fff8e1",
  storage: "#fce4ec",
  observability: "#eceff1",
  security: "#fbe9e7",
};

const EDGE_STYLES: Record<EdgeKind, string> = {
  flow: 'color="#37474f", fontcolor="#37474f"',
  failure: 'color="#c62828", fontcolor="#c62828", style=dashed',
  access: 'color="#6d6d6d", fontcolor="#6d6d6d", style=dotted, arrowhead=vee',
};

function html(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

function quoted(text: string): string {
  return `"${text.replace(/\\/g, "\\\\").replace(/"/g, '\\"').replace(/\n/g, "\\n")}"`;
}

/** Where dot is told to put things, beyond what the edges say. */
interface Layout {
  /** Edges that do not rank their ends (they would pull a node far from its neighbours). */
  free: Set<GraphEdge>;
  /** Sets of nodes drawn level with each other. */
  levels: string[][];
  /** The longest chain of flows, drawn as a straight line. */
  spine: Set<string>;
}

/**
 * Data, the secret and dead-letter queues serve many stages: their edges leave the ranking to the
 * flows, and each is set level with one neighbour instead (data with the function that uses most of
 * it, the secret with the first function reading it, a dead-letter queue beside the first thing
 * that fails into it). The key and the roles, which no flow reaches, join the secret; what only
 * watches (logs, alarms, the dashboard) sits level with the end of the flow.
 */
function layout(graph: ArchitectureGraph): Layout {
  const groupOf = new Map(graph.nodes.map((node) => [node.id, node.group]));
  const serves = (edge: GraphEdge) =>
    edge.kind === "access" && ["storage", "security"].includes(groupOf.get(edge.to)!);
  const free = new Set(graph.edges.filter((edge) => serves(edge) || edge.kind === "failure"));
  const ranked = graph.edges.filter((edge) => !free.has(edge));

  // How far down the flows each node is: the longest chain of ranked edges leading to it.
  const depth = new Map(graph.nodes.map((node) => [node.id, 0]));
  for (let pass = 0; pass < graph.nodes.length; pass++) {
    for (const edge of ranked) depth.set(edge.to, Math.max(depth.get(edge.to)!, depth.get(edge.from)! + 1));
  }
  const shallowFirst = (a: string, b: string) => depth.get(a)! - depth.get(b)! || a.localeCompare(b);
  const sources = (target: string, edges: GraphEdge[]) =>
    edges.filter((edge) => edge.to === target).map((edge) => edge.from);

  const levels = new Map<string, string[]>();
  const level = (anchor: string | undefined, node: string) => {
    if (anchor !== undefined) levels.set(anchor, [...(levels.get(anchor) ?? [anchor]), node]);
  };
  const data = graph.edges.filter((edge) => serves(edge) && groupOf.get(edge.to) === "storage");
  const uses = (fn: string) => data.filter((edge) => edge.from === fn).length;
  const dataAnchor = data.map((edge) => edge.from).sort((a, b) => uses(b) - uses(a) || shallowFirst(a, b))[0];
  for (const target of new Set(data.map((edge) => edge.to))) level(dataAnchor, target);
  const secretReads = graph.edges.filter((edge) => serves(edge) && groupOf.get(edge.to) === "security");
  const secretAnchor = secretReads.map((edge) => edge.from).sort(shallowFirst)[0];
  for (const target of new Set(secretReads.map((edge) => edge.to))) level(secretAnchor, target);
  const connected = new Set(graph.edges.flatMap((edge) => [edge.from, edge.to]));
  for (const node of graph.nodes) {
    if (node.group === "security" && !connected.has(node.id)) level(secretAnchor, node.id);
  }
  const failures = graph.edges.filter((edge) => edge.kind === "failure");
  for (const target of new Set(failures.map((edge) => edge.to))) {
    level(sources(target, failures).sort(shallowFirst)[0], target);
  }
  const deepest = [...depth.keys()].sort((a, b) => shallowFirst(b, a))[0];
  for (const node of graph.nodes) if (node.group === "observability") level(deepest, node.id);

  const flows = ranked.filter((edge) => edge.kind === "flow");
  const spine = [flows.map((edge) => edge.to).sort((a, b) => shallowFirst(b, a))[0]];
  for (;;) {
    const previous = sources(spine[0], flows).find((from) => depth.get(from) === depth.get(spine[0])! - 1);
    if (previous === undefined) break;
    spine.unshift(previous);
  }
  return { free, levels: [...levels.values()], spine: new Set(spine) };
}

/** The graph in Graphviz's DOT language: one cluster per group, top to bottom in flow order. */
export function toDot(graph: ArchitectureGraph): string {
  const { free, levels, spine } = layout(graph);
  const lines = [
    "digraph architecture {",
    '  graph [rankdir=TB, fontname="Helvetica", fontsize=20, labelloc=t, nodesep=0.5, ranksep=1.1, newrank=true, forcelabels=true,',
    `    label=${quoted(`bank-notification-stack · stack ${graph.stack} · physical names start with ${graph.namePrefix}`)}];`,
    '  node [shape=box, style="rounded,filled", fillcolor=white, fontname="Helvetica", fontsize=12, margin="0.15,0.08"];',
    '  edge [fontname="Helvetica", fontsize=10, penwidth=1.2];',
  ];
  // Declared in this order, dot puts what has no flow between them from left to right.
  for (const group of [
    "security",
    "observability",
    "ingest",
    "routing",
    "notify",
    "feedback",
    "storage",
  ] as Group[]) {
    const members = graph.nodes.filter((node) => node.group === group);
    if (members.length === 0) continue;
    lines.push(
      `  subgraph cluster_${group} {`,
      `    label=${quoted(GROUPS[group])}; style="rounded,filled"; fillcolor="${COLOURS[group]}"; color="#90a4ae"; fontsize=16;`,
    );
    for (const node of members) {
      const details = node.details.map((line) => `<br/><font point-size="10">${html(line)}</font>`).join("");
      const straight = spine.has(node.id) ? ", group=spine" : "";
      lines.push(`    ${quoted(node.id)} [label=<<b>${html(node.title)}</b>${details}>${straight}];`);
    }
    lines.push("  }");
  }
  const levelOf = new Map(levels.flatMap((members, index) => members.map((id) => [id, index])));
  for (const edge of graph.edges) {
    // dot makes room for the label of an edge within one level; elsewhere a label placed once the
    // layout is done (xlabel) keeps the labels of neighbouring edges apart.
    const flat = levelOf.has(edge.from) && levelOf.get(edge.from) === levelOf.get(edge.to);
    const label = `${flat ? "label" : "xlabel"}=${quoted(edge.label)}`;
    const constraint = free.has(edge) ? ", constraint=false" : "";
    lines.push(
      `  ${quoted(edge.from)} -> ${quoted(edge.to)} [${label}, ${EDGE_STYLES[edge.kind]}${constraint}];`,
    );
  }
  for (const members of levels) lines.push(`  { rank=same; ${members.map(quoted).join("; ")}; }`);
  lines.push("}");
  return `${lines.join("\n")}\n`;
}

/** The SVG of a DOT graph, as Graphviz's `dot` lays it out. */
export async function renderSvg(dot: string): Promise<string> {
  const viz = await instance();
  return viz.renderString(dot, { format: "svg", engine: "dot" });
}

/** The architecture of a stack as an SVG, from its plan. */
export async function architectureSvg(stack = DIAGRAM_STACK): Promise<string> {
  return renderSvg(toDot(architectureGraph(await planStack(stack))));
}

const USAGE = `Usage: npm run diagram [-- --stack <stack>] [-- --check]

Draws ${path.relative(REPO_ROOT, DIAGRAM_FILE)} from the offline plan of a stack (default ${DIAGRAM_STACK}):
services grouped by role, and the flows the resources declare.

  --stack <stack>  the stack to draw (a Pulumi.<stack>.yaml of this repository)
  --check          write nothing; exit 1 if the committed file differs from what the plan gives
  --help           this text`;

async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      stack: { type: "string", default: DIAGRAM_STACK },
      check: { type: "boolean", default: false },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  // The program's and Pulumi's logs are not the picture: keep stdout for what this tool says.
  console.log =
    console.info =
    console.debug =
      (...parts: unknown[]) => process.stderr.write(`${parts.map(String).join(" ")}\n`);
  const svg = await architectureSvg(values.stack);
  const file = path.relative(process.cwd(), DIAGRAM_FILE);
  if (values.check) {
    const current = readFileSync(DIAGRAM_FILE, "utf8");
    if (current === svg) return 0;
    process.stderr.write(`${file} is stale: run npm run diagram\n`);
    return 1;
  }
  writeFileSync(DIAGRAM_FILE, svg);
  process.stdout.write(`wrote ${file} (stack ${values.stack})\n`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (error: unknown) => {
      process.stderr.write(
        `diagram failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n\n${USAGE}\n`,
      );
      process.exit(1);
    },
  );
}
