// The one owner of the WebSocket: a provider per tenant (mounted by the tenant layout) that runs
// a LiveConnection, feeds the FeedBuffer and the rate meter, follows the URL's type filter, and
// nudges the stats queries so charts move with the stream. Components read from it through the
// hooks below; none of them opens a socket.
import { useQueryClient } from '@tanstack/react-query'
import { createContext, useContext, useEffect, useMemo, useState, useSyncExternalStore, type ReactNode } from 'react'
import { webSocketUrl, type ApiBase } from '@/api/base-url'
import { api } from '@/api/client'
import { toApiError } from '@/api/errors'
import { isAdmin, sessionStore } from '@/features/auth/hooks/use-session'
import { useFilters } from '@/features/filters/hooks/use-filters'
import { LiveConnection, type ConnectionState } from '../api/live-connection'
import { FeedBuffer, type FeedSnapshot } from '../lib/feed-buffer'
import { RateMeter } from '../lib/rate-meter'

/**
 * The live rate, defined once: events the live stream delivered in the last 60 s (extrapolated
 * during the first minute; see RateMeter), read once a second. Every place that shows a rate
 * reads this value, so the header and the stats card always agree.
 */
class RateReading {
  private value: number | null = null
  private listeners = new Set<() => void>()
  constructor(private readonly meter: RateMeter) {}
  subscribe = (listener: () => void) => {
    this.listeners.add(listener)
    return () => {
      this.listeners.delete(listener)
    }
  }
  get = () => this.value
  tick() {
    const next = this.meter.rate()
    if (next === this.value) return
    this.value = next
    for (const l of this.listeners) l()
  }
}

export const LIVE_RATE_DEFINITION = 'Events received by the live stream in the last 60 seconds (matching the type filter)'

interface LiveStream {
  buffer: FeedBuffer
  meter: RateMeter
  rate: RateReading
  state: ConnectionState
  retryNow: () => void
}

const LiveStreamContext = createContext<LiveStream | null>(null)

/** How often at most the stats refetch because events arrived. */
const STATS_NUDGE_MS = 2_000

/** The stream's ws(s):// URL, on the API's host (not necessarily the page's): see api/base-url. */
export function liveStreamUrl(params: { token: string; tenantId: string | null; since: string | null; eventTypes: readonly string[]; location?: Pick<Location, 'href'>; base?: ApiBase }): string {
  const query = new URLSearchParams({ access_token: params.token })
  if (params.tenantId) query.set('tenant_id', params.tenantId)
  for (const type of params.eventTypes) query.append('event_type', type)
  if (params.since) query.set('since', params.since)
  return webSocketUrl(`/api/v1/ws?${query.toString()}`, params.location, params.base)
}

export function LiveStreamProvider({ tenantId, children }: { tenantId: string; children: ReactNode }) {
  const queryClient = useQueryClient()
  const { filters } = useFilters()
  const [state, setState] = useState<ConnectionState>({ status: 'connecting', attempt: 0 })
  const [resources] = useState(() => {
    const meter = new RateMeter(60)
    return { buffer: new FeedBuffer({ capacity: 1000, flushMs: 200 }), meter, rate: new RateReading(meter) }
  })
  const typesKey = filters.types.join('\u0000')

  const connection = useMemo(() => {
    const nudge: { timer: ReturnType<typeof setTimeout> | null } = { timer: null }
    return new LiveConnection({
      url: ({ since, eventTypes }) => {
        const token = sessionStore.token()
        if (!token) return null
        return liveStreamUrl({ token, tenantId: isAdmin(sessionStore.get()) ? tenantId : null, since, eventTypes })
      },
      onEvents: (events) => {
        resources.buffer.push(events)
        resources.meter.record(events.length)
        if (nudge.timer === null) {
          nudge.timer = setTimeout(() => {
            nudge.timer = null
            void queryClient.invalidateQueries({ queryKey: ['stats', tenantId] })
          }, STATS_NUDGE_MS)
        }
      },
      onState: setState,
      checkSession: async () => {
        try {
          await api.get('/api/v1/tenants')
          return 'ok'
        } catch (error) {
          // A 401 here also ends the session (the API client reports it): the guard shows the toast.
          const category = toApiError(error).category
          return category === 'session_expired' ? 'expired' : category === 'network' || category === 'origin_not_allowed' ? 'unreachable' : 'ok'
        }
      },
    })
  }, [tenantId, queryClient, resources])

  useEffect(() => {
    connection.start(typesKey ? typesKey.split('\u0000') : [])
    const online = () => connection.retryNow()
    window.addEventListener('online', online)
    return () => {
      window.removeEventListener('online', online)
      connection.stop()
    }
    // Started once per connection; filter changes go through setEventTypes below.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [connection])

  useEffect(() => {
    connection.setEventTypes(typesKey ? typesKey.split('\u0000') : [])
  }, [connection, typesKey])

  useEffect(() => () => resources.buffer.dispose(), [resources])

  useEffect(() => {
    resources.rate.tick()
    const timer = setInterval(() => resources.rate.tick(), 1000)
    return () => clearInterval(timer)
  }, [resources])

  const value = useMemo<LiveStream>(
    () => ({ buffer: resources.buffer, meter: resources.meter, rate: resources.rate, state, retryNow: () => connection.retryNow() }),
    [resources, state, connection],
  )
  return <LiveStreamContext.Provider value={value}>{children}</LiveStreamContext.Provider>
}

function useLiveStream(): LiveStream {
  const stream = useContext(LiveStreamContext)
  if (!stream) throw new Error('live stream hooks need a LiveStreamProvider')
  return stream
}

export function useOptionalLiveStream(): LiveStream | null {
  return useContext(LiveStreamContext)
}

/** The feed's rows and pause state, re-rendered at most once per flush. */
export function useFeed(): FeedSnapshot & { pause: () => void; resume: () => void; clear: () => void } {
  const { buffer } = useLiveStream()
  const snapshot = useSyncExternalStore(buffer.subscribe, buffer.getSnapshot, buffer.getSnapshot)
  return useMemo(
    () => ({ ...snapshot, pause: () => buffer.pause(), resume: () => buffer.resume(), clear: () => buffer.clear() }),
    [snapshot, buffer],
  )
}

export function useConnectionState() {
  const { state, retryNow } = useLiveStream()
  return { state, retryNow }
}

const NO_RATE = () => () => {}
const NULL_RATE = () => null

/** Events per minute (see LIVE_RATE_DEFINITION), the same value everywhere, refreshed every second. */
export function useEventRate(): number | null {
  const stream = useOptionalLiveStream()
  return useSyncExternalStore(stream ? stream.rate.subscribe : NO_RATE, stream ? stream.rate.get : NULL_RATE, NULL_RATE)
}
