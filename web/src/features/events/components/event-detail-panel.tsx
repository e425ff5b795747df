// The selected event, beside the list (never over it): its fields, the full JSON and a copy
// button. Escape closes it.
import { useEffect } from 'react'
import type { Event } from '@/api/types'
import { CopyButton } from '@/components/ui/copy-button'
import { XIcon } from '@/components/ui/icons'
import { TypeBadge } from '@/components/ui/type-badge'
import { formatDateTime, formatRelative } from '@/lib/format'
import { JsonView } from './json-view'

export function EventDetailPanel({ event, onClose }: { event: Event; onClose: () => void }) {
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !document.querySelector('dialog[open]')) onClose()
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [onClose])

  const json = JSON.stringify(event, null, 2)
  return (
    <aside
      aria-label="Event details"
      className="flex w-full animate-slide-in flex-col overflow-hidden rounded-xl bg-white ring-1 ring-gray-200 lg:w-[26rem] lg:shrink-0 dark:bg-gray-900 dark:ring-white/10"
    >
      <header className="flex items-center gap-2 border-b border-gray-200 px-4 py-3 dark:border-white/10">
        <TypeBadge type={event.event_type} />
        <span className="flex-1 truncate text-xs text-gray-500 dark:text-gray-400">{formatRelative(event.timestamp)}</span>
        <CopyButton value={json} label="Copy JSON" />
        <button
          type="button"
          onClick={onClose}
          aria-label="Close details"
          className="rounded-md p-1 text-gray-500 hover:bg-gray-100 hover:text-gray-900 dark:text-gray-400 dark:hover:bg-white/10 dark:hover:text-white"
        >
          <XIcon className="size-4.5" />
        </button>
      </header>
      <div className="min-h-0 flex-1 space-y-4 overflow-y-auto p-4">
        <dl className="grid grid-cols-[7rem_minmax(0,1fr)] gap-x-3 gap-y-1.5 text-xs">
          <dt className="text-gray-500 dark:text-gray-400">Time</dt>
          <dd className="font-mono">{formatDateTime(event.timestamp)}</dd>
          <dt className="text-gray-500 dark:text-gray-400">Received</dt>
          <dd className="font-mono">{formatDateTime(event.received_at)}</dd>
          <dt className="text-gray-500 dark:text-gray-400">Id</dt>
          <dd className="truncate font-mono" title={event.id}>{event.id}</dd>
          {event.event_id && (
            <>
              <dt className="text-gray-500 dark:text-gray-400">Client event id</dt>
              <dd className="truncate font-mono" title={event.event_id}>{event.event_id}</dd>
            </>
          )}
        </dl>
        <div>
          <h3 className="mb-1.5 text-xs font-semibold tracking-wide text-gray-500 uppercase dark:text-gray-400">Event JSON</h3>
          <JsonView value={event} label="Event JSON" />
        </div>
      </div>
    </aside>
  )
}
