// One event as a dense row: time (full date and age on hover), a colored type badge, the chosen
// metadata columns and a one-line preview of the rest. On a phone the row takes two lines: time,
// type and columns on the first, the preview on the second. Shared by every event list.
import { forwardRef, type CSSProperties, type KeyboardEvent } from 'react'
import type { Event } from '@/api/types'
import { TypeBadge } from '@/components/ui/type-badge'
import { ViolationBadge } from '@/features/quality/components/violation-badge'
import { cn } from '@/lib/cn'
import { displayValue, lookup } from '@/lib/flatten'
import { formatAbsoluteAndAge, formatDateTime, formatShortTime, metadataPreview } from '@/lib/format'
import { ROW_HEIGHTS, gridTemplate, type RowLayout } from '../lib/row-layout'

const HIGHLIGHT_MS = 1600


export interface EventRowProps {
  event: Event
  selected: boolean
  onSelect: (event: Event) => void
  /** When it reached the browser, for the brief highlight of new rows. */
  arrivedAt?: number
  source?: 'live' | 'stored'
  columns?: readonly string[]
  layout?: RowLayout
  tabIndex?: number
  style?: CSSProperties
  index?: number
  setSize?: number
  onKeyDown?: (event: KeyboardEvent<HTMLElement>) => void
}

/** The preview leaves out what the columns already show. */
function previewWithout(metadata: Record<string, unknown>, columns: readonly string[]): string {
  if (!columns.length) return metadataPreview(metadata)
  const shown = new Set(columns)
  return metadataPreview(metadata, 12)
    .split('  ')
    .filter((pair) => !shown.has(pair.slice(0, pair.indexOf('='))))
    .slice(0, 6)
    .join('  ')
}

export const EventRow = forwardRef<HTMLElement, EventRowProps>(function EventRow(
  { event, selected, onSelect, arrivedAt, source, columns = [], layout = 'compact', tabIndex = 0, style, index, setSize, onKeyDown },
  ref,
) {
  const age = arrivedAt === undefined ? Infinity : Date.now() - arrivedAt
  const fresh = age < HIGHLIGHT_MS
  const preview = previewWithout(event.metadata, columns)
  const cells = columns.map((key) => {
    const value = lookup(event.metadata, key)
    return (
      <span key={key} data-column={key} title={value === undefined ? `${key}: not set` : `${key}: ${displayValue(value, 500)}`} className={cn('truncate font-mono text-xs', value === undefined ? 'text-gray-400 dark:text-gray-500' : 'text-gray-800 dark:text-gray-200')}>
        {layout === 'phone' && <span className="text-gray-500 dark:text-gray-400">{key}=</span>}
        {value === undefined ? '—' : displayValue(value, 40)}
      </span>
    )
  })
  const time = (
    <time dateTime={event.timestamp} title={formatAbsoluteAndAge(event.timestamp)} className="shrink-0 font-mono text-xs text-gray-600 tabular-nums dark:text-gray-400">
      {formatShortTime(event.timestamp)}
    </time>
  )
  const previewText = <span className="min-w-0 truncate font-mono text-xs text-gray-700 dark:text-gray-300">{preview || <span className="text-gray-500 dark:text-gray-400">no metadata</span>}</span>
  return (
    <article
      ref={ref}
      tabIndex={tabIndex}
      data-index={index}
      data-event-id={event.id}
      data-event-type={event.event_type}
      data-source={source}
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
      style={{ height: ROW_HEIGHTS[layout], ...(layout === 'phone' ? null : { gridTemplateColumns: gridTemplate(columns) }), ...(fresh ? { animationDelay: `-${Math.max(0, age)}ms` } : null), ...style }}
      className={cn(
        'cursor-pointer border-b border-gray-100 px-3 text-[13px] outline-offset-[-2px] dark:border-white/5',
        layout === 'phone' ? 'flex flex-col justify-center gap-1' : 'grid items-center gap-3',
        selected ? 'bg-accent-50 dark:bg-accent-500/15' : 'hover:bg-gray-50 dark:hover:bg-white/[0.04]',
        fresh && !selected && 'animate-row-flash',
      )}
    >
      {layout === 'phone' ? (
        <>
          <div className="flex min-w-0 items-center gap-2">
            {time}
            <span className="min-w-0 shrink">
              <TypeBadge type={event.event_type} />
            </span>
            <ViolationBadge event={event} />
            {cells.length > 0 && <span className="flex min-w-0 flex-1 gap-2 overflow-hidden">{cells}</span>}
          </div>
          {previewText}
        </>
      ) : (
        <>
          {time}
          <span className="flex min-w-0 items-center gap-1">
            <span className="min-w-0">
              <TypeBadge type={event.event_type} />
            </span>
            <ViolationBadge event={event} />
          </span>
          {cells}
          {previewText}
        </>
      )}
    </article>
  )
})
