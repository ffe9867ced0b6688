/**
 * Lambda's application log-level filter for functions with the JSON log format, as AWS defines it
 * (https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html): a line is
 * sent to CloudWatch Logs when its level is the function's `applicationLogLevel` or more severe, and
 * "if the "level" value field is invalid or missing, Lambda will assign the log output the level INFO".
 */
const LAMBDA_LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"];

function levelOf(line: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return "INFO";
  }
  const level = (parsed as { level?: unknown } | null)?.level;
  const name = typeof level === "string" ? level.toUpperCase() : "";
  return LAMBDA_LOG_LEVELS.includes(name) ? name : "INFO";
}

export function lambdaKeepsLine(line: string, applicationLogLevel: string): boolean {
  const threshold = LAMBDA_LOG_LEVELS.indexOf(applicationLogLevel);
  if (threshold < 0) throw new Error(`${applicationLogLevel} is not a Lambda log level`);
  return LAMBDA_LOG_LEVELS.indexOf(levelOf(line)) >= threshold;
}
