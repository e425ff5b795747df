// The Live view's warning when block mode is refusing events: the data-quality report of the
// last few minutes, polled; shown while any type has blocked events in it. Silent when the
// report cannot be read (an old server, a credential without `read`): Live works without it.
import { Link, useParams } from 'react-router'
import { formatCount } from '@/lib/format'
import { useDataQuality } from '../api/data-quality'
import { blockedTotal } from '../lib/rows'
import { WarningIcon } from './violation-badge'

export const BLOCKED_WINDOW_MS = 5 * 60_000

export function BlockedBanner() {
  const { tenantId } = useParams()
  const report = useDataQuality(BLOCKED_WINDOW_MS, 'minute', { refetchMs: 15_000, silent: true })
  const { blocked, types } = blockedTotal(report.data?.types ?? [])
  if (blocked === 0) return null
  const named = types.slice(0, 3).join(', ') + (types.length > 3 ? ` and ${types.length - 3} more` : '')
  return (
    <div role="status" data-testid="blocked-banner" className="flex flex-wrap items-center gap-x-3 gap-y-1 rounded-lg bg-red-50 px-3 py-2 text-sm text-red-900 ring-1 ring-red-600/20 dark:bg-red-400/10 dark:text-red-200 dark:ring-red-400/25">
      <WarningIcon className="size-4 shrink-0" />
      <span className="min-w-0 flex-1">
        Block mode refused <strong className="font-semibold tabular-nums">{formatCount(blocked)}</strong> event{blocked === 1 ? '' : 's'} in the last 5 minutes ({named}): their senders got a 422 and they were not stored.
      </span>
      <Link to={`/t/${tenantId}/quality?range=1h&type=${encodeURIComponent(types[0] ?? '')}`} className="shrink-0 font-medium underline underline-offset-2">
        Open Data quality
      </Link>
    </div>
  )
}
