import { healthOf, parseEventTypes, successRate } from './health'

const base = { enabled: true, disabled_reason: null, consecutive_failures: 0, last_success_at: '2026-01-01T00:00:00Z' }

describe('webhook health', () => {
  it('computes the success rate of settled deliveries only', () => {
    expect(successRate([{ status: 'succeeded' }, { status: 'dead' }, { status: 'pending' }, { status: 'succeeded' }, { status: 'failed' }])).toBe(0.5)
    expect(successRate([{ status: 'pending' }])).toBeNull()
  })

  it('says disabled (and why), failing, idle or healthy', () => {
    expect(healthOf({ ...base, enabled: false, disabled_reason: 'failed for 3 days' })).toMatchObject({ tone: 'disabled', label: 'Disabled by the server' })
    expect(healthOf({ ...base, enabled: false })).toMatchObject({ tone: 'disabled', label: 'Disabled' })
    expect(healthOf({ ...base, consecutive_failures: 3 })).toMatchObject({ tone: 'failing', label: 'Failing · 3 failed attempts in a row' })
    expect(healthOf({ ...base, last_success_at: null })).toMatchObject({ tone: 'idle' })
    expect(healthOf(base, [{ status: 'succeeded' }])).toEqual({ tone: 'healthy', label: 'Healthy', successRate: 1 })
  })

  it('reads event types separated by commas or spaces', () => {
    expect(parseEventTypes(' signup, payment  error,signup ')).toEqual(['signup', 'payment', 'error'])
    expect(parseEventTypes('  ')).toEqual([])
  })
})
