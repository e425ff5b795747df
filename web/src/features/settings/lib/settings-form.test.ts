import type { Tenant } from '@/api/types'
import { changes, draftOf } from './settings-form'

const tenant: Tenant = { id: 't1', name: 'acme', status: 'active', created_at: '2026-01-01T00:00:00Z', rate_limit: { per_second: 100, burst: 200 } }

describe('tenant settings form', () => {
  it('sends nothing when nothing changed', () => {
    expect(changes(tenant, draftOf(tenant))).toEqual({})
  })

  it('sends only what changed, the rate limit as a whole', () => {
    expect(changes(tenant, { ...draftOf(tenant), name: ' acme-prod ', burst: '5' })).toEqual({ name: 'acme-prod', rate_limit: { per_second: 100, burst: 5 } })
    expect(changes(tenant, { ...draftOf(tenant), status: 'suspended' })).toEqual({ status: 'suspended' })
  })

  it('passes invalid numbers through for the API to name the field', () => {
    expect(changes(tenant, { ...draftOf(tenant), perSecond: '0' }).rate_limit).toEqual({ per_second: 0, burst: 200 })
  })

  it('sends the retention as null (the server setting), 0 (forever) or a number of days', () => {
    expect(draftOf(tenant).retention).toBe('server')
    expect(changes(tenant, { ...draftOf(tenant), retention: 'forever' })).toEqual({ retention_days: 0 })
    expect(changes(tenant, { ...draftOf(tenant), retention: 'days', retentionDays: '7' })).toEqual({ retention_days: 7 })
    const keptForever: Tenant = { ...tenant, retention_days: 0 }
    expect(draftOf(keptForever).retention).toBe('forever')
    expect(changes(keptForever, { ...draftOf(keptForever), retention: 'server' })).toEqual({ retention_days: null })
    const weekly: Tenant = { ...tenant, retention_days: 7 }
    expect(draftOf(weekly)).toMatchObject({ retention: 'days', retentionDays: '7' })
    expect(changes(weekly, draftOf(weekly))).toEqual({})
  })
})
