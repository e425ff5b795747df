// GET /api/v1/data-quality: per concrete event type, events checked, violations and blocked over
// a range. Used by the Data quality view and by the Live banner (its last few minutes), so it
// lives apart from the schema editor's calls.
import { keepPreviousData, queryOptions, useQuery } from '@tanstack/react-query'
import { api } from '@/api/client'
import { useTenantScope } from '@/features/tenants/hooks/use-current-tenant'
import type { Interval } from '../lib/rows'
import type { DataQuality } from '@/api/types'

type Scope = { tenant_id?: string }

export const dataQualityQuery = (tenantId: string, scope: Scope, windowMs: number, interval: Interval, refetchMs: number) =>
  queryOptions({
    queryKey: ['data-quality', tenantId, windowMs, interval],
    queryFn: async ({ signal }) => {
      const to = new Date()
      const from = new Date(to.getTime() - windowMs)
      const report = await api.get<DataQuality>('/api/v1/data-quality', { query: { ...scope, from: from.toISOString(), to: to.toISOString(), interval }, signal })
      return { ...report, from, to }
    },
    placeholderData: keepPreviousData,
    refetchInterval: refetchMs,
  })

export function useDataQuality(windowMs: number, interval: Interval, options: { refetchMs?: number; silent?: boolean } = {}) {
  const { tenantId, scope } = useTenantScope()
  return useQuery({ ...dataQualityQuery(tenantId, scope, windowMs, interval, options.refetchMs ?? 30_000), meta: options.silent ? { silent: true } : undefined })
}
