import { Button } from '@/components/ui/button'
import { ArrowDownIcon, PauseIcon, PlayIcon } from '@/components/ui/icons'
import { cn } from '@/lib/cn'
import { formatCount } from '@/lib/format'

export interface FeedToolbarProps {
  paused: boolean
  pendingCount: number
  onPause: () => void
  onResume: () => void
  autoScroll: boolean
  onAutoScrollChange: (on: boolean) => void
  shown: number
  /** Of those, how many arrived live (the live part keeps at most the last 1,000). */
  liveShown: number
  children?: React.ReactNode
}

export function FeedToolbar({ paused, pendingCount, onPause, onResume, autoScroll, onAutoScrollChange, shown, liveShown, children }: FeedToolbarProps) {
  return (
    <div className="flex flex-wrap items-center gap-2">
      <Button size="sm" variant={paused ? 'primary' : 'secondary'} onClick={paused ? onResume : onPause}>
        {paused ? <PlayIcon className="size-3.5" /> : <PauseIcon className="size-3.5" />}
        {paused ? 'Resume' : 'Pause'}
      </Button>
      <Button
        size="sm"
        variant="ghost"
        aria-pressed={autoScroll}
        onClick={() => onAutoScrollChange(!autoScroll)}
        className={cn(autoScroll ? 'text-accent-700 dark:text-accent-300' : 'text-gray-500')}
      >
        <ArrowDownIcon className="size-3.5 rotate-180" />
        Auto-scroll {autoScroll ? 'on' : 'off'}
      </Button>
      <span aria-live="polite" className="text-xs text-gray-600 tabular-nums dark:text-gray-400" data-testid="paused-count">
        {paused && (pendingCount > 0 ? `${formatCount(pendingCount)} new while paused` : 'Paused — new events will wait here')}
      </span>
      <span className="hidden text-xs text-gray-500 tabular-nums sm:inline dark:text-gray-400" data-testid="shown-count" title="Live arrivals are kept up to the last 1,000; older events stay in the stored history below them">
        {shown > 0 && `${formatCount(shown)} shown · ${formatCount(liveShown)} live`}
      </span>
      <span className="flex-1" />
      {children}
    </div>
  )
}
