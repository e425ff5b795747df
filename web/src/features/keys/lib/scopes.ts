import type { ApiKeyView, Scope } from '@/api/types'

export const SCOPES: { scope: Scope; what: string }[] = [
  { scope: 'ingest', what: 'send events' },
  { scope: 'read', what: 'read, search and stream events' },
  { scope: 'manage', what: 'keys, webhooks and settings' },
]

/** Toggles a scope, keeping the canonical order. */
export function toggleScope(scopes: Scope[], scope: Scope): Scope[] {
  const next = scopes.includes(scope) ? scopes.filter((s) => s !== scope) : [...scopes, scope]
  return SCOPES.map((s) => s.scope).filter((s) => next.includes(s))
}

/** Active keys first (newest first), then revoked ones. */
export function sortKeys(keys: ApiKeyView[]): ApiKeyView[] {
  return [...keys].sort((a, b) => {
    if (Boolean(a.revoked_at) !== Boolean(b.revoked_at)) return a.revoked_at ? 1 : -1
    return b.created_at.localeCompare(a.created_at)
  })
}
