import type { PlannedResource } from "../iam/stackModel";

/**
 * A stage's throttling from its MethodSettings: a token bucket per method, holding at most the burst
 * limit and refilled at the rate limit per second; a request finding the bucket empty is refused
 * (429). Stage-level limits (`*\/*`) apply to each method separately; a method's own settings
 * replace them. The account-level quota (10,000 requests per second per Region) is not reproduced.
 * https://docs.aws.amazon.com/apigateway/latest/developerguide/api-gateway-request-throttling.html#apigateway-how-throttling-limits-are-applied
 */
export interface ThrottleLimits {
  rateLimit: number;
  burstLimit: number;
}

interface Bucket {
  tokens: number;
  refilledAt: number;
}

const EVERY_METHOD = "*/*";

/** The limits per method path (`*\/*`, `operations/POST`), from settings that set both. */
function limitsOf(methodSettings: PlannedResource[], stageName: string): Map<string, ThrottleLimits> {
  const limits = new Map<string, ThrottleLimits>();
  for (const resource of methodSettings) {
    if (resource.inputs.stageName !== stageName) continue;
    const settings = (resource.inputs.settings ?? {}) as Record<string, unknown>;
    const rateLimit = Number(settings.throttlingRateLimit);
    const burstLimit = Number(settings.throttlingBurstLimit);
    // -1 (or nothing) turns the stage's throttling off.
    if (!(rateLimit >= 0 && burstLimit >= 0)) continue;
    const methodPath = String(resource.inputs.methodPath).replace(/~1/g, "/").replace(/^\/+/, "");
    limits.set(methodPath, { rateLimit, burstLimit });
  }
  return limits;
}

export function stageThrottle(methodSettings: PlannedResource[], stageName: string, now: () => number) {
  const limits = limitsOf(methodSettings, stageName);
  const buckets = new Map<string, Bucket>();

  return {
    /** Takes a token for one request to the method; false when the method is over its limits. */
    admit(resourcePath: string, httpMethod: string): boolean {
      const methodPath = `${resourcePath.replace(/^\/+/, "")}/${httpMethod}`;
      const limit = limits.get(methodPath) ?? limits.get(EVERY_METHOD);
      if (!limit) return true;
      const at = now();
      const bucket = buckets.get(methodPath) ?? { tokens: limit.burstLimit, refilledAt: at };
      bucket.tokens = Math.min(
        limit.burstLimit,
        bucket.tokens + (Math.max(0, at - bucket.refilledAt) / 1000) * limit.rateLimit,
      );
      bucket.refilledAt = at;
      buckets.set(methodPath, bucket);
      if (bucket.tokens < 1) return false;
      bucket.tokens -= 1;
      return true;
    },
  };
}
