// Replays: whether one is still on its way, how far it got, the time range presets and the
// request body the dialog sends.
import type { CreateReplay, Replay, ReplayState } from '@/api/types'
import { formatDateTime } from '@/lib/format'

export function isActive(state: ReplayState): boolean {
  return state === 'pending' || state === 'running'
}

/** Whether its figures still change: on its way, or done queueing with deliveries still waiting. */
export function isFollowed(replay: Pick<Replay, 'state' | 'waiting'>): boolean {
  return isActive(replay.state) || (replay.state === 'done' && replay.waiting > 0)
}

export const REPLAY_STATE_WORDS: Record<ReplayState, string> = {
  pending: 'Waiting',
  running: 'Running',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
}

/** Deliveries created of the total, 0 to 1; null while the total is not counted yet. */
export function progressOf(replay: Pick<Replay, 'state' | 'total' | 'created'>): number | null {
  if (replay.state === 'done') return 1
  if (replay.total == null) return null
  if (replay.total <= 0) return replay.state === 'pending' || replay.state === 'running' ? null : 1
  return Math.min(1, replay.created / replay.total)
}

export type RangePreset = '1h' | '24h' | '7d' | 'custom'

export const RANGE_PRESETS: { value: RangePreset; label: string; hours: number | null }[] = [
  { value: '1h', label: 'Last hour', hours: 1 },
  { value: '24h', label: 'Last 24 h', hours: 24 },
  { value: '7d', label: 'Last 7 days', hours: 168 },
  { value: 'custom', label: 'Custom', hours: null },
]

/** A `datetime-local` value (local wall time) as an RFC 3339 instant, or null when blank or not a time. */
export function instantOf(local: string): string | null {
  if (!local) return null
  const date = new Date(local)
  return Number.isNaN(date.getTime()) ? null : date.toISOString()
}

/** "order.*, signup" → ["order.*", "signup"] (commas or spaces, duplicates dropped). */
export function parseEventTypes(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((t) => t.trim()).filter(Boolean))]
}

export interface ReplayForm {
  preset: RangePreset
  from: string
  to: string
  eventTypes: string
  onlyFailed: boolean
}

/**
 * The body to send, or the field at fault. A preset sends `from` only (the server takes `to` as
 * now); a custom range sends both, `to` when given. `sinceDelivery` replaces the range.
 */
export function replayBody(form: ReplayForm, sinceDelivery: string | null, now: number = Date.now()): { body: CreateReplay } | { field: 'from' | 'to'; message: string } {
  const body: CreateReplay = {}
  if (sinceDelivery) {
    body.since_delivery = sinceDelivery
  } else if (form.preset === 'custom') {
    const from = instantOf(form.from)
    if (!from) return { field: 'from', message: 'Choose when the range starts.' }
    body.from = from
    if (form.to) {
      const to = instantOf(form.to)
      if (!to) return { field: 'to', message: 'Not a time.' }
      if (to <= from) return { field: 'to', message: 'The end must be after the start.' }
      body.to = to
    }
  } else {
    const hours = RANGE_PRESETS.find((p) => p.value === form.preset)?.hours ?? 1
    body.from = new Date(now - hours * 3_600_000).toISOString()
  }
  const types = parseEventTypes(form.eventTypes)
  if (types.length) body.event_types = types
  if (form.onlyFailed) body.only_failed = true
  return { body }
}

/** "Dec 1, 2026, 10:00:00 → now · order.* · only failed". */
export function describeReplay(replay: Pick<Replay, 'from' | 'to' | 'event_types' | 'only_failed'>): string {
  const parts = [`${formatDateTime(replay.from)} → ${formatDateTime(replay.to)}`]
  if (replay.event_types.length) parts.push(replay.event_types.join(', '))
  if (replay.only_failed) parts.push('only failed')
  return parts.join(' · ')
}
