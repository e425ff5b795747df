// Reconnect delays: exponential with "equal jitter" — half of each delay is fixed, half random —
// so a restarted server is not hit by every dashboard at the same instant, yet no client waits
// much less than the schedule says.

export interface BackoffOptions {
  /** First delay (ms). */
  baseMs?: number
  /** Cap on any delay (ms). */
  maxMs?: number
  factor?: number
  /** Share of each delay that is random, 0–1. */
  jitter?: number
}

export const DEFAULT_BACKOFF: Required<BackoffOptions> = { baseMs: 500, maxMs: 30_000, factor: 2, jitter: 0.5 }

/** The delay before reconnect attempt number `attempt` (0 = first retry). */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const { baseMs, maxMs, factor, jitter } = { ...DEFAULT_BACKOFF, ...options }
  const exponential = Math.min(maxMs, baseMs * factor ** Math.max(0, attempt))
  const fixed = exponential * (1 - jitter)
  return Math.round(fixed + exponential * jitter * random())
}
