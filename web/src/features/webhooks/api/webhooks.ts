// Webhook endpoints and their delivery log (`manage` scope; the admin names the tenant with
// `tenant_id`, which the API reads from the query string on every webhook route).
import { infiniteQueryOptions, queryOptions, useInfiniteQuery, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/api/client'
import type { CreateWebhook, Delivery, DeliveryList, DeliveryStatus, EventDeliveryList, UpdateWebhook, WebhookList, WebhookWithSecret } from '@/api/types'
import { useTenantScope } from '@/features/tenants/hooks/use-current-tenant'

type Scope = { tenant_id?: string }

export const webhooksQuery = (tenantId: string, scope: Scope) =>
  queryOptions({
    queryKey: ['webhooks', tenantId],
    queryFn: ({ signal }) => api.get<WebhookList>('/api/v1/webhooks', { query: scope, signal }),
    select: (data) => data.endpoints,
    // Health changes as deliveries go out.
    refetchInterval: 5_000,
  })

export function useWebhooks() {
  const { tenantId, scope } = useTenantScope()
  return useQuery(webhooksQuery(tenantId, scope))
}

/** The latest deliveries of an endpoint, for its recent success rate. */
export function useRecentDeliveries(endpointId: string) {
  const { tenantId, scope } = useTenantScope()
  return useQuery({
    queryKey: ['webhooks', tenantId, endpointId, 'recent'],
    queryFn: ({ signal }) => api.get<DeliveryList>(`/api/v1/webhooks/${endpointId}/deliveries`, { query: { ...scope, limit: 50 }, signal }),
    select: (data) => data.deliveries,
    refetchInterval: 5_000,
  })
}

export const deliveriesQuery = (tenantId: string, scope: Scope, endpointId: string, status: DeliveryStatus | null, eventId: string | null = null) =>
  infiniteQueryOptions({
    queryKey: ['webhooks', tenantId, endpointId, 'deliveries', status ?? 'all', eventId ?? 'any'],
    queryFn: ({ pageParam, signal }) =>
      api.get<DeliveryList>(`/api/v1/webhooks/${endpointId}/deliveries`, {
        query: { ...scope, status: status ?? undefined, event_id: eventId ?? undefined, limit: 25, cursor: pageParam },
        signal,
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    // Deliveries still on their way are followed closely; a settled log is looked at now and then.
    refetchInterval: (query) =>
      query.state.data?.pages[0]?.deliveries.some((d) => d.status === 'pending' || d.status === 'failed') ? 1_000 : 5_000,
  })

/** The delivery log, optionally of one status and of one event (search by event id). */
export function useDeliveries(endpointId: string, status: DeliveryStatus | null, eventId: string | null = null) {
  const { tenantId, scope } = useTenantScope()
  return useInfiniteQuery(deliveriesQuery(tenantId, scope, endpointId, status, eventId))
}

/** Where one event was delivered: its delivery to each endpoint, with the last attempt. */
export const eventDeliveriesQuery = (tenantId: string, scope: Scope, eventId: string) =>
  queryOptions({
    queryKey: ['webhooks', tenantId, 'event', eventId],
    queryFn: ({ signal }) => api.get<EventDeliveryList>(`/api/v1/events/${encodeURIComponent(eventId)}/deliveries`, { query: scope, signal }),
    select: (data) => data.deliveries,
    // Followed while a delivery is still on its way.
    refetchInterval: (query) => (query.state.data?.deliveries.some((d) => d.status === 'pending' || d.status === 'failed') ? 2_000 : false),
  })

export function useEventDeliveries(eventId: string) {
  const { tenantId, scope } = useTenantScope()
  return useQuery(eventDeliveriesQuery(tenantId, scope, eventId))
}

function useInvalidate() {
  const queryClient = useQueryClient()
  const { tenantId } = useTenantScope()
  return () => queryClient.invalidateQueries({ queryKey: ['webhooks', tenantId] })
}

export function useCreateWebhook() {
  const { scope } = useTenantScope()
  const invalidate = useInvalidate()
  return useMutation({
    mutationFn: (body: CreateWebhook) => api.post<WebhookWithSecret>('/api/v1/webhooks', { ...body, ...scope }, { query: scope }),
    onSuccess: invalidate,
    meta: { silent: true },
  })
}

export function useUpdateWebhook() {
  const { scope } = useTenantScope()
  const invalidate = useInvalidate()
  return useMutation({
    mutationFn: ({ id, ...body }: UpdateWebhook & { id: string }) => api.patch<WebhookWithSecret>(`/api/v1/webhooks/${id}`, body, { query: scope }),
    onSuccess: invalidate,
    meta: { silent: true },
  })
}

export function useDeleteWebhook() {
  const { scope } = useTenantScope()
  const invalidate = useInvalidate()
  return useMutation({
    mutationFn: (id: string) => api.delete<undefined>(`/api/v1/webhooks/${id}`, { query: scope }),
    onSuccess: invalidate,
    meta: { errorContext: 'The endpoint was not deleted' },
  })
}

export function useRotateSecret() {
  const { scope } = useTenantScope()
  const invalidate = useInvalidate()
  return useMutation({
    mutationFn: (id: string) => api.post<WebhookWithSecret>(`/api/v1/webhooks/${id}/rotate-secret`, undefined, { query: scope }),
    onSuccess: invalidate,
    meta: { errorContext: 'The secret was not rotated' },
  })
}

export function useSendTest() {
  const { scope } = useTenantScope()
  const invalidate = useInvalidate()
  return useMutation({
    mutationFn: (id: string) => api.post<Delivery>(`/api/v1/webhooks/${id}/test`, undefined, { query: scope }),
    onSuccess: invalidate,
    meta: { errorContext: 'The test event was not sent' },
  })
}

export function useRetryDelivery() {
  const { scope } = useTenantScope()
  const invalidate = useInvalidate()
  return useMutation({
    mutationFn: ({ endpointId, deliveryId }: { endpointId: string; deliveryId: string }) =>
      api.post<Delivery>(`/api/v1/webhooks/${endpointId}/deliveries/${deliveryId}/retry`, undefined, { query: scope }),
    onSuccess: invalidate,
    meta: { errorContext: 'The delivery was not retried' },
  })
}
