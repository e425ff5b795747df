// The signed-in session: the JWT from POST /auth/token and what it is bound to. Kept in
// localStorage so a reload stays signed in; an external store so every component sees sign-out
// at once. Never stores the admin token or API key itself, only the short-lived JWT.
import { useSyncExternalStore } from 'react'
import type { Scope, TokenResponse } from '@/api/types'

export interface Session {
  token: string
  /** Epoch milliseconds. */
  expiresAt: number
  /** The tenant the credential is bound to; null for the admin. */
  tenantId: string | null
  scopes: Scope[]
}

const STORAGE_KEY = 'tributary.session'
const listeners = new Set<() => void>()
let current: Session | null = load()

function load(): Session | null {
  try {
    const raw = localStorage.getItem(STORAGE_KEY)
    if (!raw) return null
    const parsed = JSON.parse(raw) as Session
    if (typeof parsed.token !== 'string' || typeof parsed.expiresAt !== 'number') return null
    return parsed
  } catch {
    return null
  }
}

function set(next: Session | null) {
  current = next
  try {
    if (next) localStorage.setItem(STORAGE_KEY, JSON.stringify(next))
    else localStorage.removeItem(STORAGE_KEY)
  } catch {
    /* private mode: the session lasts for this page only */
  }
  for (const listener of listeners) listener()
}

export const sessionStore = {
  get: (): Session | null => current,
  subscribe(listener: () => void) {
    listeners.add(listener)
    return () => listeners.delete(listener)
  },
  start(token: TokenResponse, now: number = Date.now()) {
    set({
      token: token.access_token,
      expiresAt: now + token.expires_in * 1000,
      tenantId: token.tenant_id ?? null,
      scopes: token.scopes,
    })
  },
  end() {
    if (current) set(null)
  },
  /** The token, or null once it has expired (so no request goes out with a dead token). */
  token(now: number = Date.now()): string | null {
    return current && current.expiresAt > now ? current.token : null
  },
}

export function useSession(): Session | null {
  return useSyncExternalStore(sessionStore.subscribe, sessionStore.get, sessionStore.get)
}

export function isAdmin(session: Session | null): boolean {
  return session !== null && session.tenantId === null
}
