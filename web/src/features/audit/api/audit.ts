// The audit log (`manage` only): newest first, filtered by action and actor, a page at a time
// (`next_cursor`). The admin names the tenant with `tenant_id`, so the view shows the current
// tenant's entries only.
import { infiniteQueryOptions, useInfiniteQuery } from '@tanstack/react-query'
import { api } from '@/api/client'
import type { AuditPage } from '@/api/types'
import { useTenantScope } from '@/features/tenants/hooks/use-current-tenant'

export const AUDIT_PAGE_SIZE = 50

export interface AuditFilters {
  /** `webhook.update`, … or null for every action. */
  action: string | null
  /** `admin`, a key's id, or null for anyone. */
  actor: string | null
}

export const auditQuery = (tenantId: string, scope: { tenant_id?: string }, filters: AuditFilters) =>
  infiniteQueryOptions({
    queryKey: ['audit', tenantId, filters.action ?? '', filters.actor ?? ''],
    queryFn: ({ pageParam, signal }) =>
      api.get<AuditPage>('/api/v1/audit', { query: { ...scope, action: filters.action, actor: filters.actor, limit: AUDIT_PAGE_SIZE, cursor: pageParam }, signal }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  })

export function useAuditLog(filters: AuditFilters, enabled = true) {
  const { tenantId, scope } = useTenantScope()
  return useInfiniteQuery({ ...auditQuery(tenantId, scope, filters), enabled })
}
