// Numbers and times formatted for people: 1,284 · 12.4k · "3 min ago" · 12:04:31.
import { displayValue, flatten } from './flatten'

const integer = new Intl.NumberFormat('en-US')
const compact = new Intl.NumberFormat('en-US', { notation: 'compact', maximumFractionDigits: 1 })

export function formatCount(value: number): string {
  return integer.format(value)
}

/** 999 → "999", 12_400 → "12.4K" (exact below 10,000). */
export function formatCompact(value: number): string {
  return Math.abs(value) < 10_000 ? integer.format(value) : compact.format(value)
}

export function formatPercent(part: number, whole: number): string {
  if (whole <= 0) return '0%'
  const p = (part / whole) * 100
  if (p > 0 && p < 1) return '<1%'
  return `${Math.round(p)}%`
}

const pad = (n: number) => String(n).padStart(2, '0')

/** Local wall-clock time, HH:MM:SS. */
export function formatClock(iso: string | number | Date): string {
  const d = new Date(iso)
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`
}

const dateTime = new Intl.DateTimeFormat('en-US', {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
  hour12: false,
})

/** Full local date and time, for tooltips and the detail panel. */
export function formatDateTime(iso: string | number | Date): string {
  return dateTime.format(new Date(iso))
}

const monthDay = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric' })

/** "12:04:31" today, "Mar 3 12:04" on another day. */
export function formatShortTime(iso: string, now: Date = new Date()): string {
  const d = new Date(iso)
  if (d.toDateString() === now.toDateString()) return formatClock(d)
  return `${monthDay.format(d)} ${pad(d.getHours())}:${pad(d.getMinutes())}`
}

/** "just now", "42 s ago", "3 min ago", "5 h ago", "2 d ago". */
export function formatRelative(iso: string | number | Date, now: number = Date.now()): string {
  const seconds = Math.round((now - new Date(iso).getTime()) / 1000)
  if (seconds < 5) return 'just now'
  if (seconds < 60) return `${seconds} s ago`
  const minutes = Math.floor(seconds / 60)
  if (minutes < 60) return `${minutes} min ago`
  const hours = Math.floor(minutes / 60)
  if (hours < 48) return `${hours} h ago`
  return `${Math.floor(hours / 24)} d ago`
}

/** "Dec 1, 2026, 12:04:31 · 3 min ago": the hover text of a time shown short or relative. */
export function formatAbsoluteAndAge(iso: string | number | Date, now: number = Date.now()): string {
  return `${formatDateTime(iso)} · ${formatRelative(iso, now)}`
}

/** One line of `key=value` pairs from event metadata, nested keys flattened (`user.plan=pro`). */
export function metadataPreview(metadata: Record<string, unknown>, maxPairs = 6): string {
  const pairs: string[] = []
  for (const { key, value } of flatten(metadata)) {
    if (pairs.length >= maxPairs) {
      pairs.push('…')
      break
    }
    pairs.push(`${key}=${displayValue(value)}`)
  }
  return pairs.join('  ')
}
