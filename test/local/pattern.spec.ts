import { expect } from "chai";
import { matchesPattern, validatePattern } from "../../local/eventbridge/pattern";

// Each row: the behaviour, the pattern, the event and whether EventBridge matches it.
// docs/AWS-SEMANTICS.md links every title here to the AWS page that defines the behaviour.
interface Row {
  it: string;
  pattern: object;
  event: object;
  matches: boolean;
}

function matchTable(title: string, rows: Row[]): void {
  describe(title, () => {
    for (const row of rows) {
      it(row.it, () => expect(matchesPattern(row.pattern, row.event)).to.equal(row.matches));
    }
  });
}

const ENVELOPE = {
  version: "0",
  id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "Operation Recorded",
  source: "bank.operations",
  account: "111122223333",
  time: "2026-03-14T09:30:00Z",
  region: "eu-west-1",
  resources: ["arn:aws:dynamodb:eu-west-1:111122223333:table/operations"],
};

function withDetail(detail: unknown, fields: object = {}): object {
  return { ...ENVELOPE, ...fields, detail };
}

matchTable("eventbridge pattern: exact values", [
  {
    it: "matches a string exactly",
    pattern: { source: ["bank.operations"] },
    event: ENVELOPE,
    matches: true,
  },
  {
    it: "matches strings case-sensitively",
    pattern: { source: ["Bank.Operations"] },
    event: ENVELOPE,
    matches: false,
  },
  {
    it: "treats the values of a pattern field as OR",
    pattern: { source: ["aws.ec2", "bank.operations"] },
    event: ENVELOPE,
    matches: true,
  },
  {
    it: "does not match when no value of the pattern field matches",
    pattern: { source: ["aws.ec2", "aws.fargate"] },
    event: ENVELOPE,
    matches: false,
  },
  {
    it: "requires every field the pattern names to match (AND)",
    pattern: { source: ["bank.operations"], detail: { state: ["settled"] } },
    event: withDetail({ state: "pending" }),
    matches: false,
  },
  {
    it: "ignores event fields the pattern does not name",
    pattern: { detail: { state: ["settled"] } },
    event: withDetail({ state: "settled", amount: 10, extra: { deep: true } }),
    matches: true,
  },
  {
    it: "does not match when a field the pattern names is missing",
    pattern: { detail: { state: ["settled"] } },
    event: withDetail({ status: "settled" }),
    matches: false,
  },
  {
    it: "matches field names case-sensitively",
    pattern: { detail: { State: ["settled"] } },
    event: withDetail({ state: "settled" }),
    matches: false,
  },
  {
    it: "matches a number against a JSON number",
    pattern: { detail: { amount: [100] } },
    event: withDetail({ amount: 100 }),
    matches: true,
  },
  {
    it: "matches a number whatever its JSON spelling (300, 300.0, 3.0e2)",
    pattern: { detail: { amount: [300] } },
    event: JSON.parse('{"detail": {"amount": 3.0e2}}'),
    matches: true,
  },
  {
    it: "does not match a number against the same digits in a JSON string",
    pattern: { detail: { amount: [100] } },
    event: withDetail({ amount: "100" }),
    matches: false,
  },
  {
    it: "does not match a string against the same digits in a JSON number",
    pattern: { detail: { code: ["100"] } },
    event: withDetail({ code: 100 }),
    matches: false,
  },
  {
    it: "matches a boolean against a JSON boolean",
    pattern: { detail: { urgent: [false] } },
    event: withDetail({ urgent: false }),
    matches: true,
  },
  {
    it: "does not match a boolean against the string true",
    pattern: { detail: { urgent: [true] } },
    event: withDetail({ urgent: "true" }),
    matches: false,
  },
  {
    it: "does not parse a string field that holds JSON",
    pattern: { detail: { state: ["settled"] } },
    event: withDetail('{"state": "settled"}'),
    matches: false,
  },
]);

matchTable("eventbridge pattern: arrays", [
  {
    it: "matches when any element of an event array matches any pattern value",
    pattern: { resources: ["arn:aws:sqs:eu-west-1:111122223333:q", ENVELOPE.resources[0]] },
    event: { ...ENVELOPE, resources: ["arn:aws:s3:::bucket", ENVELOPE.resources[0]] },
    matches: true,
  },
  {
    it: "does not match when the pattern values and the event array do not intersect",
    pattern: { resources: ["arn:aws:sqs:eu-west-1:111122223333:q"] },
    event: { ...ENVELOPE, resources: ["arn:aws:s3:::bucket", ENVELOPE.resources[0]] },
    matches: false,
  },
  {
    it: "matches fields inside an array of objects",
    pattern: { detail: { lines: { id: [{ exists: true }] } } },
    event: withDetail({ lines: [{ key: "a" }, { id: "match-does-exist" }, { key: "b" }] }),
    matches: true,
  },
  {
    it: "matches several fields inside the same array element",
    pattern: { detail: { lines: { currency: ["EUR"], kind: ["debit"] } } },
    event: withDetail({
      lines: [
        { currency: "USD", kind: "debit" },
        { currency: "EUR", kind: "debit" },
      ],
    }),
    matches: true,
  },
  {
    it: "does not combine fields from different elements of the same array",
    pattern: { detail: { lines: { currency: ["EUR"], kind: ["credit"] } } },
    event: withDetail({
      lines: [
        { currency: "EUR", kind: "debit" },
        { currency: "USD", kind: "credit" },
      ],
    }),
    matches: false,
  },
  {
    it: "reads nested arrays as one list of values",
    pattern: { detail: { tags: ["vip"] } },
    event: withDetail({ tags: [["new", "retail"], ["vip"]] }),
    matches: true,
  },
  {
    it: "does not match a nested array that lacks the value",
    pattern: { detail: { tags: ["vip"] } },
    event: withDetail({ tags: [["new", "retail"], ["staff"]] }),
    matches: false,
  },
]);

