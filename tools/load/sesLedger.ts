import { closeSync, existsSync, fstatSync, openSync, readSync } from "node:fs";
import { EMAIL_TAGS } from "../../runtime/domain/sesFeedback";

/**
 * What the local SES accepted, from the local cloud's ledger (`sesAcceptedFile`, one JSON line per
 * message: `messageId`, `acceptedAt`, `tags`), joined to operations by the tags notify puts on
 * every message: the operation id and the notification kind. Read incrementally: each `refresh`
 * reads only the lines appended since the last one.
 */
export interface AcceptedEmail {
  messageId: string;
  acceptedAt: number;
}

export const notificationKey = (operationId: string, kind: string) => `${operationId} ${kind}`;

export function sesLedger(file: string) {
  let offset = 0;
  let partial = "";
  const byNotification = new Map<string, AcceptedEmail[]>();
  return {
    byNotification,
    /** Reads what was appended; returns how many messages that was. */
    refresh(): number {
      if (!existsSync(file)) return 0;
      const handle = openSync(file, "r");
      let added = 0;
      try {
        const size = fstatSync(handle).size;
        if (size <= offset) return 0;
        const buffer = Buffer.alloc(size - offset);
        readSync(handle, buffer, 0, buffer.length, offset);
        offset = size;
        const lines = (partial + buffer.toString("utf8")).split("\n");
        partial = lines.pop() ?? "";
        for (const line of lines.filter(Boolean)) {
          const entry = JSON.parse(line) as {
            messageId: string;
            acceptedAt: number;
            tags: Record<string, string>;
          };
          const operationId = entry.tags[EMAIL_TAGS.operationId];
          const kind = entry.tags[EMAIL_TAGS.notificationKind];
          if (!operationId || !kind) continue;
          const key = notificationKey(operationId, kind);
          byNotification.set(key, [
            ...(byNotification.get(key) ?? []),
            { messageId: entry.messageId, acceptedAt: entry.acceptedAt },
          ]);
          added += 1;
        }
      } finally {
        closeSync(handle);
      }
      return added;
    },
  };
}
export type SesLedger = ReturnType<typeof sesLedger>;
