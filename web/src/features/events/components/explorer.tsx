// The event explorer: one virtualized table where live events flow in at the top of the stored
// history, which scrolls back page by page (keyset cursor). An event that arrived live and is
// also in a page of history is shown once (see lib/merge). Live and Events are this view; Events
// adds the time range picker. The selected event is in the URL (`?event=<id>`): a permalink.
import { useCallback, useMemo, useState } from 'react'
import { useSearchParams } from 'react-router'
import type { Event } from '@/api/types'
import { describeError } from '@/api/errors'
import { PageHeader } from '@/components/layout/page-header'
import { Button } from '@/components/ui/button'
import { EmptyState } from '@/components/ui/empty-state'
import { SendIcon } from '@/components/ui/icons'
import { SkeletonRows } from '@/components/ui/skeleton'
import { Spinner } from '@/components/ui/spinner'
import { useSession } from '@/features/auth/hooks/use-session'
import { useSendEvent } from '@/features/events/api/send-event'
import { FeedList } from '@/features/feed/components/feed-list'
import { FeedToolbar } from '@/features/feed/components/feed-toolbar'
import { useConnectionState, useFeed } from '@/features/feed/hooks/use-live-stream'
import { FilterBar } from '@/features/filters/components/filter-bar'
import { BlockedBanner } from '@/features/quality/components/blocked-banner'
import { matchesFilters, useFilters } from '@/features/filters/hooks/use-filters'
import { useTypeBreakdown } from '@/features/stats/api/get-stats'
import { FirstEventHelp } from '@/features/tenants/components/first-event-help'
import { useCurrentTenantId } from '@/features/tenants/hooks/use-current-tenant'
import { formatCount } from '@/lib/format'
import { notifySuccess } from '@/lib/notify'
import { useEvent, useEventHistory } from '../api/get-events'
import { useColumns, useDensity, usePhone } from '../hooks/use-columns'
import { mergeLiveAndStored } from '../lib/merge'
import { rangeIncludesNow, rangeQuery, readTimeRange, type TimeRange } from '../lib/time-range'
import { ColumnPicker, DensityToggle } from './column-picker'
import { EventDetailSheet } from './event-detail-panel'
import { gridTemplate } from '../lib/row-layout'
import { TimeRangePicker } from './time-range-picker'

const ALL: TimeRange = { kind: 'all' }

export function Explorer({ view }: { view: 'Live' | 'Events' }) {
  const tenantId = useCurrentTenantId()
  const [params, setParams] = useSearchParams()
  const feed = useFeed()
  const { filters, active: filtered } = useFilters()
  const { state } = useConnectionState()
  const { columns } = useColumns()
  const [density, setDensity] = useDensity()
  const phone = usePhone()
  const layout = phone ? 'phone' : density
  const [autoScroll, setAutoScroll] = useState(true)

  const serialized = params.toString()
  // eslint-disable-next-line react-hooks/exhaustive-deps -- recomputed when the query string changes
  const range = useMemo(() => (view === 'Events' ? readTimeRange(params) : ALL), [serialized, view])
  const history = useEventHistory(filters, range)
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = history
  const withLive = rangeIncludesNow(range)

  // The server filtered the history (exclusions included); live events are filtered here.
  const stored = useMemo(() => (history.data?.pages ?? []).flatMap((page) => page.events), [history.data])
  const live = useMemo(() => {
    if (!withLive) return []
    const from = rangeQuery(range).from
    return feed.items.filter((item) => matchesFilters(item.event, filters) && (!from || item.event.timestamp >= from))
  }, [feed.items, filters, withLive, range])
  const items = useMemo(() => mergeLiveAndStored(live, stored), [live, stored])

  const selectedId = params.get('event')
  const known = selectedId ? items.find((item) => item.event.id === selectedId)?.event : undefined
  const fetched = useEvent(selectedId, known)
  const selected = known ?? fetched.data ?? null

  const select = useCallback(
    (event: Event | null) =>
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev)
          if (event) next.set('event', event.id)
          else next.delete('event')
          return next
        },
        { replace: true },
      ),
    [setParams],
  )
  const close = useCallback(() => select(null), [select])
  const onEndReached = useCallback(() => {
    if (hasNextPage && !isFetchingNextPage) void fetchNextPage()
  }, [hasNextPage, isFetchingNextPage, fetchNextPage])

  const liveCount = items.filter((i) => i.source === 'live').length
  const footer = (
    <div className="flex h-12 items-center justify-center gap-3 text-xs text-gray-500 dark:text-gray-400" data-testid="explorer-footer">
      {history.isPending ? null : isFetchingNextPage ? (
        <>
          <Spinner label="Loading more events" /> Loading older events…
        </>
      ) : hasNextPage ? (
        <Button size="sm" variant="ghost" onClick={() => void fetchNextPage()}>
          Load older events
        </Button>
      ) : items.length > 0 ? (
        <span>
          {formatCount(items.length)} event{items.length === 1 ? '' : 's'} · end of history
        </span>
      ) : null}
    </div>
  )

  let body
  if (history.isError && items.length === 0) {
    const { title, description } = describeError(history.error)
    body = (
      <EmptyState title={title}>
        {description && <p>{description}</p>}
        <Button className="mt-3" size="sm" onClick={() => void history.refetch()}>
          Try again
        </Button>
      </EmptyState>
    )
  } else if (history.isPending && items.length === 0) {
    body = <SkeletonRows rows={8} label="Loading events" />
  } else if (items.length === 0) {
    body = <ExplorerEmpty tenantId={tenantId} filtered={filtered || range.kind !== 'all'} connecting={state.status === 'connecting'} paused={feed.paused} withLive={withLive} />
  } else {
    body = (
      <FeedList
        items={items}
        selectedId={selected?.id ?? null}
        onSelect={select}
        autoScroll={autoScroll}
        onAutoScrollChange={setAutoScroll}
        label="Events"
        columns={columns}
        layout={layout}
        onEndReached={onEndReached}
        footer={footer}
        busy={history.isFetching}
      />
    )
  }

  return (
    <div className="flex min-w-0 gap-4">
      <div className="min-w-0 flex-1 space-y-3">
        <PageHeader title={view} description={view === 'Live' ? 'Events as they arrive, on top of the stored history.' : 'Stored events, newest first; new ones join at the top while the range ends now.'}>
          <SendTestEvent />
        </PageHeader>
        {view === 'Live' && <BlockedBanner />}
        <FilterBar />
        <FeedToolbar
          paused={feed.paused}
          pendingCount={feed.pendingCount}
          onPause={feed.pause}
          onResume={feed.resume}
          autoScroll={autoScroll}
          onAutoScrollChange={setAutoScroll}
          shown={items.length}
          liveShown={liveCount}
        >
          {view === 'Events' && <TimeRangePicker range={range} />}
          <ColumnPicker items={items} />
          {!phone && <DensityToggle density={density} onChange={setDensity} />}
        </FeedToolbar>
        <section aria-label="Event explorer" className="flex h-[calc(100dvh-14rem)] min-h-80 flex-col overflow-hidden rounded-xl bg-white ring-1 ring-gray-200 sm:h-[calc(100dvh-15.5rem)] dark:bg-gray-900 dark:ring-white/10">
          {!phone && <ColumnHeader columns={columns} />}
          {body}
        </section>
      </div>
      {selectedId && (selected || fetched.isError) && (
        <EventDetailSheet event={selected} error={fetched.isError ? fetched.error : null} onClose={close} phone={phone} />
      )}
    </div>
  )
}

