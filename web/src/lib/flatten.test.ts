import { filterText, flatten, lookup } from './flatten'
import { parseColumns } from '@/features/events/hooks/use-columns'

describe('flattened properties', () => {
  it('lists every leaf under its dotted key, with its kind', () => {
    expect(flatten({ page: '/a', user: { plan: 'pro', n: 2, ok: false, tags: ['x'] }, empty: {}, none: null })).toEqual([
      { key: 'page', value: '/a', kind: 'string' },
      { key: 'user.plan', value: 'pro', kind: 'string' },
      { key: 'user.n', value: 2, kind: 'number' },
      { key: 'user.ok', value: false, kind: 'boolean' },
      { key: 'user.tags', value: ['x'], kind: 'array' },
      { key: 'empty', value: {}, kind: 'object' },
      { key: 'none', value: null, kind: 'null' },
    ])
  })
  it('looks values up by dotted key, not into arrays', () => {
    expect(lookup({ user: { plan: 'pro' } }, 'user.plan')).toBe('pro')
    expect(lookup({ list: ['a'] }, 'list.0')).toBeUndefined()
  })
  it('renders values the way the server compares them in filters', () => {
    expect(filterText('pro')).toBe('pro')
    expect(filterText(5)).toBe('5')
    expect(filterText(true)).toBe('true')
    expect(filterText(null)).toBeNull()
    expect(filterText({ a: 1 })).toBeNull()
  })
})

describe('explorer columns', () => {
  it('keeps valid dotted keys once, at most six', () => {
    expect(parseColumns('user.plan, page,page,bad key,a..b,.x,x.,"q"')).toEqual(['user.plan', 'page'])
    expect(parseColumns('a,b,c,d,e,f,g')).toHaveLength(6)
    expect(parseColumns(null)).toEqual([])
  })
})
