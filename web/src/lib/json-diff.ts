// What changed between two JSON values, as JSON Pointers into each side: on the first, the
// values that changed and the keys that were removed; on the second, the keys that were added.
// Objects and arrays are walked, so a masked object marks each of its leaves, not the whole
// object; a key whose value changed kind (an object masked to a string) is marked whole. Used for
// what redaction does to an event (privacy) and for an audit entry's before and after.

export interface JsonDiff {
  /** Pointers (on both sides) of values that are there before and after, but differ. */
  changed: string[]
  /** Pointers (on the original) of keys or items that are gone. */
  removed: string[]
  /** Pointers (on the redacted side) of keys the original did not have. */
  added: string[]
}

type Json = unknown

function isContainer(value: Json): value is Record<string, Json> | Json[] {
  return value !== null && typeof value === 'object'
}

function escapeSegment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1')
}

function entries(value: Record<string, Json> | Json[]): [string, Json][] {
  return Array.isArray(value) ? value.map((v, i) => [String(i), v]) : Object.entries(value)
}

function sameJson(a: Json, b: Json): boolean {
  if (a === b) return true
  if (!isContainer(a) || !isContainer(b) || Array.isArray(a) !== Array.isArray(b)) return false
  const left = entries(a)
  const right = new Map(entries(b))
  return left.length === right.size && left.every(([k, v]) => right.has(k) && sameJson(v, right.get(k)))
}

export function diffJson(before: Json, after: Json): JsonDiff {
  const diff: JsonDiff = { changed: [], removed: [], added: [] }
  walk(before, after, '', diff)
  return diff
}

function walk(before: Json, after: Json, pointer: string, diff: JsonDiff) {
  if (!isContainer(before) || !isContainer(after) || Array.isArray(before) !== Array.isArray(after)) {
    if (!sameJson(before, after)) diff.changed.push(pointer)
    return
  }
  const rest = new Map(entries(after))
  for (const [key, value] of entries(before)) {
    const path = `${pointer}/${escapeSegment(key)}`
    if (!rest.has(key)) diff.removed.push(path)
    else walk(value, rest.get(key), path, diff)
    rest.delete(key)
  }
  for (const key of rest.keys()) diff.added.push(`${pointer}/${escapeSegment(key)}`)
}

/** "2 values changed · 1 key removed", or null when nothing changed. */
export function describeDiff(diff: JsonDiff): string | null {
  const parts: string[] = []
  if (diff.changed.length) parts.push(`${diff.changed.length} value${diff.changed.length === 1 ? '' : 's'} changed`)
  if (diff.removed.length) parts.push(`${diff.removed.length} key${diff.removed.length === 1 ? '' : 's'} removed`)
  if (diff.added.length) parts.push(`${diff.added.length} key${diff.added.length === 1 ? '' : 's'} added`)
  return parts.length ? parts.join(' · ') : null
}
