import { keepPreviousData, queryOptions, useQueries, useQuery } from '@tanstack/react-query'
import { api } from '@/api/client'
import type { Breakdown, Stats, StatsInterval } from '@/api/types'
import { filtersKey, filtersToQuery, type Filters } from '@/features/filters/hooks/use-filters'
import { useTenantScope } from '@/features/tenants/hooks/use-current-tenant'

export const RANGES = {
  '15m': { label: '15 min', ms: 15 * 60_000, interval: 'minute' },
  '1h': { label: '1 hour', ms: 3_600_000, interval: 'minute' },
  '6h': { label: '6 hours', ms: 6 * 3_600_000, interval: 'minute' },
  '24h': { label: '24 hours', ms: 24 * 3_600_000, interval: 'hour' },
  '7d': { label: '7 days', ms: 7 * 24 * 3_600_000, interval: 'hour' },
  '30d': { label: '30 days', ms: 30 * 24 * 3_600_000, interval: 'day' },
} as const satisfies Record<string, { label: string; ms: number; interval: StatsInterval }>

export type RangeKey = keyof typeof RANGES
export const INTERVALS: StatsInterval[] = ['minute', 'hour', 'day']

export function isRangeKey(value: string | null): value is RangeKey {
  return value !== null && value in RANGES
}

/** Whether an interval makes sense for a range (at least 2 and at most ~2,000 buckets). */
export function intervalFits(range: RangeKey, interval: StatsInterval): boolean {
  const bucket = interval === 'minute' ? 60_000 : interval === 'hour' ? 3_600_000 : 86_400_000
  const buckets = RANGES[range].ms / bucket
  return buckets >= 2 && buckets <= 2_000
}

export const statsQuery = (tenantId: string, scope: { tenant_id?: string }, range: RangeKey, interval: StatsInterval, filters: Filters) =>
  queryOptions({
    queryKey: ['stats', tenantId, range, interval, filtersKey(filters)],
    queryFn: ({ signal }) => {
      // The range ends now, at every fetch: refetches slide the window along.
      const to = new Date()
      const from = new Date(to.getTime() - RANGES[range].ms)
      return api.get<Stats>('/api/v1/events/stats', {
        query: { ...scope, ...filtersToQuery(filters), from: from.toISOString(), to: to.toISOString(), interval },
        signal,
      })
    },
    placeholderData: keepPreviousData,
    refetchInterval: 30_000,
  })

export function useStats(range: RangeKey, interval: StatsInterval, filters: Filters) {
  const { tenantId, scope } = useTenantScope()
  return useQuery(statsQuery(tenantId, scope, range, interval, filters))
}

const NO_FILTERS: Filters = { types: [], meta: [], not: [] }

/** Event types of the last 24 hours, for the filter chips (unfiltered, so every type shows). */
export function useTypeBreakdown() {
  return useStats('24h', 'hour', NO_FILTERS)
}

/** How many types get a series of their own in the stacked chart; the rest are "other". */
export const STACKED_TYPES = 5

/**
 * One series per event type for the stacked chart: the API counts buckets for a filter, so the
 * top types (or the ones filtered on) are asked for one by one; the rest is total minus those.
 */
export function useTypeSeries(range: RangeKey, interval: StatsInterval, filters: Filters, types: readonly string[]) {
  const { tenantId, scope } = useTenantScope()
  return useQueries({
    queries: types.map((type) => statsQuery(tenantId, scope, range, interval, { ...filters, types: [type] })),
  })
}

export const breakdownQuery = (tenantId: string, scope: { tenant_id?: string }, range: RangeKey, filters: Filters, key: string) =>
  queryOptions({
    queryKey: ['stats', tenantId, 'breakdown', key, range, filtersKey(filters)],
    queryFn: async ({ signal }): Promise<Breakdown & { total: number }> => {
      const to = new Date()
      const from = new Date(to.getTime() - RANGES[range].ms)
      const stats = await api.get<Stats>('/api/v1/events/stats', {
        query: { ...scope, ...filtersToQuery(filters), from: from.toISOString(), to: to.toISOString(), interval: RANGES[range].interval, group_by: `meta.${key}` },
        signal,
      })
      return { ...(stats.breakdown ?? { key: `meta.${key}`, values: [], other: 0, missing: stats.total }), total: stats.total }
    },
    placeholderData: keepPreviousData,
    refetchInterval: 30_000,
    meta: { silent: true },
  })

/** The top 10 values of metadata `key` over the range (GET /api/v1/events/stats?group_by=meta.<key>). */
export function useBreakdown(range: RangeKey, filters: Filters, key: string | null) {
  const { tenantId, scope } = useTenantScope()
  return useQuery({ ...breakdownQuery(tenantId, scope, range, filters, key ?? ''), enabled: Boolean(key) })
}
