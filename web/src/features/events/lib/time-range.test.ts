import { rangeIncludesNow, rangeQuery, readTimeRange } from './time-range'

describe('the explorer time range', () => {
  const now = Date.parse('2024-05-01T12:00:00Z')
  it('reads a relative range and asks for what ends now', () => {
    const range = readTimeRange(new URLSearchParams('range=1h'))
    expect(range).toEqual({ kind: 'relative', key: '1h' })
    expect(rangeQuery(range, now)).toEqual({ from: '2024-05-01T11:00:00.000Z' })
    expect(rangeIncludesNow(range)).toBe(true)
  })
  it('reads an absolute range; one that ends in the past leaves live events out', () => {
    const range = readTimeRange(new URLSearchParams('from=2024-04-01T00:00:00Z&to=2024-04-02T00:00:00Z&range=1h'))
    expect(range.kind).toBe('absolute')
    expect(rangeQuery(range, now)).toEqual({ from: '2024-04-01T00:00:00.000Z', to: '2024-04-02T00:00:00.000Z' })
    expect(rangeIncludesNow(range)).toBe(false)
  })
  it('ignores what it cannot read', () => {
    expect(readTimeRange(new URLSearchParams('range=3y&from=yesterday'))).toEqual({ kind: 'all' })
  })
})
