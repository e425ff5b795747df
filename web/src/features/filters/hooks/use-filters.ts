// Filters live in the URL (`?type=signup&type=error&meta=plan%3Dpro&not=page%3D%2F`), so a view
// can be shared and survives a reload. The same filters apply to the live feed, the history, the
// search and the stats: the server is asked with `event_type=…`, `meta.<key>=…` and, for `not`
// (exclude key=value), `meta.<key>!=…`, which keeps the events lacking the key. The live stream
// filters by type only, so `matchesFilters` applies the rest to live events the way the server
// does.
import { useCallback, useMemo } from 'react'
import { useSearchParams } from 'react-router'
import type { Event } from '@/api/types'
import { lookup } from '@/lib/flatten'

export interface MetaFilter {
  /** A key, or a dotted path into nested objects (`user.country`). */
  key: string
  value: string
}

export interface Filters {
  types: string[]
  meta: MetaFilter[]
  /** key=value pairs to leave out: events whose value at the key differs, or that lack it. */
  not: MetaFilter[]
}

export const FILTER_PARAMS = ['type', 'meta', 'not'] as const

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
  const not = params
    .getAll('not')
    .map(parseMeta)
    .filter((m): m is MetaFilter => m !== null)
  return { types, meta, not }
}

/** The filters as API query parameters (`event_type=…`, `meta.<key>=…`, `meta.<key>!=…`). */
export function filtersToQuery(filters: Filters): Record<string, string | string[]> {
  const query: Record<string, string | string[]> = {}
  if (filters.types.length) query.event_type = filters.types
  for (const m of filters.meta) query[`meta.${m.key}`] = m.value
  // Several values of one key can be left out: the parameter repeats.
  for (const m of filters.not) {
    const name = `meta.${m.key}!`
    const earlier = query[name]
    query[name] = earlier === undefined ? m.value : [...(Array.isArray(earlier) ? earlier : [earlier]), m.value]
  }
  return query
}

/** The live feed's copy of the server's filter rules (`meta.*` compares the value as text). */
export function matchesFilters(event: Event, filters: Filters): boolean {
  if (filters.types.length && !filters.types.includes(event.event_type)) return false
  for (const m of filters.meta) {
    const value = lookup(event.metadata, m.key)
    if (value === undefined || value === null || typeof value === 'object') return false
    if (String(value) !== m.value) return false
  }
  return !excluded(event, filters)
}

/** Whether one of the `not` filters leaves the event out (as the server's `meta.<key>!=` does). */
function excluded(event: Event, filters: Filters): boolean {
  return filters.not.some((m) => {
    const value = lookup(event.metadata, m.key)
    return value !== undefined && value !== null && typeof value !== 'object' && String(value) === m.value
  })
}

export function filtersKey(filters: Filters): string {
  const pairs = (list: MetaFilter[]) => list.map((m) => `${m.key}=${m.value}`).sort()
  return JSON.stringify([[...filters.types].sort(), pairs(filters.meta), pairs(filters.not)])
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
        const nots = next.getAll('not').filter((m) => m !== text)
        next.delete('not')
        for (const m of nots) next.append('not', m)
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

  const addNot = useCallback(
    (filter: MetaFilter) =>
      update((next) => {
        const text = `${filter.key}=${filter.value}`
        const others = next.getAll('not').filter((m) => m !== text)
        next.delete('not')
        for (const m of [...others, text]) next.append('not', m)
        // "Only X" and "not X" on the same key cannot both hold: the newer wins.
        const kept = next.getAll('meta').filter((m) => m !== text)
        next.delete('meta')
        for (const m of kept) next.append('meta', m)
      }),
    [update],
  )

  const removeNot = useCallback(
    (text: string) =>
      update((next) => {
        const kept = next.getAll('not').filter((m) => m !== text)
        next.delete('not')
        for (const m of kept) next.append('not', m)
      }),
    [update],
  )

  const clear = useCallback(() => update((next) => FILTER_PARAMS.forEach((p) => next.delete(p))), [update])

  return { filters, toggleType, addMeta, removeMeta, addNot, removeNot, clear, active: filters.types.length + filters.meta.length + filters.not.length > 0 }
}
