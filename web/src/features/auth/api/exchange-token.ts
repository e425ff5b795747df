import { useMutation } from '@tanstack/react-query'
import { api } from '@/api/client'
import type { TokenResponse } from '@/api/types'
import { sessionStore } from '../hooks/use-session'

/** Exchanges the admin token or an API key for a JWT (POST /api/v1/auth/token). */
export function exchangeToken(credential: string): Promise<TokenResponse> {
  return api.post<TokenResponse>('/api/v1/auth/token', undefined, {
    auth: false,
    headers: { 'X-API-Key': credential },
  })
}

export function useSignIn() {
  return useMutation({
    mutationFn: (credential: string) => exchangeToken(credential.trim()),
    onSuccess: (token) => sessionStore.start(token),
    meta: { silent: true },
  })
}
