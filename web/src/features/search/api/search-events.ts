import { infiniteQueryOptions, useInfiniteQuery } from '@tanstack/react-query'
import { api } from '@/api/client'
import type { SearchResults } from '@/api/types'
import { filtersKey, filtersToQuery, type Filters } from '@/features/filters/hooks/use-filters'
import { useTenantScope } from '@/features/tenants/hooks/use-current-tenant'
import { rangeFrom, type SearchState } from '../lib/search-state'

const PAGE_SIZE = 20

export const searchQuery = (tenantId: string, scope: { tenant_id?: string }, search: SearchState, filters: Filters) =>
  infiniteQueryOptions({
    queryKey: ['search', tenantId, search.q, search.range, filtersKey(filters)],
    queryFn: ({ pageParam, signal }) =>
      api.get<SearchResults>('/api/v1/events/search', {
        query: { ...scope, ...filtersToQuery(filters), q: search.q, from: rangeFrom(search.range), limit: PAGE_SIZE, cursor: pageParam },
        signal,
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    enabled: search.q.length > 0,
    // The view shows a malformed query next to the box, and other failures in place of the results.
    meta: { silent: true },
  })

export function useSearch(search: SearchState, filters: Filters) {
  const { tenantId, scope } = useTenantScope()
  return useInfiniteQuery(searchQuery(tenantId, scope, search, filters))
}
