// One event as a dense row: HH:MM:SS (full time on hover), a colored type badge and a one-line
// metadata preview. Shared by the live feed and the history.
import { forwardRef, type CSSProperties, type KeyboardEvent } from 'react'
import type { Event } from '@/api/types'
import { TypeBadge } from '@/components/ui/type-badge'
import { cn } from '@/lib/cn'
import { formatDateTime, formatShortTime, metadataPreview } from '@/lib/format'

export const ROW_HEIGHT = 36
const HIGHLIGHT_MS = 1600

export interface EventRowProps {
  event: Event
  selected: boolean
  onSelect: (event: Event) => void
  /** When it reached the browser, for the brief highlight of new rows. */
  arrivedAt?: number
  tabIndex?: number
  style?: CSSProperties
  index?: number
  setSize?: number
  onKeyDown?: (event: KeyboardEvent<HTMLElement>) => void
}

export const EventRow = forwardRef<HTMLElement, EventRowProps>(function EventRow(
  { event, selected, onSelect, arrivedAt, tabIndex = 0, style, index, setSize, onKeyDown },
  ref,
) {
  const age = arrivedAt === undefined ? Infinity : Date.now() - arrivedAt
  const fresh = age < HIGHLIGHT_MS
  return (
    <article
      ref={ref}
      tabIndex={tabIndex}
      data-index={index}
      data-event-id={event.id}
      data-event-type={event.event_type}
      aria-posinset={index === undefined ? undefined : index + 1}
      aria-setsize={setSize}
      aria-current={selected || undefined}
      aria-label={`${event.event_type} at ${formatDateTime(event.timestamp)}`}
      onClick={() => onSelect(event)}
      onKeyDown={(e) => {
        if (e.key === 'Enter' || e.key === ' ') {
          e.preventDefault()
          onSelect(event)
        }
        onKeyDown?.(e)
      }}
      style={{ height: ROW_HEIGHT, ...(fresh ? { animationDelay: `-${Math.max(0, age)}ms` } : null), ...style }}
      className={cn(
        'grid cursor-pointer grid-cols-[4.75rem_minmax(0,11rem)_minmax(0,1fr)] items-center gap-3 border-b border-gray-100 px-3 text-[13px] outline-offset-[-2px] dark:border-white/5',
        selected ? 'bg-accent-50 dark:bg-accent-500/15' : 'hover:bg-gray-50 dark:hover:bg-white/[0.04]',
        fresh && !selected && 'animate-row-flash',
      )}
    >
      <time dateTime={event.timestamp} title={formatDateTime(event.timestamp)} className="font-mono text-xs text-gray-600 tabular-nums dark:text-gray-400">
        {formatShortTime(event.timestamp)}
      </time>
      <span className="min-w-0">
        <TypeBadge type={event.event_type} />
      </span>
      <span className="truncate font-mono text-xs text-gray-700 dark:text-gray-300">{metadataPreview(event.metadata) || <span className="text-gray-400">no metadata</span>}</span>
    </article>
  )
})
