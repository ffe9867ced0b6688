import { appendFileSync, mkdirSync } from "node:fs";
import * as path from "node:path";

/**
 * Where function output goes: one JSON-lines file per function, and EMF metrics read from the same
 * lines, as CloudWatch Logs does. Lambda's JSON log format with an application log level keeps a
 * line only at that level or above; a JSON line without a valid `level` counts as INFO.
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-cloudwatchlogs-log-level.html
 */
export const LOG_LEVELS = ["TRACE", "DEBUG", "INFO", "WARN", "ERROR", "FATAL"] as const;
export type LambdaLogLevel = (typeof LOG_LEVELS)[number];

export interface LogRecord {
  functionName: string;
  requestId?: string;
  level: LambdaLogLevel;
  /** The line as the function wrote it (parsed when it is JSON). */
  line: unknown;
}

export interface MetricPoint {
  namespace: string;
  name: string;
  value: number;
  unit?: string;
  dimensions: Record<string, string>;
  timestamp: number;
}

export interface LogSink {
  /** Accepts one line of a function's output; returns whether the log level filter kept it. */
  write(
    functionName: string,
    line: string,
    options: { requestId?: string; applicationLogLevel?: string },
  ): boolean;
  /** A platform line (START, REPORT, a timeout), filtered by the system log level. */
  platform(
    functionName: string,
    level: LambdaLogLevel,
    message: string,
    options: { requestId?: string; systemLogLevel?: string },
  ): void;
  metrics(): MetricPoint[];
}

function levelOf(parsed: unknown): LambdaLogLevel {
  const level =
    parsed !== null && typeof parsed === "object"
      ? String((parsed as { level?: unknown }).level ?? "").toUpperCase()
      : "";
  return (LOG_LEVELS as readonly string[]).includes(level) ? (level as LambdaLogLevel) : "INFO";
}

function kept(level: LambdaLogLevel, threshold: string | undefined): boolean {
  const minimum = LOG_LEVELS.indexOf((threshold?.toUpperCase() ?? "TRACE") as LambdaLogLevel);
  return LOG_LEVELS.indexOf(level) >= Math.max(0, minimum);
}

/** The metrics an embedded-metric-format line declares. https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html */
export function metricsOfEmfLine(parsed: unknown): MetricPoint[] {
  if (parsed === null || typeof parsed !== "object") return [];
  const record = parsed as Record<string, unknown> & {
    _aws?: {
      Timestamp?: number;
      CloudWatchMetrics?: {
        Namespace: string;
        Dimensions: string[][];
        Metrics: { Name: string; Unit?: string }[];
      }[];
    };
  };
  const directives = record._aws?.CloudWatchMetrics ?? [];
  return directives.flatMap((directive) =>
    directive.Metrics.flatMap((metric) =>
      (directive.Dimensions.length > 0 ? directive.Dimensions : [[]]).map((dimensionSet) => ({
        namespace: directive.Namespace,
        name: metric.Name,
        value: Number(record[metric.Name]),
        unit: metric.Unit,
        dimensions: Object.fromEntries(
          dimensionSet.map((dimension) => [dimension, String(record[dimension])]),
        ),
        timestamp: record._aws?.Timestamp ?? Date.now(),
      })),
    ),
  );
}

export function createLogSink(options: { folder: string; echo?: (record: LogRecord) => void }): LogSink {
  mkdirSync(options.folder, { recursive: true });
  const points: MetricPoint[] = [];
  const append = (record: LogRecord) => {
    const file = path.join(options.folder, `${record.functionName.replace(/[^A-Za-z0-9_.-]/g, "_")}.log`);
    appendFileSync(
      file,
      `${JSON.stringify({ time: new Date().toISOString(), requestId: record.requestId, level: record.level, record: record.line })}\n`,
    );
    options.echo?.(record);
  };
  return {
    write(functionName, line, { requestId, applicationLogLevel }) {
      let parsed: unknown = line;
      try {
        parsed = JSON.parse(line);
      } catch {
        // Plain text: kept as is, at INFO.
      }
      const level = levelOf(parsed);
      if (!kept(level, applicationLogLevel)) return false;
      // CloudWatch Logs extracts metrics only from the lines it receives.
      points.push(...metricsOfEmfLine(parsed));
      append({ functionName, requestId, level, line: parsed });
      return true;
    },
    platform(functionName, level, message, { requestId, systemLogLevel }) {
      if (kept(level, systemLogLevel))
        append({ functionName, requestId, level, line: { type: "platform", message } });
    },
    metrics: () => [...points],
  };
}