matchTable("eventbridge pattern: null, empty and missing values", [
  {
    it: "[null] matches a null value",
    pattern: { detail: { responseElements: [null] } },
    event: withDetail({ responseElements: null }),
    matches: true,
  },
  {
    it: "[null] does not match a missing field",
    pattern: { detail: { responseElements: [null] } },
    event: withDetail({}),
    matches: false,
  },
  {
    it: "[null] does not match the string null",
    pattern: { detail: { responseElements: [null] } },
    event: withDetail({ responseElements: "null" }),
    matches: false,
  },
  {
    it: "[null] does not match an empty string",
    pattern: { detail: { responseElements: [null] } },
    event: withDetail({ responseElements: "" }),
    matches: false,
  },
  {
    it: "[null] does not match an empty array",
    pattern: { resources: [null] },
    event: { ...ENVELOPE, resources: [] },
    matches: false,
  },
  {
    it: '[""] matches an empty string',
    pattern: { detail: { eventVersion: [""] } },
    event: withDetail({ eventVersion: "" }),
    matches: true,
  },
  {
    it: '[""] does not match a null value',
    pattern: { detail: { eventVersion: [""] } },
    event: withDetail({ eventVersion: null }),
    matches: false,
  },
  {
    it: '[""] does not match a missing field',
    pattern: { detail: { eventVersion: [""] } },
    event: withDetail({}),
    matches: false,
  },
]);

matchTable("eventbridge pattern: prefix", [
  {
    it: "matches a string that starts with the prefix",
    pattern: { time: [{ prefix: "2026-03-14" }] },
    event: ENVELOPE,
    matches: true,
  },
  {
    it: "does not match a string that does not start with the prefix",
    pattern: { time: [{ prefix: "2026-03-15" }] },
    event: ENVELOPE,
    matches: false,
  },
  {
    it: "matches case-sensitively",
    pattern: { source: [{ prefix: "Bank." }] },
    event: ENVELOPE,
    matches: false,
  },
  {
    it: "applies only to strings, not numbers",
    pattern: { detail: { year: [{ prefix: "20" }] } },
    event: withDetail({ year: 2026 }),
    matches: false,
  },
  {
    it: "an empty prefix matches any string",
    pattern: { source: [{ prefix: "" }] },
    event: ENVELOPE,
    matches: true,
  },
  {
    it: "prefix with equals-ignore-case matches whatever the case",
    pattern: { detail: { service: [{ prefix: { "equals-ignore-case": "EventB" } }] } },
    event: withDetail({ service: "eVENTbridge" }),
    matches: true,
  },
  {
    it: "prefix with equals-ignore-case does not match another prefix",
    pattern: { detail: { service: [{ prefix: { "equals-ignore-case": "EventB" } }] } },
    event: withDetail({ service: "EventualConsistency" }),
    matches: false,
  },
]);

matchTable("eventbridge pattern: suffix", [
  {
    it: "matches a string that ends with the suffix",
    pattern: { detail: { FileName: [{ suffix: ".png" }] } },
    event: withDetail({ FileName: "image.png" }),
    matches: true,
  },
  {
    it: "matches case-sensitively",
    pattern: { detail: { FileName: [{ suffix: ".png" }] } },
    event: withDetail({ FileName: "image.PNG" }),
    matches: false,
  },
  {
    it: "suffix with equals-ignore-case matches whatever the case",
    pattern: { detail: { FileName: [{ suffix: { "equals-ignore-case": ".png" } }] } },
    event: withDetail({ FileName: "image.PNG" }),
    matches: true,
  },
  {
    it: "suffix with equals-ignore-case does not match another suffix",
    pattern: { detail: { FileName: [{ suffix: { "equals-ignore-case": ".png" } }] } },
    event: withDetail({ FileName: "image.jpg" }),
    matches: false,
  },
]);

matchTable("eventbridge pattern: equals-ignore-case", [
  {
    it: "matches a string whatever its case",
    pattern: { "detail-type": [{ "equals-ignore-case": "operation RECORDED" }] },
    event: ENVELOPE,
    matches: true,
  },
  {
    it: "does not match a different string",
    pattern: { "detail-type": [{ "equals-ignore-case": "I do not match" }] },
    event: ENVELOPE,
    matches: false,
  },
  {
    it: "an empty value matches only an empty string",
    pattern: { detail: { value: [{ "equals-ignore-case": "" }] } },
    event: withDetail({ value: "test-value" }),
    matches: false,
  },
  {
    it: "applies only to strings, not numbers",
    pattern: { detail: { code: [{ "equals-ignore-case": "100" }] } },
    event: withDetail({ code: 100 }),
    matches: false,
  },
]);

