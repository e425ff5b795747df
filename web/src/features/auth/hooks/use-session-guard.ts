// Ends the session when its token expires or when any request answers 401, with one toast
// that says so. Mounted once, at the root.
import { useQueryClient } from '@tanstack/react-query'
import { useEffect } from 'react'
import { configureClient } from '@/api/client'
import { ApiError } from '@/api/errors'
import { notifyError } from '@/lib/notify'
import { sessionStore, useSession } from './use-session'

export function expireSession() {
  if (!sessionStore.get()) return
  sessionStore.end()
  notifyError(new ApiError({ status: 401, code: 'unauthorized', authenticated: true }))
}

// At module load, before any component renders and fetches.
configureClient({ token: () => sessionStore.token(), onUnauthorized: expireSession })

export function useSessionGuard() {
  const session = useSession()
  const queryClient = useQueryClient()

  useEffect(() => {
    if (!session) {
      queryClient.clear()
      return
    }
    const remaining = session.expiresAt - Date.now()
    if (remaining <= 0) {
      expireSession()
      return
    }
    // setTimeout misbehaves past 2^31 ms; a token that long-lived is checked again later.
    const timer = setTimeout(expireSession, Math.min(remaining, 2 ** 31 - 1))
    return () => clearTimeout(timer)
  }, [session, queryClient])
}
