import { describeDiff, diffJson } from './json-diff'

describe('diffJson', () => {
  it('finds nothing when redaction changed nothing', () => {
    const meta = { plan: 'pro', user: { id: 'u-1', tags: ['a', 'b'] }, n: 1, none: null }
    expect(diffJson(meta, structuredClone(meta))).toEqual({ changed: [], removed: [], added: [] })
    expect(describeDiff(diffJson(meta, meta))).toBeNull()
  })

  it('marks changed leaves and removed keys, however deep, arrays included', () => {
    const before = { email: 'ann@example.com', user: { id: 'u-42', name: 'Ann' }, items: [{ card: '4242' }, { card: '1111' }], ip: '203.0.113.7', plan: 'pro' }
    const after = { email: 'a***@example.com', user: { id: 'ab12', name: 'Ann' }, items: [{ card: '**42' }, {}], plan: 'pro' }
    expect(diffJson(before, after)).toEqual({
      changed: ['/email', '/user/id', '/items/0/card'],
      removed: ['/items/1/card', '/ip'],
      added: [],
    })
    expect(describeDiff(diffJson(before, after))).toBe('3 values changed · 2 keys removed')
  })

  it('marks a value whose kind changed as a whole, and escapes keys as JSON Pointers', () => {
    expect(diffJson({ n: 42, 'a/b': { x: 1 } }, { n: '***', 'a/b': '***' }).changed).toEqual(['/n', '/a~1b'])
    expect(diffJson({ 'k~': 'v' }, {}).removed).toEqual(['/k~0'])
  })

  it('notes keys that appear only after', () => {
    const diff = diffJson({ a: 1 }, { a: 1, b: 2 })
    expect(diff.added).toEqual(['/b'])
    expect(describeDiff(diff)).toBe('1 key added')
  })
})
