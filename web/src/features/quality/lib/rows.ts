// The Data quality table's rows: every event type seen in the range, checked or not. The API's
// data-quality report lists only types that were checked (a schema matched, or the unplanned
// policy is warn/block); types that went through unchecked come from the stats' `by_type`, with
// the schema that would match them now (one created after their events, or none).
import type { EventSchema, QualityBucket, QualityTotals, QualityType, SchemaMode, TypeCount } from '@/api/types'

export interface QualityRow {
  eventType: string
  /** The schema pattern that matched (checked) or would match now (unchecked); null: none. */
  schema: string | null
  mode: SchemaMode | null
  /** Whether events of this type were checked in the range. */
  checked: boolean
  /** Events of the type in the range, as the stats count them (stored events). */
  events: number
  totals: QualityTotals
  buckets: QualityBucket[]
  /** Violations per checked event, 0–1; null when nothing was checked. */
  rate: number | null
}

const NONE: QualityTotals = { checked: 0, violations: 0, blocked: 0 }

/** Violations per checked event (0–1), or null when no event was checked. */
export function violationRate(totals: QualityTotals): number | null {
  return totals.checked > 0 ? Math.min(1, totals.violations / totals.checked) : null
}

/** The literal part of a pattern: what a type must start or end with. */
function literal(pattern: string): string {
  return pattern.replace(/^\*|\*$/g, '')
}

export function patternMatches(pattern: string, type: string): boolean {
  if (pattern === '*') return true
  if (pattern.endsWith('*')) return type.startsWith(pattern.slice(0, -1))
  if (pattern.startsWith('*')) return type.endsWith(pattern.slice(1))
  return pattern === type
}

/**
 * The schema the server applies to `type`: an exact one first, else the matching pattern with
 * the longest literal part (prefix before suffix on a tie, then by name, so the answer is stable).
 */
export function matchSchema<T extends Pick<EventSchema, 'event_type'>>(type: string, schemas: readonly T[]): T | null {
  let best: T | null = null
  let bestRank: [number, number, number] = [-1, -1, -1]
  for (const s of schemas) {
    if (!patternMatches(s.event_type, type)) continue
    const exact = s.event_type.includes('*') ? 0 : 1
    const rank: [number, number, number] = [exact, literal(s.event_type).length, s.event_type.endsWith('*') ? 1 : 0]
    const better = rank[0] !== bestRank[0] ? rank[0] > bestRank[0] : rank[1] !== bestRank[1] ? rank[1] > bestRank[1] : rank[2] !== bestRank[2] ? rank[2] > bestRank[2] : best !== null && s.event_type < best.event_type
    if (best === null || better) {
      best = s
      bestRank = rank
    }
  }
  return best
}

/**
 * Checked types (from the data-quality report) and unchecked ones (from the stats), one row each.
 * Worst first: by violation rate, then by violations, then the unchecked by volume, then by name.
 */
export function mergeTypes(report: readonly QualityType[], byType: readonly TypeCount[], schemas: readonly Pick<EventSchema, 'event_type' | 'mode'>[]): QualityRow[] {
  const counts = new Map(byType.map((t) => [t.event_type, t.count]))
  const rows: QualityRow[] = report.map((t) => ({
    eventType: t.event_type,
    schema: t.schema ?? null,
    mode: t.mode ?? null,
    checked: true,
    events: counts.get(t.event_type) ?? 0,
    totals: t.totals,
    buckets: t.buckets,
    rate: violationRate(t.totals),
  }))
  const seen = new Set(rows.map((r) => r.eventType))
  for (const { event_type, count } of byType) {
    if (seen.has(event_type)) continue
    const schema = matchSchema(event_type, schemas)
    rows.push({ eventType: event_type, schema: schema?.event_type ?? null, mode: schema?.mode ?? null, checked: false, events: count, totals: NONE, buckets: [], rate: null })
  }
  return rows.sort(
    (a, b) =>
      (b.rate ?? -1) - (a.rate ?? -1) ||
      b.totals.violations - a.totals.violations ||
      b.events - a.events ||
      a.eventType.localeCompare(b.eventType),
  )
}

export type Interval = 'minute' | 'hour' | 'day'

const STEP: Record<Interval, number> = { minute: 60_000, hour: 3_600_000, day: 86_400_000 }

/** The start of the bucket holding `ms` (UTC-aligned, as the server buckets). */
function bucketStart(ms: number, interval: Interval): number {
  return Math.floor(ms / STEP[interval]) * STEP[interval]
}

export interface SparkPoint {
  start: number
  checked: number
  violations: number
  blocked: number
}

/** Sparse buckets as one point per interval from `from` to `to`, empty ones at 0. */
export function denseSeries(buckets: readonly QualityBucket[], from: Date, to: Date, interval: Interval): SparkPoint[] {
  const byStart = new Map<number, QualityBucket>()
  for (const b of buckets) byStart.set(bucketStart(Date.parse(b.start), interval), b)
  const out: SparkPoint[] = []
  const last = bucketStart(to.getTime(), interval)
  for (let t = bucketStart(from.getTime(), interval); t <= last && out.length < 5_000; t += STEP[interval]) {
    const b = byStart.get(t)
    out.push({ start: t, checked: b?.checked ?? 0, violations: b?.violations ?? 0, blocked: b?.blocked ?? 0 })
  }
  return out
}

/** Blocked events over every type of a report (what the Live banner warns about). */
export function blockedTotal(report: readonly QualityType[]): { blocked: number; types: string[] } {
  const types = report.filter((t) => t.totals.blocked > 0).sort((a, b) => b.totals.blocked - a.totals.blocked)
  return { blocked: types.reduce((sum, t) => sum + t.totals.blocked, 0), types: types.map((t) => t.event_type) }
}
