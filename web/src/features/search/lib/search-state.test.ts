import { rangeFrom, readSearch, writeSearch } from './search-state'

describe('search state in the URL', () => {
  it('reads the query and the range, ignoring unknown ranges', () => {
    expect(readSearch(new URLSearchParams('q=%22card+declined%22&range=1h'))).toEqual({ q: '"card declined"', range: '1h' })
    expect(readSearch(new URLSearchParams('range=forever'))).toEqual({ q: '', range: 'all' })
  })

  it('writes the query and keeps the shared filters', () => {
    const next = writeSearch(new URLSearchParams('type=signup&meta=plan%3Dpro&q=old'), { q: ' new words ', range: '24h' })
    expect(next.getAll('type')).toEqual(['signup'])
    expect(next.get('meta')).toBe('plan=pro')
    expect(next.get('q')).toBe('new words')
    expect(next.get('range')).toBe('24h')
    const cleared = writeSearch(next, { q: '', range: 'all' })
    expect(cleared.has('q')).toBe(false)
    expect(cleared.has('range')).toBe(false)
  })

  it('turns a range into the lower time bound', () => {
    const now = Date.parse('2026-01-01T12:00:00Z')
    expect(rangeFrom('1h', now)).toBe('2026-01-01T11:00:00.000Z')
    expect(rangeFrom('all', now)).toBeUndefined()
  })
})
