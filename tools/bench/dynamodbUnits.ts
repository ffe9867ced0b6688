import type { AttributeValue } from "@aws-sdk/client-dynamodb";

/**
 * DynamoDB capacity arithmetic that dynalite does not do: the size of an item and the write units a
 * write costs in each global secondary index. dynalite reports the table's units only.
 *
 * Item size: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/CapacityUnitCalculations.html
 * Index writes: https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/GSI.html#GSI.ThroughputConsiderations.Writes
 */

export type Item = Record<string, AttributeValue>;

export interface IndexDescription {
  name: string;
  /** The index's partition key and, if any, sort key. */
  keys: string[];
  projection: "ALL" | "KEYS_ONLY" | { include: string[] };
}

const WRITE_UNIT_BYTES = 1024;

function numberSize(value: string): number {
  const digits = value.replace(/^-/, "").replace(".", "").replace(/^0+/, "").replace(/0+$/, "");
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

function valueSize(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return numberSize(value.N);
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((total, item) => total + Buffer.byteLength(item), 0);
  if (value.NS !== undefined) return value.NS.reduce((total, item) => total + numberSize(item), 0);
  if (value.BS !== undefined) return value.BS.reduce((total, item) => total + item.length, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((total, item) => total + 1 + valueSize(item), 0);
  if (value.M !== undefined) return 3 + Object.keys(value.M).length + itemSize(value.M);
  return 0;
}

/** Attribute names plus values, in bytes, as DynamoDB counts them. */
export function itemSize(item: Item): number {
  return Object.entries(item).reduce(
    (total, [name, value]) => total + Buffer.byteLength(name) + valueSize(value),
    0,
  );
}

/** Write units for an item of this size: one per KB, at least one. */
export function writeUnits(item: Item | undefined): number {
  return Math.max(1, Math.ceil((item ? itemSize(item) : 0) / WRITE_UNIT_BYTES));
}

/** What an index holds of an item: the table's keys, the index's keys and the projected attributes. */
function projected(item: Item, index: IndexDescription, tableKeys: string[]): Item {
  if (index.projection === "ALL") return item;
  const kept = [
    ...tableKeys,
    ...index.keys,
    ...(index.projection === "KEYS_ONLY" ? [] : index.projection.include),
  ];
  return Object.fromEntries(Object.entries(item).filter(([name]) => kept.includes(name)));
}

function sameValues(left: Item, right: Item, names: string[]): boolean {
  return names.every((name) => JSON.stringify(left[name]) === JSON.stringify(right[name]));
}

/**
 * Write units one table write costs in one index, from the item before and after it: none if the
 * item is in the index neither before nor after; a put or a delete when it enters or leaves; a
 * delete and a put when an index key changes; an update when only projected attributes change.
 */
export function indexWriteUnits(
  index: IndexDescription,
  tableKeys: string[],
  before: Item | undefined,
  after: Item | undefined,
): number {
  const inIndex = (item: Item | undefined): item is Item =>
    item !== undefined && index.keys.every((key) => item[key] !== undefined);
  const wasIn = inIndex(before);
  const isIn = inIndex(after);
  if (!wasIn && !isIn) return 0;
  if (!wasIn) return writeUnits(projected(after as Item, index, tableKeys));
  if (!isIn) return writeUnits(projected(before, index, tableKeys));
  const old = projected(before, index, tableKeys);
  const current = projected(after as Item, index, tableKeys);
  if (!sameValues(before, after as Item, index.keys)) return writeUnits(old) + writeUnits(current);
  const names = [...new Set([...Object.keys(old), ...Object.keys(current)])];
  return sameValues(old, current, names) ? 0 : writeUnits(current);
}
