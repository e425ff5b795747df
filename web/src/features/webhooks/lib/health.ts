// An endpoint's health in a few words, from its own fields and its latest deliveries.
import type { Delivery, DeliveryStatus, Webhook } from '@/api/types'

export type HealthTone = 'healthy' | 'failing' | 'disabled' | 'idle'

export interface Health {
  tone: HealthTone
  label: string
  /** Succeeded share of the recent settled deliveries (0–1), or null when none settled yet. */
  successRate: number | null
}

export function successRate(deliveries: Pick<Delivery, 'status'>[]): number | null {
  const settled = deliveries.filter((d) => d.status === 'succeeded' || d.status === 'dead' || d.status === 'failed')
  if (settled.length === 0) return null
  return settled.filter((d) => d.status === 'succeeded').length / settled.length
}

export function healthOf(endpoint: Pick<Webhook, 'enabled' | 'disabled_reason' | 'consecutive_failures' | 'last_success_at'>, recent?: Pick<Delivery, 'status'>[]): Health {
  const rate = recent ? successRate(recent) : null
  if (!endpoint.enabled) return { tone: 'disabled', label: endpoint.disabled_reason ? 'Disabled by the server' : 'Disabled', successRate: rate }
  if (endpoint.consecutive_failures > 0) {
    const n = endpoint.consecutive_failures
    return { tone: 'failing', label: `Failing · ${n} failed attempt${n === 1 ? '' : 's'} in a row`, successRate: rate }
  }
  if (!endpoint.last_success_at) return { tone: 'idle', label: 'No deliveries yet', successRate: rate }
  return { tone: 'healthy', label: 'Healthy', successRate: rate }
}

export const DELIVERY_STATUSES: { value: DeliveryStatus | null; label: string }[] = [
  { value: null, label: 'All' },
  { value: 'pending', label: 'Pending' },
  { value: 'succeeded', label: 'Succeeded' },
  { value: 'failed', label: 'Retrying' },
  { value: 'dead', label: 'Dead' },
]

/** Event types typed as `a, b c` → ['a', 'b', 'c'] (empty: every type). */
export function parseEventTypes(text: string): string[] {
  return [...new Set(text.split(/[\s,]+/).map((t) => t.trim()).filter(Boolean))]
}
