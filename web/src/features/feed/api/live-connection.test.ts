import type { Event } from '@/api/types'
import { LiveConnection, type ConnectionState, type SocketLike } from './live-connection'

class FakeSocket implements SocketLike {
  readyState = 0
  sent: string[] = []
  closed: number | null = null
  onopen: SocketLike['onopen'] = null
  onmessage: SocketLike['onmessage'] = null
  onclose: SocketLike['onclose'] = null
  onerror: SocketLike['onerror'] = null
  constructor(readonly url: string) {}
  send(data: string) {
    this.sent.push(data)
  }
  close(code = 1000) {
    this.closed = code
    this.readyState = 3
  }
  open() {
    this.readyState = 1
    this.onopen?.({})
  }
  message(payload: unknown) {
    this.onmessage?.({ data: JSON.stringify(payload) })
  }
  drop(code: number) {
    this.readyState = 3
    this.onclose?.({ code, reason: '' })
  }
}

function ev(id: string): Event {
  return { id, tenant_id: 't', event_type: 'page_view', timestamp: '2024-01-01T00:00:00Z', received_at: '2024-01-01T00:00:00Z', metadata: {}, event_id: null }
}

function setup(options: { check?: () => Promise<'ok' | 'expired' | 'unreachable'>; online?: boolean } = {}) {
  const sockets: FakeSocket[] = []
  const states: ConnectionState[] = []
  const received: string[] = []
  const timers: { fn: () => void; ms: number; id: number }[] = []
  let nextId = 0
  const connection = new LiveConnection({
    url: ({ since, eventTypes }) => `ws://x/api/v1/ws?since=${since ?? ''}&types=${eventTypes.join(',')}`,
    onEvents: (events) => received.push(...events.map((e) => e.id)),
    onState: (s) => states.push(s),
    checkSession: options.check,
    createSocket: (url) => {
      const s = new FakeSocket(url)
      sockets.push(s)
      return s
    },
    random: () => 0.5,
    now: () => 0,
    setTimer: (fn, ms) => {
      timers.push({ fn, ms, id: ++nextId })
      return nextId
    },
    clearTimer: (id) => {
      const at = timers.findIndex((t) => t.id === id)
      if (at >= 0) timers.splice(at, 1)
    },
    isOnline: () => options.online ?? true,
  })
  /** Fires the pending reconnect timer (not the "stable connection" one) and returns its delay. */
  const fireReconnect = () => {
    const at = timers.findIndex((t) => t.ms !== 5000)
    const timer = timers.splice(at, 1)[0]!
    timer.fn()
    return timer.ms
  }
  const last = () => sockets[sockets.length - 1]!
  return { connection, sockets, states, received, timers, fireReconnect, last }
}

const flush = () => new Promise((resolve) => setTimeout(resolve, 0))

describe('LiveConnection', () => {
  it('goes live on open and delivers events', () => {
    const { connection, last, states, received } = setup()
    connection.start(['signup'])
    expect(last().url).toContain('types=signup')
    last().open()
    expect(states.at(-1)).toEqual({ status: 'live' })
    last().message({ type: 'event', data: ev('a') })
    last().message({ type: 'subscribed', event_types: ['signup'] })
    expect(received).toEqual(['a'])
  })

  it('reconnects after a server restart and resumes with the last event id', async () => {
    const { connection, last, sockets, states, fireReconnect } = setup()
    connection.start()
    last().open()
    last().message({ type: 'event', data: ev('01') })
    last().message({ type: 'event', data: ev('02') })
    last().drop(1001)
    await flush()
    expect(states.at(-1)).toMatchObject({ status: 'reconnecting', reason: 'the server restarted' })
    fireReconnect()
    expect(sockets).toHaveLength(2)
    expect(last().url).toContain('since=02')
  })

  it('backs off exponentially while the server stays down, and says offline after a few tries', async () => {
    const { connection, last, states, fireReconnect } = setup({ check: async () => 'unreachable' })
    connection.start()
    const delays: number[] = []
    for (let i = 0; i < 6; i++) {
      last().drop(1006)
      await flush()
      delays.push(fireReconnect())
    }
    // random() = 0.5 with jitter 0.5: 75% of 500, 1000, 2000, …
    expect(delays).toEqual([375, 750, 1500, 3000, 6000, 12000])
    expect(states.some((s) => s.status === 'offline')).toBe(true)
  })

  it('starts backoff over once a connection is confirmed', async () => {
    const { connection, last, fireReconnect } = setup()
    connection.start()
    last().drop(1006)
    await flush()
    fireReconnect()
    last().drop(1006)
    await flush()
    expect(fireReconnect()).toBe(750)
    last().open()
    last().message({ type: 'subscribed', event_types: [] })
    last().drop(1001)
    await flush()
    expect(fireReconnect()).toBe(375)
  })

  it('stops when the session check says the credential expired', async () => {
    const { connection, last, states, timers } = setup({ check: async () => 'expired' })
    connection.start()
    last().drop(1006)
    await flush()
    expect(states.at(-1)).toEqual({ status: 'stopped' })
    expect(timers).toHaveLength(0)
  })

  it('reconnects at once with since after being lagged', () => {
    const { connection, last, sockets } = setup()
    connection.start()
    last().open()
    last().message({ type: 'event', data: ev('07') })
    const first = last()
    last().message({ type: 'lagged', missed: 12 })
    expect(first.closed).toBe(1000)
    expect(sockets).toHaveLength(2)
    expect(last().url).toContain('since=07')
  })

  it('sends a subscribe message when the filter changes, and uses it on reconnect', async () => {
    const { connection, last, fireReconnect } = setup()
    connection.start([])
    last().open()
    connection.setEventTypes(['signup', 'error'])
    expect(JSON.parse(last().sent[0]!)).toEqual({ type: 'subscribe', event_types: ['signup', 'error'] })
    last().drop(4000)
    await flush()
    fireReconnect()
    expect(last().url).toContain('types=signup,error')
  })

  it('retry now skips the wait', async () => {
    const { connection, last, sockets, timers } = setup()
    connection.start()
    last().drop(1006)
    await flush()
    expect(timers.some((t) => t.ms !== 5000)).toBe(true)
    connection.retryNow()
    expect(sockets).toHaveLength(2)
    expect(timers.some((t) => t.ms !== 5000)).toBe(false)
  })

  it('says offline straight away when the browser is offline', async () => {
    const { connection, last, states } = setup({ online: false })
    connection.start()
    last().drop(1006)
    await flush()
    expect(states.at(-1)?.status).toBe('offline')
  })

  it('stop closes the socket and never reconnects', async () => {
    const { connection, last, timers } = setup()
    connection.start()
    last().open()
    const socket = last()
    connection.stop()
    expect(socket.closed).toBe(1000)
    expect(timers.filter((t) => t.ms !== 5000)).toHaveLength(0)
  })
})