export function ColumnHeader({ columns = [] }: { columns?: readonly string[] }) {
  return (
    <div
      aria-hidden="true"
      style={{ gridTemplateColumns: gridTemplate(columns) }}
      className="grid h-8 shrink-0 items-center gap-3 border-b border-gray-200 bg-gray-50 px-3 text-[11px] font-medium tracking-wide text-gray-500 uppercase dark:border-white/10 dark:bg-white/[0.03] dark:text-gray-400"
    >
      <span>Time</span>
      <span>Type</span>
      {columns.map((c) => (
        <span key={c} className="truncate font-mono normal-case" title={c}>
          {c}
        </span>
      ))}
      <span>Metadata</span>
    </div>
  )
}

function ExplorerEmpty({ tenantId, filtered, connecting, paused, withLive }: { tenantId: string; filtered: boolean; connecting: boolean; paused: boolean; withLive: boolean }) {
  const breakdown = useTypeBreakdown()
  if (withLive && (connecting || breakdown.isLoading)) {
    return (
      <div className="flex flex-1 items-center justify-center gap-2 text-sm text-gray-500 dark:text-gray-400">
        <Spinner label="" /> Connecting to the live stream…
      </div>
    )
  }
  if (paused) {
    return (
      <EmptyState className="flex-1 justify-center" title="Paused">
        New events wait until you resume.
      </EmptyState>
    )
  }
  if ((breakdown.data?.total ?? 0) === 0 && !filtered) {
    return (
      <EmptyState className="flex-1 justify-center overflow-y-auto" title="No events yet — send one:">
        <p className="mb-3">Events sent to this tenant appear here the moment they are stored.</p>
        <FirstEventHelp tenantId={tenantId} />
      </EmptyState>
    )
  }
  return (
    <EmptyState className="flex-1 justify-center" title={filtered ? 'No events match these filters' : 'No stored events'}>
      {filtered ? 'Nothing stored matches; matching events that arrive will appear here. Widen the filters or the time range to see more.' : 'New events appear here as they arrive.'}
    </EmptyState>
  )
}

const SAMPLE_TYPES = ['signup', 'page_view', 'click'] as const

function SendTestEvent() {
  const session = useSession()
  const send = useSendEvent()
  const canIngest = session?.tenantId === null || session?.scopes.includes('ingest')
  if (!canIngest) return null
  return (
    <Button
      size="sm"
      loading={send.isPending}
      onClick={() => {
        const type = SAMPLE_TYPES[Math.floor(Math.random() * SAMPLE_TYPES.length)] ?? 'signup'
        send.mutate(
          { event_type: type, metadata: { source: 'dashboard', page: '/welcome', test: true } },
          { onSuccess: () => notifySuccess('Test event sent', `A ${type} event is on its way to the feed.`) },
        )
      }}
    >
      <SendIcon className="size-3.5" /> Send test event
    </Button>
  )
}
