// An endpoint's delivery log, newest first: status, attempts (time, HTTP status, latency, the
// full error text, wrapped, and the response excerpt), filtering by status, search by event id,
// "Retry now" and "Replay from here". Each attempt opens to the request it sent: headers
// (signatures masked by the server) and body.
import { Fragment, useId, useState, type FormEvent } from 'react'
import { Link, useParams } from 'react-router'
import type { Attempt, Delivery, DeliveryStatus } from '@/api/types'
import { describeError, toApiError } from '@/api/errors'
import { Button } from '@/components/ui/button'
import { EmptyState } from '@/components/ui/empty-state'
import { inputClass } from '@/components/ui/field'
import { ChevronDownIcon, HistoryIcon, RefreshIcon, SearchIcon, XIcon } from '@/components/ui/icons'
import { SkeletonRows } from '@/components/ui/skeleton'
import { TypeBadge } from '@/components/ui/type-badge'
import { cn } from '@/lib/cn'
import { formatAbsoluteAndAge, formatDateTime, formatRelative, formatShortTime } from '@/lib/format'
import { useDeliveries, useRetryDelivery } from '../api/webhooks'
import { DELIVERY_STATUSES } from '../lib/health'
import { headerRows, prettyBody } from '../lib/request'

const STATUS_STYLE: Record<DeliveryStatus, string> = {
  succeeded: 'bg-emerald-50 text-emerald-800 ring-emerald-600/20 dark:bg-emerald-400/10 dark:text-emerald-300 dark:ring-emerald-400/30',
  pending: 'bg-gray-100 text-gray-700 ring-gray-500/20 dark:bg-white/10 dark:text-gray-300 dark:ring-white/20',
  failed: 'bg-amber-50 text-amber-900 ring-amber-600/20 dark:bg-amber-400/10 dark:text-amber-300 dark:ring-amber-400/30',
  dead: 'bg-red-50 text-red-800 ring-red-600/20 dark:bg-red-400/10 dark:text-red-300 dark:ring-red-400/30',
}

const STATUS_LABEL: Record<DeliveryStatus, string> = { succeeded: 'succeeded', pending: 'pending', failed: 'retrying', dead: 'dead' }

