import type { Event } from '@/api/types'
import { pointerSegments, pointerToKey, violatedKeys, violationsOf } from './violations'

const v = (path: string) => ({ path, message: `bad ${path}` })

describe('pointers', () => {
  it('turns a JSON Pointer into the dotted key of the property table', () => {
    expect(pointerToKey('/user/plan')).toBe('user.plan')
    expect(pointerToKey('/plan')).toBe('plan')
    expect(pointerToKey('')).toBe('')
  })
  it('unescapes ~1 and ~0 (RFC 6901)', () => {
    expect(pointerSegments('/a~1b/c~0d')).toEqual(['a/b', 'c~d'])
    expect(pointerSegments('/')).toEqual([''])
  })
})

describe('violatedKeys', () => {
  const keys = ['plan', 'user.country', 'user.plan', 'items', 'amount']
  it('marks the key a violation points at', () => {
    const marked = violatedKeys(keys, [v('/user/plan')])
    expect([...marked.keys()]).toEqual(['user.plan'])
    expect(marked.get('user.plan')).toEqual([v('/user/plan')])
  })
  it('marks every leaf under an object, and the array holding an item', () => {
    expect([...violatedKeys(keys, [v('/user')]).keys()]).toEqual(['user.country', 'user.plan'])
    expect([...violatedKeys(keys, [v('/items/3/sku')]).keys()]).toEqual(['items'])
  })
  it('marks nothing for metadata itself or a missing key, and does not confuse prefixes', () => {
    expect(violatedKeys(keys, [v(''), v('/missing')]).size).toBe(0)
    expect(violatedKeys(['plan', 'planet'], [v('/plan')]).has('planet')).toBe(false)
  })
  it('gathers several violations of one key', () => {
    expect(violatedKeys(keys, [v('/amount'), { path: '/amount', message: 'too big' }]).get('amount')).toHaveLength(2)
  })
})

describe('violationsOf', () => {
  const base = { id: 'e', tenant_id: 't', event_type: 'x', timestamp: '', received_at: '', metadata: {} } as Event
  it('reads the violations an event carries, none when the key is absent', () => {
    expect(violationsOf({ ...base, violations: [v('/a')] } as Event)).toEqual([v('/a')])
    expect(violationsOf(base)).toEqual([])
  })
})
