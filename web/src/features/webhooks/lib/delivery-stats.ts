// The endpoint chart's windows and rows: per bucket, succeeded and failed attempts, the success
// rate (null for a bucket without attempts: a gap, not 0 %) and the latency percentiles.
import type { WebhookStats } from '@/api/types'

export type StatsWindow = '1h' | '24h' | '7d'

export const STATS_WINDOWS: { value: StatsWindow; label: string; hours: number }[] = [
  { value: '1h', label: '1 h', hours: 1 },
  { value: '24h', label: '24 h', hours: 24 },
  { value: '7d', label: '7 d', hours: 168 },
]

export function isStatsWindow(value: string | null): value is StatsWindow {
  return STATS_WINDOWS.some((w) => w.value === value)
}

export function hoursOf(window: StatsWindow): number {
  return STATS_WINDOWS.find((w) => w.value === window)?.hours ?? 24
}

export interface StatsRow {
  start: string
  succeeded: number
  failed: number
  /** 0-100, null without attempts. */
  rate: number | null
  p50: number | null
  p95: number | null
}

export function statsRows(stats: WebhookStats): StatsRow[] {
  return stats.buckets.map((b) => ({
    start: b.start,
    succeeded: b.succeeded,
    failed: b.failed,
    rate: b.attempts > 0 ? (b.succeeded / b.attempts) * 100 : null,
    p50: b.latency_p50_ms ?? null,
    p95: b.latency_p95_ms ?? null,
  }))
}

/** "812 ms", "2.4 s". */
export function formatLatency(ms: number | null | undefined): string {
  if (ms === null || ms === undefined) return '—'
  if (ms < 1_000) return `${Math.round(ms)} ms`
  return `${(ms / 1_000).toFixed(ms < 10_000 ? 1 : 0)} s`
}

/** 0.9873 → "98.7%", 1 → "100%", null → "—". */
export function formatRate(rate: number | null | undefined): string {
  if (rate === null || rate === undefined) return '—'
  const p = rate * 100
  if (p === 100 || p === 0) return `${p}%`
  return `${Math.min(99.9, Math.max(0.1, Math.round(p * 10) / 10))}%`
}