matchTable("eventbridge pattern: anything-but", [
  {
    it: "a string matches any other value",
    pattern: { detail: { state: [{ "anything-but": "initializing" }] } },
    event: withDetail({ state: "pending" }),
    matches: true,
  },
  {
    it: "a string does not match that string",
    pattern: { detail: { state: [{ "anything-but": "initializing" }] } },
    event: withDetail({ state: "initializing" }),
    matches: false,
  },
  {
    it: "a number matches any other number",
    pattern: { detail: { "x-limit": [{ "anything-but": 123 }] } },
    event: withDetail({ "x-limit": 789 }),
    matches: true,
  },
  {
    it: "a number does not match that number",
    pattern: { detail: { "x-limit": [{ "anything-but": 123 }] } },
    event: withDetail({ "x-limit": 123 }),
    matches: false,
  },
  {
    it: "a list of strings does not match any of them",
    pattern: { detail: { state: [{ "anything-but": ["stopped", "overloaded"] }] } },
    event: withDetail({ state: "overloaded" }),
    matches: false,
  },
  {
    it: "a list of numbers matches a number outside the list",
    pattern: { detail: { "x-limit": [{ "anything-but": [100, 200, 300] }] } },
    event: withDetail({ "x-limit": 999 }),
    matches: true,
  },
  {
    it: "a list of numbers does not match a number in the list",
    pattern: { detail: { "x-limit": [{ "anything-but": [100, 200, 300] }] } },
    event: withDetail({ "x-limit": 200 }),
    matches: false,
  },
  {
    it: "matches a null value",
    pattern: { detail: { state: [{ "anything-but": ["stopped", "running"] }] } },
    event: withDetail({ state: null }),
    matches: true,
  },
  {
    it: "does not match a missing field",
    pattern: { detail: { state: [{ "anything-but": "initializing" }] } },
    event: withDetail({}),
    matches: false,
  },
  {
    it: "matches an event array that holds a value outside the list",
    pattern: { detail: { state: [{ "anything-but": ["stopped"] }] } },
    event: withDetail({ state: ["stopped", "running"] }),
    matches: true,
  },
  {
    it: "does not match an event array whose values are all excluded",
    pattern: { detail: { state: [{ "anything-but": ["stopped"] }] } },
    event: withDetail({ state: ["stopped", "stopped"] }),
    matches: false,
  },
  {
    it: "prefix matches a string without the prefix",
    pattern: { detail: { state: [{ "anything-but": { prefix: "init" } }] } },
    event: withDetail({ state: "post-init" }),
    matches: true,
  },
  {
    it: "prefix does not match a string with the prefix",
    pattern: { detail: { state: [{ "anything-but": { prefix: "init" } }] } },
    event: withDetail({ state: "init-prefix" }),
    matches: false,
  },
  {
    it: "prefix list does not match a string with any of the prefixes",
    pattern: { detail: { state: [{ "anything-but": { prefix: ["init", "post"] } }] } },
    event: withDetail({ state: "post-init" }),
    matches: false,
  },
  {
    it: "prefix matches a number, which has no prefix",
    pattern: { detail: { state: [{ "anything-but": { prefix: "init" } }] } },
    event: withDetail({ state: 12 }),
    matches: true,
  },
  {
    it: "prefix matches a number even when its digits start with the prefix",
    pattern: { detail: { code: [{ "anything-but": { prefix: "1" } }] } },
    event: withDetail({ code: 12 }),
    matches: true,
  },
  {
    it: "suffix matches a string without the suffix",
    pattern: { detail: { FileName: [{ "anything-but": { suffix: ".txt" } }] } },
    event: withDetail({ FileName: "file.txt.bak" }),
    matches: true,
  },
  {
    it: "suffix does not match a string with the suffix",
    pattern: { detail: { FileName: [{ "anything-but": { suffix: ".txt" } }] } },
    event: withDetail({ FileName: "file.txt" }),
    matches: false,
  },
  {
    it: "equals-ignore-case matches another string",
    pattern: { detail: { state: [{ "anything-but": { "equals-ignore-case": "initializing" } }] } },
    event: withDetail({ state: "pending" }),
    matches: true,
  },
  {
    it: "equals-ignore-case does not match the string in another case",
    pattern: { detail: { state: [{ "anything-but": { "equals-ignore-case": "initializing" } }] } },
    event: withDetail({ state: "INITIALIZING" }),
    matches: false,
  },
  {
    it: "equals-ignore-case list does not match any of them in another case",
    pattern: {
      detail: { state: [{ "anything-but": { "equals-ignore-case": ["initializing", "stopped"] } }] },
    },
    event: withDetail({ state: "Stopped" }),
    matches: false,
  },
  {
    it: "wildcard matches a string outside the wildcard",
    pattern: { detail: { FilePath: [{ "anything-but": { wildcard: "*/lib/*" } }] } },
    event: withDetail({ FilePath: "/usr/bin/tool" }),
    matches: true,
  },
  {
    it: "wildcard does not match a string the wildcard matches",
    pattern: { detail: { FilePath: [{ "anything-but": { wildcard: "*/lib/*" } }] } },
    event: withDetail({ FilePath: "/usr/lib/tool" }),
    matches: false,
  },
  {
    it: "wildcard matches a number, which no wildcard matches",
    pattern: { detail: { FilePath: [{ "anything-but": { wildcard: "*/dir/*" } }] } },
    event: withDetail({ FilePath: 123 }),
    matches: true,
  },
]);

