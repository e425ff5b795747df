import { blockedTotal, denseSeries, matchSchema, mergeTypes, patternMatches, violationRate } from './rows'

const totals = (checked: number, violations: number, blocked = 0) => ({ checked, violations, blocked })

describe('violationRate', () => {
  it('is violations per checked event, and null when nothing was checked', () => {
    expect(violationRate(totals(200, 50))).toBe(0.25)
    expect(violationRate(totals(3, 0))).toBe(0)
    expect(violationRate(totals(0, 0))).toBeNull()
  })
  it('never exceeds 1', () => {
    expect(violationRate(totals(2, 5))).toBe(1)
  })
})

describe('matchSchema', () => {
  const schemas = [{ event_type: '*' }, { event_type: 'order.*' }, { event_type: 'order.created' }, { event_type: '*.failed' }, { event_type: 'order.pay*' }]
  it('prefers the exact type, then the longest literal part', () => {
    expect(matchSchema('order.created', schemas)?.event_type).toBe('order.created')
    expect(matchSchema('order.payment_failed', schemas)?.event_type).toBe('order.pay*')
    expect(matchSchema('order.refunded', schemas)?.event_type).toBe('order.*')
    expect(matchSchema('sync.failed', schemas)?.event_type).toBe('*.failed')
    expect(matchSchema('signup', schemas)?.event_type).toBe('*')
  })
  it('answers null when nothing matches', () => {
    expect(matchSchema('signup', [{ event_type: 'order.*' }])).toBeNull()
  })
  it('matches prefixes, suffixes and the catch-all', () => {
    expect(patternMatches('order.*', 'order.x')).toBe(true)
    expect(patternMatches('order.*', 'orders')).toBe(false)
    expect(patternMatches('*.failed', 'a.failed')).toBe(true)
    expect(patternMatches('*.failed', 'a.failed.not')).toBe(false)
    expect(patternMatches('signup', 'signup')).toBe(true)
    expect(patternMatches('signup', 'signups')).toBe(false)
  })
})

describe('mergeTypes', () => {
  const report = [
    { event_type: 'order.created', schema: 'order.*', mode: 'warn' as const, totals: totals(100, 5), buckets: [] },
    { event_type: 'payment', schema: 'payment', mode: 'block' as const, totals: totals(10, 4, 4), buckets: [] },
    { event_type: 'typo_evnt', schema: null, mode: null, totals: totals(3, 3), buckets: [] },
  ]
  const byType = [
    { event_type: 'page_view', count: 900 },
    { event_type: 'order.created', count: 95 },
    { event_type: 'payment', count: 6 },
    { event_type: 'order.refunded', count: 12 },
    { event_type: 'click', count: 50 },
  ]
  const schemas = [
    { event_type: 'order.*', mode: 'warn' as const },
    { event_type: 'payment', mode: 'block' as const },
  ]

  it('lists checked types from the report and unchecked ones from the stats, once each', () => {
    const rows = mergeTypes(report, byType, schemas)
    expect(rows.map((r) => r.eventType).sort()).toEqual(['click', 'order.created', 'order.refunded', 'page_view', 'payment', 'typo_evnt'])
    const created = rows.find((r) => r.eventType === 'order.created')!
    expect(created).toMatchObject({ checked: true, schema: 'order.*', mode: 'warn', events: 95, rate: 0.05 })
  })

  it('names the schema that would match an unchecked type, and none when none does', () => {
    const rows = mergeTypes(report, byType, schemas)
    expect(rows.find((r) => r.eventType === 'order.refunded')).toMatchObject({ checked: false, schema: 'order.*', mode: 'warn', rate: null, events: 12 })
    expect(rows.find((r) => r.eventType === 'page_view')).toMatchObject({ checked: false, schema: null, mode: null, rate: null })
  })

  it('keeps an unplanned checked type (schema null) and puts the worst rates first, then volume', () => {
    const rows = mergeTypes(report, byType, schemas)
    expect(rows.map((r) => r.eventType)).toEqual(['typo_evnt', 'payment', 'order.created', 'page_view', 'click', 'order.refunded'])
    expect(rows[0]).toMatchObject({ schema: null, checked: true, rate: 1 })
  })
})

describe('denseSeries', () => {
  it('fills the range with one point per interval, the sparse buckets in place', () => {
    const from = new Date('2026-12-01T10:00:30Z')
    const to = new Date('2026-12-01T10:04:10Z')
    const points = denseSeries([{ start: '2026-12-01T10:02:00Z', checked: 8, violations: 3, blocked: 1 }], from, to, 'minute')
    expect(points.map((p) => new Date(p.start).toISOString().slice(11, 16))).toEqual(['10:00', '10:01', '10:02', '10:03', '10:04'])
    expect(points.map((p) => p.violations)).toEqual([0, 0, 3, 0, 0])
    expect(points[2]).toMatchObject({ checked: 8, blocked: 1 })
  })
  it('buckets by hour', () => {
    const points = denseSeries([{ start: '2026-12-01T09:00:00+00:00', checked: 1, violations: 1, blocked: 0 }], new Date('2026-12-01T08:30:00Z'), new Date('2026-12-01T10:15:00Z'), 'hour')
    expect(points.map((p) => p.violations)).toEqual([0, 1, 0])
  })
})

describe('blockedTotal', () => {
  it('sums blocked events over types, most blocked first', () => {
    expect(
      blockedTotal([
        { event_type: 'a', totals: totals(5, 1, 1), buckets: [] },
        { event_type: 'b', totals: totals(5, 0, 0), buckets: [] },
        { event_type: 'c', totals: totals(9, 7, 7), buckets: [] },
      ]),
    ).toEqual({ blocked: 8, types: ['c', 'a'] })
    expect(blockedTotal([])).toEqual({ blocked: 0, types: [] })
  })
})
