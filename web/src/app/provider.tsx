// Query client, toasts and the session guard. Failed queries and mutations toast once per
// category (see lib/notify); a mutation can add context (`meta.errorContext`) or stay silent
// (`meta.silent`, when its form shows the error itself).
import { MutationCache, QueryCache, QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { useState, type ReactNode } from 'react'
import { Toaster } from 'sonner'
import { toApiError } from '@/api/errors'
import { useSessionGuard } from '@/features/auth/hooks/use-session-guard'
import { useTheme } from '@/features/theme/hooks/use-theme'
import { notifyError } from '@/lib/notify'

function retry(failureCount: number, error: unknown): boolean {
  const category = toApiError(error).category
  // Retrying cannot fix these; the user has to act.
  if (['session_expired', 'bad_credentials', 'not_allowed', 'origin_not_allowed', 'invalid_input', 'not_found', 'conflict'].includes(category)) return false
  return failureCount < 2
}

export function makeQueryClient() {
  return new QueryClient({
    queryCache: new QueryCache({
      onError: (error, query) => {
        // Session expiry has its own toast (the guard); background refetch failures of data
        // already on screen toast too, so a silently stale view never goes unnoticed.
        if (toApiError(error).category === 'session_expired') return
        if (query.meta?.silent) return
        notifyError(error)
      },
    }),
    mutationCache: new MutationCache({
      onError: (error, _vars, _ctx, mutation) => {
        if (toApiError(error).category === 'session_expired') return
        if (mutation.meta?.silent) return
        notifyError(error, typeof mutation.meta?.errorContext === 'string' ? mutation.meta.errorContext : undefined)
      },
    }),
    defaultOptions: {
      queries: { retry, staleTime: 10_000, refetchOnWindowFocus: false },
      mutations: { retry: false },
    },
  })
}

function SessionGuard() {
  useSessionGuard()
  return null
}

function ThemedToaster() {
  const { theme } = useTheme()
  return <Toaster theme={theme} position="bottom-right" closeButton visibleToasts={4} toastOptions={{ duration: 6000 }} />
}

export function AppProvider({ children }: { children: ReactNode }) {
  const [queryClient] = useState(makeQueryClient)
  return (
    <QueryClientProvider client={queryClient}>
      <SessionGuard />
      {children}
      <ThemedToaster />
    </QueryClientProvider>
  )
}
