// The Data quality view's words: rates, paths, modes, and why a change was refused.
import { describeError, toApiError } from '@/api/errors'
import type { SchemaMode } from '@/api/types'

/** "4.2%", "<0.1%", "0%"; "—" when nothing was checked. */
export function formatRate(rate: number | null): string {
  if (rate === null) return '—'
  if (rate === 0) return '0%'
  const p = rate * 100
  if (p < 0.1) return '<0.1%'
  return p < 10 ? `${p.toFixed(1)}%` : `${Math.round(p)}%`
}

/** "/user/plan", or "(metadata)" for a violation of metadata as a whole. */
export function pathLabel(path: string): string {
  return path === '' ? '(metadata)' : path
}

export const MODES: { mode: SchemaMode; label: string; what: string }[] = [
  { mode: 'observe', label: 'Observe', what: 'store every event, count violations' },
  { mode: 'warn', label: 'Warn', what: 'store, and mark the event with its violations' },
  { mode: 'block', label: 'Block', what: 'refuse violating events (422 to the sender)' },
]

/** Why a change was refused, in place: the credential's scope, or the server's reason. */
export function refusal(error: unknown): string {
  const e = toApiError(error)
  if (e.category === 'not_allowed') return 'Your credential cannot change this: it needs the manage scope. Sign in with the admin token or a key that has it.'
  if (e.category === 'invalid_input') return e.message
  const { title, description } = describeError(e)
  return description ? `${title} — ${description}` : title
}
