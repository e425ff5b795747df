// Deletion jobs for people: whether one is still on its way, how far it got, what it matches.
import type { DeletionJob, DeletionState } from '@/api/types'
import { formatDateTime } from '@/lib/format'
import { describeSubject } from './subject'

export function isActive(state: DeletionState): boolean {
  return state === 'pending' || state === 'running'
}

export const STATE_WORDS: Record<DeletionState, string> = {
  pending: 'Waiting',
  running: 'Running',
  done: 'Done',
  failed: 'Failed',
  cancelled: 'Cancelled',
}

/** Deleted of matched, 0 to 1; null while nothing is counted (or in a dry run). */
export function progressOf(job: Pick<DeletionJob, 'matched' | 'deleted' | 'dry_run' | 'state'>): number | null {
  if (job.dry_run) return null
  if (job.state === 'done') return 1
  if (job.matched <= 0) return null
  return Math.min(1, job.deleted / job.matched)
}

/** "meta.user_id=u-42 · search "card declined" · from Dec 1, 2026, 10:00:00". */
export function describeSpec(job: Pick<DeletionJob, 'match' | 'query' | 'from' | 'to'>): string {
  const parts: string[] = []
  const subject = describeSubject(job.match)
  if (subject) parts.push(subject)
  if (job.query) parts.push(`search “${job.query}”`)
  if (job.from) parts.push(`from ${formatDateTime(job.from)}`)
  if (job.to) parts.push(`before ${formatDateTime(job.to)}`)
  return parts.join(' · ')
}

/** A `datetime-local` value (local wall time) as the API's timestamp, or null when blank or not a time. */
export function instantOf(local: string): string | null {
  if (!local) return null
  const date = new Date(local)
  return Number.isNaN(date.getTime()) ? null : date.toISOString()
}
