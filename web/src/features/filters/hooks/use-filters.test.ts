import type { Event } from '@/api/types'
import { filtersKey, filtersToQuery, matchesFilters, parseMeta, readFilters } from './use-filters'

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
    const filters = readFilters(new URLSearchParams('type=a&type=b&type=a&meta=plan%3Dpro&meta=bad&not=page%3D%2F'))
    expect(filters).toEqual({ types: ['a', 'b'], meta: [{ key: 'plan', value: 'pro' }], not: [{ key: 'page', value: '/' }] })
  })

  it('turns filters into API parameters', () => {
    expect(filtersToQuery({ types: ['a'], meta: [{ key: 'user.plan', value: 'pro' }], not: [] })).toEqual({ event_type: ['a'], 'meta.user.plan': 'pro' })
  })

  it('asks the server to leave out excluded values, repeating the parameter for one key', () => {
    const not = [
      { key: 'page', value: '/a' },
      { key: 'user.plan', value: 'free' },
      { key: 'page', value: '/b' },
    ]
    expect(filtersToQuery({ types: [], meta: [], not })).toEqual({ 'meta.page!': ['/a', '/b'], 'meta.user.plan!': 'free' })
  })

  it('gives exclusions their own cache key, in any order', () => {
    const none = filtersKey({ types: [], meta: [], not: [] })
    const one = filtersKey({ types: [], meta: [], not: [{ key: 'page', value: '/a' }] })
    expect(one).not.toBe(none)
    const ab = filtersKey({ types: [], meta: [], not: [{ key: 'a', value: '1' }, { key: 'b', value: '2' }] })
    const ba = filtersKey({ types: [], meta: [], not: [{ key: 'b', value: '2' }, { key: 'a', value: '1' }] })
    expect(ab).toBe(ba)
  })

  it('matches the live feed the way the server filters', () => {
    const e = event('payment', { amount: 5, user: { country: 'DE' }, ok: true })
    expect(matchesFilters(e, { types: [], meta: [], not: [] })).toBe(true)
    expect(matchesFilters(e, { types: ['signup'], meta: [], not: [] })).toBe(false)
    expect(matchesFilters(e, { types: ['payment'], meta: [{ key: 'user.country', value: 'DE' }], not: [] })).toBe(true)
    expect(matchesFilters(e, { types: [], meta: [{ key: 'amount', value: '5' }], not: [] })).toBe(true)
    expect(matchesFilters(e, { types: [], meta: [{ key: 'ok', value: 'true' }], not: [] })).toBe(true)
    expect(matchesFilters(e, { types: [], meta: [{ key: 'user', value: 'DE' }], not: [] })).toBe(false)
    expect(matchesFilters(e, { types: [], meta: [{ key: 'missing', value: 'x' }], not: [] })).toBe(false)
  })

  it('leaves out events that an exclusion names, and keeps the rest', () => {
    const e = event('payment', { amount: 5, user: { country: 'DE' } })
    expect(matchesFilters(e, { types: [], meta: [], not: [{ key: 'user.country', value: 'DE' }] })).toBe(false)
    expect(matchesFilters(e, { types: [], meta: [], not: [{ key: 'user.country', value: 'US' }] })).toBe(true)
    expect(matchesFilters(e, { types: [], meta: [], not: [{ key: 'amount', value: '5' }] })).toBe(false)
    expect(matchesFilters(e, { types: [], meta: [], not: [{ key: 'missing', value: '5' }] })).toBe(true)
  })
})
