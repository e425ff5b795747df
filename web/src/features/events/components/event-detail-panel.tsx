// The selected event: its properties as a table (flattened dotted keys, typed values, copy per
// value, "filter by this" / "exclude this"), the raw JSON as a tab, and where it was delivered.
// Beside the list on a desktop (never over it); a full-height sheet on a phone, its close button
// always in reach. Escape closes it.
import { useId, useLayoutEffect, useState, type ReactNode } from 'react'
import { Link } from 'react-router'
import { describeError } from '@/api/errors'
import type { Event } from '@/api/types'
import { CopyButton } from '@/components/ui/copy-button'
import { XIcon } from '@/components/ui/icons'
import { Spinner } from '@/components/ui/spinner'
import { TypeBadge } from '@/components/ui/type-badge'
import { useFilters } from '@/features/filters/hooks/use-filters'
import { ViolationList } from '@/features/quality/components/violation-badge'
import { violatedKeys, violationsOf } from '@/features/quality/lib/violations'
import { useTenantScope } from '@/features/tenants/hooks/use-current-tenant'
import { useEventDeliveries } from '@/features/webhooks/api/webhooks'
import { StatusBadge } from '@/features/webhooks/components/delivery-log'
import { cn } from '@/lib/cn'
import { filterText, flatten, type Property } from '@/lib/flatten'
import { formatAbsoluteAndAge, formatDateTime, formatRelative } from '@/lib/format'
import { JsonView } from './json-view'

export function EventDetailSheet({ event, error, onClose, phone }: { event: Event | null; error: unknown; onClose: () => void; phone: boolean }) {
  // A layout effect, so that Escape works from the first frame the panel is seen in (a passive
  // effect can run later than that on a busy machine).
  useLayoutEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.key === 'Escape' && !document.querySelector('dialog[open]')) onClose()
    }
    document.addEventListener('keydown', onKey)
    return () => document.removeEventListener('keydown', onKey)
  }, [onClose])
  const content = event ? <EventDetailPanel event={event} onClose={onClose} /> : <MissingEvent error={error} onClose={onClose} />
  if (phone) {
    return (
      <div className="fixed inset-0 z-40 flex flex-col bg-white dark:bg-gray-900" data-testid="detail-sheet">
        {content}
      </div>
    )
  }
  return <div className="sticky top-[4.5rem] flex h-[calc(100dvh-6rem)] w-[28rem] shrink-0">{content}</div>
}

function MissingEvent({ error, onClose }: { error: unknown; onClose: () => void }) {
  const { title, description } = describeError(error)
  return (
    <aside aria-label="Event details" className="flex w-full flex-col rounded-xl bg-white ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
      <PanelHeader onClose={onClose}>
        <span className="flex-1 text-sm font-medium">Event not found</span>
      </PanelHeader>
      <div className="p-4 text-sm text-gray-600 dark:text-gray-400">
        <p>{title}</p>
        {description && <p className="mt-1">{description}</p>}
        <p className="mt-1">It may be outside this tenant, or removed by retention.</p>
      </div>
    </aside>
  )
}

function PanelHeader({ onClose, children }: { onClose: () => void; children: ReactNode }) {
  return (
    <header className="flex shrink-0 items-center gap-2 border-b border-gray-200 px-4 py-3 dark:border-white/10">
      {children}
      <button
        type="button"
        onClick={onClose}
        aria-label="Close details"
        className="rounded-md p-1.5 text-gray-500 hover:bg-gray-100 hover:text-gray-900 dark:text-gray-400 dark:hover:bg-white/10 dark:hover:text-white"
      >
        <XIcon className="size-5" />
      </button>
    </header>
  )
}

type Tab = 'properties' | 'json' | 'deliveries'

