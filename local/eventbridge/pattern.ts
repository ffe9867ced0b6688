import { isIP } from "node:net";

/**
 * Amazon EventBridge event-pattern matching and PutRule-time validation.
 *
 * Semantics follow the EventBridge user guide (content filtering, arrays, null and empty values) and,
 * where the guide is silent, AWS's own matching engine (github.com/aws/event-ruler): the pattern and the
 * event are both read as dot-joined paths to leaf values, a null is a leaf value, an empty array or object
 * has none, and fields matched inside one array element must come from the same element.
 * docs/AWS-SEMANTICS.md lists each behaviour with its documentation page and test.
 */

type Scalar = string | number | boolean | null;
type Membership = ReadonlyMap<number, number>;

interface Leaf {
  value: Scalar;
  /** For each array of objects or arrays the leaf sits in: array id -> element index. */
  membership: Membership;
}

interface FieldCondition {
  path: string;
  conditions: unknown[];
}

const NUMERIC_LIMIT = 5e9;
const MAX_DECIMALS = 6;
const NUMERIC_OPERATORS = ["=", "<", "<=", ">", ">="];
const STRING_SET_OPERATORS = ["prefix", "suffix", "equals-ignore-case", "wildcard"];
/** Names EventBridge refuses as field names inside `$or`: its operators and the words it reserves. */
const RESERVED_IN_OR = new Set([
  ...NUMERIC_OPERATORS,
  "exactly",
  "equals-ignore-case",
  "prefix",
  "suffix",
  "anything-but",
  "exists",
  "wildcard",
  "numeric",
  "cidr",
  "regex",
  "not-wildcard",
  "not-equals-ignore-case",
  "date-after",
  "date-on-or-after",
  "date-before",
  "date-on-or-before",
  "in-date-range",
  "ip-address-in-range",
  "ip-address-not-in-range",
]);

/** True when `event` matches `pattern`. Throws when the pattern is one EventBridge's PutRule would reject. */
export function matchesPattern(pattern: object, event: object): boolean {
  const problems = validatePattern(pattern);
  if (problems.length > 0) throw new Error(`Event pattern is not valid: ${problems.join("; ")}`);
  const leaves = flattenEvent(event);
  return branches(pattern as Record<string, unknown>, "").some((fields) =>
    satisfies(lastPerPath(fields), leaves, new Map(), []),
  );
}

/** What EventBridge's PutRule would reject in `pattern`, one sentence each; empty when the pattern is valid. */
export function validatePattern(pattern: unknown): string[] {
  if (!isObject(pattern)) return ["Filter is not an object"];
  return validateObject(pattern, "", false);
}

function flattenEvent(event: object): Map<string, Leaf[]> {
  const leaves = new Map<string, Leaf[]>();
  let arrays = 0;
  const visit = (node: unknown, path: string, membership: Membership): void => {
    if (Array.isArray(node)) {
      const id = arrays++;
      node.forEach((element, index) => {
        const nested = Array.isArray(element) || isObject(element);
        visit(element, path, nested ? new Map(membership).set(id, index) : membership);
      });
    } else if (isObject(node)) {
      for (const [key, child] of Object.entries(node)) visit(child, joinPath(path, key), membership);
    } else if (node !== undefined) {
      const list = leaves.get(path) ?? [];
      list.push({ value: node as Scalar, membership });
      leaves.set(path, list);
    }
  };
  visit(event, "", new Map());
  return leaves;
}

/** Expands every `$or` so that each branch is a plain AND of field conditions. */
function branches(pattern: Record<string, unknown>, path: string): FieldCondition[][] {
  let result: FieldCondition[][] = [[]];
  for (const [key, value] of Object.entries(pattern)) {
    const alternatives =
      key === "$or"
        ? (value as Record<string, unknown>[]).flatMap((choice) => branches(choice, path))
        : Array.isArray(value)
          ? [[{ path: joinPath(path, key), conditions: value }]]
          : branches(value as Record<string, unknown>, joinPath(path, key));
    result = result.flatMap((branch) => alternatives.map((alternative) => [...branch, ...alternative]));
  }
  return result;
}

/** When a path is named twice (`"a.b"` and `"a": { "b" }`), EventBridge uses the last one. */
function lastPerPath(fields: FieldCondition[]): FieldCondition[] {
  return fields.filter((field, i) => !fields.slice(i + 1).some((later) => later.path === field.path));
}

