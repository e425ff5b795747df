// Toasts for results and failures. Errors of one category share one toast id, so a burst of
// failures updates a single toast instead of stacking; a rate-limit toast counts down its wait.
import { toast } from 'sonner'
import { describeError, formatWait, toApiError } from '@/api/errors'

export function notifySuccess(title: string, description?: string) {
  toast.success(title, { description })
}

const countdowns = new Map<string, ReturnType<typeof setInterval>>()

export function notifyError(error: unknown, context?: string) {
  const apiError = toApiError(error)
  const { title, description } = describeError(apiError)
  const id = `error:${apiError.category}`
  const full = context && apiError.category !== 'rate_limited' && apiError.category !== 'session_expired' ? `${context}: ${title}` : title
  const existing = countdowns.get(id)
  if (existing) clearInterval(existing)
  toast.error(full, { id, description })

  if (apiError.category === 'rate_limited' && apiError.retryAfter !== null && apiError.retryAfter > 1) {
    let remaining = apiError.retryAfter
    const timer = setInterval(() => {
      remaining -= 1
      if (remaining <= 0) {
        clearInterval(timer)
        countdowns.delete(id)
        toast.error('Rate limit cleared — you can try again now', { id, description })
        return
      }
      toast.error(`Rate limited — try again in ${formatWait(remaining)}`, { id, description })
    }, 1000)
    countdowns.set(id, timer)
  }
}
