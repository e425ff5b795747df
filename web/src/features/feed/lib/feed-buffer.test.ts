import type { Event } from '@/api/types'
import { FeedBuffer } from './feed-buffer'

let seq = 0
function event(type = 'page_view'): Event {
  seq += 1
  return { id: `e-${String(seq).padStart(6, '0')}`, tenant_id: 't', event_type: type, timestamp: '2024-01-01T00:00:00Z', received_at: '2024-01-01T00:00:00Z', metadata: {}, event_id: null }
}

function manualBuffer(capacity = 1000) {
  const timers: (() => void)[] = []
  const buffer = new FeedBuffer({
    capacity,
    setTimer: (fn) => {
      timers.push(fn)
      return timers.length
    },
    clearTimer: () => {},
  })
  const tick = () => timers.splice(0).forEach((fn) => fn())
  return { buffer, tick, timers }
}

describe('FeedBuffer', () => {
  it('batches many arrivals into one render per flush, newest first', () => {
    const { buffer, tick, timers } = manualBuffer()
    const listener = vi.fn()
    buffer.subscribe(listener)
    const batch = Array.from({ length: 500 }, () => event())
    for (const e of batch) buffer.push([e])
    expect(timers).toHaveLength(1)
    expect(listener).not.toHaveBeenCalled()
    tick()
    expect(listener).toHaveBeenCalledTimes(1)
    const { items, received } = buffer.getSnapshot()
    expect(items).toHaveLength(500)
    expect(items[0]?.event.id).toBe(batch[499]?.id)
    expect(received).toBe(500)
  })

  it('keeps at most `capacity` rows, dropping the oldest', () => {
    const { buffer, tick } = manualBuffer(100)
    const all = Array.from({ length: 250 }, () => event())
    buffer.push(all.slice(0, 150))
    tick()
    buffer.push(all.slice(150))
    tick()
    const { items } = buffer.getSnapshot()
    expect(items).toHaveLength(100)
    expect(items[0]?.event.id).toBe(all[249]?.id)
    expect(items[99]?.event.id).toBe(all[150]?.id)
  })

  it('holds the list still while paused and counts what arrived; resume shows it', () => {
    const { buffer, tick } = manualBuffer()
    buffer.push([event(), event()])
    tick()
    const before = buffer.getSnapshot().items
    buffer.pause()
    buffer.push([event(), event(), event()])
    tick()
    expect(buffer.getSnapshot().items).toBe(before)
    expect(buffer.getSnapshot().pendingCount).toBe(3)
    buffer.resume()
    expect(buffer.getSnapshot().items).toHaveLength(5)
    expect(buffer.getSnapshot().pendingCount).toBe(0)
    expect(buffer.getSnapshot().paused).toBe(false)
  })

  it('counts everything that arrived while paused even beyond what it keeps', () => {
    const { buffer, tick } = manualBuffer(10)
    buffer.pause()
    for (let i = 0; i < 5; i++) {
      buffer.push(Array.from({ length: 10 }, () => event()))
      tick()
    }
    expect(buffer.getSnapshot().pendingCount).toBe(50)
    buffer.resume()
    expect(buffer.getSnapshot().items).toHaveLength(10)
  })

  it('ignores an event it has already shown (replay after reconnect)', () => {
    const { buffer, tick } = manualBuffer()
    const a = event()
    const b = event()
    buffer.push([a, b])
    tick()
    buffer.push([b, a, event()])
    tick()
    expect(buffer.getSnapshot().items.map((i) => i.event.id)).toHaveLength(3)
  })

  it('clear empties the list', () => {
    const { buffer, tick } = manualBuffer()
    buffer.push([event()])
    tick()
    buffer.clear()
    expect(buffer.getSnapshot().items).toHaveLength(0)
  })

  it('stays fast at 1,000 events per second for a minute', () => {
    const { buffer, tick } = manualBuffer(1000)
    const start = performance.now()
    for (let second = 0; second < 60; second++) {
      for (let frame = 0; frame < 5; frame++) {
        buffer.push(Array.from({ length: 200 }, () => event()))
        tick()
      }
    }
    expect(buffer.getSnapshot().items).toHaveLength(1000)
    expect(performance.now() - start).toBeLessThan(2000)
  })
})
