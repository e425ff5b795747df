import { fireEvent, render, screen } from '@testing-library/react'
import type { Event } from '@/api/types'
import { FeedList, type FeedListItem } from './feed-list'

function item(n: number): FeedListItem {
  const event = {
    id: `00000000-0000-7000-8000-${String(n).padStart(12, '0')}`,
    tenant_id: '00000000-0000-7000-8000-000000000000',
    event_type: 'page_view',
    timestamp: '2026-12-02T10:00:00Z',
    received_at: '2026-12-02T10:00:00Z',
    metadata: { n },
  } as unknown as Event
  return { event, source: 'live' }
}

function props(items: FeedListItem[], autoScroll: boolean, onAutoScrollChange: (on: boolean) => void) {
  return { items, selectedId: null, onSelect: vi.fn(), autoScroll, onAutoScrollChange, label: 'Live events' }
}

describe('FeedList', () => {
  it('scrolling away turns auto-scroll off, and its own jump to the newest row does not turn it back on', () => {
    const onAutoScrollChange = vi.fn()
    const first = [item(2), item(1)]
    const { rerender } = render(<FeedList {...props(first, true, onAutoScrollChange)} />)
    const scroller = screen.getByTestId('feed-scroll')

    // The user scrolls away: auto-scroll off.
    scroller.scrollTop = 300
    fireEvent.scroll(scroller)
    expect(onAutoScrollChange).toHaveBeenLastCalledWith(false)

    // A row arrives before that change has rendered: the list still follows, back to the top...
    rerender(<FeedList {...props([item(3), ...first], true, onAutoScrollChange)} />)
    expect(scroller.scrollTop).toBe(0)
    // ...and by the time that scroll event is handled, auto-scroll is off: it stays off.
    rerender(<FeedList {...props([item(3), ...first], false, onAutoScrollChange)} />)
    onAutoScrollChange.mockClear()
    fireEvent.scroll(scroller)
    expect(onAutoScrollChange).not.toHaveBeenCalled()

    // The user's own return to the top turns it on again.
    scroller.scrollTop = 200
    fireEvent.scroll(scroller)
    scroller.scrollTop = 0
    fireEvent.scroll(scroller)
    expect(onAutoScrollChange).toHaveBeenLastCalledWith(true)
  })

  it('a page of history appended below does not undo a scroll the user has just made', () => {
    const onAutoScrollChange = vi.fn()
    const first = [item(3), item(2)]
    const { rerender } = render(<FeedList {...props(first, true, onAutoScrollChange)} />)
    const scroller = screen.getByTestId('feed-scroll')

    // The user scrolls; before the scroll event turns auto-scroll off, older rows arrive below.
    scroller.scrollTop = 300
    rerender(<FeedList {...props([...first, item(1)], true, onAutoScrollChange)} />)
    expect(scroller.scrollTop).toBe(300)
    fireEvent.scroll(scroller)
    expect(onAutoScrollChange).toHaveBeenLastCalledWith(false)
  })
})
