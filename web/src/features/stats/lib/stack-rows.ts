// The stacked chart's rows: per bucket, a count per type with a series of its own, the rest as
// "other types", and whether the range covers the bucket only in part.
import type { Stats, StatsInterval } from '@/api/types'

const WIDTH_MS: Record<StatsInterval, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }

export interface TypeSeries {
  type: string
  /** Counts per bucket, aligned with `stats.series`. */
  counts: number[]
}

export const OTHER = 'other types'

/** Rows for the chart: per bucket, a count per stacked type and "other types" for the rest. */
export function stackRows(stats: Stats, series: readonly TypeSeries[]): Record<string, number | string | boolean>[] {
  const first = new Date(stats.from).getTime()
  const last = new Date(stats.to).getTime()
  const width = WIDTH_MS[stats.interval]
  return stats.series.map((b, i) => {
    // A bucket the range covers only in part: the one still filling at the end, and the one the
    // range starts inside of. Either would look like a dip if drawn like the others.
    const start = new Date(b.bucket).getTime()
    const row: Record<string, number | string | boolean> = { bucket: b.bucket, total: b.count, partial: start + width > last || start < first }
    let stacked = 0
    for (const s of series) {
      const n = s.counts[i] ?? 0
      row[s.type] = n
      stacked += n
    }
    if (series.length) row[OTHER] = Math.max(0, b.count - stacked)
    else row[OTHER] = b.count
    return row
  })
}
