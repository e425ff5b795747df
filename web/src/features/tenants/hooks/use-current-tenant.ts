// The tenant being looked at comes from the URL (`/t/<tenant id>/…`). Admin requests name it
// with `tenant_id`; a tenant credential is already bound to it, so it is left out.
import { useParams } from 'react-router'
import { isAdmin, useSession } from '@/features/auth/hooks/use-session'
import { useTenants } from '../api/get-tenants'

export function useCurrentTenantId(): string {
  const { tenantId } = useParams()
  if (!tenantId) throw new Error('useCurrentTenantId outside a /t/:tenantId route')
  return tenantId
}

export function useCurrentTenant() {
  const tenantId = useCurrentTenantId()
  const tenants = useTenants()
  return { tenantId, tenant: tenants.data?.find((t) => t.id === tenantId), isLoading: tenants.isLoading }
}

/** Query parameters that scope a read to the current tenant. */
export function useTenantScope(): { tenantId: string; scope: { tenant_id?: string } } {
  const tenantId = useCurrentTenantId()
  const admin = isAdmin(useSession())
  return { tenantId, scope: admin ? { tenant_id: tenantId } : {} }
}
