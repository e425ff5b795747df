// The settings form's values and the PATCH body made of what changed.
import type { Tenant, TenantStatus, UpdateTenant } from '@/api/types'

/** How long the tenant's events are kept: the server's setting, forever, or a number of days. */
export type RetentionChoice = 'server' | 'forever' | 'days'

export interface SettingsDraft {
  name: string
  perSecond: string
  burst: string
  status: TenantStatus
  retention: RetentionChoice
  retentionDays: string
}

export function draftOf(tenant: Tenant): SettingsDraft {
  const days = tenant.retention_days ?? null
  return {
    name: tenant.name,
    perSecond: String(tenant.rate_limit.per_second),
    burst: String(tenant.rate_limit.burst),
    status: tenant.status,
    retention: days === null ? 'server' : days === 0 ? 'forever' : 'days',
    retentionDays: days ? String(days) : '30',
  }
}

/** The API's `retention_days` for a draft: null follows the server, 0 keeps forever. */
function retentionOf(draft: SettingsDraft): number | null {
  if (draft.retention === 'server') return null
  if (draft.retention === 'forever') return 0
  return Number(draft.retentionDays)
}

/** Only the changed fields; numbers are sent as typed (the API validates them and names the field). */
export function changes(tenant: Tenant, draft: SettingsDraft): UpdateTenant {
  const body: UpdateTenant = {}
  if (draft.name.trim() !== tenant.name) body.name = draft.name.trim()
  const perSecond = Number(draft.perSecond)
  const burst = Number(draft.burst)
  if (perSecond !== tenant.rate_limit.per_second || burst !== tenant.rate_limit.burst) body.rate_limit = { per_second: perSecond, burst }
  if (draft.status !== tenant.status) body.status = draft.status
  const retention = retentionOf(draft)
  if (retention !== (tenant.retention_days ?? null)) body.retention_days = retention
  return body
}
