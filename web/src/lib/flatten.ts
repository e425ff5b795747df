// Event metadata as a flat list of dotted keys (`user.plan`), the shape the filters, the columns
// and the property table all speak. Arrays stay one value: the filters cannot index into them.

export type PropertyKind = 'string' | 'number' | 'boolean' | 'null' | 'array' | 'object'

export interface Property {
  /** Dotted path, e.g. `user.country`. */
  key: string
  value: unknown
  kind: PropertyKind
}

export function kindOf(value: unknown): PropertyKind {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'array'
  const t = typeof value
  if (t === 'string' || t === 'number' || t === 'boolean') return t
  return 'object'
}

/** Every leaf of `metadata`, depth first in key order; an empty object is a leaf of its own. */
export function flatten(metadata: Record<string, unknown>, prefix = ''): Property[] {
  const out: Property[] = []
  for (const [key, value] of Object.entries(metadata)) {
    const path = prefix ? `${prefix}.${key}` : key
    const kind = kindOf(value)
    if (kind === 'object' && Object.keys(value as object).length > 0) out.push(...flatten(value as Record<string, unknown>, path))
    else out.push({ key: path, value, kind })
  }
  return out
}

/** The value at a dotted path, or undefined (arrays are not looked into, as on the server). */
export function lookup(metadata: Record<string, unknown>, path: string): unknown {
  let value: unknown = metadata
  for (const segment of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined
    value = (value as Record<string, unknown>)[segment]
  }
  return value
}

/** A value as the `meta.<key>` filters compare it: strings by content, others as JSON. */
export function filterText(value: unknown): string | null {
  const kind = kindOf(value)
  if (kind === 'string') return value as string
  if (kind === 'number' || kind === 'boolean') return JSON.stringify(value)
  return null
}

/** A value for a cell or a preview: short, one line. */
export function displayValue(value: unknown, max = 60): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? 'null')
  return text.length > max ? `${text.slice(0, max - 1)}…` : text
}