matchTable("eventbridge pattern: numeric", [
  { it: "= matches an equal number", ...numeric(["=", 301.8], 301.8, true) },
  { it: "= does not match another number", ...numeric(["=", 301.8], 301.9, false) },
  { it: "< matches a smaller number", ...numeric(["<", 10], 9.999999, true) },
  { it: "< does not match the bound", ...numeric(["<", 10], 10, false) },
  { it: "<= matches the bound", ...numeric(["<=", 10], 10, true) },
  { it: "<= does not match a larger number", ...numeric(["<=", 10], 10.000001, false) },
  { it: "> does not match the bound", ...numeric([">", 0], 0, false) },
  { it: "> matches a larger number", ...numeric([">", 0], 0.000001, true) },
  { it: ">= matches the bound", ...numeric([">=", -3], -3, true) },
  { it: ">= does not match a smaller number", ...numeric([">=", -3], -3.5, false) },
  { it: "a range includes its closed top", ...numeric([">", 0, "<=", 5], 5, true) },
  { it: "a range excludes its open bottom", ...numeric([">", 0, "<=", 5], 0, false) },
  { it: "a range excludes values above the top", ...numeric([">", 0, "<=", 5], 5.000001, false) },
  { it: "a range with an open top excludes the top", ...numeric([">=", 200, "<", 500], 500, false) },
  { it: "a 20000000 amount matches >= 10000", ...numeric([">=", 10000], 20_000_000, true) },
  { it: "never matches a JSON string, even of digits", ...numeric([">", 10], "100", false) },
  { it: "never matches null", ...numeric([">", 10], null, false) },
  { it: "matches the 5.0e9 upper bound", ...numeric(["<=", 5e9], 5_000_000_000, true) },
  { it: "matches the -5.0e9 lower bound", ...numeric([">=", -5e9], -5_000_000_000, true) },
  { it: "does not match a value above 5.0e9", ...numeric([">", 0], 5_000_000_001, false) },
  { it: "does not match a value below -5.0e9", ...numeric(["<", 0], -5_000_000_001, false) },
  { it: "does not match a value with more than six decimals", ...numeric([">", 0], 0.0000001, false) },
  {
    it: "does not match a missing field",
    pattern: { detail: { amount: [{ numeric: [">", 100] }] } },
    event: withDetail({}),
    matches: false,
  },
  {
    it: "matches when any element of an event array is in range",
    pattern: { detail: { amounts: [{ numeric: [">", 100] }] } },
    event: withDetail({ amounts: [5, 150] }),
    matches: true,
  },
]);

function numeric(operand: unknown[], amount: unknown, matches: boolean): Omit<Row, "it"> {
  return { pattern: { detail: { amount: [{ numeric: operand }] } }, event: withDetail({ amount }), matches };
}

matchTable("eventbridge pattern: exists", [
  {
    it: "exists true matches a present field",
    pattern: { detail: { state: [{ exists: true }] } },
    event: withDetail({ state: "pending" }),
    matches: true,
  },
  {
    it: "exists true does not match a missing field",
    pattern: { detail: { state: [{ exists: true }] } },
    event: withDetail({ other: "pending" }),
    matches: false,
  },
  {
    it: "exists false matches a missing field",
    pattern: { detail: { "c-count": [{ exists: false }] } },
    event: withDetail({ state: "pending" }),
    matches: true,
  },
  {
    it: "exists false does not match a present field",
    pattern: { detail: { "c-count": [{ exists: false }] } },
    event: withDetail({ "c-count": 5 }),
    matches: false,
  },
  {
    it: "exists false matches when a parent of the field is missing",
    pattern: { detail: { level1: { level2: { level3: [{ exists: false }] } } } },
    event: withDetail({ other: 1 }),
    matches: true,
  },
  {
    it: "exists true matches a field whose value is null",
    pattern: { detail: { responseElements: [{ exists: true }] } },
    event: withDetail({ responseElements: null }),
    matches: true,
  },
  {
    it: "exists false does not match a field whose value is null",
    pattern: { detail: { responseElements: [{ exists: false }] } },
    event: withDetail({ responseElements: null }),
    matches: false,
  },
  {
    it: "exists true matches an empty string",
    pattern: { detail: { eventVersion: [{ exists: true }] } },
    event: withDetail({ eventVersion: "" }),
    matches: true,
  },
  {
    it: "exists true does not match an empty array",
    pattern: { resources: [{ exists: true }] },
    event: { ...ENVELOPE, resources: [] },
    matches: false,
  },
  {
    it: "exists false matches an empty array",
    pattern: { resources: [{ exists: false }] },
    event: { ...ENVELOPE, resources: [] },
    matches: true,
  },
  {
    it: "exists true does not match an object, which is not a leaf",
    pattern: { detail: { "c-count": [{ exists: true }] } },
    event: withDetail({ "c-count": { c1: 100 } }),
    matches: false,
  },
  {
    it: "exists false matches an object, which is not a leaf",
    pattern: { detail: { "c-count": [{ exists: false }] } },
    event: withDetail({ "c-count": { c1: 100 } }),
    matches: true,
  },
  {
    it: "exists false inside an array looks only at the element the other fields matched",
    pattern: { detail: { lines: { currency: ["EUR"], fee: [{ exists: false }] } } },
    event: withDetail({ lines: [{ currency: "EUR" }, { currency: "USD", fee: 1 }] }),
    matches: true,
  },
  {
    it: "exists false inside an array does not match when the matched element has the field",
    pattern: { detail: { lines: { currency: ["EUR"], fee: [{ exists: false }] } } },
    event: withDetail({ lines: [{ currency: "EUR", fee: 2 }, { currency: "USD" }] }),
    matches: false,
  },
  {
    it: "exists false alongside another value matches either way",
    pattern: { detail: { homemade: [{ "anything-but": ["roses"] }, { exists: false }] } },
    event: withDetail({ purchased: 789 }),
    matches: true,
  },
]);

