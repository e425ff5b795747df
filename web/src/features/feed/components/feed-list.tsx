// The explorer's rows (live on top of the stored history): virtualized (only what is on screen
// is in the DOM). With auto-scroll on, the newest row stays in view; scrolling away turns it off
// and the view holds still while rows are added above; "Jump to newest" brings it back. Near the
// end, `onEndReached` asks for the next page of history.
// Keyboard: ↑/↓/Home/End move between rows, Enter opens the details.
import { useVirtualizer } from '@tanstack/react-virtual'
import { useEffect, useLayoutEffect, useRef, useState, type KeyboardEvent, type ReactNode } from 'react'
import type { Event } from '@/api/types'
import { ArrowUpIcon } from '@/components/ui/icons'
import { EventRow } from '@/features/events/components/event-row'
import { ROW_HEIGHTS, type RowLayout } from '@/features/events/lib/row-layout'

export interface FeedListItem {
  event: Event
  arrivedAt?: number
  source?: 'live' | 'stored'
}

export interface FeedListProps {
  items: readonly FeedListItem[]
  selectedId: string | null
  onSelect: (event: Event) => void
  autoScroll: boolean
  onAutoScrollChange: (on: boolean) => void
  label: string
  columns?: readonly string[]
  layout?: RowLayout
  /** Called when the last rows come into view (load the next page). */
  onEndReached?: () => void
  /** Below the last row: loading, "load more" or the end of the history. */
  footer?: ReactNode
  busy?: boolean
}

export function FeedList({ items, selectedId, onSelect, autoScroll, onAutoScrollChange, label, columns = [], layout = 'compact', onEndReached, footer, busy = false }: FeedListProps) {
  const ROW_HEIGHT = ROW_HEIGHTS[layout]
  const scrollRef = useRef<HTMLDivElement>(null)
  const [focusIndex, setFocusIndex] = useState(0)
  const topIdRef = useRef<string | null>(null)
  // Set when following new rows moved the view to the top; the scroll event that follows is ours.
  const followedRef = useRef(false)
  // eslint-disable-next-line react-hooks/incompatible-library -- the virtualizer is read fresh every render
  const virtualizer = useVirtualizer({
    count: items.length,
    getScrollElement: () => scrollRef.current,
    estimateSize: () => ROW_HEIGHT,
    overscan: 12,
    getItemKey: (index) => items[index]?.event.id ?? index,
  })
  // eslint-disable-next-line react-hooks/exhaustive-deps -- re-measure when the row height changes
  useEffect(() => virtualizer.measure(), [ROW_HEIGHT])
  const virtualRows = virtualizer.getVirtualItems()
  const lastVisible = virtualRows[virtualRows.length - 1]?.index ?? -1

  // Within a screen of the end (or a list shorter than the screen): the next page.
  useEffect(() => {
    if (onEndReached && lastVisible >= items.length - 15) onEndReached()
  }, [lastVisible, items.length, onEndReached])

  // New rows are added at the top: either follow them, or shift the scroll position by the
  // rows added so what the user is reading does not move.
  useLayoutEffect(() => {
    const el = scrollRef.current
    const previousTop = topIdRef.current
    topIdRef.current = items[0]?.event.id ?? null
    // Only rows added at the top move the view: a page of history appended below, or the same
    // rows re-rendered, must not undo a scroll the user has just made.
    if (!el || previousTop === null || previousTop === topIdRef.current) return
    if (autoScroll) {
      if (el.scrollTop !== 0) {
        el.scrollTop = 0
        followedRef.current = true
      }
      return
    }
    const shift = items.findIndex((item) => item.event.id === previousTop)
    if (shift > 0) {
      el.scrollTop += shift * ROW_HEIGHT
      setFocusIndex((i) => Math.min(items.length - 1, i + shift))
    }
  }, [items, autoScroll, ROW_HEIGHT])

  function onScroll() {
    const el = scrollRef.current
    if (!el) return
    // Our own jump back to the top (following new rows) is not the user returning there: when
    // the user scrolled away in the same moment, it must not turn auto-scroll on again.
    if (followedRef.current) {
      followedRef.current = false
      if (el.scrollTop <= 0) return
    }
    if (el.scrollTop > 4 && autoScroll) onAutoScrollChange(false)
    else if (el.scrollTop <= 0 && !autoScroll && document.activeElement !== el) onAutoScrollChange(true)
  }

  function moveFocus(index: number) {
    const next = Math.max(0, Math.min(items.length - 1, index))
    setFocusIndex(next)
    virtualizer.scrollToIndex(next, { align: 'auto' })
    const row = () => scrollRef.current?.querySelector<HTMLElement>(`[data-index="${next}"]`)
    // Usually rendered already (overscan); otherwise once the virtualizer has rendered it.
    const now = row()
    if (now) now.focus()
    else requestAnimationFrame(() => row()?.focus())
  }

  function onKeyDown(e: KeyboardEvent<HTMLElement>) {
    const current = Number((e.currentTarget as HTMLElement).dataset.index ?? 0)
    const page = Math.max(1, Math.floor((scrollRef.current?.clientHeight ?? 360) / ROW_HEIGHT) - 1)
    const moves: Record<string, number> = { ArrowDown: current + 1, ArrowUp: current - 1, PageDown: current + page, PageUp: current - page, Home: 0, End: items.length - 1 }
    const target = moves[e.key]
    if (target === undefined) return
    e.preventDefault()
    moveFocus(target)
  }

  const tabbable = Math.min(focusIndex, Math.max(0, items.length - 1))

  return (
    <div className="relative min-h-0 flex-1">
      <div ref={scrollRef} onScroll={onScroll} className="h-full overflow-y-auto overscroll-contain" data-testid="feed-scroll">
        <div role="feed" aria-label={label} aria-busy={busy} style={{ height: virtualizer.getTotalSize(), position: 'relative' }}>
          {virtualRows.map((row) => {
            const item = items[row.index]
            if (!item) return null
            return (
              <EventRow
                key={row.key}
                event={item.event}
                arrivedAt={item.arrivedAt}
                source={item.source}
                columns={columns}
                layout={layout}
                selected={item.event.id === selectedId}
                onSelect={(event) => {
                  setFocusIndex(row.index)
                  onSelect(event)
                }}
                index={row.index}
                setSize={items.length}
                tabIndex={row.index === tabbable ? 0 : -1}
                onKeyDown={onKeyDown}
                style={{ position: 'absolute', top: 0, left: 0, width: '100%', transform: `translateY(${row.start}px)` }}
              />
            )
          })}
        </div>
        {footer}
      </div>
      {!autoScroll && items.length > 0 && (
        <button
          type="button"
          onClick={() => {
            scrollRef.current?.scrollTo({ top: 0 })
            onAutoScrollChange(true)
            setFocusIndex(0)
          }}
          className="absolute top-3 left-1/2 z-10 inline-flex -translate-x-1/2 items-center gap-1.5 rounded-full bg-accent-600 px-3 py-1.5 text-xs font-medium text-white shadow-lg hover:bg-accent-500"
        >
          <ArrowUpIcon className="size-3.5" /> Jump to newest
        </button>
      )}
    </div>
  )
}
