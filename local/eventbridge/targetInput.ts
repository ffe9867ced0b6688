import { eventJson, type BusEvent } from "./eventEnvelope";
import { minifyJson } from "./minifyJson";

/**
 * What a rule passes to its target: the event itself, a constant (`Input`), or the event transformed
 * by an input transformer (variables read with JSON paths, substituted into a template).
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_Target.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-transform-target-input.html
 */
export type TargetInput =
  | { kind: "event" }
  | { kind: "constant"; json: string }
  | { kind: "transformer"; paths: Record<string, string>; template: string };

export interface DeliveredEvent {
  event: BusEvent;
  /** The event as patterns and paths read it. */
  value: Record<string, unknown>;
  receivedAt: number;
}

type PathResult = { found: true; value: unknown } | { found: false };

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * The JSON path syntax EventBridge supports: dot notation, array indices and wildcards.
 * A path that does not resolve creates no variable.
 */
export function readJsonPath(root: unknown, path: string): PathResult {
  const steps = path.slice(1).match(/\.[^.[\]]+|\[\d+\]|\[\*\]/g) ?? [];
  if (!path.startsWith("$") || steps.join("") !== path.slice(1)) return { found: false };
  let nodes = [root];
  let wildcard = false;
  for (const step of steps) {
    if (step === ".*" || step === "[*]") {
      wildcard = true;
      nodes = nodes.flatMap((node) =>
        Array.isArray(node) ? node : isRecord(node) ? Object.values(node) : [],
      );
    } else if (step.startsWith("[")) {
      const index = Number(step.slice(1, -1));
      nodes = nodes.flatMap((node) => (Array.isArray(node) && index < node.length ? [node[index]] : []));
    } else {
      const name = step.slice(1);
      nodes = nodes.flatMap((node) => (isRecord(node) && name in node ? [node[name]] : []));
    }
  }
  if (wildcard) return { found: true, value: nodes };
  return nodes.length > 0 ? { found: true, value: nodes[0] } : { found: false };
}

/** A variable's text in the template: strings go in unescaped inside a JSON string, quoted outside. */
type Variable = { json: string } | { text: string };

function variableOf(value: unknown): Variable {
  return typeof value === "string" ? { text: value } : { json: JSON.stringify(value) };
}

/**
 * The reserved variables: `aws.events.event` is the event without its detail, `aws.events.event.json`
 * the whole event, both inserted as JSON wherever they appear.
 */
function reservedVariables(delivered: DeliveredEvent, rule: { name: string; arn: string }) {
  const withoutDetail = Object.fromEntries(
    Object.entries(delivered.value).filter(([key]) => key !== "detail"),
  );
  return new Map<string, Variable>([
    ["aws.events.rule-arn", { text: rule.arn }],
    ["aws.events.rule-name", { text: rule.name }],
    ["aws.events.event.ingestion-time", { text: new Date(delivered.receivedAt).toISOString() }],
    ["aws.events.event", { json: JSON.stringify(withoutDetail) }],
    ["aws.events.event.json", { json: eventJson(delivered.event) }],
  ]);
}

function isJson(text: string): boolean {
  try {
    JSON.parse(text);
    return true;
  } catch {
    return false;
  }
}

/**
 * Substitutes `<name>` in the template. Inside a JSON string a string value goes in as it is
 * ("EventBridge doesn't escape values extracted by Input Path"); a variable whose path matched
 * nothing "isn't created and won't appear in the output"; a `<name>` that is not a variable stays
 * as written. JSON output is passed on minified.
 */
function transform(
  paths: Record<string, string>,
  template: string,
  delivered: DeliveredEvent,
  rule: { name: string; arn: string },
): string {
  const variables = reservedVariables(delivered, rule);
  const missing = new Set<string>();
  for (const [name, path] of Object.entries(paths)) {
    const result = readJsonPath(delivered.value, path);
    if (result.found) variables.set(name, variableOf(result.value));
    else missing.add(name);
  }
  let output = "";
  let inString = false;
  for (let i = 0; i < template.length; i++) {
    const char = template[i];
    const reference = char === "<" ? /^<([^<>"\s]+)>/.exec(template.slice(i)) : null;
    const name = reference?.[1];
    if (name !== undefined && (variables.has(name) || missing.has(name))) {
      const variable = variables.get(name);
      if (variable)
        output +=
          "text" in variable ? (inString ? variable.text : JSON.stringify(variable.text)) : variable.json;
      i += reference![0].length - 1;
      continue;
    }
    output += char;
    if (inString && char === "\\") output += template[++i] ?? "";
    else if (char === '"') inString = !inString;
  }
  return isJson(output) ? minifyJson(output) : output;
}

/** The text the target receives for this event. */
export function renderTargetInput(
  input: TargetInput,
  delivered: DeliveredEvent,
  rule: { name: string; arn: string },
): string {
  switch (input.kind) {
    case "event":
      return eventJson(delivered.event);
    case "constant":
      return input.json;
    case "transformer":
      return transform(input.paths, input.template, delivered, rule);
  }
}
