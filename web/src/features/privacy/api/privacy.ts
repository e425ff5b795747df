// The tenant's redaction policy (read with `read`, saved with `manage`), a preview of what a
// policy does to an event's metadata (nothing stored; `read`), and the recent events to try it on.
// The admin names the tenant with `tenant_id` in the query string, as on every route.
import { keepPreviousData, queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/api/client'
import type { EventList, PrivacyPolicy, PrivacyPreview, PrivacySettings } from '@/api/types'
import { useTenantScope } from '@/features/tenants/hooks/use-current-tenant'

type Scope = { tenant_id?: string }

export const privacyQuery = (tenantId: string, scope: Scope) =>
  queryOptions({
    queryKey: ['privacy', tenantId, 'policy'],
    queryFn: ({ signal }) => api.get<PrivacySettings>('/api/v1/privacy', { query: scope, signal }),
  })

export function usePrivacy() {
  const { tenantId, scope } = useTenantScope()
  return useQuery(privacyQuery(tenantId, scope))
}

export function useSavePrivacy() {
  const { tenantId, scope } = useTenantScope()
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (policy: Required<PrivacyPolicy>) => api.put<PrivacySettings>('/api/v1/privacy', policy, { query: scope }),
    onSuccess: (saved) => {
      queryClient.setQueryData(['privacy', tenantId, 'policy'], saved)
      // Hashes in a preview made before the first save used a throwaway key.
      return queryClient.invalidateQueries({ queryKey: ['privacy', tenantId, 'preview'] })
    },
    // The editor shows the refusal next to the rule it names.
    meta: { silent: true },
  })
}

/** How many recent events the preview offers to try the policy on. */
export const RECENT_EVENTS = 20

export function useRecentEvents() {
  const { tenantId, scope } = useTenantScope()
  return useQuery({
    queryKey: ['privacy', tenantId, 'recent-events'],
    queryFn: ({ signal }) => api.get<EventList>('/api/v1/events', { query: { ...scope, limit: RECENT_EVENTS }, signal }),
    select: (data) => data.events,
    // A tenant without events yet is looked at again now and then, so its first one shows up.
    refetchInterval: (query) => (query.state.data?.events.length === 0 ? 5_000 : false),
  })
}

/**
 * What `policy` makes of `metadata` (null: nothing to preview). The text is the request's JSON,
 * so equal requests share one answer; the previous answer stays on screen while the next loads.
 */
export function usePreview(request: { metadata: Record<string, unknown>; policy: PrivacyPolicy } | null) {
  const { tenantId, scope } = useTenantScope()
  const text = request ? JSON.stringify(request) : null
  return useQuery({
    queryKey: ['privacy', tenantId, 'preview', text],
    queryFn: ({ signal }) => api.post<PrivacyPreview>('/api/v1/privacy/preview', JSON.parse(text ?? 'null') as unknown, { query: scope, signal }),
    enabled: text !== null,
    placeholderData: keepPreviousData,
    staleTime: Infinity,
    // A policy the server refuses is shown next to the rule it names, not as a toast.
    meta: { silent: true },
  })
}
