import { infiniteQueryOptions, useInfiniteQuery } from '@tanstack/react-query'
import { api } from '@/api/client'
import type { EventList } from '@/api/types'
import { filtersKey, filtersToQuery, type Filters } from '@/features/filters/hooks/use-filters'
import { useTenantScope } from '@/features/tenants/hooks/use-current-tenant'

const PAGE_SIZE = 50

export const eventsQuery = (tenantId: string, scope: { tenant_id?: string }, filters: Filters) =>
  infiniteQueryOptions({
    queryKey: ['events', tenantId, filtersKey(filters)],
    queryFn: ({ pageParam, signal }) =>
      api.get<EventList>('/api/v1/events', {
        query: { ...scope, ...filtersToQuery(filters), limit: PAGE_SIZE, cursor: pageParam },
        signal,
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    // An empty history is waiting for a first event: look again now and then, so it shows up here
    // too (a full history is not refetched behind the reader's back).
    refetchInterval: (query) => (query.state.data?.pages[0]?.events.length === 0 ? 3_000 : false),
  })

export function useEventHistory(filters: Filters) {
  const { tenantId, scope } = useTenantScope()
  return useInfiniteQuery(eventsQuery(tenantId, scope, filters))
}