matchTable("eventbridge pattern: wildcard", [
  {
    it: "* matches any run of characters",
    pattern: { EventBusArn: [{ wildcard: "arn:aws:events:us-east-1:*:event-bus/*" }] },
    event: { EventBusArn: "arn:aws:events:us-east-1:123456789012:event-bus/myEventBus" },
    matches: true,
  },
  {
    it: "does not match when the literal parts differ",
    pattern: { EventBusArn: [{ wildcard: "arn:aws:events:us-east-1:*:event-bus/*" }] },
    event: { EventBusArn: "arn:aws:events:eu-west-1:123456789012:event-bus/myEventBus" },
    matches: false,
  },
  {
    it: "* matches zero characters",
    pattern: { detail: { FileName: [{ wildcard: "dir/*.png" }] } },
    event: withDetail({ FileName: "dir/.png" }),
    matches: true,
  },
  {
    it: "* matches across path separators",
    pattern: { detail: { FileName: [{ wildcard: "/Users/*/doc.txt" }] } },
    event: withDetail({ FileName: "/Users/ls_user/dir/dir/doc.txt" }),
    matches: true,
  },
  {
    it: "matches the whole value, not a part of it",
    pattern: { detail: { FileName: [{ wildcard: "/Users/*/doc.txt" }] } },
    event: withDetail({ FileName: "/Users/ls_user/dir/notmatchingdoc.txt.bak" }),
    matches: false,
  },
  {
    it: "\\* matches a literal asterisk",
    pattern: { detail: { label: [{ wildcard: "rate\\*" }] } },
    event: withDetail({ label: "rate*" }),
    matches: true,
  },
  {
    it: "\\* does not match other characters",
    pattern: { detail: { label: [{ wildcard: "rate\\*" }] } },
    event: withDetail({ label: "rates" }),
    matches: false,
  },
  {
    it: "\\\\ matches a literal backslash",
    pattern: { detail: { path: [{ wildcard: "C:\\\\*" }] } },
    event: withDetail({ path: "C:\\Windows" }),
    matches: true,
  },
  {
    it: "other characters are literal",
    pattern: { detail: { code: [{ wildcard: "a.c*" }] } },
    event: withDetail({ code: "abc" }),
    matches: false,
  },
  {
    it: "an empty wildcard matches only an empty string",
    pattern: { detail: { code: [{ wildcard: "" }] } },
    event: withDetail({ code: "abc" }),
    matches: false,
  },
  {
    it: "applies only to strings, not numbers",
    pattern: { detail: { code: [{ wildcard: "1*" }] } },
    event: withDetail({ code: 123 }),
    matches: false,
  },
]);

matchTable("eventbridge pattern: cidr", [
  {
    it: "matches an IPv4 address inside the block",
    pattern: { detail: { sourceIPAddress: [{ cidr: "10.0.0.0/24" }] } },
    event: withDetail({ sourceIPAddress: "10.0.0.255" }),
    matches: true,
  },
  {
    it: "does not match an IPv4 address outside the block",
    pattern: { detail: { sourceIPAddress: [{ cidr: "10.0.0.0/24" }] } },
    event: withDetail({ sourceIPAddress: "10.0.1.0" }),
    matches: false,
  },
  {
    it: "does not match a string that is not an IP address",
    pattern: { detail: { sourceIPAddress: [{ cidr: "10.0.0.0/24" }] } },
    event: withDetail({ sourceIPAddress: "10.0.0.256" }),
    matches: false,
  },
  {
    it: "does not match a number",
    pattern: { detail: { sourceIPAddress: [{ cidr: "10.0.0.0/24" }] } },
    event: withDetail({ sourceIPAddress: 123 }),
    matches: false,
  },
  {
    it: "compares prefixes that do not end on a byte boundary",
    pattern: { detail: { sourceIPAddress: [{ cidr: "13.32.0.0/15" }] } },
    event: withDetail({ sourceIPAddress: "13.33.255.1" }),
    matches: true,
  },
  {
    it: "does not match an address just outside a block that ends mid-byte",
    pattern: { detail: { sourceIPAddress: [{ cidr: "13.32.0.0/15" }] } },
    event: withDetail({ sourceIPAddress: "13.34.0.1" }),
    matches: false,
  },
  {
    it: "matches an IPv6 address inside the block, written in full",
    pattern: { detail: { sourceIPAddress: [{ cidr: "2001:db8:1234:1a00::/64" }] } },
    event: withDetail({ sourceIPAddress: "2001:0db8:1234:1a00:0000:0000:0000:0000" }),
    matches: true,
  },
  {
    it: "matches an IPv6 address inside the block, written compressed",
    pattern: { detail: { sourceIPAddress: [{ cidr: "2001:db8:1234:1a00::/64" }] } },
    event: withDetail({ sourceIPAddress: "2001:db8:1234:1a00::42" }),
    matches: true,
  },
  {
    it: "does not match an IPv6 address outside the block",
    pattern: { detail: { sourceIPAddress: [{ cidr: "2001:db8:1234:1a00::/64" }] } },
    event: withDetail({ sourceIPAddress: "2001:0db8:123f:1a01:0000:0000:0000:0000" }),
    matches: false,
  },
  {
    it: "does not match an IPv4 address against an IPv6 block",
    pattern: { detail: { sourceIPAddress: [{ cidr: "::/1" }] } },
    event: withDetail({ sourceIPAddress: "10.0.0.1" }),
    matches: false,
  },
]);

const CLOUDWATCH_OR = {
  source: ["aws.cloudwatch"],
  $or: [{ metricName: ["CPUUtilization", "ReadLatency"] }, { namespace: ["AWS/EC2", "AWS/ES"] }],
};

const DETAIL_OR = {
  detail: {
    $or: [
      { "c-count": [{ numeric: [">", 0, "<=", 5] }] },
      { "d-count": [{ numeric: ["<", 10] }] },
      { "x-limit": [{ numeric: ["=", 3.018e2] }] },
    ],
  },
};

