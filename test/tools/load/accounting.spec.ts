import { expect } from "chai";
import { accountFor, type NotificationRecord, type TrackedOperation } from "../../../tools/load/accounting";
import type { ExpectedNotification } from "../../../tools/load/expectations";

function tracked(id: string, expected: ExpectedNotification[]): TrackedOperation {
  return {
    operation: {
      id,
      customerId: "c-1",
      kind: "deposit",
      accountIban: "FR7630006000011234567890189",
      amount: { value: "10.00", currency: "EUR" },
      occurredAt: "2026-01-15T09:30:00Z",
    },
    scheduledAt: 0,
    expected,
  };
}

const send = (kind: ExpectedNotification["kind"] = "deposit"): ExpectedNotification => ({
  kind,
  outcome: "send",
});
const record = (
  status: NotificationRecord["status"],
  extra: Partial<NotificationRecord> = {},
): NotificationRecord => ({
  notificationKind: "deposit",
  status,
  attempts: 1,
  ...extra,
});
const emails = (count: number) =>
  Array.from({ length: count }, (_, index) => ({ messageId: `ses-${index}`, acceptedAt: index }));

describe("tools: npm run load's accounting of every notification due", () => {
  it("counts a notification sent once, with one e-mail and a status SES feedback moves forward", () => {
    const result = accountFor([tracked("op-1", [send()])], {
      records: new Map([["op-1", [record("delivered")]]]),
      emails: new Map([["op-1 deposit", emails(1)]]),
      deadLetters: new Map(),
    });
    expect(result).to.include({ sent: 1, lost: 0, duplicated: 0 });
  });

  it("counts a notification due an e-mail that SES never accepted as lost, whatever its status", () => {
    const result = accountFor([tracked("op-1", [send()])], {
      records: new Map([["op-1", [record("sent")]]]),
      emails: new Map(),
      deadLetters: new Map(),
    });
    expect(result).to.include({ sent: 0, lost: 1 });
    expect(result.accounts[0].note).to.equal("no e-mail; status sent");
  });

  it("counts an e-mail whose notification stayed claimed as lost: no terminal state", () => {
    const result = accountFor([tracked("op-1", [send()])], {
      records: new Map([["op-1", [record("claimed")]]]),
      emails: new Map([["op-1 deposit", emails(1)]]),
      deadLetters: new Map(),
    });
    expect(result).to.include({ lost: 1, duplicated: 0 });
  });

  it("counts every e-mail beyond the first as a duplicate", () => {
    const result = accountFor([tracked("op-1", [send()])], {
      records: new Map([["op-1", [record("delivered", { untrackedSesMessageIds: ["ses-0"] })]]]),
      emails: new Map([["op-1 deposit", emails(3)]]),
      deadLetters: new Map(),
    });
    expect(result).to.include({ sent: 1, duplicated: 2, lost: 0 });
  });

  it("counts a suppressed notification without an e-mail as suppressed, and each e-mail it got as a duplicate", () => {
    const suppress: ExpectedNotification = { kind: "deposit", outcome: "suppress" };
    const clean = accountFor([tracked("op-1", [suppress])], {
      records: new Map([["op-1", [record("suppressed")]]]),
      emails: new Map(),
      deadLetters: new Map(),
    });
    expect(clean).to.include({ suppressed: 1, duplicated: 0, lost: 0 });
    const mailed = accountFor([tracked("op-1", [suppress])], {
      records: new Map([["op-1", [record("suppressed")]]]),
      emails: new Map([["op-1 deposit", emails(1)]]),
      deadLetters: new Map(),
    });
    expect(mailed).to.include({ suppressed: 1, duplicated: 1 });
  });

  it("accounts for a dead letter the scenario expects, and counts any other as lost", () => {
    const expected = accountFor([tracked("op-1", [send()])], {
      records: new Map([["op-1", []]]),
      emails: new Map(),
      deadLetters: new Map([["op-1 deposit", { queue: "bank-notif-dev-delivery-dlq", expected: true }]]),
    });
    expect(expected).to.include({ deadLettered: 1, lost: 0 });
    const unexpected = accountFor([tracked("op-1", [send()])], {
      records: new Map([["op-1", []]]),
      emails: new Map(),
      deadLetters: new Map([["op-1 deposit", { queue: "bank-notif-dev-notify-dlq", expected: false }]]),
    });
    expect(unexpected).to.include({ deadLettered: 0, lost: 1 });
    expect(unexpected.accounts[0].note).to.equal("dead-lettered in bank-notif-dev-notify-dlq");
  });

  it("counts the e-mails of a notification the operation was not due as duplicates", () => {
    const result = accountFor([tracked("op-1", [send()])], {
      records: new Map([
        ["op-1", [record("delivered"), record("delivered", { notificationKind: "large-amount" })]],
      ]),
      emails: new Map([
        ["op-1 deposit", emails(1)],
        ["op-1 large-amount", emails(1)],
      ]),
      deadLetters: new Map(),
    });
    expect(result).to.include({ sent: 1, duplicated: 1, lost: 0 });
    expect(result.accounts.map((account) => account.verdict)).to.deep.equal(["sent", "unexpected"]);
  });

  it("without SES's ledger (a deployed stage), counts the record's message and its untracked ones", () => {
    const result = accountFor([tracked("op-1", [send()])], {
      records: new Map([
        ["op-1", [record("delivered", { sesMessageId: "m-2", untrackedSesMessageIds: ["m-1"] })]],
      ]),
      deadLetters: new Map(),
    });
    expect(result).to.include({ sent: 1, duplicated: 1, lost: 0 });
  });
});
