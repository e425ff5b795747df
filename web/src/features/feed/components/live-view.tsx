// Live: filters, then the live feed (virtualized, bounded, batched), then the stored history
// with the same filters; the detail panel sits to the right of both.
import { useCallback, useMemo, useState } from 'react'
import type { Event } from '@/api/types'
import { Button } from '@/components/ui/button'
import { EmptyState } from '@/components/ui/empty-state'
import { SendIcon } from '@/components/ui/icons'
import { Spinner } from '@/components/ui/spinner'
import { useSendEvent } from '@/features/events/api/send-event'
import { EventDetailPanel } from '@/features/events/components/event-detail-panel'
import { HistoryList } from '@/features/events/components/history-list'
import { FilterBar } from '@/features/filters/components/filter-bar'
import { matchesFilters, useFilters } from '@/features/filters/hooks/use-filters'
import { useTypeBreakdown } from '@/features/stats/api/get-stats'
import { FirstEventHelp } from '@/features/tenants/components/first-event-help'
import { useCurrentTenantId } from '@/features/tenants/hooks/use-current-tenant'
import { useSession } from '@/features/auth/hooks/use-session'
import { notifySuccess } from '@/lib/notify'
import { useConnectionState, useFeed } from '../hooks/use-live-stream'
import { FeedList } from './feed-list'
import { FeedToolbar } from './feed-toolbar'

export function LiveView() {
  const tenantId = useCurrentTenantId()
  const feed = useFeed()
  const { filters, active: filtered } = useFilters()
  const { state } = useConnectionState()
  const [selected, setSelected] = useState<Event | null>(null)
  const [autoScroll, setAutoScroll] = useState(true)
  const items = useMemo(() => (filtered ? feed.items.filter((item) => matchesFilters(item.event, filters)) : feed.items), [feed.items, filters, filtered])
  const close = useCallback(() => setSelected(null), [])

  return (
    <div className="flex gap-4">
      <div className="min-w-0 flex-1 space-y-3">
        <FilterBar />
        <FeedToolbar
          paused={feed.paused}
          pendingCount={feed.pendingCount}
          onPause={feed.pause}
          onResume={feed.resume}
          autoScroll={autoScroll}
          onAutoScrollChange={setAutoScroll}
          shown={items.length}
          capacity={1000}
        >
          <SendTestEvent />
        </FeedToolbar>
        <section aria-labelledby="live-heading" className="flex h-[min(58vh,36rem)] min-h-72 flex-col overflow-hidden rounded-xl bg-white ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
          <h2 id="live-heading" className="sr-only">
            Live events
          </h2>
          <ColumnHeader />
          {items.length > 0 ? (
            <FeedList items={items} selectedId={selected?.id ?? null} onSelect={setSelected} autoScroll={autoScroll} onAutoScrollChange={setAutoScroll} label="Live events" />
          ) : (
            <LiveEmpty tenantId={tenantId} filtered={filtered} connecting={state.status === 'connecting'} paused={feed.paused} />
          )}
        </section>
        <section aria-labelledby="history-heading" className="overflow-hidden rounded-xl bg-white ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
          <div className="flex items-baseline justify-between border-b border-gray-200 px-3 py-2.5 dark:border-white/10">
            <h2 id="history-heading" className="text-sm font-semibold">
              History
            </h2>
            <span className="text-xs text-gray-500 dark:text-gray-400">Stored events, newest first{filtered ? ', filtered' : ''}</span>
          </div>
          <HistoryList filters={filters} selectedId={selected?.id ?? null} onSelect={setSelected} />
        </section>
      </div>
      {selected && (
        <div className="sticky top-[4.5rem] hidden h-[calc(100vh-6rem)] lg:flex">
          <EventDetailPanel event={selected} onClose={close} />
        </div>
      )}
      {selected && (
        <div className="fixed inset-x-0 bottom-0 z-30 flex max-h-[70vh] p-2 lg:hidden">
          <EventDetailPanel event={selected} onClose={close} />
        </div>
      )}
    </div>
  )
}

export function ColumnHeader() {
  return (
    <div aria-hidden="true" className="grid h-8 shrink-0 grid-cols-[4.75rem_minmax(0,11rem)_minmax(0,1fr)] items-center gap-3 border-b border-gray-200 bg-gray-50 px-3 text-[11px] font-medium tracking-wide text-gray-500 uppercase dark:border-white/10 dark:bg-white/[0.03] dark:text-gray-400">
      <span>Time</span>
      <span>Type</span>
      <span>Metadata</span>
    </div>
  )
}

function LiveEmpty({ tenantId, filtered, connecting, paused }: { tenantId: string; filtered: boolean; connecting: boolean; paused: boolean }) {
  const breakdown = useTypeBreakdown()
  if (connecting || breakdown.isLoading) {
    return (
      <div className="flex flex-1 items-center justify-center gap-2 text-sm text-gray-500 dark:text-gray-400">
        <Spinner label="" /> Connecting to the live stream…
      </div>
    )
  }
  if (paused) return <EmptyState className="flex-1 justify-center" title="Paused" >New events wait until you resume.</EmptyState>
  if ((breakdown.data?.total ?? 0) === 0 && !filtered) {
    return (
      <EmptyState className="flex-1 justify-center overflow-y-auto" title="No events yet — send one:">
        <p className="mb-3">Events sent to this tenant appear here the moment they are stored.</p>
        <FirstEventHelp tenantId={tenantId} />
      </EmptyState>
    )
  }
  return (
    <EmptyState className="flex-1 justify-center" title={filtered ? 'Waiting for matching events' : 'Listening for new events'}>
      {filtered ? 'Nothing that matches these filters has arrived since you opened this page.' : 'New events appear here as they arrive. Older ones are in the history below.'}
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
