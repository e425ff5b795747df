// Connected (green), reconnecting in N s (amber, with "Retry now"), offline (red), with the
// current rate. The label is a polite live region so screen readers hear state changes.
import { useEffect, useState } from 'react'
import { formatCompact } from '@/lib/format'
import { cn } from '@/lib/cn'
import { LIVE_RATE_DEFINITION, useConnectionState, useEventRate, useOptionalLiveStream } from '../hooks/use-live-stream'

function useSecondsUntil(at: number | null): number | null {
  const [now, setNow] = useState(() => Date.now())
  useEffect(() => {
    if (at === null) return
    const timer = setInterval(() => setNow(Date.now()), 250)
    return () => clearInterval(timer)
  }, [at])
  return at === null ? null : Math.max(0, Math.ceil((at - now) / 1000))
}

/** The status when a live stream is running here (a tenant's views), nothing elsewhere. */
export function ConnectionStatus() {
  return useOptionalLiveStream() ? <LiveConnectionStatus /> : null
}

function LiveConnectionStatus() {
  const { state, retryNow } = useConnectionState()
  const rate = useEventRate()
  const retryAt = state.status === 'reconnecting' || state.status === 'offline' ? state.retryAt : null
  const seconds = useSecondsUntil(retryAt)

  let dot = 'bg-gray-400'
  let label = 'Connecting…'
  let tone = 'text-gray-600 dark:text-gray-400'
  switch (state.status) {
    case 'live':
      dot = 'bg-emerald-500'
      label = 'Live'
      tone = 'text-gray-700 dark:text-gray-200'
      break
    case 'reconnecting':
      dot = 'bg-amber-500'
      label = seconds ? `Reconnecting in ${seconds} s` : 'Reconnecting…'
      tone = 'text-amber-700 dark:text-amber-400'
      break
    case 'offline':
      dot = 'bg-red-500'
      label = seconds ? `Offline · retrying in ${seconds} s` : 'Offline'
      tone = 'text-red-700 dark:text-red-400'
      break
    case 'stopped':
      dot = 'bg-gray-400'
      label = 'Disconnected'
      break
  }

  return (
    <div className="flex items-center gap-2 text-sm" data-testid="connection-status" data-status={state.status}>
      <span className="relative flex size-2.5" aria-hidden="true">
        {state.status === 'live' && <span className="absolute inline-flex size-full animate-ping rounded-full bg-emerald-400 opacity-60 motion-reduce:hidden" />}
        <span className={cn('relative inline-flex size-2.5 rounded-full', dot)} />
      </span>
      <span role="status" aria-live="polite" className={cn('font-medium whitespace-nowrap', tone)}>
        {label}
      </span>
      {state.status === 'live' && rate !== null && (
        <span className="hidden font-mono text-xs whitespace-nowrap text-gray-500 tabular-nums sm:inline dark:text-gray-400" data-testid="event-rate" title={LIVE_RATE_DEFINITION}>
          · {formatCompact(rate)} ev/min
        </span>
      )}
      {(state.status === 'reconnecting' || state.status === 'offline') && (
        <button
          type="button"
          onClick={retryNow}
          className="rounded px-1.5 py-0.5 text-xs font-medium text-accent-700 underline-offset-2 hover:underline dark:text-accent-300"
        >
          Retry now
        </button>
      )}
    </div>
  )
}
