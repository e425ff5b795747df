// The preview beside the editor: what the server's redaction makes of `metadata` under the
// editor's (unsaved) policy, asked again once the draft has stayed the same for a moment. The
// last answer stays on screen while the next is on its way and while the server refuses the
// policy (a path being typed); the refusal names its rule by the ids sent with that request.
import { useMemo, useState } from 'react'
import type { PrivacyPolicy, PrivacyPreview } from '@/api/types'
import { toApiError } from '@/api/errors'
import { usePreview } from '../api/privacy'
import { locateField, previewOf, type FieldPlace, type PolicyDraft } from '../lib/policy-form'
import { useDebouncedValue } from './use-debounced-value'

/** Long enough to let a path be typed, short enough to feel live. */
export const PREVIEW_DEBOUNCE_MS = 300

interface Sent {
  metadata: Record<string, unknown>
  policy: Required<PrivacyPolicy>
  ruleIds: string[]
}

export interface LivePreview {
  /** The metadata sent and what came back, for the latest answer; null before the first. */
  shown: { before: Record<string, unknown>; after: Record<string, unknown> } | null
  /** A newer answer is on its way (or the draft is still settling). */
  updating: boolean
  /** The server refused the draft's policy: its message and the rule or detector it names. */
  refusal: { message: string; place: FieldPlace } | null
  /** Any other failure (the server unreachable, …). */
  failure: unknown
}

export function useLivePreview(draft: PolicyDraft, metadata: Record<string, unknown> | null): LivePreview {
  const { policy, ruleIds } = previewOf(draft)
  const text = metadata ? JSON.stringify({ metadata, policy, ruleIds } satisfies Sent) : null
  const settled = useDebouncedValue(text, PREVIEW_DEBOUNCE_MS)
  const sent = useMemo(() => (settled ? (JSON.parse(settled) as Sent) : null), [settled])
  const query = usePreview(sent ? { metadata: sent.metadata, policy: sent.policy } : null)

  // Kept apart from the query: a refused request has no data, and the last answer should stay.
  const [shown, setShown] = useState<{ response: PrivacyPreview; before: Record<string, unknown> } | null>(null)
  if (sent && query.data && !query.isPlaceholderData && query.data !== shown?.response) setShown({ response: query.data, before: sent.metadata })

  const error = query.error ? toApiError(query.error) : null
  const refused = error?.category === 'invalid_input' && sent !== null
  return {
    shown: shown && metadata ? { before: shown.before, after: shown.response.metadata } : null,
    updating: text !== settled || query.isFetching,
    refusal: refused
      ? { message: error.message, place: locateField(error.field, { ruleIds: sent.ruleIds, detectors: sent.policy.detectors.map((d) => d.detector) }) }
      : null,
    failure: error && !refused ? error : null,
  }
}
