// The explorer's one list: live arrivals on top (newest first, as they came), then the stored
// history (newest first, page by page). An event can be in both (it arrived live and was also
// in a page fetched afterwards): it is shown once, where it appeared first, at the top.
import type { Event } from '@/api/types'

export interface ExplorerItem {
  event: Event
  /** When the browser received it live (ms), for the new-row highlight; absent for history. */
  arrivedAt?: number
  source: 'live' | 'stored'
}

export function mergeLiveAndStored(live: readonly { event: Event; arrivedAt: number }[], stored: readonly Event[]): ExplorerItem[] {
  const seen = new Set<string>()
  const items: ExplorerItem[] = []
  for (const item of live) {
    if (seen.has(item.event.id)) continue
    seen.add(item.event.id)
    items.push({ event: item.event, arrivedAt: item.arrivedAt, source: 'live' })
  }
  for (const event of stored) {
    if (seen.has(event.id)) continue
    seen.add(event.id)
    items.push({ event, source: 'stored' })
  }
  return items
}
