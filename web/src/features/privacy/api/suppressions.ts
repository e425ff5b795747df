// Suppressions (`manage` only): subjects whose future events are dropped at ingest, each with
// the events it has dropped; add one, lift one.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/api/client'
import type { CreateSuppression, Suppression, SuppressionList } from '@/api/types'
import { useTenantScope } from '@/features/tenants/hooks/use-current-tenant'

export function useSuppressions(enabled = true) {
  const { tenantId, scope } = useTenantScope()
  return useQuery({
    queryKey: ['privacy', tenantId, 'suppressions'],
    queryFn: ({ signal }) => api.get<SuppressionList>('/api/v1/suppressions', { query: scope, signal }),
    select: (data) => data.suppressions,
    // The dropped counts grow while the subjects keep sending.
    refetchInterval: 10_000,
    enabled,
  })
}

export function useCreateSuppression() {
  const { tenantId, scope } = useTenantScope()
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: async (body: CreateSuppression) => {
      // 201 is a new suppression, 200 the one the subject already had: both carry it.
      const before = queryClient.getQueryData<SuppressionList>(['privacy', tenantId, 'suppressions'])
      const suppression = await api.post<Suppression>('/api/v1/suppressions', body, { query: scope })
      return { suppression, existed: Boolean(before?.suppressions.some((s) => s.id === suppression.id)) }
    },
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['privacy', tenantId, 'suppressions'] }),
    meta: { silent: true },
  })
}

export function useDeleteSuppression() {
  const { tenantId, scope } = useTenantScope()
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api.delete<undefined>(`/api/v1/suppressions/${encodeURIComponent(id)}`, { query: scope }),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['privacy', tenantId, 'suppressions'] }),
    meta: { errorContext: 'The suppression was not lifted' },
  })
}
