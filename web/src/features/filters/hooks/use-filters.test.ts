import type { Event } from '@/api/types'
import { filtersToQuery, matchesFilters, parseMeta, readFilters } from './use-filters'

const event = (type: string, metadata: Record<string, unknown>): Event => ({ id: '1', tenant_id: 't', event_type: type, timestamp: '', received_at: '', metadata, event_id: null })

describe('filters', () => {
  it('parses key=value, keeping = inside the value', () => {
    expect(parseMeta('plan=pro')).toEqual({ key: 'plan', value: 'pro' })
    expect(parseMeta('q=a=b')).toEqual({ key: 'q', value: 'a=b' })
    expect(parseMeta('user.country=DE')).toEqual({ key: 'user.country', value: 'DE' })
    expect(parseMeta('novalue')).toBeNull()
    expect(parseMeta('=x')).toBeNull()
    expect(parseMeta('a..b=x')).toBeNull()
  })

  it('reads types and meta from the URL', () => {
    const filters = readFilters(new URLSearchParams('type=a&type=b&type=a&meta=plan%3Dpro&meta=bad'))
    expect(filters).toEqual({ types: ['a', 'b'], meta: [{ key: 'plan', value: 'pro' }] })
  })

  it('turns filters into API parameters', () => {
    expect(filtersToQuery({ types: ['a'], meta: [{ key: 'user.plan', value: 'pro' }] })).toEqual({ event_type: ['a'], 'meta.user.plan': 'pro' })
  })

  it('matches the live feed the way the server filters', () => {
    const e = event('payment', { amount: 5, user: { country: 'DE' }, ok: true })
    expect(matchesFilters(e, { types: [], meta: [] })).toBe(true)
    expect(matchesFilters(e, { types: ['signup'], meta: [] })).toBe(false)
    expect(matchesFilters(e, { types: ['payment'], meta: [{ key: 'user.country', value: 'DE' }] })).toBe(true)
    expect(matchesFilters(e, { types: [], meta: [{ key: 'amount', value: '5' }] })).toBe(true)
    expect(matchesFilters(e, { types: [], meta: [{ key: 'ok', value: 'true' }] })).toBe(true)
    expect(matchesFilters(e, { types: [], meta: [{ key: 'user', value: 'DE' }] })).toBe(false)
    expect(matchesFilters(e, { types: [], meta: [{ key: 'missing', value: 'x' }] })).toBe(false)
  })
})
