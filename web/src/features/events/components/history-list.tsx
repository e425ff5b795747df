// Stored events (GET /api/v1/events), newest first, with the URL's filters; more pages load as
// the end comes into view (or with the "Load more" button, for keyboards).
import { useEffect, useRef } from 'react'
import type { Event } from '@/api/types'
import { describeError } from '@/api/errors'
import { Button } from '@/components/ui/button'
import { EmptyState } from '@/components/ui/empty-state'
import { SkeletonRows } from '@/components/ui/skeleton'
import { Spinner } from '@/components/ui/spinner'
import type { Filters } from '@/features/filters/hooks/use-filters'
import { formatCount } from '@/lib/format'
import { useEventHistory } from '../api/get-events'
import { EventRow } from './event-row'

export function HistoryList({ filters, selectedId, onSelect, emptyHint }: { filters: Filters; selectedId: string | null; onSelect: (event: Event) => void; emptyHint?: React.ReactNode }) {
  const history = useEventHistory(filters)
  const sentinel = useRef<HTMLDivElement>(null)
  const { hasNextPage, isFetchingNextPage, fetchNextPage } = history

  useEffect(() => {
    const el = sentinel.current
    if (!el || !hasNextPage) return
    const observer = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting) && !isFetchingNextPage) void fetchNextPage()
      },
      { rootMargin: '400px' },
    )
    observer.observe(el)
    return () => observer.disconnect()
  }, [hasNextPage, isFetchingNextPage, fetchNextPage])

  if (history.isPending) return <SkeletonRows rows={8} label="Loading events" />
  if (history.isError) {
    const { title, description } = describeError(history.error)
    return (
      <EmptyState title={title}>
        {description && <p>{description}</p>}
        <Button className="mt-3" size="sm" onClick={() => void history.refetch()}>
          Try again
        </Button>
      </EmptyState>
    )
  }
  const events = history.data.pages.flatMap((page) => page.events)
  if (events.length === 0) {
    return (
      <EmptyState title={filters.types.length || filters.meta.length ? 'No stored events match these filters' : 'No events stored yet'}>
        {emptyHint ?? <p>Try a wider filter, or send events to this tenant.</p>}
      </EmptyState>
    )
  }
  return (
    <div>
      <div role="feed" aria-label="Stored events" aria-busy={history.isFetching}>
        {events.map((event, index) => (
          <EventRow key={event.id} event={event} selected={event.id === selectedId} onSelect={onSelect} index={index} setSize={hasNextPage ? -1 : events.length} />
        ))}
      </div>
      <div ref={sentinel} className="flex h-12 items-center justify-center gap-3 text-xs text-gray-500 dark:text-gray-400">
        {isFetchingNextPage ? (
          <>
            <Spinner label="Loading more events" /> Loading more…
          </>
        ) : hasNextPage ? (
          <Button size="sm" variant="ghost" onClick={() => void fetchNextPage()}>
            Load more
          </Button>
        ) : (
          <span>
            {formatCount(events.length)} event{events.length === 1 ? '' : 's'} · end of history
          </span>
        )}
      </div>
    </div>
  )
}
