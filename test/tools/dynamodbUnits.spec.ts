import { expect } from "chai";
import {
  indexWriteUnits,
  itemSize,
  writeUnits,
  type IndexDescription,
} from "../../tools/bench/dynamodbUnits";

const TABLE_KEYS = ["pk", "sk"];
const byFailure = (projection: IndexDescription["projection"]): IndexDescription => ({
  name: "byFailure",
  keys: ["failurePk", "failureSk"],
  projection,
});
const notification = (extra: Record<string, { S: string }> = {}) => ({
  pk: { S: "OPERATION#op-1" },
  sk: { S: "NOTIFICATION#deposit" },
  status: { S: "sending" },
  ...extra,
});
const failed = { failurePk: { S: "FAILED" }, failureSk: { S: "2026-03-14T10:00:00Z#op-1" } };

describe("bench: DynamoDB units dynalite does not report", () => {
  it("sizes an item as attribute names plus values, numbers by significant digits, maps and lists with overhead", () => {
    expect(itemSize({ pk: { S: "abc" } })).to.equal(5);
    expect(itemSize({ n: { N: "12345" } })).to.equal(1 + 4);
    expect(itemSize({ n: { N: "-0.0500" } })).to.equal(1 + 2);
    expect(itemSize({ ok: { BOOL: true } })).to.equal(3);
    expect(itemSize({ m: { M: { a: { S: "xy" } } } })).to.equal(1 + 3 + 1 + 3);
    expect(itemSize({ l: { L: [{ S: "xy" }, { NULL: true }] } })).to.equal(1 + 3 + (1 + 2) + (1 + 1));
  });

  it("counts one write unit per KB, at least one", () => {
    expect(writeUnits(undefined)).to.equal(1);
    expect(writeUnits({ a: { S: "x".repeat(1023) } })).to.equal(1);
    expect(writeUnits({ a: { S: "x".repeat(1024) } })).to.equal(2);
  });

  it("costs nothing in an index the item is in neither before nor after the write", () => {
    expect(
      indexWriteUnits(byFailure("ALL"), TABLE_KEYS, notification(), notification({ status: { S: "sent" } })),
    ).to.equal(0);
  });

  it("costs a put when the item enters the index and a delete when it leaves", () => {
    const before = notification();
    const after = notification({ status: { S: "failed" }, ...failed });
    expect(indexWriteUnits(byFailure("ALL"), TABLE_KEYS, before, after)).to.equal(1);
    expect(indexWriteUnits(byFailure("ALL"), TABLE_KEYS, after, before)).to.equal(1);
    expect(indexWriteUnits(byFailure("ALL"), TABLE_KEYS, undefined, after)).to.equal(1);
  });

  it("costs a delete and a put when an index key changes", () => {
    const before = notification(failed);
    const after = notification({ ...failed, failureSk: { S: "2026-03-14T11:00:00Z#op-1" } });
    expect(indexWriteUnits(byFailure("ALL"), TABLE_KEYS, before, after)).to.equal(2);
  });

  it("costs an update when a projected attribute changes, nothing when only unprojected ones do", () => {
    const before = notification(failed);
    const after = notification({ ...failed, status: { S: "failed-again" } });
    expect(indexWriteUnits(byFailure("ALL"), TABLE_KEYS, before, after)).to.equal(1);
    expect(indexWriteUnits(byFailure({ include: ["status"] }), TABLE_KEYS, before, after)).to.equal(1);
    expect(indexWriteUnits(byFailure({ include: ["reason"] }), TABLE_KEYS, before, after)).to.equal(0);
    expect(indexWriteUnits(byFailure("KEYS_ONLY"), TABLE_KEYS, before, after)).to.equal(0);
  });

  it("sizes an index entry from what the index projects", () => {
    const large = { evidence: { S: "x".repeat(2900) } };
    const before = notification();
    const after = notification({ ...failed, ...large });
    expect(indexWriteUnits(byFailure("ALL"), TABLE_KEYS, before, after)).to.equal(3);
    expect(indexWriteUnits(byFailure("KEYS_ONLY"), TABLE_KEYS, before, after)).to.equal(1);
  });
});