matchTable("eventbridge pattern: $or", [
  {
    it: "matches when one branch matches and the sibling fields match",
    pattern: CLOUDWATCH_OR,
    event: { source: "aws.cloudwatch", namespace: "AWS/EC2" },
    matches: true,
  },
  {
    it: "does not match when no branch matches",
    pattern: CLOUDWATCH_OR,
    event: { source: "aws.cloudwatch", metricName: "Errors", namespace: "AWS/Lambda" },
    matches: false,
  },
  {
    it: "does not match when a branch matches but a sibling field does not",
    pattern: CLOUDWATCH_OR,
    event: { source: "aws.ec2", metricName: "CPUUtilization" },
    matches: false,
  },
  {
    it: "works inside a nested object",
    pattern: DETAIL_OR,
    event: withDetail({ "c-count": 0, "d-count": 0, "x-limit": 901.8 }),
    matches: true,
  },
  {
    it: "does not match inside a nested object when no branch matches",
    pattern: DETAIL_OR,
    event: withDetail({ "c-count": 0, "d-count": 10, "x-limit": 901.8 }),
    matches: false,
  },
  {
    it: "nests inside another $or branch",
    pattern: {
      source: ["aws.cloudwatch"],
      $or: [
        { metricName: ["CPUUtilization"] },
        { metricType: ["MetricType"], $or: [{ metricId: [1234] }, { spaceId: [1000] }] },
      ],
    },
    event: { source: "aws.cloudwatch", metricType: "MetricType", spaceId: 1000 },
    matches: true,
  },
  {
    it: "a nested $or still requires its own branch to match",
    pattern: {
      source: ["aws.cloudwatch"],
      $or: [
        { metricName: ["CPUUtilization"] },
        { metricType: ["MetricType"], $or: [{ metricId: [1234] }, { spaceId: [1000] }] },
      ],
    },
    event: { source: "aws.cloudwatch", metricType: "MetricType", spaceId: 999 },
    matches: false,
  },
]);

matchTable("eventbridge pattern: nested objects and paths", [
  {
    it: "matches fields at any depth",
    pattern: { detail: { customer: { address: { country: ["FR"] } } } },
    event: withDetail({ customer: { address: { country: "FR" } } }),
    matches: true,
  },
  {
    it: "does not match a nested pattern against a scalar",
    pattern: { detail: { customer: { country: ["FR"] } } },
    event: withDetail({ customer: "FR" }),
    matches: false,
  },
  {
    it: "a dotted pattern key matches the nested event field",
    pattern: { detail: { "state.status": ["running"] } },
    event: withDetail({ state: { status: "running" } }),
    matches: true,
  },
  {
    it: "a nested pattern matches a dotted event key",
    pattern: { detail: { state: { status: ["running"] } } },
    event: withDetail({ "state.status": "running" }),
    matches: true,
  },
  {
    it: "when a pattern names a path twice, the last one is used",
    pattern: { detail: { "state.status": ["stopped"], state: { status: ["running"] } } },
    event: withDetail({ state: { status: "running" } }),
    matches: true,
  },
  {
    it: "when a pattern names a path twice, the earlier one is ignored",
    pattern: { detail: { state: { status: ["running"] }, "state.status": ["stopped"] } },
    event: withDetail({ state: { status: "running" } }),
    matches: false,
  },
]);

const EC2_EVENT = {
  version: "0",
  id: "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
  "detail-type": "EC2 Instance State-change Notification",
  source: "aws.ec2",
  account: "111122223333",
  time: "2017-12-22T18:43:48Z",
  region: "us-west-1",
  resources: ["arn:aws:ec2:us-west-1:123456789012:instance/i-1234567890abcdef0"],
  detail: { "instance-id": "i-1234567890abcdef0", state: "terminated" },
};

const AUTOSCALING_EVENT = {
  version: "0",
  id: "3e3c153a-8339-4e30-8c35-687ebef853fe",
  "detail-type": "EC2 Instance Launch Successful",
  source: "aws.autoscaling",
  account: "123456789012",
  time: "2015-11-11T21:31:47Z",
  region: "us-east-1",
  resources: [],
  detail: { eventVersion: "", responseElements: null },
};

const COMPLEX_PATTERN = {
  time: [{ prefix: "2017-10-02" }],
  detail: {
    state: [{ "anything-but": "initializing" }],
    "c-count": [{ numeric: [">", 0, "<=", 5] }],
    "d-count": [{ numeric: ["<", 10] }],
    "x-limit": [{ "anything-but": [100, 200, 300] }],
  },
};

const RULER_EVENT = {
  ...EC2_EVENT,
  time: "2017-10-02T16:24:49Z",
  detail: { "c-count": 5, "d-count": 3, "x-limit": 301.8, "source-ip": "10.0.0.33", state: "running" },
};

