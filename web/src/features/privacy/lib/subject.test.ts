import { describeSubject, metaKey, newPair, pairOfField, pairProblems, pairsOf, subjectOf } from './subject'

describe('a subject in a form', () => {
  it('becomes the API\'s match, keys with meta. whether typed or not, blank rows left out', () => {
    const pairs = [newPair('user_id', 'u-42'), newPair(' meta.user.plan ', 'pro'), newPair()]
    expect(subjectOf(pairs)).toEqual({ 'meta.user_id': 'u-42', 'meta.user.plan': 'pro' })
    expect(subjectOf([newPair()])).toBeNull()
    expect(metaKey('meta.a.b')).toBe('a.b')
  })

  it('flags a value without a key and a key given twice', () => {
    const orphan = newPair('', 'x')
    const twice = newPair('meta.user_id', 'u-43')
    const problems = pairProblems([newPair('user_id', 'u-42'), orphan, twice, newPair()])
    expect([...problems.keys()]).toEqual([orphan.id, twice.id])
    expect(problems.get(twice.id)).toContain('given twice')
  })

  it("finds the row a 422's field names", () => {
    const a = newPair('user_id', 'u-42')
    const b = newPair('meta.user..x', 'y')
    expect(pairOfField('match.meta.user..x', [a, b])).toBe(b.id)
    expect(pairOfField('match.meta.user_id', [a, b])).toBe(a.id)
    expect(pairOfField('match', [a, b])).toBeNull()
    expect(pairOfField(null, [a, b])).toBeNull()
  })

  it('reads and describes a subject as the API shows it', () => {
    expect(describeSubject({ 'meta.user_id': 'u-42', 'meta.n': 3 })).toBe('meta.user_id=u-42 · meta.n=3')
    expect(describeSubject(null)).toBe('')
    expect(pairsOf({ 'meta.user_id': 'u-42' }).map((p) => [p.key, p.value])).toEqual([['user_id', 'u-42']])
    expect(pairsOf(null)).toHaveLength(1)
  })
})
