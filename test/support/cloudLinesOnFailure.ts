/**
 * Registers, in the calling suite, an `afterEach` that prints the local cloud's last lines (its
 * refusals, the functions' warnings and errors) when a test failed, so that a CI log says why
 * without the state folder, which the suite removes.
 */
export function printCloudLinesOnFailure(lines: () => readonly string[], count = 80): void {
  afterEach(function () {
    if (this.currentTest?.state !== "failed") return;
    const last = lines().slice(-count);
    process.stdout.write(`\n--- the local cloud's last ${last.length} lines ---\n${last.join("\n")}\n---\n`);
  });
}
