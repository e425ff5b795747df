// A badge color for an event type, derived from its name: the same type has the same color
// everywhere (feed, chips, chart), and every color is readable in both themes because each
// palette entry is a light/dark pair designed together.

export interface TypeColor {
  /** Tailwind classes for a badge (background, text, ring) in both themes. */
  badge: string
  /** A solid color for charts and dots (mid-tone, works on both backgrounds). */
  solid: string
}

const ERROR_COLOR: TypeColor = { badge: 'bg-rose-100 text-rose-800 ring-rose-600/20 dark:bg-rose-400/10 dark:text-rose-300 dark:ring-rose-400/30', solid: '#f43f5e' }

// Written out in full so Tailwind's scanner sees every class.
const PALETTE: TypeColor[] = [
  { badge: 'bg-sky-100 text-sky-800 ring-sky-600/20 dark:bg-sky-400/10 dark:text-sky-300 dark:ring-sky-400/30', solid: '#0ea5e9' },
  { badge: 'bg-violet-100 text-violet-800 ring-violet-600/20 dark:bg-violet-400/10 dark:text-violet-300 dark:ring-violet-400/30', solid: '#8b5cf6' },
  { badge: 'bg-emerald-100 text-emerald-800 ring-emerald-600/20 dark:bg-emerald-400/10 dark:text-emerald-300 dark:ring-emerald-400/30', solid: '#10b981' },
  { badge: 'bg-amber-100 text-amber-900 ring-amber-600/25 dark:bg-amber-400/10 dark:text-amber-300 dark:ring-amber-400/30', solid: '#f59e0b' },
  { badge: 'bg-teal-100 text-teal-800 ring-teal-600/20 dark:bg-teal-400/10 dark:text-teal-300 dark:ring-teal-400/30', solid: '#14b8a6' },
  { badge: 'bg-fuchsia-100 text-fuchsia-800 ring-fuchsia-600/20 dark:bg-fuchsia-400/10 dark:text-fuchsia-300 dark:ring-fuchsia-400/30', solid: '#d946ef' },
  { badge: 'bg-lime-100 text-lime-900 ring-lime-600/25 dark:bg-lime-400/10 dark:text-lime-300 dark:ring-lime-400/30', solid: '#84cc16' },
  { badge: 'bg-orange-100 text-orange-800 ring-orange-600/20 dark:bg-orange-400/10 dark:text-orange-300 dark:ring-orange-400/30', solid: '#f97316' },
  { badge: 'bg-indigo-100 text-indigo-800 ring-indigo-600/20 dark:bg-indigo-400/10 dark:text-indigo-300 dark:ring-indigo-400/30', solid: '#6366f1' },
  { badge: 'bg-cyan-100 text-cyan-800 ring-cyan-600/20 dark:bg-cyan-400/10 dark:text-cyan-300 dark:ring-cyan-400/30', solid: '#06b6d4' },
  { badge: 'bg-pink-100 text-pink-800 ring-pink-600/20 dark:bg-pink-400/10 dark:text-pink-300 dark:ring-pink-400/30', solid: '#ec4899' },
]

/**
 * FNV-1a: tiny, stable across sessions and browsers. The offset basis is not FNV's standard one:
 * this seed gives the most common event types (page_view, click, signup, payment, api.request)
 * five different colors. Changing it recolors every type for every user, so don't.
 */
export function hashString(value: string, seed = 0x5bc30af0): number {
  let hash = seed
  for (let i = 0; i < value.length; i++) {
    hash ^= value.charCodeAt(i)
    hash = Math.imul(hash, 0x01000193)
  }
  return hash >>> 0
}

/** Spreads FNV's low bits (similar names would otherwise land on neighbouring colors). */
function mix(hash: number): number {
  let h = hash ^ (hash >>> 16)
  h = Math.imul(h, 0x85ebca6b)
  h ^= h >>> 13
  h = Math.imul(h, 0xc2b2ae35)
  h ^= h >>> 16
  return h >>> 0
}

/** Failures read as failures: red is kept for types that name one, the rest hash over the palette. */
const FAILURE = /(^|[._:-])(error|errors|fail|failed|failure|exception|crash)($|[._:-])/i

export function typeColor(eventType: string): TypeColor {
  if (FAILURE.test(eventType)) return ERROR_COLOR
  return PALETTE[mix(hashString(eventType)) % PALETTE.length] as TypeColor
}
