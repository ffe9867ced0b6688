/**
 * How long EventBridge waits before retrying a delivery: "an exponential back off and jitter, or
 * randomized delay" (https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-rule-retry-policy.html,
 * which links https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).
 * AWS does not publish its base or its cap. Locally: "full jitter" from that article, a random
 * delay up to 1 s × 2^retry, capped at 15 minutes, so that the default policy's 185 retries last
 * about its 24 hours (185 × 7.5 minutes on average).
 */
const BASE_MS = 1000;
const CAP_MS = 15 * 60 * 1000;

/** The wait before retry number `retry` (0 for the first retry), with `random` in [0, 1). */
export function retryDelayMs(retry: number, random: () => number): number {
  return random() * Math.min(CAP_MS, BASE_MS * 2 ** retry);
}