export function EventDetailPanel({ event, onClose }: { event: Event; onClose: () => void }) {
  const [tab, setTab] = useState<Tab>('properties')
  const id = useId()
  const json = JSON.stringify(event, null, 2)
  const permalink = `${window.location.origin}${window.location.pathname.replace(/\/(live|search|stats)$/, '/events')}?event=${event.id}`
  const tabs: { key: Tab; label: string }[] = [
    { key: 'properties', label: 'Properties' },
    { key: 'json', label: 'JSON' },
    { key: 'deliveries', label: 'Deliveries' },
  ]
  return (
    <aside aria-label="Event details" className="flex min-h-0 w-full flex-1 animate-slide-in flex-col overflow-hidden bg-white sm:rounded-xl sm:ring-1 sm:ring-gray-200 dark:bg-gray-900 sm:dark:ring-white/10">
      <PanelHeader onClose={onClose}>
        <TypeBadge type={event.event_type} />
        <time dateTime={event.timestamp} title={formatDateTime(event.timestamp)} className="min-w-0 flex-1 truncate text-xs text-gray-500 dark:text-gray-400">
          {formatRelative(event.timestamp)}
        </time>
        <CopyButton value={permalink} label="Permalink" />
      </PanelHeader>
      <div role="tablist" aria-label="Event views" className="flex shrink-0 gap-1 border-b border-gray-200 px-3 dark:border-white/10">
        {tabs.map((t) => (
          <button
            key={t.key}
            type="button"
            role="tab"
            id={`${id}-${t.key}`}
            aria-selected={tab === t.key}
            aria-controls={`${id}-${t.key}-panel`}
            onClick={() => setTab(t.key)}
            className={cn('-mb-px border-b-2 px-2 py-2 text-xs font-medium', tab === t.key ? 'border-accent-600 text-gray-900 dark:border-accent-400 dark:text-white' : 'border-transparent text-gray-600 hover:text-gray-900 dark:text-gray-400 dark:hover:text-white')}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${id}-${tab}-panel`} aria-labelledby={`${id}-${tab}`} className="min-h-0 flex-1 overflow-y-auto p-4">
        {tab === 'properties' && <PropertyTable event={event} />}
        {tab === 'json' && (
          <div className="space-y-2">
            <CopyButton value={json} label="Copy JSON" />
            <JsonView value={event} label="Event JSON" />
          </div>
        )}
        {tab === 'deliveries' && <EventDeliveries event={event} />}
      </div>
    </aside>
  )
}

const KIND_STYLE: Record<Property['kind'], string> = {
  string: 'text-emerald-700 dark:text-emerald-300',
  number: 'text-amber-700 dark:text-amber-300',
  boolean: 'text-violet-700 dark:text-violet-300',
  null: 'text-gray-500 dark:text-gray-400',
  array: 'text-sky-700 dark:text-sky-300',
  object: 'text-sky-700 dark:text-sky-300',
}

function PropertyTable({ event }: { event: Event }) {
  const { addMeta, addNot } = useFilters()
  const properties = flatten(event.metadata)
  const violations = violationsOf(event)
  const flagged = violatedKeys(properties.map((p) => p.key), violations)
  const fields: [string, string, string?][] = [
    ['Time', formatDateTime(event.timestamp), formatAbsoluteAndAge(event.timestamp)],
    ['Received', formatDateTime(event.received_at), formatAbsoluteAndAge(event.received_at)],
    ['Id', event.id],
    ...(event.event_id ? [['Client event id', event.event_id] as [string, string]] : []),
    ['Tenant', event.tenant_id],
  ]
  return (
    <div className="space-y-4">
      <dl className="grid grid-cols-[6.5rem_minmax(0,1fr)] gap-x-3 gap-y-1.5 text-xs">
        {fields.map(([label, value, title]) => (
          <div key={label} className="contents">
            <dt className="text-gray-500 dark:text-gray-400">{label}</dt>
            <dd className="flex min-w-0 items-center gap-1">
              <span className="truncate font-mono" title={title ?? value}>
                {value}
              </span>
              {(label === 'Id' || label === 'Tenant' || label === 'Client event id') && <CopyButton value={value} label="Copy" className="h-5 px-1" />}
            </dd>
          </div>
        ))}
      </dl>
      <ViolationList violations={violations} />
      <div>
        <h3 className="mb-1.5 text-xs font-semibold tracking-wide text-gray-500 uppercase dark:text-gray-400">Properties</h3>
        {properties.length === 0 ? (
          <p className="text-xs text-gray-500 dark:text-gray-400">This event has no metadata.</p>
        ) : (
          <table className="w-full table-fixed text-xs" data-testid="property-table">
            <caption className="sr-only">Metadata properties</caption>
            <thead className="sr-only">
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Value</th>
                <th scope="col">Actions</th>
              </tr>
            </thead>
            <tbody>
              {properties.map((p) => {
                const text = filterText(p.value)
                const shown = typeof p.value === 'string' ? p.value : JSON.stringify(p.value)
                return (
                  <tr key={p.key} data-key={p.key} data-violation={flagged.has(p.key) || undefined} className={cn('group border-b border-gray-100 align-top last:border-0 dark:border-white/5', flagged.has(p.key) && 'bg-amber-50 dark:bg-amber-400/10')}>
                    <th scope="row" title={flagged.get(p.key)?.map((v) => v.message).join('\n')} className={cn('w-[38%] py-1.5 pr-2 text-left font-mono font-normal break-all', flagged.has(p.key) ? 'font-semibold text-amber-900 dark:text-amber-200' : 'text-gray-600 dark:text-gray-400')}>
                      {p.key}
                      {flagged.has(p.key) && <span className="sr-only"> (violates the schema)</span>}
                    </th>
                    <td className="py-1.5 pr-1">
                      <span className={cn('font-mono break-all whitespace-pre-wrap', KIND_STYLE[p.kind])}>{shown}</span>
                      <span className="ml-1.5 text-[10px] text-gray-500 uppercase dark:text-gray-400">{p.kind}</span>
                    </td>
                    <td className="w-[8.5rem] py-1 text-right whitespace-nowrap">
                      <span className="flex items-center justify-end gap-0.5">
                        {text !== null && (
                          <>
                            <button type="button" onClick={() => addMeta({ key: p.key, value: text })} aria-label={`Filter by ${p.key}=${text}`} title="Show only events with this value" className="rounded px-2 py-0.5 font-mono text-sm text-accent-700 hover:bg-accent-50 dark:text-accent-300 dark:hover:bg-accent-500/15">
                              =
                            </button>
                            <button type="button" onClick={() => addNot({ key: p.key, value: text })} aria-label={`Exclude ${p.key}=${text}`} title="Leave out events with this value" className="rounded px-2 py-0.5 font-mono text-sm text-rose-700 hover:bg-rose-50 dark:text-rose-300 dark:hover:bg-rose-500/15">
                              ≠
                            </button>
                          </>
                        )}
                        <CopyButton value={shown ?? ''} label="Copy" className="h-6 px-1.5 ring-0" />
                      </span>
                    </td>
                  </tr>
                )
              })}
            </tbody>
          </table>
        )}
      </div>
    </div>
  )
}

/** Where the event went after it was stored: its delivery to each endpoint (one API call). */
function EventDeliveries({ event }: { event: Event }) {
  const { tenantId } = useTenantScope()
  const lineage = useEventDeliveries(event.id)
  if (lineage.isPending)
    return (
      <p className="flex items-center gap-2 text-xs text-gray-500">
        <Spinner label="" /> Looking for deliveries…
      </p>
    )
  if (lineage.isError) {
    const { title, description } = describeError(lineage.error)
    return (
      <p className="text-xs text-gray-600 dark:text-gray-400">
        {title}
        {description ? ` — ${description}` : ''} (the delivery log needs a key with the manage scope)
      </p>
    )
  }
  return (
    <ol className="space-y-2 text-xs" data-testid="event-deliveries">
      <li className="flex items-center gap-2">
        <span className="size-2 rounded-full bg-emerald-500" aria-hidden="true" /> Stored {formatRelative(event.received_at)}
      </li>
      {lineage.data.length === 0 && (
        <li className="text-gray-600 dark:text-gray-400">No webhook delivery: no enabled endpoint of this tenant took this event type when it was stored.</li>
      )}
      {lineage.data.map((delivery) => (
        <li key={delivery.id} data-testid="event-delivery" data-status={delivery.status} className="rounded-md p-2 ring-1 ring-gray-200 dark:ring-white/10">
          <p className="flex min-w-0 items-center gap-2">
            <Link to={`/t/${tenantId}/webhooks?endpoint=${delivery.endpoint.id}`} className="min-w-0 flex-1 truncate font-mono text-accent-700 underline-offset-2 hover:underline dark:text-accent-300" title={delivery.endpoint.url}>
              → {delivery.endpoint.url}
            </Link>
            <StatusBadge status={delivery.status} />
          </p>
          {delivery.endpoint.description && <p className="mt-0.5 truncate text-gray-500 dark:text-gray-400">{delivery.endpoint.description}</p>}
          <p className="mt-1 text-gray-600 dark:text-gray-400">
            {delivery.attempts} attempt{delivery.attempts === 1 ? '' : 's'}
            {delivery.last_status_code != null && ` · HTTP ${delivery.last_status_code}`}
            {delivery.last_attempt_at && (
              <>
                {' · last '}
                <time dateTime={delivery.last_attempt_at} title={formatAbsoluteAndAge(delivery.last_attempt_at)}>
                  {formatRelative(delivery.last_attempt_at)}
                </time>
              </>
            )}
            {delivery.next_attempt_at && delivery.status !== 'succeeded' && <> · next {formatRelative(delivery.next_attempt_at)}</>}
          </p>
          {delivery.last_error && <p className="mt-1 font-mono wrap-break-word whitespace-pre-wrap text-rose-700 dark:text-rose-400">{delivery.last_error}</p>}
        </li>
      ))}
    </ol>
  )
}
