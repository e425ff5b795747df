import { useMutation, useQueryClient } from '@tanstack/react-query'
import { api } from '@/api/client'
import type { ApiKeyView, CreateKey } from '@/api/types'

export function useCreateKey(tenantId: string) {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (body: CreateKey) => api.post<ApiKeyView>(`/api/v1/tenants/${tenantId}/keys`, body),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['tenants', tenantId, 'keys'] }),
    // The form shows the message next to its field.
    meta: { silent: true },
  })
}

export function useRevokeKey(tenantId: string) {
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (keyId: string) => api.delete<undefined>(`/api/v1/tenants/${tenantId}/keys/${keyId}`),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['tenants', tenantId, 'keys'] }),
    meta: { errorContext: 'The key was not revoked' },
  })
}
