import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api } from '@/api/client'
import type { CreateTenant, CreatedTenant } from '@/api/types'

export function createTenant(body: CreateTenant): Promise<CreatedTenant> {
  return api.post<CreatedTenant>('/api/v1/tenants', body)
}

export function useCreateTenant() {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: createTenant,
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['tenants'] }),
    meta: { errorContext: 'Could not create the tenant' },
  })
}