/** Picks, field by field, a leaf that matches and stays in the array elements already chosen. */
function satisfies(
  fields: FieldCondition[],
  leaves: Map<string, Leaf[]>,
  membership: Membership,
  absent: string[],
): boolean {
  const [field, ...rest] = fields;
  if (field === undefined) {
    return absent.every((path) => consistentLeaves(leaves, path, membership).length === 0);
  }
  return field.conditions.some((condition) => {
    if (isObject(condition) && condition.exists === false) {
      return satisfies(rest, leaves, membership, [...absent, field.path]);
    }
    // Leaves that share a membership (the scalars of one array) bind the same elements: try each binding once.
    const bindings = new Set(
      consistentLeaves(leaves, field.path, membership)
        .filter((leaf) => matchesValue(condition, leaf.value))
        .map((leaf) => leaf.membership),
    );
    return [...bindings].some((binding) =>
      satisfies(rest, leaves, new Map([...membership, ...binding]), absent),
    );
  });
}

function consistentLeaves(leaves: Map<string, Leaf[]>, path: string, membership: Membership): Leaf[] {
  return (leaves.get(path) ?? []).filter((leaf) => isConsistent(leaf.membership, membership));
}

function isConsistent(leafMembership: Membership, membership: Membership): boolean {
  for (const [array, index] of leafMembership) {
    if ((membership.get(array) ?? index) !== index) return false;
  }
  return true;
}

function matchesValue(condition: unknown, value: Scalar): boolean {
  if (!isObject(condition)) return condition === value;
  const [operator, operand] = Object.entries(condition)[0];
  switch (operator) {
    case "exists":
      return operand === true;
    case "anything-but":
      return !isExcluded(operand, value);
    case "numeric":
      return (
        typeof value === "number" &&
        numberProblem(value) === undefined &&
        inRange(operand as unknown[], value)
      );
    case "cidr":
      return typeof value === "string" && inCidr(operand as string, value);
    default:
      return typeof value === "string" && matchesString(operator, operand, value);
  }
}

function isExcluded(operand: unknown, value: Scalar): boolean {
  if (Array.isArray(operand)) return operand.includes(value);
  if (!isObject(operand)) return operand === value;
  const [operator, excluded] = Object.entries(operand)[0];
  return typeof value === "string" && [excluded].flat().some((item) => matchesString(operator, item, value));
}

/** prefix, suffix, equals-ignore-case and wildcard; prefix and suffix may wrap `{ "equals-ignore-case": … }`. */
function matchesString(operator: string, operand: unknown, value: string): boolean {
  if (isObject(operand)) {
    return matchesString(operator, String(operand["equals-ignore-case"]).toLowerCase(), value.toLowerCase());
  }
  const expected = String(operand);
  switch (operator) {
    case "prefix":
      return value.startsWith(expected);
    case "suffix":
      return value.endsWith(expected);
    case "equals-ignore-case":
      return value.toLowerCase() === expected.toLowerCase();
    default:
      return wildcardRegExp(expected).test(value);
  }
}

function inRange(operand: unknown[], value: number): boolean {
  const compare: Record<string, (bound: number) => boolean> = {
    "=": (bound) => value === bound,
    "<": (bound) => value < bound,
    "<=": (bound) => value <= bound,
    ">": (bound) => value > bound,
    ">=": (bound) => value >= bound,
  };
  for (let i = 0; i < operand.length; i += 2) {
    if (!compare[operand[i] as string](operand[i + 1] as number)) return false;
  }
  return true;
}

/** `*` matches any run of characters (none included), `\*` a literal asterisk, `\\` a literal backslash. */
function wildcardRegExp(wildcard: string): RegExp {
  let source = "";
  for (let i = 0; i < wildcard.length; i++) {
    if (wildcard[i] === "*") {
      source += ".*";
    } else {
      const literal = wildcard[i] === "\\" ? wildcard[++i] : wildcard[i];
      source += literal.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    }
  }
  return new RegExp(`^${source}$`, "s");
}

