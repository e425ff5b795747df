// The endpoint's recent replays, newest first: state, range, how far each got. Followed every
// second while one runs; "Progress" opens the job in the Replay dialog.
import type { Replay } from '@/api/types'
import { Button } from '@/components/ui/button'
import { formatCount, formatDateTime, formatRelative } from '@/lib/format'
import { useReplays } from '../api/replays'
import { describeReplay } from '../lib/replay'
import { ReplayBar, ReplayStatePill } from './replay-dialog'

/** How many replays the endpoint view lists. */
const SHOWN = 5

export function ReplayList({ endpointId, onOpen }: { endpointId: string; onOpen: (replay: Replay) => void }) {
  const replays = useReplays(endpointId)
  const list = (replays.data ?? []).slice(0, SHOWN)
  // Nothing to show until there is a replay: the endpoint view stays calm.
  if (list.length === 0) return null
  return (
    <section aria-labelledby="replays-heading" data-testid="replay-list" className="overflow-hidden rounded-xl bg-white ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
      <h2 id="replays-heading" className="border-b border-gray-200 px-4 py-2.5 text-sm font-semibold dark:border-white/10">
        Recent replays
      </h2>
      <ul className="divide-y divide-gray-100 dark:divide-white/5">
        {list.map((r) => (
          <li key={r.id} data-testid="replay-row" data-state={r.state} className="space-y-1.5 px-3 py-2.5 sm:px-4">
            <div className="flex flex-wrap items-center gap-x-3 gap-y-1 text-xs">
              <ReplayStatePill state={r.state} />
              <span className="min-w-0 flex-1 truncate text-gray-600 dark:text-gray-400" title={describeReplay(r)}>
                {describeReplay(r)}
              </span>
              <span className="tabular-nums text-gray-700 dark:text-gray-300">
                {formatCount(r.created)}
                {r.total != null && ` / ${formatCount(r.total)}`} queued · {formatCount(r.delivered)} delivered · {formatCount(r.failed)} failed
              </span>
              <time dateTime={r.created_at} title={formatDateTime(r.created_at)} className="text-gray-500 dark:text-gray-400">
                {formatRelative(r.created_at)}
              </time>
              <Button size="sm" variant="ghost" onClick={() => onOpen(r)} aria-label={`Progress of the replay started ${formatRelative(r.created_at)}`}>
                Progress
              </Button>
            </div>
            <ReplayBar replay={r} label={`Replay ${r.id.slice(0, 8)}: events queued`} />
          </li>
        ))}
      </ul>
    </section>
  )
}
