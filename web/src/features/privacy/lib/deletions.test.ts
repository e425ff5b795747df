import { describeSpec, instantOf, isActive, progressOf } from './deletions'

describe('deletion jobs', () => {
  it('are followed while pending or running', () => {
    expect(isActive('pending')).toBe(true)
    expect(isActive('running')).toBe(true)
    expect(isActive('done')).toBe(false)
    expect(isActive('failed')).toBe(false)
    expect(isActive('cancelled')).toBe(false)
  })

  it('show progress as deleted of matched, none for a dry run', () => {
    expect(progressOf({ matched: 200, deleted: 50, dry_run: false, state: 'running' })).toBe(0.25)
    expect(progressOf({ matched: 0, deleted: 0, dry_run: false, state: 'pending' })).toBeNull()
    expect(progressOf({ matched: 0, deleted: 0, dry_run: false, state: 'done' })).toBe(1)
    expect(progressOf({ matched: 10, deleted: 0, dry_run: true, state: 'done' })).toBeNull()
  })

  it('describe what they match', () => {
    expect(describeSpec({ match: { 'meta.user_id': 'u-42' }, query: 'card declined', from: null, to: null })).toBe('meta.user_id=u-42 · search “card declined”')
    expect(describeSpec({ match: null, query: null, from: '2026-12-01T10:00:00Z', to: null })).toMatch(/^from Dec 1, 2026/)
  })

  it('read a local date and time as an instant', () => {
    expect(instantOf('')).toBeNull()
    expect(instantOf('nonsense')).toBeNull()
    expect(instantOf('2026-12-01T10:00')).toBe(new Date(2026, 11, 1, 10, 0).toISOString())
  })
})
