import { addRule, draftOf, isDirty, locateField, moveRule, policyOf, previewOf, removeRule, setDetector, updateRule } from './policy-form'

const saved = {
  rules: [
    { path: 'metadata.email', action: 'mask' as const },
    { path: 'user.*', action: 'hash' as const },
  ],
  // Listed out of the server's order: the draft does not care.
  detectors: [
    { detector: 'phone' as const, action: 'drop' as const },
    { detector: 'email' as const, action: 'mask' as const },
  ],
  updated_at: '2026-12-01T10:00:00Z',
}

describe('the redaction policy form', () => {
  it('round-trips a saved policy, detectors in the order the server runs them', () => {
    const draft = draftOf(saved)
    expect(draft.detectors).toEqual({ email: 'mask', iban: null, card: null, phone: 'drop' })
    expect(policyOf(draft)).toEqual({
      rules: saved.rules,
      detectors: [
        { detector: 'email', action: 'mask' },
        { detector: 'phone', action: 'drop' },
      ],
    })
    expect(isDirty(saved, draft)).toBe(false)
    expect(draftOf(undefined)).toEqual({ rules: [], detectors: { email: null, iban: null, card: null, phone: null } })
  })

  it('gives every rule its own id, kept through edits and moves', () => {
    let draft = draftOf(saved)
    const [first, second] = draft.rules.map((r) => r.id)
    expect(first).not.toBe(second)
    draft = moveRule(draft, second!, -1)
    expect(draft.rules.map((r) => r.id)).toEqual([second, first])
    expect(policyOf(draft).rules.map((r) => r.path)).toEqual(['user.*', 'metadata.email'])
    expect(isDirty(saved, draft)).toBe(true)
    // At the ends, a move changes nothing.
    expect(moveRule(draft, second!, -1)).toBe(draft)
    expect(moveRule(draft, first!, 1)).toBe(draft)
    draft = updateRule(draft, first!, { action: 'drop' })
    expect(draft.rules[1]).toEqual({ id: first, path: 'metadata.email', action: 'drop' })
    draft = removeRule(draft, second!)
    expect(draft.rules.map((r) => r.id)).toEqual([first])
  })

  it('sends paths trimmed, and a blank rule as written (the server names it) but not to the preview', () => {
    let draft = addRule(draftOf(saved), { path: '  context.ip ', action: 'drop' })
    draft = addRule(draft)
    expect(draft.rules[3]).toMatchObject({ path: '', action: 'mask' })
    expect(policyOf(draft).rules.slice(2)).toEqual([
      { path: 'context.ip', action: 'drop' },
      { path: '', action: 'mask' },
    ])
    const preview = previewOf(draft)
    expect(preview.policy.rules.map((r) => r.path)).toEqual(['metadata.email', 'user.*', 'context.ip'])
    expect(preview.ruleIds).toEqual(draft.rules.slice(0, 3).map((r) => r.id))
  })

  it('switches detectors on with an action and off again', () => {
    let draft = setDetector(draftOf(undefined), 'card', 'mask')
    expect(policyOf(draft).detectors).toEqual([{ detector: 'card', action: 'mask' }])
    draft = setDetector(draft, 'card', null)
    expect(policyOf(draft).detectors).toEqual([])
    expect(isDirty(undefined, draft)).toBe(false)
  })

  it("puts the API's field on the rule that was sent at that index, even after the rows moved", () => {
    const sent = { ruleIds: ['a', 'b', 'c'], detectors: ['email', 'card'] as const }
    expect(locateField('rules[2].path', sent)).toEqual({ kind: 'rule', id: 'c', part: 'path' })
    expect(locateField('policy.rules[0].path', sent)).toEqual({ kind: 'rule', id: 'a', part: 'path' })
    expect(locateField('rules[1].action', sent)).toEqual({ kind: 'rule', id: 'b', part: 'action' })
    expect(locateField('detectors[1].detector', sent)).toEqual({ kind: 'detector', detector: 'card' })
    expect(locateField('rules', sent)).toEqual({ kind: 'rules' })
    expect(locateField('rules[9].path', sent)).toEqual({ kind: 'rules' })
    expect(locateField('tenant_id', sent)).toEqual({ kind: 'other' })
    expect(locateField(null, sent)).toEqual({ kind: 'other' })
  })
})
