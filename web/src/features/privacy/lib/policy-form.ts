// The redaction policy as the editor holds it: rules with a stable id each (so a row keeps its
// focus, its error and its React key while rules move), and each detector off or with its
// action. `policyOf` turns it into what the API takes; `previewOf` into what the preview can
// already try (rules still without a path are left out rather than refused); `locateField`
// puts the API's 422 `field` (`rules[2].path`, the preview's `policy.rules[2].path`) on the row
// it names, even after the rows moved.
import type { Detector, PrivacyPolicy, PrivacySettings, RedactionAction } from '@/api/types'

export interface RuleDraft {
  id: string
  path: string
  action: RedactionAction
}

export type DetectorChoice = Record<Detector, RedactionAction | null>

export interface PolicyDraft {
  rules: RuleDraft[]
  detectors: DetectorChoice
}

export const ACTIONS: { action: RedactionAction; label: string; what: string }[] = [
  { action: 'mask', label: 'Mask', what: 'keeps the shape: a***@example.com, **** 4242' },
  { action: 'hash', label: 'Hash', what: "HMAC-SHA256 under the tenant's key: equal values hash alike, so joins still work" },
  { action: 'drop', label: 'Drop', what: 'the key is removed' },
]

/** In the order the server runs them (most specific first). */
export const DETECTORS: { detector: Detector; label: string; finds: string }[] = [
  { detector: 'email', label: 'E-mail addresses', finds: 'ann@example.com' },
  { detector: 'iban', label: 'IBANs', finds: 'mod-97 checked: DE89 3704 0044 0532 0130 00' },
  { detector: 'card', label: 'Card numbers', finds: '13–19 digits, Luhn checked: 4242 4242 4242 4242' },
  { detector: 'phone', label: 'Phone numbers', finds: 'international, + and 8–15 digits: +49 30 1234 5678' },
]

/** The server's limit (MAX_RULES in src/privacy/mod.rs). */
export const MAX_RULES = 50

let lastId = 0
export function newRuleId(): string {
  lastId += 1
  return `rule-${lastId}`
}

const NO_DETECTORS: DetectorChoice = { email: null, iban: null, card: null, phone: null }

export function draftOf(settings: Pick<PrivacySettings, 'rules' | 'detectors'> | undefined): PolicyDraft {
  const detectors = { ...NO_DETECTORS }
  for (const rule of settings?.detectors ?? []) detectors[rule.detector] = rule.action
  return { rules: (settings?.rules ?? []).map((rule) => ({ id: newRuleId(), path: rule.path, action: rule.action })), detectors }
}

/** The body of PUT /privacy (without the tenant): every rule as written (trimmed), detectors in the server's order. */
export function policyOf(draft: PolicyDraft): Required<PrivacyPolicy> {
  return {
    rules: draft.rules.map((rule) => ({ path: rule.path.trim(), action: rule.action })),
    detectors: DETECTORS.flatMap(({ detector }) => {
      const action = draft.detectors[detector]
      return action ? [{ detector, action }] : []
    }),
  }
}

/** What the preview tries: the rules that have a path (with their ids, to place its errors). */
export function previewOf(draft: PolicyDraft): { policy: Required<PrivacyPolicy>; ruleIds: string[] } {
  const written = draft.rules.filter((rule) => rule.path.trim() !== '')
  return { policy: policyOf({ ...draft, rules: written }), ruleIds: written.map((rule) => rule.id) }
}

export function isDirty(saved: Pick<PrivacySettings, 'rules' | 'detectors'> | undefined, draft: PolicyDraft): boolean {
  return JSON.stringify(policyOf(draftOf(saved))) !== JSON.stringify(policyOf(draft))
}

export function isEmptyPolicy(policy: Pick<PrivacySettings, 'rules' | 'detectors'> | undefined): boolean {
  return !policy || (policy.rules.length === 0 && policy.detectors.length === 0)
}

export function addRule(draft: PolicyDraft, rule: Partial<Omit<RuleDraft, 'id'>> = {}): PolicyDraft {
  return { ...draft, rules: [...draft.rules, { id: newRuleId(), path: rule.path ?? '', action: rule.action ?? 'mask' }] }
}

export function updateRule(draft: PolicyDraft, id: string, patch: Partial<Omit<RuleDraft, 'id'>>): PolicyDraft {
  return { ...draft, rules: draft.rules.map((rule) => (rule.id === id ? { ...rule, ...patch } : rule)) }
}

export function removeRule(draft: PolicyDraft, id: string): PolicyDraft {
  return { ...draft, rules: draft.rules.filter((rule) => rule.id !== id) }
}

/** Moves a rule up (-1) or down (+1); at either end it stays. */
export function moveRule(draft: PolicyDraft, id: string, delta: -1 | 1): PolicyDraft {
  const from = draft.rules.findIndex((rule) => rule.id === id)
  const to = from + delta
  if (from < 0 || to < 0 || to >= draft.rules.length) return draft
  const rules = [...draft.rules]
  const moved = rules.splice(from, 1)
  rules.splice(to, 0, ...moved)
  return { ...draft, rules }
}

export function setDetector(draft: PolicyDraft, detector: Detector, action: RedactionAction | null): PolicyDraft {
  return { ...draft, detectors: { ...draft.detectors, [detector]: action } }
}

/** Where an API error belongs: a rule's input, a detector, the rule list as a whole, or nowhere in particular. */
export type FieldPlace = { kind: 'rule'; id: string; part: 'path' | 'action' } | { kind: 'detector'; detector: Detector } | { kind: 'rules' } | { kind: 'other' }

/**
 * Places a 422 `field` from PUT /privacy (`rules[2].path`) or the preview (`policy.rules[2].path`)
 * using what was sent: the ids of the rules in the order sent, and the detectors in that order.
 */
export function locateField(field: string | null | undefined, sent: { ruleIds: readonly string[]; detectors: readonly Detector[] }): FieldPlace {
  const name = (field ?? '').replace(/^policy\./, '')
  const rule = /^rules\[(\d+)\](?:\.(path|action))?$/.exec(name)
  if (rule) {
    const id = sent.ruleIds[Number(rule[1])]
    return id ? { kind: 'rule', id, part: rule[2] === 'action' ? 'action' : 'path' } : { kind: 'rules' }
  }
  const detector = /^detectors\[(\d+)\]/.exec(name)
  if (detector) {
    const which = sent.detectors[Number(detector[1])]
    return which ? { kind: 'detector', detector: which } : { kind: 'other' }
  }
  if (name === 'rules') return { kind: 'rules' }
  return { kind: 'other' }
}
