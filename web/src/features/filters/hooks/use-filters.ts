// Filters live in the URL (`?type=signup&type=error&meta=plan%3Dpro`), so a view can be shared
// and survives a reload. The same filters apply to the live feed, the history and the stats.
import { useCallback, useMemo } from 'react'
import { useSearchParams } from 'react-router'
import type { Event } from '@/api/types'

export interface MetaFilter {
  /** A key, or a dotted path into nested objects (`user.country`). */
  key: string
  value: string
}

export interface Filters {
  types: string[]
  meta: MetaFilter[]
}

export const FILTER_PARAMS = ['type', 'meta'] as const

export function parseMeta(text: string): MetaFilter | null {
  const at = text.indexOf('=')
  if (at <= 0) return null
  const key = text.slice(0, at).trim()
  const value = text.slice(at + 1).trim()
  if (!/^[^.\s"'][^\s"']*$/.test(key) || key.endsWith('.') || key.includes('..')) return null
  return { key, value }
}

export function readFilters(params: URLSearchParams): Filters {
  const types = [...new Set(params.getAll('type').filter(Boolean))]
  const meta = params
    .getAll('meta')
    .map(parseMeta)
    .filter((m): m is MetaFilter => m !== null)
  return { types, meta }
}

/** The filters as API query parameters (`event_type=…`, `meta.<key>=…`). */
export function filtersToQuery(filters: Filters): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {}
  if (filters.types.length) query.event_type = filters.types
  for (const m of filters.meta) query[`meta.${m.key}`] = m.value
  return query
}

function lookup(metadata: Record<string, unknown>, path: string): unknown {
  let value: unknown = metadata
  for (const segment of path.split('.')) {
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined
    value = (value as Record<string, unknown>)[segment]
  }
  return value
}

/** The live feed's copy of the server's filter rules (`meta.*` compares the value as text). */
export function matchesFilters(event: Event, filters: Filters): boolean {
  if (filters.types.length && !filters.types.includes(event.event_type)) return false
  for (const m of filters.meta) {
    const value = lookup(event.metadata, m.key)
    if (value === undefined || value === null || typeof value === 'object') return false
    if (String(value) !== m.value) return false
  }
  return true
}

export function filtersKey(filters: Filters): string {
  return JSON.stringify([[...filters.types].sort(), filters.meta.map((m) => `${m.key}=${m.value}`).sort()])
}

export function useFilters() {
  const [params, setParams] = useSearchParams()
  const serialized = params.toString()
  // eslint-disable-next-line react-hooks/exhaustive-deps -- recomputed when the query string changes
  const filters = useMemo(() => readFilters(params), [serialized])

  const update = useCallback(
    (change: (next: URLSearchParams) => void) => {
      setParams(
        (prev) => {
          const next = new URLSearchParams(prev)
          change(next)
          return next
        },
        { replace: true },
      )
    },
    [setParams],
  )

  const toggleType = useCallback(
    (type: string) =>
      update((next) => {
        const types = next.getAll('type')
        next.delete('type')
        const updated = types.includes(type) ? types.filter((t) => t !== type) : [...types, type]
        for (const t of updated) next.append('type', t)
      }),
    [update],
  )

  const addMeta = useCallback(
    (filter: MetaFilter) =>
      update((next) => {
        const text = `${filter.key}=${filter.value}`
        const others = next.getAll('meta').filter((m) => parseMeta(m)?.key !== filter.key)
        next.delete('meta')
        for (const m of [...others, text]) next.append('meta', m)
      }),
    [update],
  )

  const removeMeta = useCallback(
    (key: string) =>
      update((next) => {
        const kept = next.getAll('meta').filter((m) => parseMeta(m)?.key !== key)
        next.delete('meta')
        for (const m of kept) next.append('meta', m)
      }),
    [update],
  )

  const clear = useCallback(() => update((next) => FILTER_PARAMS.forEach((p) => next.delete(p))), [update])

  return { filters, toggleType, addMeta, removeMeta, clear, active: filters.types.length + filters.meta.length > 0 }
}
