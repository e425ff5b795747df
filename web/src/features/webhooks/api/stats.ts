// An endpoint's delivery figures over a window (`GET /api/v1/webhooks/{id}/stats`): attempts,
// successes, latency percentiles, in total and per bucket, for the endpoint's chart.
import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query'
import { api } from '@/api/client'
import type { WebhookStats } from '@/api/types'
import { useTenantScope } from '@/features/tenants/hooks/use-current-tenant'

type Scope = { tenant_id?: string }

export const webhookStatsQuery = (tenantId: string, scope: Scope, endpointId: string, hours: number) =>
  queryOptions({
    queryKey: ['webhooks', tenantId, endpointId, 'stats', hours],
    queryFn: ({ signal }) => api.get<WebhookStats>(`/api/v1/webhooks/${encodeURIComponent(endpointId)}/stats`, { query: { ...scope, hours }, signal }),
    // New attempts land in the current bucket; a glance every 10 s is enough for a chart.
    refetchInterval: 10_000,
    // Switching windows keeps the old chart on screen until the new one arrives (no jump).
    placeholderData: keepPreviousData,
  })

export function useWebhookStats(endpointId: string, hours: number) {
  const { tenantId, scope } = useTenantScope()
  return useQuery(webhookStatsQuery(tenantId, scope, endpointId, hours))
}
