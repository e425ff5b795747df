// The tenant's schemas, its unplanned-type policy and the per-type violation report. Reads need
// the `read` scope, changes `manage` (the API answers 403 otherwise; the view says so in place).
// Admin requests name the tenant with `tenant_id` in the query string, as on every route.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/api/client'
import { useTenantScope } from '@/features/tenants/hooks/use-current-tenant'
import type { Interval } from '../lib/rows'
import type { EventSchema, InferredSchema, PutSchema, SchemaList, SchemaPolicy, UnplannedPolicy, ViolationReport } from '@/api/types'

/** Patterns contain `*`, which stays as is in a path segment; everything else is escaped. */
export const schemaPath = (eventType: string) => `/api/v1/schemas/${encodeURIComponent(eventType)}`

export function useSchemas() {
  const { tenantId, scope } = useTenantScope()
  return useQuery({
    queryKey: ['schemas', tenantId],
    queryFn: ({ signal }) => api.get<SchemaList>('/api/v1/schemas', { query: scope, signal }),
  })
}

export function useViolations(eventType: string | null, windowMs: number, interval: Interval) {
  const { tenantId, scope } = useTenantScope()
  return useQuery({
    queryKey: ['data-quality', tenantId, 'type', eventType, windowMs, interval],
    queryFn: ({ signal }) => {
      const to = new Date()
      const from = new Date(to.getTime() - windowMs)
      return api.get<ViolationReport>(`${schemaPath(eventType ?? '')}/violations`, { query: { ...scope, from: from.toISOString(), to: to.toISOString(), interval }, signal })
    },
    enabled: Boolean(eventType),
    placeholderData: keepPreviousData,
    refetchInterval: 15_000,
  })
}

function useInvalidate() {
  const queryClient = useQueryClient()
  const { tenantId } = useTenantScope()
  return () =>
    Promise.all([queryClient.invalidateQueries({ queryKey: ['schemas', tenantId] }), queryClient.invalidateQueries({ queryKey: ['data-quality', tenantId] })])
}

export function useSaveSchema() {
  const { scope } = useTenantScope()
  const invalidate = useInvalidate()
  return useMutation({
    mutationFn: ({ eventType, body }: { eventType: string; body: PutSchema }) => api.put<EventSchema>(schemaPath(eventType), body, { query: scope }),
    onSuccess: invalidate,
    // The editor shows the refusal next to itself.
    meta: { silent: true },
  })
}

export function useDeleteSchema() {
  const { scope } = useTenantScope()
  const invalidate = useInvalidate()
  return useMutation({
    mutationFn: (eventType: string) => api.delete<undefined>(schemaPath(eventType), { query: scope }),
    onSuccess: invalidate,
    meta: { silent: true },
  })
}

export function useInferSchema() {
  const { scope } = useTenantScope()
  return useMutation({
    mutationFn: (eventType: string) => api.post<InferredSchema>(`${schemaPath(eventType)}/infer`, undefined, { query: { ...scope, sample: 1000 } }),
    meta: { silent: true },
  })
}

export function useSavePolicy() {
  const { scope } = useTenantScope()
  const invalidate = useInvalidate()
  return useMutation({
    mutationFn: (unplanned: UnplannedPolicy) => api.put<SchemaPolicy>('/api/v1/schema-policy', { unplanned }, { query: scope }),
    onSuccess: invalidate,
    meta: { silent: true },
  })
}
