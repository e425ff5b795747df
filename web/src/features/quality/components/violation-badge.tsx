// An event's schema violations where events are listed: a warning badge in the row, the list of
// path + message in the detail panel. Small on purpose: both are on the first load.
import { cn } from '@/lib/cn'
import type { Event, Violation } from '@/api/types'
import { violationsOf } from '../lib/violations'
import { pathLabel } from '../lib/words'

export function WarningIcon({ className }: { className?: string }) {
  return (
    <svg viewBox="0 0 24 24" fill="none" stroke="currentColor" strokeWidth={2} strokeLinecap="round" strokeLinejoin="round" aria-hidden="true" className={className}>
      <path d="M10.3 3.9 1.8 18a2 2 0 0 0 1.7 3h17a2 2 0 0 0 1.7-3L13.7 3.9a2 2 0 0 0-3.4 0Z" />
      <path d="M12 9v4M12 17h.01" />
    </svg>
  )
}

export function ViolationBadge({ event, className }: { event: Event; className?: string }) {
  const violations = violationsOf(event)
  if (violations.length === 0) return null
  const n = violations.length
  return (
    <span
      data-testid="violation-badge"
      title={violations.map((v) => `${pathLabel(v.path)}: ${v.message}`).join('\n')}
      aria-label={`${n} schema violation${n === 1 ? '' : 's'}`}
      className={cn('inline-flex shrink-0 items-center gap-0.5 rounded-full bg-amber-100 px-1.5 py-px text-[11px] font-medium text-amber-900 ring-1 ring-amber-600/25 ring-inset dark:bg-amber-400/10 dark:text-amber-300 dark:ring-amber-400/30', className)}
    >
      <WarningIcon className="size-3" />
      {n}
    </span>
  )
}

export function ViolationList({ violations, title = 'Schema violations' }: { violations: readonly Violation[]; title?: string }) {
  if (violations.length === 0) return null
  return (
    <section aria-label={title} data-testid="violation-list" className="rounded-md bg-amber-50 p-3 text-xs ring-1 ring-amber-600/20 dark:bg-amber-400/10 dark:ring-amber-400/25">
      <h3 className="mb-1.5 flex items-center gap-1.5 font-semibold text-amber-900 dark:text-amber-200">
        <WarningIcon className="size-3.5" /> {title}
      </h3>
      <ul className="space-y-1">
        {violations.map((v, i) => (
          <li key={i} className="flex min-w-0 flex-wrap gap-x-2">
            <code className="font-mono font-medium break-all text-amber-950 dark:text-amber-100">{pathLabel(v.path)}</code>
            <span className="min-w-0 break-words text-amber-900 dark:text-amber-200/90">{v.message}</span>
          </li>
        ))}
      </ul>
    </section>
  )
}