matchTable("eventbridge pattern: documented examples", [
  {
    it: "the EC2 instance-termination pattern matches the EC2 state-change event",
    pattern: {
      source: ["aws.ec2"],
      "detail-type": ["EC2 Instance State-change Notification"],
      detail: { state: ["terminated"] },
    },
    event: EC2_EVENT,
    matches: true,
  },
  {
    it: "the EC2 instance-termination pattern does not match a running instance",
    pattern: {
      source: ["aws.ec2"],
      "detail-type": ["EC2 Instance State-change Notification"],
      detail: { state: ["terminated"] },
    },
    event: { ...EC2_EVENT, detail: { ...EC2_EVENT.detail, state: "running" } },
    matches: false,
  },
  {
    it: "the empty-string pattern matches the auto scaling launch event",
    pattern: { detail: { eventVersion: [""] } },
    event: AUTOSCALING_EVENT,
    matches: true,
  },
  {
    it: "the null pattern matches the auto scaling launch event",
    pattern: { detail: { responseElements: [null] } },
    event: AUTOSCALING_EVENT,
    matches: true,
  },
  {
    it: "the complex example matches an event that meets every condition",
    pattern: COMPLEX_PATTERN,
    event: RULER_EVENT,
    matches: true,
  },
  {
    it: "the complex example does not match when one anything-but value is excluded",
    pattern: COMPLEX_PATTERN,
    event: { ...RULER_EVENT, detail: { ...RULER_EVENT.detail, "x-limit": 300 } },
    matches: false,
  },
  {
    it: "the numeric example matches counts and limits in range",
    pattern: {
      detail: {
        "c-count": [{ numeric: [">", 0, "<=", 5] }],
        "d-count": [{ numeric: ["<", 10] }],
        "x-limit": [{ numeric: ["=", 3.018e2] }],
      },
    },
    event: RULER_EVENT,
    matches: true,
  },
  {
    it: "the IP address example matches an address in 10.0.0.0/24",
    pattern: { detail: { "source-ip": [{ cidr: "10.0.0.0/24" }] } },
    event: RULER_EVENT,
    matches: true,
  },
]);

describe("eventbridge pattern: invalid patterns", () => {
  it("matchesPattern refuses a pattern that PutRule would reject", () => {
    expect(() => matchesPattern({ source: "bank.operations" }, ENVELOPE)).to.throw(
      /Event pattern is not valid: source: must be an object or an array/,
    );
  });
});

const VALID_PATTERNS: [string, unknown][] = [
  ["every documented operator", COMPLEX_PATTERN],
  ["a top-level $or", CLOUDWATCH_OR],
  ["a nested $or", DETAIL_OR],
  ["null, empty string, boolean and number values", { a: [null, "", true, 0] }],
  [
    "prefix and suffix, also empty and ignoring case",
    { a: [{ prefix: "" }, { suffix: { "equals-ignore-case": "x" } }] },
  ],
  ["anything-but with an empty wildcard", { a: [{ "anything-but": { wildcard: "" } }] }],
  [
    "anything-but with lists of prefixes and wildcards",
    { a: [{ "anything-but": { wildcard: ["*/a/*", "b*"] } }] },
  ],
  ["numeric ranges at the 5.0e9 limits", { a: [{ numeric: [">=", -5e9, "<=", 5e9] }] }],
  ["numeric with six decimals", { a: [{ numeric: ["=", 0.000001] }] }],
  ["an IPv6 CIDR block", { a: [{ cidr: "2001:db8:1234:1a00::/64" }] }],
  ["an escaped wildcard", { a: [{ wildcard: "a\\*b\\\\c*" }] }],
  ["exists false", { a: [{ exists: false }] }],
];

describe("eventbridge pattern: validatePattern accepts", () => {
  for (const [name, pattern] of VALID_PATTERNS) {
    it(name, () => expect(validatePattern(pattern)).to.deep.equal([]));
  }
});

