// Deletion jobs (`manage` only, they name people): start one (a dry run only counts), follow its
// progress while it is pending or running, cancel it, and list the tenant's past jobs.
import { queryOptions, useMutation, useQuery, useQueryClient } from '@tanstack/react-query'
import { api } from '@/api/client'
import type { CreateDeletion, DeletionJob, DeletionList } from '@/api/types'
import { useTenantScope } from '@/features/tenants/hooks/use-current-tenant'
import { isActive } from '../lib/deletions'

type Scope = { tenant_id?: string }

/** How often a job still on its way is asked about. */
export const JOB_POLL_MS = 1_000

export const deletionsQuery = (tenantId: string, scope: Scope) =>
  queryOptions({
    queryKey: ['privacy', tenantId, 'deletions'],
    queryFn: ({ signal }) => api.get<DeletionList>('/api/v1/deletions', { query: scope, signal }),
    select: (data) => data.deletions,
    refetchInterval: (query) => (query.state.data?.deletions.some((job) => isActive(job.state)) ? JOB_POLL_MS : false),
  })

export function useDeletions(enabled = true) {
  const { tenantId, scope } = useTenantScope()
  return useQuery({ ...deletionsQuery(tenantId, scope), enabled })
}

/** One job, followed every second until it is done, failed or cancelled. */
export function useDeletion(id: string | null) {
  const { tenantId, scope } = useTenantScope()
  const queryClient = useQueryClient()
  return useQuery({
    queryKey: ['privacy', tenantId, 'deletion', id],
    queryFn: async ({ signal }) => {
      const job = await api.get<DeletionJob>(`/api/v1/deletions/${encodeURIComponent(id ?? '')}`, { query: scope, signal })
      // The list shows the same job: keep it in step, and refresh it for good once the job ends.
      if (!isActive(job.state)) void queryClient.invalidateQueries({ queryKey: ['privacy', tenantId, 'deletions'] })
      return job
    },
    enabled: Boolean(id),
    refetchInterval: (query) => (query.state.data && !isActive(query.state.data.state) ? false : JOB_POLL_MS),
  })
}

export function useCreateDeletion() {
  const { tenantId, scope } = useTenantScope()
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (body: CreateDeletion) => api.post<DeletionJob>('/api/v1/deletions', body, { query: scope }),
    onSuccess: (job) => {
      queryClient.setQueryData(['privacy', tenantId, 'deletion', job.id], job)
      return queryClient.invalidateQueries({ queryKey: ['privacy', tenantId, 'deletions'] })
    },
    // The form shows the refusal next to the field it names.
    meta: { silent: true },
  })
}

export function useCancelDeletion() {
  const { tenantId, scope } = useTenantScope()
  const queryClient = useQueryClient()
  return useMutation({
    mutationFn: (id: string) => api.post<DeletionJob>(`/api/v1/deletions/${encodeURIComponent(id)}/cancel`, undefined, { query: scope }),
    onSuccess: (job) => {
      queryClient.setQueryData(['privacy', tenantId, 'deletion', job.id], job)
      return queryClient.invalidateQueries({ queryKey: ['privacy', tenantId, 'deletions'] })
    },
    meta: { errorContext: 'The job was not cancelled' },
  })
}
