// Replays of an endpoint (`manage`): a background job that delivers the tenant's stored events
// of a time range again (all that match the endpoint, or only those whose delivery failed), with
// its progress, followed every second while it runs, and cancellable.
import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/api/client'
import type { CreateReplay, Replay, ReplayList } from '@/api/types'
import { useTenantScope } from '@/features/tenants/hooks/use-current-tenant'
import { isFollowed } from '../lib/replay'

type Scope = { tenant_id?: string }

/** How often a replay still on its way is asked about. */
export const REPLAY_POLL_MS = 1_000

const base = (endpointId: string) => `/api/v1/webhooks/${encodeURIComponent(endpointId)}`

export const replaysQuery = (tenantId: string, scope: Scope, endpointId: string) =>
  queryOptions({
    queryKey: ['webhooks', tenantId, endpointId, 'replays'],
    queryFn: ({ signal }) => api.get<ReplayList>(`${base(endpointId)}/replays`, { query: scope, signal }),
    select: (data) => data.data,
    refetchInterval: (query) => (query.state.data?.data.some(isFollowed) ? REPLAY_POLL_MS : false),
    // A side list: if it cannot be read, the endpoint view goes on without it (no toast).
    meta: { silent: true },
  })

/** The endpoint's replays, newest first. */
export function useReplays(endpointId: string) {
  const { tenantId, scope } = useTenantScope()
  return useQuery(replaysQuery(tenantId, scope, endpointId))
}

/** One replay, followed every second until it is done (and its deliveries made), failed or cancelled. */
export function useReplay(endpointId: string, id: string | null) {
  const { tenantId, scope } = useTenantScope()
  const queryClient = useQueryClient()
  return useQuery({
    queryKey: ['webhooks', tenantId, endpointId, 'replay', id],
    queryFn: async ({ signal }) => {
      const replay = await api.get<Replay>(`${base(endpointId)}/replays/${encodeURIComponent(id ?? '')}`, { query: scope, signal })
      // The list shows the same job: refresh it for good once the job ends.
      if (!isFollowed(replay)) void queryClient.invalidateQueries({ queryKey: ['webhooks', tenantId, endpointId, 'replays'] })
      return replay
    },
    enabled: Boolean(id),
    refetchInterval: (query) => (query.state.data && !isFollowed(query.state.data) ? false : REPLAY_POLL_MS),
  })
}

export function useStartReplay(endpointId: string) {
  const { tenantId, scope } = useTenantScope()
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (body: CreateReplay) => api.post<Replay>(`${base(endpointId)}/replay`, body, { query: scope }),
    onSuccess: (replay) => {
      queryClient.setQueryData(['webhooks', tenantId, endpointId, 'replay', replay.id], replay)
      return queryClient.invalidateQueries({ queryKey: ['webhooks', tenantId, endpointId, 'replays'] })
    },
    // The form shows the refusal next to the field it names.
    meta: { silent: true },
  })
}

export function useCancelReplay(endpointId: string) {
  const { tenantId, scope } = useTenantScope()
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api.post<Replay>(`${base(endpointId)}/replays/${encodeURIComponent(id)}/cancel`, undefined, { query: scope }),
    onSuccess: (replay) => {
      queryClient.setQueryData(['webhooks', tenantId, endpointId, 'replay', replay.id], replay)
      return queryClient.invalidateQueries({ queryKey: ['webhooks', tenantId, endpointId, 'replays'] })
    },
    meta: { errorContext: 'The replay was not cancelled' },
  })
}
