import { queryOptions, useQuery } from '@tanstack/react-query'
import { api } from '@/api/client'
import type { KeyList, TenantList } from '@/api/types'

export const tenantsQuery = () =>
  queryOptions({
    queryKey: ['tenants'],
    queryFn: ({ signal }) => api.get<TenantList>('/api/v1/tenants', { signal }),
    select: (data) => data.tenants,
    staleTime: 30_000,
  })

export function useTenants() {
  return useQuery(tenantsQuery())
}

export const tenantKeysQuery = (tenantId: string) =>
  queryOptions({
    queryKey: ['tenants', tenantId, 'keys'],
    queryFn: ({ signal }) => api.get<KeyList>(`/api/v1/tenants/${tenantId}/keys`, { signal }),
    select: (data) => data.keys,
    staleTime: 30_000,
  })

export function useTenantKeys(tenantId: string | undefined) {
  return useQuery({ ...tenantKeysQuery(tenantId ?? ''), enabled: Boolean(tenantId) })
}
