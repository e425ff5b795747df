// The live feed's memory: events arrive one by one (up to thousands per second) but the list
// re-renders at most once per `flushMs`, newest first, never more than `capacity` rows. While
// paused, arrivals wait (bounded too) and are counted; resume shows them. Ids already shown are
// ignored, so a replay after reconnect can never duplicate a row.
import type { Event } from '@/api/types'

export interface FeedItem {
  event: Event
  /** When the browser received it (ms); drives the new-row highlight. */
  arrivedAt: number
}

export interface FeedSnapshot {
  /** Newest first. */
  items: readonly FeedItem[]
  paused: boolean
  /** Events that arrived while paused (including any that no longer fit in memory). */
  pendingCount: number
  /** Events received since the buffer was created. */
  received: number
}

export interface FeedBufferOptions {
  capacity?: number
  flushMs?: number
  now?: () => number
  setTimer?: (fn: () => void, ms: number) => unknown
  clearTimer?: (timer: unknown) => void
}

export class FeedBuffer {
  readonly capacity: number
  private readonly flushMs: number
  private readonly now: () => number
  private readonly setTimer: (fn: () => void, ms: number) => unknown
  private readonly clearTimer: (timer: unknown) => void
  private incoming: FeedItem[] = []
  private seen = new Set<string>()
  private timer: unknown = null
  /** Arrivals since the last flush. */
  private pendingAdded = 0
  private listeners = new Set<() => void>()
  private snapshot: FeedSnapshot = { items: [], paused: false, pendingCount: 0, received: 0 }

  constructor(options: FeedBufferOptions = {}) {
    this.capacity = options.capacity ?? 1000
    this.flushMs = options.flushMs ?? 200
    this.now = options.now ?? Date.now
    this.setTimer = options.setTimer ?? ((fn, ms) => setTimeout(fn, ms))
    this.clearTimer = options.clearTimer ?? ((t) => clearTimeout(t as ReturnType<typeof setTimeout>))
  }

  subscribe = (listener: () => void) => {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }

  getSnapshot = (): FeedSnapshot => this.snapshot

  /** Adds events in arrival order (oldest first). Renders happen on the next flush. */
  push(events: readonly Event[]) {
    const now = this.now()
    let added = 0
    for (const event of events) {
      if (this.seen.has(event.id)) continue
      this.seen.add(event.id)
      this.incoming.push({ event, arrivedAt: now })
      added++
    }
    if (!added) return
    // Paused for long at a high rate: keep only what could ever be shown.
    if (this.incoming.length > this.capacity * 2) this.dropOldestIncoming(this.incoming.length - this.capacity)
    this.pendingAdded += added
    this.schedule()
  }

  pause() {
    if (this.snapshot.paused) return
    this.publish({ ...this.snapshot, paused: true, pendingCount: 0 })
  }

  resume() {
    if (!this.snapshot.paused) return
    this.snapshot = { ...this.snapshot, paused: false, pendingCount: 0 }
    this.flush()
  }

  /** Forgets everything shown and pending (not the ids: a replay still will not duplicate). */
  clear() {
    this.incoming = []
    this.publish({ ...this.snapshot, items: [], pendingCount: 0 })
  }

  /** Applies arrivals now; normally called by the timer. */
  flush() {
    if (this.timer !== null) {
      this.clearTimer(this.timer)
      this.timer = null
    }
    const added = this.pendingAdded
    this.pendingAdded = 0
    const received = this.snapshot.received + added
    if (this.snapshot.paused) {
      if (this.incoming.length > this.capacity) this.dropOldestIncoming(this.incoming.length - this.capacity)
      this.publish({ ...this.snapshot, pendingCount: this.snapshot.pendingCount + added, received })
      return
    }
    if (!this.incoming.length) return
    const fresh = this.incoming.reverse()
    this.incoming = []
    const items = fresh.length >= this.capacity ? fresh.slice(0, this.capacity) : [...fresh, ...this.snapshot.items.slice(0, this.capacity - fresh.length)]
    // Forget ids that fell off the end, so `seen` stays bounded too (keep a margin for replays).
    if (this.seen.size > this.capacity * 4) this.seen = new Set(items.map((item) => item.event.id))
    this.publish({ ...this.snapshot, items, received })
  }

  dispose() {
    if (this.timer !== null) this.clearTimer(this.timer)
    this.timer = null
    this.listeners.clear()
  }

  private dropOldestIncoming(count: number) {
    this.incoming.splice(0, count)
  }

  private schedule() {
    if (this.timer !== null) return
    this.timer = this.setTimer(() => {
      this.timer = null
      this.flush()
    }, this.flushMs)
  }

  private publish(next: FeedSnapshot) {
    this.snapshot = next
    for (const listener of this.listeners) listener()
  }
}
