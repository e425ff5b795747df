// The settings form's values and the PATCH body made of what changed.
import type { Tenant, TenantStatus, UpdateTenant } from '@/api/types'

export interface SettingsDraft {
  name: string
  perSecond: string
  burst: string
  status: TenantStatus
}

export function draftOf(tenant: Tenant): SettingsDraft {
  return { name: tenant.name, perSecond: String(tenant.rate_limit.per_second), burst: String(tenant.rate_limit.burst), status: tenant.status }
}

/** Only the changed fields; numbers are sent as typed (the API validates them and names the field). */
export function changes(tenant: Tenant, draft: SettingsDraft): UpdateTenant {
  const body: UpdateTenant = {}
  if (draft.name.trim() !== tenant.name) body.name = draft.name.trim()
  const perSecond = Number(draft.perSecond)
  const burst = Number(draft.burst)
  if (perSecond !== tenant.rate_limit.per_second || burst !== tenant.rate_limit.burst) body.rate_limit = { per_second: perSecond, burst }
  if (draft.status !== tenant.status) body.status = draft.status
  return body
}