export function StatusBadge({ status }: { status: DeliveryStatus }) {
  return <span className={cn('inline-flex rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset', STATUS_STYLE[status])}>{STATUS_LABEL[status]}</span>
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i

export interface DeliveryLogProps {
  endpointId: string
  status: DeliveryStatus | null
  onStatus: (status: DeliveryStatus | null) => void
  /** Only this event's deliveries (the search box; in the URL). */
  eventId?: string | null
  onEventId?: (eventId: string | null) => void
  /** "Replay from here": replay this delivery's event and every later one. */
  onReplayFrom?: (delivery: Delivery) => void
}

export function DeliveryLog({ endpointId, status, onStatus, eventId = null, onEventId, onReplayFrom }: DeliveryLogProps) {
  const deliveries = useDeliveries(endpointId, status, eventId)
  const list = deliveries.data?.pages.flatMap((p) => p.deliveries) ?? []
  const refused = deliveries.isError ? toApiError(deliveries.error) : null
  return (
    <section aria-label="Delivery log" className="overflow-hidden rounded-xl bg-white ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
      <div className="flex flex-wrap items-center justify-between gap-2 border-b border-gray-200 px-4 py-2.5 dark:border-white/10">
        <h2 className="text-sm font-semibold">Deliveries</h2>
        {onEventId && <EventSearch key={eventId ?? ''} eventId={eventId} onEventId={onEventId} serverError={refused?.field === 'event_id' ? refused.message : null} />}
        <div role="group" aria-label="Filter by status" className="flex gap-1">
          {DELIVERY_STATUSES.map((s) => (
            <button
              key={s.label}
              type="button"
              aria-pressed={status === s.value}
              onClick={() => onStatus(s.value)}
              className={cn(
                'h-7 rounded-md px-2.5 text-xs font-medium',
                status === s.value ? 'bg-gray-900 text-white dark:bg-white dark:text-gray-900' : 'text-gray-600 hover:bg-gray-100 dark:text-gray-400 dark:hover:bg-white/10',
              )}
            >
              {s.label}
            </button>
          ))}
        </div>
      </div>
      {deliveries.isPending ? (
        <SkeletonRows rows={4} label="Loading deliveries" />
      ) : deliveries.isError ? (
        <EmptyState title={describeError(deliveries.error).title}>
          <Button size="sm" onClick={() => void deliveries.refetch()}>
            Try again
          </Button>
        </EmptyState>
      ) : list.length === 0 ? (
        eventId ? (
          <EmptyState title={status ? 'No delivery of this event with this status' : 'No delivery of this event to this endpoint'}>
            <p>The endpoint's filter may not have matched it, or it was stored before the endpoint existed. Replay a range to deliver it.</p>
          </EmptyState>
        ) : (
          <EmptyState title={status ? 'No deliveries with this status' : 'No deliveries yet'}>
            <p>Send a test event, or send an event of a type this endpoint receives.</p>
          </EmptyState>
        )
      ) : (
        <>
          <ul className="divide-y divide-gray-100 dark:divide-white/5">
            {list.map((d) => (
              <DeliveryRow key={d.id} delivery={d} onReplayFrom={onReplayFrom} />
            ))}
          </ul>
          {deliveries.hasNextPage && (
            <div className="flex h-12 items-center justify-center">
              <Button size="sm" variant="ghost" loading={deliveries.isFetchingNextPage} onClick={() => void deliveries.fetchNextPage()}>
                Load more
              </Button>
            </div>
          )}
        </>
      )}
    </section>
  )
}

/** The event id search: a UUID, checked before it is sent; Escape or × clears it. */
function EventSearch({ eventId, onEventId, serverError }: { eventId: string | null; onEventId: (eventId: string | null) => void; serverError: string | null }) {
  const [text, setText] = useState(eventId ?? '')
  const [invalid, setInvalid] = useState(false)
  const id = useId()
  const errorId = useId()
  const error = invalid ? 'An event id is a UUID, like 0190c3e4-…' : serverError
  function submit(event: FormEvent) {
    event.preventDefault()
    const value = text.trim()
    if (value && !UUID.test(value)) return setInvalid(true)
    setInvalid(false)
    onEventId(value || null)
  }
  return (
    <form role="search" onSubmit={submit} className="order-last w-full sm:order-none sm:w-auto">
      <label htmlFor={id} className="sr-only">
        Find deliveries by event id
      </label>
      <div className="relative">
        <SearchIcon className="pointer-events-none absolute top-1/2 left-2 size-3.5 -translate-y-1/2 text-gray-400" />
        <input
          id={id}
          type="search"
          value={text}
          onChange={(e) => (setText(e.target.value), setInvalid(false))}
          onKeyDown={(e) => {
            if (e.key === 'Escape' && text) {
              e.preventDefault()
              setText('')
              onEventId(null)
            }
          }}
          placeholder="Event id"
          spellCheck={false}
          autoComplete="off"
          aria-invalid={error ? true : undefined}
          aria-describedby={error ? errorId : undefined}
          className={cn(inputClass, 'h-7 w-full py-0 pr-7 pl-7 font-mono text-xs sm:w-80 aria-invalid:ring-red-500 dark:aria-invalid:ring-red-400')}
        />
        {eventId && (
          <button type="button" aria-label="Clear the event id" onClick={() => (setText(''), onEventId(null))} className="absolute top-1/2 right-1.5 -translate-y-1/2 rounded p-0.5 text-gray-400 hover:text-gray-700 dark:hover:text-white">
            <XIcon className="size-3.5" />
          </button>
        )}
      </div>
      {error && (
        <p id={errorId} role="alert" className="mt-1 text-xs text-red-600 dark:text-red-400">
          {error}
        </p>
      )}
    </form>
  )
}

function DeliveryRow({ delivery, onReplayFrom }: { delivery: Delivery; onReplayFrom?: (delivery: Delivery) => void }) {
  const [open, setOpen] = useState(false)
  const retry = useRetryDelivery()
  const last = delivery.attempt_log.at(-1)
  const canRetry = delivery.status === 'failed' || delivery.status === 'dead'
  const { tenantId } = useParams()
  return (
    <li data-testid="delivery" data-status={delivery.status} data-attempts={delivery.attempts}>
      <div className="flex items-center gap-3 px-3 py-2.5 text-[13px] sm:px-4">
        <button
          type="button"
          aria-expanded={open}
          onClick={() => setOpen((o) => !o)}
          className="flex min-w-0 flex-1 flex-wrap items-center gap-x-3 gap-y-1 text-left"
        >
          <ChevronDownIcon className={cn('size-4 shrink-0 text-gray-400 transition-transform', !open && '-rotate-90')} />
          <span className="w-20 shrink-0">
            <StatusBadge status={delivery.status} />
          </span>
          <span className="max-w-32 min-w-0 shrink-0 truncate sm:w-32">
            <TypeBadge type={delivery.event_type} />
          </span>
          <time dateTime={delivery.created_at} className="font-mono text-xs text-gray-500 dark:text-gray-400" title={formatAbsoluteAndAge(delivery.created_at)}>
            {formatRelative(delivery.created_at)}
          </time>
          <span className="text-xs text-gray-600 dark:text-gray-400">
            {delivery.attempts} attempt{delivery.attempts === 1 ? '' : 's'}
            {last?.status_code ? ` · HTTP ${last.status_code}` : last?.error ? ' · no response' : ''}
          </span>
          {delivery.next_attempt_at && delivery.status !== 'succeeded' && (
            <span className="hidden text-xs text-gray-500 md:inline dark:text-gray-400" title={formatDateTime(delivery.next_attempt_at)}>
              next at {formatShortTime(delivery.next_attempt_at)}
            </span>
          )}
          <span className="sr-only">{open ? 'Hide attempts' : 'Show attempts'}</span>
        </button>
        {canRetry && (
          <Button size="sm" loading={retry.isPending} onClick={() => retry.mutate({ endpointId: delivery.endpoint_id, deliveryId: delivery.id })}>
            <RefreshIcon className="size-3.5" /> Retry now
          </Button>
        )}
      </div>
      {open && (
        <div className="px-3 pb-3 sm:px-4 sm:pl-11">
          <p className="mb-2 text-xs text-gray-600 dark:text-gray-400">
            Delivers{' '}
            {delivery.event_id && tenantId ? (
              <Link to={`/t/${tenantId}/events?event=${delivery.event_id}`} className="font-medium text-accent-700 underline-offset-2 hover:underline dark:text-accent-300">
                the event {delivery.event_id.slice(0, 8)}… (open it)
              </Link>
            ) : (
              'the fixed test message'
            )}
            , signed as delivery <span className="font-mono">{delivery.id}</span>. Open an attempt's request to see the exact headers and body it sent.
          </p>
          {delivery.event_id && onReplayFrom && (
            <Button size="sm" className="mb-2" onClick={() => onReplayFrom(delivery)} title="Deliver this event and every later one to this endpoint again">
              <HistoryIcon className="size-3.5" /> Replay from here
            </Button>
          )}
          {delivery.attempt_log.length === 0 ? (
            <p className="text-xs text-gray-500 dark:text-gray-400">{delivery.status === 'pending' ? 'Queued, not attempted yet.' : 'No attempts recorded.'}</p>
          ) : (
            <table className="w-full table-fixed text-xs">
              <caption className="sr-only">Attempts</caption>
              <thead className="text-left text-gray-500 dark:text-gray-400">
                <tr>
                  <th scope="col" className="w-16 py-1 pr-3 font-medium">Time</th>
                  <th scope="col" className="w-12 py-1 pr-3 font-medium">Status</th>
                  <th scope="col" className="w-16 py-1 pr-3 font-medium">Latency</th>
                  <th scope="col" className="py-1 font-medium">Response</th>
                </tr>
              </thead>
              <tbody className="font-mono">
                {delivery.attempt_log.map((a, index) => (
                  <Fragment key={a.id}>
                    <tr data-testid="attempt" className="align-top">
                      <td className="py-1 pr-3 whitespace-nowrap" title={formatDateTime(a.attempted_at)}>
                        {formatShortTime(a.attempted_at)}
                      </td>
                      <td className={cn('py-1 pr-3', a.status_code && a.status_code < 300 ? 'text-emerald-700 dark:text-emerald-400' : 'text-red-700 dark:text-red-400')}>
                        {a.status_code ?? '—'}
                      </td>
                      <td className="py-1 pr-3 tabular-nums">{a.latency_ms} ms</td>
                      <td className="py-1">
                        {a.error && <p className="wrap-break-word whitespace-pre-wrap text-red-700 dark:text-red-400">{a.error}</p>}
                        {a.response_body && (
                          <pre className="mt-0.5 max-h-40 overflow-auto rounded bg-gray-50 p-1.5 wrap-break-word whitespace-pre-wrap text-gray-700 dark:bg-black/30 dark:text-gray-300" aria-label="Response body">
                            {a.response_body}
                          </pre>
                        )}
                        {!a.error && !a.response_body && <span className="text-gray-500">empty response</span>}
                      </td>
                    </tr>
                    <tr className="align-top">
                      <td colSpan={4} className="pb-2">
                        <AttemptRequest attempt={a} number={index + 1} />
                      </td>
                    </tr>
                  </Fragment>
                ))}
              </tbody>
            </table>
          )}
        </div>
      )}
    </li>
  )
}

/** What one attempt sent, folded away until asked for. */
function AttemptRequest({ attempt, number }: { attempt: Attempt; number: number }) {
  const headers = headerRows(attempt.request_headers)
  if (attempt.request_body == null && headers.length === 0) {
    return <p className="font-sans text-gray-500 dark:text-gray-400">No request was sent (see the error), or it was logged before requests were kept.</p>
  }
  return (
    <details className="group font-sans" data-testid="attempt-request">
      <summary className="cursor-pointer text-gray-600 select-none hover:text-gray-900 dark:text-gray-400 dark:hover:text-white">
        <span className="sr-only">Attempt {number}: </span>Request sent
      </summary>
      <div className="mt-1.5 space-y-1.5">
        <table className="w-full table-fixed font-mono" aria-label={`Request headers of attempt ${number}`}>
          <tbody>
            {headers.map(([name, value]) => (
              <tr key={name} className="align-top">
                <th scope="row" className="w-36 py-0.5 pr-2 text-left font-normal text-gray-500 dark:text-gray-400">
                  {name}
                </th>
                <td className="py-0.5 break-all">{value}</td>
              </tr>
            ))}
          </tbody>
        </table>
        {attempt.request_body != null && (
          <pre className="max-h-72 overflow-auto rounded bg-gray-50 p-1.5 font-mono wrap-break-word whitespace-pre-wrap text-gray-700 dark:bg-black/30 dark:text-gray-300" aria-label={`Request body of attempt ${number}`}>
            {prettyBody(attempt.request_body)}
          </pre>
        )}
      </div>
    </details>
  )
}
