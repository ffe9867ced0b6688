/**
 * A load run's progress on stderr: a bar redrawn in place on a terminal, a plain line every few
 * seconds otherwise (a CI log, a pipe), so that stdout carries only the report.
 */
export interface ProgressState {
  phase: string;
  sent: number;
  total: number;
  accepted: number;
  failedAttempts: number;
  emails: number;
  elapsedMs: number;
}

const BAR_WIDTH = 24;
const PLAIN_EVERY_MS = 5_000;

function describe(state: ProgressState): string {
  return `${state.sent}/${state.total} sent, ${state.accepted} accepted, ${state.failedAttempts} failed attempts, ${state.emails} e-mails, ${(state.elapsedMs / 1000).toFixed(0)} s`;
}

export function progressReporter(stream: NodeJS.WriteStream = process.stderr) {
  const tty = Boolean(stream.isTTY);
  let lastPlain = -Infinity;
  let lastPhase = "";
  let drawn = false;
  return {
    update(state: ProgressState): void {
      if (tty) {
        const filled = state.total === 0 ? 0 : Math.round((state.sent / state.total) * BAR_WIDTH);
        const bar = `[${"#".repeat(filled)}${"-".repeat(BAR_WIDTH - filled)}]`;
        stream.write(`\r\x1b[2K${state.phase.padEnd(10)} ${bar} ${describe(state)}`);
        drawn = true;
        return;
      }
      if (state.phase !== lastPhase || state.elapsedMs - lastPlain >= PLAIN_EVERY_MS) {
        stream.write(`${state.phase}: ${describe(state)}\n`);
        lastPlain = state.elapsedMs;
        lastPhase = state.phase;
      }
    },
    /** A line of its own (a phase starting), keeping the bar below it. */
    note(line: string): void {
      if (tty && drawn) stream.write("\r\x1b[2K");
      stream.write(`${line}\n`);
    },
    done(): void {
      if (tty && drawn) stream.write("\n");
      drawn = false;
    },
  };
}
export type ProgressReporter = ReturnType<typeof progressReporter>;
