/** A mistake in how a tool was asked for: reported in one line, with what to do instead (status 2). */
export class UsageError extends Error {}

/**
 * Runs a command-line tool's `main` and exits: 0 when it resolves, 2 with the message for a
 * UsageError, 1 with the stack for anything else (`<name> failed: …`).
 */
export function runTool(name: string, main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (error: unknown) => {
      if (error instanceof UsageError) {
        process.stderr.write(`${error.message}\n`);
        process.exit(2);
      }
      process.stderr.write(
        `${name} failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
      );
      process.exit(1);
    },
  );
}
