import { percentile } from "../percentile";

/** Nearest-rank percentiles (p50, p95, p99) of a sample, rounded to the millisecond; null when empty. */
export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

export function percentiles(values: number[]): Percentiles | null {
  if (values.length === 0) return null;
  const at = (fraction: number) => Math.round(percentile(values, fraction));
  return { p50: at(0.5), p95: at(0.95), p99: at(0.99) };
}
