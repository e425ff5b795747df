// The live stream's connection (GET /api/v1/ws): connects, tracks the last event id, and on any
// drop reconnects with exponential backoff and jitter, resuming with `since=<last id>` so the
// server replays what was missed — no gap, no duplicate. Knows nothing about React; the
// use-live-stream hook owns one per tenant.
//
// Server → client: {"type":"event","data":Event} · {"type":"subscribed","event_types":[…]} ·
// {"type":"lagged","missed":N} · {"type":"error","code","message"}.
// Client → server: {"type":"subscribe","event_types":[…]} (empty = all).
// Close codes: 1001 going away (restart), 4008 too slow, 4000 ping timeout: all reconnect.
import type { Event } from '@/api/types'
import { backoffDelay, type BackoffOptions } from '../lib/backoff'

export type ConnectionState =
  | { status: 'connecting'; attempt: number }
  | { status: 'live' }
  | { status: 'reconnecting'; attempt: number; retryAt: number; reason: string }
  | { status: 'offline'; attempt: number; retryAt: number | null; reason: string }
  | { status: 'stopped' }

/** The subset of WebSocket the connection uses (a fake one in tests). */
export interface SocketLike {
  readonly readyState: number
  onopen: ((event: unknown) => void) | null
  onmessage: ((event: { data: unknown }) => void) | null
  onclose: ((event: { code: number; reason: string; wasClean?: boolean }) => void) | null
  onerror: ((event: unknown) => void) | null
  send(data: string): void
  close(code?: number, reason?: string): void
}

export type SessionCheck = () => Promise<'ok' | 'expired' | 'unreachable'>

export interface LiveConnectionOptions {
  /** The ws:// URL for these parameters (token, tenant, filters, since). */
  url: (params: { since: string | null; eventTypes: readonly string[] }) => string | null
  onEvents: (events: Event[]) => void
  onState: (state: ConnectionState) => void
  onLagged?: (missed: number) => void
  onServerError?: (code: string, message: string) => void
  /** After a connection that never opened: is the session still good? (a browser cannot see the 401) */
  checkSession?: SessionCheck
  createSocket?: (url: string) => SocketLike
  backoff?: BackoffOptions
  /** Failed attempts in a row after which the state says "offline" rather than "reconnecting". */
  offlineAfter?: number
  random?: () => number
  now?: () => number
  setTimer?: (fn: () => void, ms: number) => unknown
  clearTimer?: (timer: unknown) => void
  isOnline?: () => boolean
}

const OPEN = 1
/** A connection that stayed up this long counts as healthy: the next drop starts backoff over. */
const STABLE_MS = 5_000

export class LiveConnection {
  private socket: SocketLike | null = null
  private lastId: string | null = null
  private eventTypes: readonly string[] = []
  private attempt = 0
  private retryTimer: unknown = null
  private stableTimer: unknown = null
  private stopped = true
  private opened = false
  private state: ConnectionState = { status: 'stopped' }
  private readonly o: Required<Omit<LiveConnectionOptions, 'onLagged' | 'onServerError' | 'checkSession' | 'backoff'>> &
    Pick<LiveConnectionOptions, 'onLagged' | 'onServerError' | 'checkSession' | 'backoff'>

  constructor(options: LiveConnectionOptions) {
    this.o = {
      createSocket: (url) => new WebSocket(url) as unknown as SocketLike,
      offlineAfter: 4,
      random: Math.random,
      now: Date.now,
      setTimer: (fn, ms) => setTimeout(fn, ms),
      clearTimer: (t) => clearTimeout(t as ReturnType<typeof setTimeout>),
      isOnline: () => (typeof navigator === 'undefined' ? true : navigator.onLine !== false),
      ...options,
    }
  }

  get lastEventId(): string | null {
    return this.lastId
  }

  get currentState(): ConnectionState {
    return this.state
  }

  start(eventTypes: readonly string[] = this.eventTypes) {
    this.eventTypes = [...eventTypes]
    if (!this.stopped) return
    this.stopped = false
    this.attempt = 0
    this.connect()
  }

  stop() {
    this.stopped = true
    this.clearTimers()
    this.dropSocket()
    this.setState({ status: 'stopped' })
  }

  /** Skips the wait: reconnects now. */
  retryNow() {
    if (this.stopped) return
    if (this.socket && this.state.status !== 'reconnecting' && this.state.status !== 'offline') return
    this.clearTimers()
    this.connect()
  }

