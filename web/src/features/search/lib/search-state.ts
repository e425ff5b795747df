// The search's state lives in the URL (`?q=…&range=24h&type=…&meta=…`) so a search can be shared.
// Type and metadata filters are the shared filters (see features/filters); `q` and `range` are
// the search's own.

export const RANGES = [
  { value: 'all', label: 'Any time', ms: null },
  { value: '15m', label: 'Last 15 min', ms: 15 * 60_000 },
  { value: '1h', label: 'Last hour', ms: 60 * 60_000 },
  { value: '24h', label: 'Last 24 h', ms: 24 * 60 * 60_000 },
  { value: '7d', label: 'Last 7 days', ms: 7 * 24 * 60 * 60_000 },
] as const

export type RangeValue = (typeof RANGES)[number]['value']

export interface SearchState {
  q: string
  range: RangeValue
}

export function readSearch(params: URLSearchParams): SearchState {
  const q = (params.get('q') ?? '').trim()
  const raw = params.get('range')
  const range = RANGES.some((r) => r.value === raw) ? (raw as RangeValue) : 'all'
  return { q, range }
}

/** The lower time bound for a range, as the API's `from`; undefined for "any time". */
export function rangeFrom(range: RangeValue, now: number = Date.now()): string | undefined {
  const ms = RANGES.find((r) => r.value === range)?.ms
  return ms ? new Date(now - ms).toISOString() : undefined
}

/** Writes `q` (and `range`) into a copy of the params, keeping the shared filters. */
export function writeSearch(params: URLSearchParams, state: Partial<SearchState>): URLSearchParams {
  const next = new URLSearchParams(params)
  if (state.q !== undefined) {
    if (state.q.trim()) next.set('q', state.q.trim())
    else next.delete('q')
  }
  if (state.range !== undefined) {
    if (state.range === 'all') next.delete('range')
    else next.set('range', state.range)
  }
  return next
}

/** Examples of the query language, each runnable with a click. */
export const EXAMPLES: { query: string; what: string }[] = [
  { query: 'card declined', what: 'all words, in any field' },
  { query: '"card declined"', what: 'an exact phrase' },
  { query: 'type:signup plan:pro', what: 'event type and a metadata key' },
  { query: 'user.plan:pro', what: 'a nested key' },
  { query: 'checkout -refund', what: 'exclude a word' },
  { query: 'visa OR amex', what: 'either word' },
  { query: 'decl*', what: 'a prefix' },
]
