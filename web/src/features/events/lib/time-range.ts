// The explorer's time range, in the URL: `range=1h` (relative: ends now, so live events join
// the list) or `from=…&to=…` (absolute, ISO; live events only when `to` is absent). Nothing
// means all of the stored history.

export const RELATIVE_RANGES = {
  '15m': { label: 'Last 15 min', ms: 15 * 60_000 },
  '1h': { label: 'Last hour', ms: 3_600_000 },
  '24h': { label: 'Last 24 h', ms: 24 * 3_600_000 },
  '7d': { label: 'Last 7 days', ms: 7 * 24 * 3_600_000 },
  '30d': { label: 'Last 30 days', ms: 30 * 24 * 3_600_000 },
} as const

export type RelativeRange = keyof typeof RELATIVE_RANGES

export type TimeRange = { kind: 'all' } | { kind: 'relative'; key: RelativeRange } | { kind: 'absolute'; from: string | null; to: string | null }

function iso(value: string | null): string | null {
  if (!value) return null
  const t = Date.parse(value)
  return Number.isNaN(t) ? null : new Date(t).toISOString()
}

export function readTimeRange(params: URLSearchParams): TimeRange {
  const from = iso(params.get('from'))
  const to = iso(params.get('to'))
  if (from || to) return { kind: 'absolute', from, to }
  const key = params.get('range')
  if (key && key in RELATIVE_RANGES) return { kind: 'relative', key: key as RelativeRange }
  return { kind: 'all' }
}

/** The API's `from`/`to` for the range, at `now`. */
export function rangeQuery(range: TimeRange, now: number = Date.now()): { from?: string; to?: string } {
  if (range.kind === 'relative') return { from: new Date(now - RELATIVE_RANGES[range.key].ms).toISOString() }
  if (range.kind === 'absolute') return { ...(range.from ? { from: range.from } : {}), ...(range.to ? { to: range.to } : {}) }
  return {}
}

/** Whether live arrivals belong in the list: the range is open towards now. */
export function rangeIncludesNow(range: TimeRange): boolean {
  return range.kind !== 'absolute' || range.to === null
}

export function rangeKey(range: TimeRange): string {
  return range.kind === 'all' ? 'all' : range.kind === 'relative' ? range.key : `${range.from ?? ''}..${range.to ?? ''}`
}

export function rangeLabel(range: TimeRange): string {
  if (range.kind === 'all') return 'All time'
  if (range.kind === 'relative') return RELATIVE_RANGES[range.key].label
  const fmt = (v: string | null) => (v ? new Date(v).toLocaleString('en-US', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', hour12: false }) : '…')
  return `${fmt(range.from)} – ${fmt(range.to)}`
}
