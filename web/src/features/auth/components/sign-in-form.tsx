import { useEffect, useId, useState, type FormEvent } from 'react'
import { useLocation, useNavigate } from 'react-router'
import { describeError } from '@/api/errors'
import { Button } from '@/components/ui/button'
import { LogoMark } from '@/components/ui/icons'
import { useSignIn } from '../api/exchange-token'

export function SignInForm() {
  useEffect(() => {
    document.title = 'Sign in — Tributary'
  }, [])
  const [credential, setCredential] = useState('')
  const signIn = useSignIn()
  const navigate = useNavigate()
  const location = useLocation()
  const ids = { input: useId(), hint: useId(), error: useId() }
  const from = (location.state as { from?: string } | null)?.from
  const error = signIn.error ? describeError(signIn.error) : null

  function submit(event: FormEvent) {
    event.preventDefault()
    if (!credential.trim()) return
    signIn.mutate(credential, { onSuccess: () => navigate(from && from !== '/sign-in' ? from : '/', { replace: true }) })
  }

  return (
    <main className="flex min-h-screen items-center justify-center px-4 py-12">
      <div className="w-full max-w-sm">
        <div className="mb-8 flex flex-col items-center text-center">
          <LogoMark className="size-10" />
          <h1 className="mt-4 text-xl font-semibold tracking-tight">Sign in to Tributary</h1>
          <p className="mt-1 text-sm text-gray-600 dark:text-gray-400">Watch your events arrive, live.</p>
        </div>
        <form onSubmit={submit} className="space-y-4 rounded-xl bg-white p-6 shadow-sm ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10" noValidate>
          <div>
            <label htmlFor={ids.input} className="block text-sm font-medium">
              Admin token or API key
            </label>
            <input
              id={ids.input}
              type="password"
              autoComplete="current-password"
              autoFocus
              spellCheck={false}
              value={credential}
              onChange={(e) => setCredential(e.target.value)}
              aria-describedby={error ? `${ids.error} ${ids.hint}` : ids.hint}
              aria-invalid={error ? true : undefined}
              className="mt-1.5 block w-full rounded-md border-0 bg-white px-3 py-2 font-mono text-sm shadow-sm ring-1 ring-gray-300 ring-inset placeholder:font-sans placeholder:text-gray-400 focus:ring-2 focus:ring-accent-500 focus:outline-none dark:bg-white/5 dark:ring-white/10"
              placeholder="Paste it here"
            />
            <p id={ids.hint} className="mt-1.5 text-xs text-gray-600 dark:text-gray-400">
              The admin token is printed when the server starts; a tenant's API key signs you in to that tenant.
            </p>
          </div>
          {error && (
            <div id={ids.error} role="alert" className="rounded-md bg-red-50 wrap-break-word px-3 py-2 text-sm text-red-800 ring-1 ring-red-600/20 ring-inset dark:bg-red-500/10 dark:text-red-300 dark:ring-red-400/30">
              <p className="font-medium">{error.title}</p>
              {error.description && <p className="mt-0.5 text-xs">{error.description}</p>}
            </div>
          )}
          <Button type="submit" variant="primary" className="w-full" loading={signIn.isPending} disabled={!credential.trim()}>
            Sign in
          </Button>
        </form>
        <p className="mt-6 text-center text-xs text-gray-500 dark:text-gray-400">Your credential is exchanged for a short-lived session token; it is not stored.</p>
      </div>
    </main>
  )
}