const INVALID_PATTERNS: [string, unknown, RegExp][] = [
  ["a pattern that is not an object", ["a"], /Filter is not an object/],
  ["an empty pattern", {}, /empty objects are not allowed/],
  ["a leaf value that is not an array", { source: "aws.ec2" }, /^source: must be an object or an array/],
  [
    "a leaf number that is not in an array",
    { detail: { int: 42 } },
    /^detail\.int: must be an object or an array/,
  ],
  ["an empty value array", { resources: [] }, /^resources: empty arrays are not allowed/],
  ["a nested array as a value", { a: [["b"]] }, /match value must be a string, number/],
  ["an unknown operator", { a: [{ regex: "b.*" }] }, /unrecognized match type regex/],
  ["an operator in the wrong case", { a: [{ EXISTS: true }] }, /unrecognized match type EXISTS/],
  ["two operators in one object", { a: [{ prefix: "a", suffix: "b" }] }, /exactly one operator/],
  ["an operator object with no operator", { a: [{}] }, /exactly one operator/],
  ["a prefix that is a number", { a: [{ prefix: 123 }] }, /prefix match pattern must be a string/],
  ["a prefix that is a list", { a: [{ prefix: ["x"] }] }, /prefix match pattern must be a string/],
  [
    "a prefix wrapping another operator",
    { a: [{ prefix: { wildcard: "x" } }] },
    /unsupported prefix pattern/,
  ],
  [
    "a prefix ignoring case of a number",
    { a: [{ prefix: { "equals-ignore-case": 1 } }] },
    /equals-ignore-case match pattern must be a string/,
  ],
  ["a suffix that is a list", { a: [{ suffix: [".png"] }] }, /suffix match pattern must be a string/],
  ["equals-ignore-case with a list", { a: [{ "equals-ignore-case": ["x"] }] }, /must be a string/],
  [
    "equals-ignore-case with an object",
    { a: [{ "equals-ignore-case": { prefix: "x" } }] },
    /must be a string/,
  ],
  ["a wildcard that is a number", { a: [{ wildcard: 123 }] }, /wildcard match pattern must be a string/],
  ["a wildcard with consecutive **", { a: [{ wildcard: "arn:aws:events:**:bus" }] }, /consecutive wildcard/],
  ["a wildcard escaping a letter", { a: [{ wildcard: "a\\d" }] }, /invalid escape character at pos 1/],
  ["a wildcard ending in a backslash", { a: [{ wildcard: "a\\" }] }, /invalid escape character/],
  ["exists with a string", { a: [{ exists: "true" }] }, /exists match pattern must be either true or false/],
  ["numeric that is not an array", { a: [{ numeric: 10 }] }, /value of numeric must be an array/],
  ["numeric with an unknown operator", { a: [{ numeric: ["==", 1] }] }, /unrecognized numeric operator "=="/],
  ["numeric with a string bound", { a: [{ numeric: [">", "0"] }] }, /value of > must be numeric/],
  ["numeric with two lower bounds", { a: [{ numeric: [">", 0, ">", 0] }] }, /bad numeric range operator ">"/],
  ["numeric with a missing top", { a: [{ numeric: [">", 0, "<"] }] }, /value of < must be numeric/],
  ["numeric starting with an upper bound", { a: [{ numeric: ["<", 5, ">", 1] }] }, /must start with > or >=/],
  [
    "numeric with bottom not below top",
    { a: [{ numeric: [">", 5, "<", 5] }] },
    /bottom must be less than top/,
  ],
  ["numeric with too many terms", { a: [{ numeric: [">", 0, "<", 5, "<", 6] }] }, /too many terms/],
  ["numeric above 5.0e9", { a: [{ numeric: ["<", 5_000_000_001] }] }, /outside the supported range/],
  ["numeric below -5.0e9", { a: [{ numeric: [">", -5_000_000_001] }] }, /outside the supported range/],
  ["numeric with seven decimals", { a: [{ numeric: ["=", 0.0000001] }] }, /more than 6 digits/],
  ["cidr that is not a string", { a: [{ cidr: ["10.0.0.0/8"] }] }, /cidr match pattern must be a string/],
  ["cidr without a mask", { a: [{ cidr: "bad-filter" }] }, /one '\/' required/],
  [
    "cidr with a non-numeric mask",
    { a: [{ cidr: "10.0.0.0/x" }] },
    /mask bits must be a non-negative integer/,
  ],
  ["cidr with a bad IPv4 address", { a: [{ cidr: "xx.11.xx/8" }] }, /nonstandard IP address: xx\.11\.xx/],
  ["cidr with a bad IPv6 address", { a: [{ cidr: "xxxx:db8:1234:1a00::/64" }] }, /nonstandard IP address/],
  [
    "cidr with an IPv4-mapped IPv6 address",
    { a: [{ cidr: "::ffff:10.0.0.0/104" }] },
    /nonstandard IP address/,
  ],
  ["cidr with an IPv4 mask of 32", { a: [{ cidr: "10.0.0.1/32" }] }, /IPv4 mask bits must be < 32/],
  ["cidr with an IPv6 mask of 128", { a: [{ cidr: "2001:db8::1/128" }] }, /IPv6 mask bits must be < 128/],
  ["anything-but null", { a: [{ "anything-but": null }] }, /must be an array or a single string or number/],
  ["anything-but true", { a: [{ "anything-but": true }] }, /must be an array or a single string or number/],
  ["anything-but with an empty list", { a: [{ "anything-but": [] }] }, /only strings or only numbers/],
  [
    "anything-but mixing strings and numbers",
    { a: [{ "anything-but": ["a", 1] }] },
    /only strings or only numbers/,
  ],
  ["anything-but listing null", { a: [{ "anything-but": ["a", null] }] }, /only strings or only numbers/],
  [
    "anything-but with a number out of range",
    { a: [{ "anything-but": [6e9] }] },
    /outside the supported range/,
  ],
  [
    "anything-but with an empty prefix",
    { a: [{ "anything-but": { prefix: "" } }] },
    /prefix must not be empty/,
  ],
  [
    "anything-but with an empty suffix",
    { a: [{ "anything-but": { suffix: "" } }] },
    /suffix must not be empty/,
  ],
  [
    "anything-but with a numeric prefix",
    { a: [{ "anything-but": { prefix: 123 } }] },
    /a string or a list of strings/,
  ],
  [
    "anything-but with a prefix ignoring case",
    { a: [{ "anything-but": { prefix: { "equals-ignore-case": "x" } } }] },
    /a string or a list of strings/,
  ],
  [
    "anything-but ignoring case of a number",
    { a: [{ "anything-but": { "equals-ignore-case": [123] } }] },
    /a string or a list of strings/,
  ],
  [
    "anything-but with a bad wildcard",
    { a: [{ "anything-but": { wildcard: ["a**"] } }] },
    /consecutive wildcard/,
  ],
  [
    "anything-but with numeric",
    { a: [{ "anything-but": { numeric: [">", 1] } }] },
    /unsupported anything-but/,
  ],
  ["$or that is not an array", { $or: { a: ["b"] } }, /\$or: must be an array of at least two objects/],
  ["$or with one branch", { $or: [{ a: ["b"] }] }, /at least two objects/],
  ["$or with a branch that is not an object", { $or: [{ a: ["b"] }, ["c"]] }, /at least two objects/],
  ["an operator name used as a field inside $or", { $or: [{ numeric: [1] }, { b: ["c"] }] }, /reserved word/],
];

describe("eventbridge pattern: validatePattern rejects", () => {
  for (const [name, pattern, problem] of INVALID_PATTERNS) {
    it(name, () => {
      const problems = validatePattern(pattern);
      expect(problems).to.have.lengthOf(1);
      expect(problems[0]).to.match(problem);
    });
  }

  it("reports every problem, each with its field path", () => {
    expect(
      validatePattern({ source: "x", detail: { n: [{ numeric: 1 }], ip: [{ cidr: "1.2.3.4" }] } }),
    ).to.deep.equal([
      'source: must be an object or an array, e.g. ["x"]',
      'detail.n: value of numeric must be an array, e.g. [">", 0, "<=", 5]',
      "detail.ip: malformed CIDR 1.2.3.4: one '/' required, e.g. 10.0.0.0/24",
    ]);
  });
});
