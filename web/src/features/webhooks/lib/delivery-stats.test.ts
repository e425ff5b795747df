import type { WebhookStats } from '@/api/types'
import { formatLatency, formatRate, hoursOf, isStatsWindow, statsRows } from './delivery-stats'

describe('delivery stats', () => {
  it('makes a row per bucket, with a gap where there were no attempts', () => {
    const stats = {
      from: '2026-12-01T00:00:00Z',
      to: '2026-12-01T02:10:00Z',
      bucket_seconds: 3600,
      attempts: 4,
      succeeded: 3,
      failed: 1,
      success_rate: 0.75,
      latency_p50_ms: 20,
      latency_p95_ms: 90,
      buckets: [
        { start: '2026-12-01T00:00:00Z', attempts: 4, succeeded: 3, failed: 1, latency_p50_ms: 20, latency_p95_ms: 90 },
        { start: '2026-12-01T01:00:00Z', attempts: 0, succeeded: 0, failed: 0, latency_p50_ms: null, latency_p95_ms: null },
      ],
    } satisfies WebhookStats
    expect(statsRows(stats)).toEqual([
      { start: '2026-12-01T00:00:00Z', succeeded: 3, failed: 1, rate: 75, p50: 20, p95: 90 },
      { start: '2026-12-01T01:00:00Z', succeeded: 0, failed: 0, rate: null, p50: null, p95: null },
    ])
  })

  it('formats rates and latencies for people', () => {
    expect(formatRate(null)).toBe('—')
    expect(formatRate(1)).toBe('100%')
    expect(formatRate(0.9999)).toBe('99.9%')
    expect(formatRate(0.5)).toBe('50%')
    expect(formatLatency(12.4)).toBe('12 ms')
    expect(formatLatency(2_430)).toBe('2.4 s')
    expect(formatLatency(null)).toBe('—')
    expect(isStatsWindow('7d')).toBe(true)
    expect(isStatsWindow('30d')).toBe(false)
    expect(hoursOf('7d')).toBe(168)
  })
})