  /** Changes the event-type filter: sent on the open connection, used for every reconnect. */
  setEventTypes(eventTypes: readonly string[]) {
    const next = [...eventTypes]
    if (next.length === this.eventTypes.length && next.every((t, i) => t === this.eventTypes[i])) return
    this.eventTypes = next
    if (this.socket && this.socket.readyState === OPEN) {
      this.socket.send(JSON.stringify({ type: 'subscribe', event_types: next }))
    }
  }

  private connect() {
    this.dropSocket()
    const url = this.o.url({ since: this.lastId, eventTypes: this.eventTypes })
    if (url === null) {
      // No credential any more (session ended): nothing to connect with.
      this.setState({ status: 'stopped' })
      return
    }
    this.setState({ status: 'connecting', attempt: this.attempt })
    this.opened = false
    let socket: SocketLike
    try {
      socket = this.o.createSocket(url)
    } catch {
      this.scheduleReconnect('could not open a connection')
      return
    }
    this.socket = socket
    socket.onopen = () => {
      if (socket !== this.socket) return
      this.opened = true
      this.setState({ status: 'live' })
      this.stableTimer = this.o.setTimer(() => {
        this.attempt = 0
      }, STABLE_MS)
    }
    socket.onmessage = (message) => {
      if (socket !== this.socket) return
      this.handleMessage(message.data)
    }
    socket.onerror = () => {
      /* onclose follows and decides */
    }
    socket.onclose = (event) => {
      if (socket !== this.socket) return
      this.socket = null
      if (this.stableTimer !== null) this.o.clearTimer(this.stableTimer)
      this.stableTimer = null
      if (this.stopped) return
      void this.afterClose(event.code, this.opened)
    }
  }

  private handleMessage(data: unknown) {
    if (typeof data !== 'string') return
    let message: { type?: string; data?: Event; missed?: number; code?: string; message?: string }
    try {
      message = JSON.parse(data) as typeof message
    } catch {
      return
    }
    switch (message.type) {
      case 'event':
        if (message.data && typeof message.data.id === 'string') {
          this.lastId = message.data.id
          this.o.onEvents([message.data])
        }
        break
      case 'subscribed':
        this.attempt = 0
        if (this.state.status !== 'live') this.setState({ status: 'live' })
        break
      case 'lagged':
        this.o.onLagged?.(message.missed ?? 0)
        // The server dropped events for us; reconnecting with `since` replays them from storage.
        this.attempt = 0
        this.dropSocket()
        this.connect()
        break
      case 'error':
        this.o.onServerError?.(message.code ?? 'error', message.message ?? '')
        break
    }
  }

  private async afterClose(code: number, opened: boolean) {
    if (!opened && this.o.checkSession) {
      // The upgrade was refused or the server is down; a browser is not told which. Ask.
      const verdict = await this.o.checkSession().catch(() => 'unreachable' as const)
      if (this.stopped) return
      if (verdict === 'expired') {
        this.stop()
        return
      }
    }
    const reason =
      code === 1001 ? 'the server restarted' : code === 4008 ? 'the connection fell behind' : code === 4000 ? 'the connection timed out' : opened ? 'the connection dropped' : 'cannot reach the server'
    // Fell behind: come back at once (with `since`), no need to back off.
    if (code === 4008) this.attempt = 0
    this.scheduleReconnect(reason)
  }

  private scheduleReconnect(reason: string) {
    if (this.stopped) return
    const delay = backoffDelay(this.attempt, this.o.backoff, this.o.random)
    const retryAt = this.o.now() + delay
    const offline = !this.o.isOnline() || this.attempt >= this.o.offlineAfter
    this.attempt += 1
    this.setState(offline ? { status: 'offline', attempt: this.attempt, retryAt, reason } : { status: 'reconnecting', attempt: this.attempt, retryAt, reason })
    this.retryTimer = this.o.setTimer(() => {
      this.retryTimer = null
      this.connect()
    }, delay)
  }

  private dropSocket() {
    const socket = this.socket
    this.socket = null
    if (!socket) return
    socket.onopen = socket.onmessage = socket.onerror = socket.onclose = null
    try {
      socket.close(1000, 'client closing')
    } catch {
      /* already closed */
    }
  }

  private clearTimers() {
    if (this.retryTimer !== null) this.o.clearTimer(this.retryTimer)
    if (this.stableTimer !== null) this.o.clearTimer(this.stableTimer)
    this.retryTimer = null
    this.stableTimer = null
  }

  private setState(state: ConnectionState) {
    this.state = state
    this.o.onState(state)
  }
}
