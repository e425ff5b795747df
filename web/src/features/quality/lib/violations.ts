// Violations as the dashboard shows them: JSON Pointers (`/user/plan`) turned into the dotted
// keys of the property table (`user.plan`), and which rows of that table a violation points at.
// Kept apart from the Data quality view (which is lazy-loaded): the feed rows and the event
// detail use it on the first load.
import type { Event, Violation } from '@/api/types'

/** An event's violations (the key is absent when there are none). */
export function violationsOf(event: Event): Violation[] {
  return event.violations ?? []
}

/** `/user/plan` → ['user', 'plan'] (RFC 6901: `~1` is `/`, `~0` is `~`); "" → []. */
export function pointerSegments(pointer: string): string[] {
  if (pointer === '' || pointer === '/') return pointer === '/' ? [''] : []
  return pointer
    .replace(/^\//, '')
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}

/** The dotted key of a pointer, as lib/flatten names properties (`/user/plan` → `user.plan`). */
export function pointerToKey(pointer: string): string {
  return pointerSegments(pointer).join('.')
}

/**
 * The property-table keys each violation points at: the key itself, every leaf under it (a
 * violation on an object), or the nearest key above it (inside an array, which the table shows
 * as one value). A violation of metadata itself ("") or of a missing key marks no row.
 */
export function violatedKeys(keys: readonly string[], violations: readonly Violation[]): Map<string, Violation[]> {
  const out = new Map<string, Violation[]>()
  const add = (key: string, v: Violation) => out.set(key, [...(out.get(key) ?? []), v])
  for (const v of violations) {
    const target = pointerToKey(v.path)
    if (target === '') continue
    for (const key of keys) {
      if (key === target || key.startsWith(`${target}.`) || target.startsWith(`${key}.`)) add(key, v)
    }
  }
  return out
}
