import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api } from '@/api/client'
import type { Tenant, UpdateTenant } from '@/api/types'

export function useUpdateTenant(tenantId: string) {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (body: UpdateTenant) => api.patch<Tenant>(`/api/v1/tenants/${tenantId}`, body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['tenants'] }),
    // The form shows validation messages next to their fields.
    meta: { silent: true },
  })
}