function inCidr(cidr: string, value: string): boolean {
  const [ip, bits] = cidr.split("/");
  const network = addressBytes(ip);
  const address = addressBytes(value);
  if (network === undefined || address === undefined || network.length !== address.length) return false;
  return network.every((byte, i) => {
    const maskBits = Math.min(8, Math.max(0, Number(bits) - 8 * i));
    const mask = (0xff << (8 - maskBits)) & 0xff;
    return ((byte ^ address[i]) & mask) === 0;
  });
}

/** An IPv4 or IPv6 address as bytes; like EventBridge, IPv6 is read only in its hex-and-colons form. */
function addressBytes(ip: string): number[] | undefined {
  if (isIP(ip) === 4) return ip.split(".").map(Number);
  if (isIP(ip) !== 6 || !/^[0-9a-fA-F:]+$/.test(ip)) return undefined;
  const groups = (part: string) => (part === "" ? [] : part.split(":"));
  const [head, tail] = ip.split("::");
  const hextets =
    tail === undefined
      ? groups(head)
      : [...groups(head), ...Array(8 - groups(head).length - groups(tail).length).fill("0"), ...groups(tail)];
  return hextets.flatMap((hextet) => [parseInt(hextet, 16) >> 8, parseInt(hextet, 16) & 0xff]);
}

function validateObject(node: Record<string, unknown>, path: string, insideOr: boolean): string[] {
  const entries = Object.entries(node);
  if (entries.length === 0) return [`${at(path)}empty objects are not allowed`];
  return entries.flatMap(([key, value]) => {
    const fieldPath = joinPath(path, key);
    if (key === "$or") return validateOr(value, path);
    if (insideOr && RESERVED_IN_OR.has(key)) {
      return [`${at(fieldPath)}"${key}" is a reserved word and cannot be a field name inside $or`];
    }
    if (Array.isArray(value)) return validateValues(value, fieldPath);
    if (isObject(value)) return validateObject(value, fieldPath, insideOr);
    return [`${at(fieldPath)}must be an object or an array, e.g. ["${String(value)}"]`];
  });
}

function validateOr(value: unknown, path: string): string[] {
  if (!Array.isArray(value) || value.length < 2 || !value.every(isObject)) {
    return [`${at(joinPath(path, "$or"))}must be an array of at least two objects`];
  }
  return value.flatMap((choice) => validateObject(choice, path, true));
}

function validateValues(values: unknown[], path: string): string[] {
  if (values.length === 0) return [`${at(path)}empty arrays are not allowed`];
  return values.flatMap((value) => {
    if (isObject(value)) return validateMatcher(value, path);
    if (value === null || ["string", "number", "boolean"].includes(typeof value)) return [];
    return [`${at(path)}a match value must be a string, number, true, false, null or an operator object`];
  });
}

function validateMatcher(matcher: Record<string, unknown>, path: string): string[] {
  const entries = Object.entries(matcher);
  if (entries.length !== 1) return [`${at(path)}a match expression must have exactly one operator`];
  const [operator, operand] = entries[0];
  const problem = operatorProblem(operator, operand);
  return problem === undefined ? [] : [`${at(path)}${problem}`];
}

function operatorProblem(operator: string, operand: unknown): string | undefined {
  switch (operator) {
    case "prefix":
    case "suffix":
      if (isObject(operand)) {
        const keys = Object.keys(operand);
        if (keys.length !== 1 || keys[0] !== "equals-ignore-case") {
          return `unsupported ${operator} pattern: only { "equals-ignore-case": "…" } may be nested in ${operator}`;
        }
        return typeof operand["equals-ignore-case"] === "string"
          ? undefined
          : "equals-ignore-case match pattern must be a string";
      }
      return typeof operand === "string" ? undefined : `${operator} match pattern must be a string`;
    case "equals-ignore-case":
      return typeof operand === "string" ? undefined : "equals-ignore-case match pattern must be a string";
    case "wildcard":
      return typeof operand === "string"
        ? wildcardProblem(operand)
        : "wildcard match pattern must be a string";
    case "exists":
      return typeof operand === "boolean" ? undefined : "exists match pattern must be either true or false";
    case "numeric":
      return numericProblem(operand);
    case "cidr":
      return typeof operand === "string" ? cidrProblem(operand) : "cidr match pattern must be a string";
    case "anything-but":
      return anythingButProblem(operand);
    default:
      return `unrecognized match type ${operator}`;
  }
}

