import { appendFile, mkdir, readFile } from "node:fs/promises";
import * as path from "node:path";
import { eventJson, parseEventJson, type BusEvent } from "./eventEnvelope";
import type { ArchiveDefinition } from "./eventTopology";
import { matchesPattern } from "./pattern";
import type { EventBridgeLog } from "./targetDelivery";
import type { DeliveredEvent } from "./targetInput";

/**
 * An archive: the events of its bus that match its pattern (all of them without one), one JSON line
 * each in `<stateDir>/eventbridge/<archive>.jsonl` with the time it arrived. Replayed events are not
 * archived again (the managed rule EventBridge creates for an archive requires `replay-name` to be
 * absent; the user guide does not say so). https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-archive-event.html
 */
export interface ArchivedEvent {
  event: BusEvent;
  arrivedAt: number;
}

const DAY_MS = 86_400_000;

export function createArchiveStore(stateDir: string, log: EventBridgeLog) {
  const folder = path.join(stateDir, "eventbridge");
  const fileOf = (archive: ArchiveDefinition) => path.join(folder, `${archive.name}.jsonl`);
  /** Appends are chained so that lines land whole and in arrival order. */
  let writes: Promise<void> = mkdir(folder, { recursive: true }).then(
    () => undefined,
    (error: Error) => log("error", `the archives' folder ${folder} cannot be created: ${error.message}`),
  );

  return {
    /** Appends the event to every archive of its bus whose pattern it matches. */
    record(archives: ArchiveDefinition[], delivered: DeliveredEvent): Promise<void> {
      if (delivered.event.header["replay-name"] !== undefined) return writes;
      const matching = archives.filter(
        (archive) => archive.pattern === undefined || matchesPattern(archive.pattern, delivered.value),
      );
      const line = `{"arrivedAt":${JSON.stringify(new Date(delivered.receivedAt).toISOString())},"event":${eventJson(delivered.event)}}\n`;
      for (const archive of matching) {
        writes = writes.then(() =>
          appendFile(fileOf(archive), line, "utf8").catch((error: Error) =>
            log(
              "error",
              `event ${delivered.event.header.id} was not archived in ${archive.name}: ${error.message}`,
            ),
          ),
        );
      }
      return writes;
    },

    /** Archived events still within the archive's retention (0 days: kept indefinitely). */
    async read(archive: ArchiveDefinition, now: number): Promise<ArchivedEvent[]> {
      await writes;
      const text = await readFile(fileOf(archive), "utf8").catch((error: NodeJS.ErrnoException) => {
        if (error.code === "ENOENT") return "";
        throw error;
      });
      const prefix = /^\{"arrivedAt":("[^"]+"),"event":/;
      return text
        .split("\n")
        .filter((line) => line.length > 0)
        .map((line) => {
          const [matched, arrivedAt] = prefix.exec(line) ?? [];
          if (!matched)
            throw new Error(`${fileOf(archive)} holds a line it did not write: ${line.slice(0, 80)}`);
          return {
            arrivedAt: Date.parse(JSON.parse(arrivedAt) as string),
            event: parseEventJson(line.slice(matched.length, -1)),
          };
        })
        .filter(
          (archived) =>
            archive.retentionDays === 0 || now - archived.arrivedAt <= archive.retentionDays * DAY_MS,
        );
    },

    settled(): Promise<void> {
      return writes;
    },
  };
}
export type ArchiveStore = ReturnType<typeof createArchiveStore>;
