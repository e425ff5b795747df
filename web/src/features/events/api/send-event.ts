import { useMutation } from '@tanstack/react-query'
import { api } from '@/api/client'
import type { IngestRequest, IngestResponse } from '@/api/types'
import { useTenantScope } from '@/features/tenants/hooks/use-current-tenant'

/** POST /api/v1/events; the admin names the tenant in the body. */
export function useSendEvent() {
  const { scope } = useTenantScope()
  return useMutation({
    mutationFn: (event: Omit<IngestRequest, 'tenant_id'>) => api.post<IngestResponse>('/api/v1/events', { ...event, ...scope }),
    meta: { errorContext: 'The test event was not sent' },
  })
}
