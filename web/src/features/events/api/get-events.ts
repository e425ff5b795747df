import { infiniteQueryOptions, queryOptions, useInfiniteQuery, useQuery } from '@tanstack/react-query'
import { api } from '@/api/client'
import type { Event, EventList } from '@/api/types'
import { filtersKey, filtersToQuery, type Filters } from '@/features/filters/hooks/use-filters'
import { useTenantScope } from '@/features/tenants/hooks/use-current-tenant'
import { rangeKey, rangeQuery, type TimeRange } from '../lib/time-range'

const PAGE_SIZE = 50
const ALL: TimeRange = { kind: 'all' }

interface PageParam {
  cursor?: string
  /** The range as resolved for the first page: later pages keep it, so "last hour" does not slide under the cursor. */
  window?: { from?: string; to?: string }
}

type Page = EventList & { window: { from?: string; to?: string } }

export const eventsQuery = (tenantId: string, scope: { tenant_id?: string }, filters: Filters, range: TimeRange = ALL) =>
  infiniteQueryOptions({
    queryKey: ['events', tenantId, filtersKey(filters), rangeKey(range)],
    queryFn: async ({ pageParam, signal }): Promise<Page> => {
      const window = pageParam.window ?? rangeQuery(range)
      const list = await api.get<EventList>('/api/v1/events', {
        query: { ...scope, ...filtersToQuery(filters), ...window, limit: PAGE_SIZE, cursor: pageParam.cursor },
        signal,
      })
      return { ...list, window }
    },
    initialPageParam: {} as PageParam,
    getNextPageParam: (last): PageParam | undefined => (last.next_cursor ? { cursor: last.next_cursor, window: last.window } : undefined),
    // An empty history is waiting for a first event: look again now and then, so it shows up here
    // too (a full history is not refetched behind the reader's back; live events join on top).
    refetchInterval: (query) => (query.state.data?.pages[0]?.events.length === 0 ? 3_000 : false),
  })

export function useEventHistory(filters: Filters, range: TimeRange = ALL) {
  const { tenantId, scope } = useTenantScope()
  return useInfiniteQuery(eventsQuery(tenantId, scope, filters, range))
}

export const eventQuery = (tenantId: string, scope: { tenant_id?: string }, id: string) =>
  queryOptions({
    queryKey: ['event', tenantId, id],
    queryFn: ({ signal }) => api.get<Event>(`/api/v1/events/${encodeURIComponent(id)}`, { query: scope, signal }),
    staleTime: Infinity,
    retry: false,
  })

/** One event by id (for a permalink), unless it is already at hand. */
export function useEvent(id: string | null, known: Event | undefined) {
  const { tenantId, scope } = useTenantScope()
  return useQuery({ ...eventQuery(tenantId, scope, id ?? ''), enabled: Boolean(id) && !known })
}
