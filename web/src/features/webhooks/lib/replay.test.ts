import { describeReplay, isActive, parseEventTypes, progressOf, replayBody, type ReplayForm } from './replay'

const form: ReplayForm = { preset: '24h', from: '', to: '', eventTypes: '', onlyFailed: false }
const now = Date.parse('2026-12-01T12:00:00Z')

describe('replay', () => {
  it('sends a preset as its start, leaving the end to the server', () => {
    expect(replayBody(form, null, now)).toEqual({ body: { from: '2026-11-30T12:00:00.000Z' } })
    expect(replayBody({ ...form, preset: '1h', eventTypes: 'order.*, signup order.*', onlyFailed: true }, null, now)).toEqual({
      body: { from: '2026-12-01T11:00:00.000Z', event_types: ['order.*', 'signup'], only_failed: true },
    })
  })

  it('checks a custom range before sending it', () => {
    expect(replayBody({ ...form, preset: 'custom' }, null, now)).toEqual({ field: 'from', message: 'Choose when the range starts.' })
    expect(replayBody({ ...form, preset: 'custom', from: '2026-12-01T10:00', to: '2026-12-01T09:00' }, null, now)).toMatchObject({ field: 'to' })
    const ok = replayBody({ ...form, preset: 'custom', from: '2026-12-01T10:00', to: '2026-12-01T11:00' }, null, now)
    expect(ok).toEqual({ body: { from: new Date('2026-12-01T10:00').toISOString(), to: new Date('2026-12-01T11:00').toISOString() } })
  })

  it('replays from a delivery instead of a range', () => {
    expect(replayBody({ ...form, onlyFailed: true }, 'd-1', now)).toEqual({ body: { since_delivery: 'd-1', only_failed: true } })
  })

  it('measures progress as created of total, unknown until counted', () => {
    expect(progressOf({ state: 'pending', total: null, created: 0 })).toBeNull()
    expect(progressOf({ state: 'running', total: 200, created: 50 })).toBe(0.25)
    expect(progressOf({ state: 'running', total: 0, created: 0 })).toBeNull()
    expect(progressOf({ state: 'done', total: 10, created: 7 })).toBe(1)
    expect(isActive('running')).toBe(true)
    expect(isActive('cancelled')).toBe(false)
  })

  it('reads event types from commas or spaces and describes a replay', () => {
    expect(parseEventTypes(' a,b  c, ,a ')).toEqual(['a', 'b', 'c'])
    const at = new Date(now).toISOString()
    expect(describeReplay({ from: at, to: at, event_types: ['order.*'], only_failed: true })).toMatch(/ → .* · order\.\* · only failed$/)
  })
})