function anythingButProblem(operand: unknown): string | undefined {
  if (typeof operand === "string") return undefined;
  if (typeof operand === "number") return numberProblem(operand);
  if (Array.isArray(operand)) {
    const allStrings = operand.every((item) => typeof item === "string");
    const allNumbers = operand.every((item) => typeof item === "number");
    if (operand.length === 0 || (!allStrings && !allNumbers)) {
      return "an anything-but list must hold only strings or only numbers";
    }
    return allNumbers ? operand.map(numberProblem).find((problem) => problem !== undefined) : undefined;
  }
  if (!isObject(operand)) return "value of anything-but must be an array or a single string or number";
  const entries = Object.entries(operand);
  if (entries.length !== 1 || !STRING_SET_OPERATORS.includes(entries[0][0])) {
    return `unsupported anything-but pattern: use one of ${STRING_SET_OPERATORS.join(", ")}`;
  }
  const [operator, excluded] = entries[0];
  const items = [excluded].flat();
  if (!items.every((item) => typeof item === "string")) {
    return `anything-but ${operator} takes a string or a list of strings`;
  }
  if ((operator === "prefix" || operator === "suffix") && items.includes("")) {
    return `anything-but ${operator} must not be empty`;
  }
  return operator === "wildcard"
    ? items.map(wildcardProblem).find((problem) => problem !== undefined)
    : undefined;
}

function numericProblem(operand: unknown): string | undefined {
  if (!Array.isArray(operand)) return 'value of numeric must be an array, e.g. [">", 0, "<=", 5]';
  const [first, bottom, second, top, ...extra] = operand;
  if (typeof first !== "string" || !NUMERIC_OPERATORS.includes(first)) {
    return `unrecognized numeric operator ${JSON.stringify(first)}: use one of ${NUMERIC_OPERATORS.join(" ")}`;
  }
  if (typeof bottom !== "number") return `value of ${first} must be numeric`;
  if (operand.length === 2) return numberProblem(bottom);
  if (first !== ">" && first !== ">=") return `a numeric range must start with > or >=, not ${first}`;
  if (second !== "<" && second !== "<=") {
    return `bad numeric range operator ${JSON.stringify(second)}: use < or <=`;
  }
  if (typeof top !== "number") return `value of ${second} must be numeric`;
  if (extra.length > 0) return "too many terms in numeric range expression";
  if (bottom >= top) return "numeric range bottom must be less than top";
  return numberProblem(bottom) ?? numberProblem(top);
}

/** EventBridge compares numbers between -5.0e9 and +5.0e9 inclusive, to six digits after the point. */
function numberProblem(value: number): string | undefined {
  if (!(Math.abs(value) <= NUMERIC_LIMIT)) return `${value} is outside the supported range -5.0e9 to 5.0e9`;
  const [mantissa, exponent = "0"] = String(value).split("e");
  const decimals = (mantissa.split(".")[1] ?? "").length - Number(exponent);
  return decimals > MAX_DECIMALS
    ? `${value} has more than ${MAX_DECIMALS} digits after the decimal point`
    : undefined;
}

function wildcardProblem(wildcard: string): string | undefined {
  for (let i = 0; i < wildcard.length; i++) {
    if (wildcard[i] === "*" && wildcard[i + 1] === "*") return `consecutive wildcard characters at pos ${i}`;
    if (wildcard[i] === "\\") {
      if (wildcard[i + 1] !== "*" && wildcard[i + 1] !== "\\") return `invalid escape character at pos ${i}`;
      i++;
    }
  }
  return undefined;
}

function cidrProblem(cidr: string): string | undefined {
  const parts = cidr.split("/");
  if (parts.length !== 2) return `malformed CIDR ${cidr}: one '/' required, e.g. 10.0.0.0/24`;
  const [ip, bits] = parts;
  if (!/^\d+$/.test(bits)) return `malformed CIDR ${cidr}: mask bits must be a non-negative integer`;
  const bytes = addressBytes(ip);
  if (bytes === undefined) return `nonstandard IP address: ${ip}`;
  const addressBits = bytes.length * 8;
  return Number(bits) < addressBits
    ? undefined
    : `IPv${bytes.length === 4 ? 4 : 6} mask bits must be < ${addressBits}`;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === "object" && !Array.isArray(value);
}

function joinPath(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

function at(path: string): string {
  return path === "" ? "" : `${path}: `;
}
