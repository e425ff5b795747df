// Type chips built from the stats (share of the last 24 h) and `key=value` metadata filters.
// Everything is written to the URL; the feed, the history and the stats read it from there.
import { useId, useRef, useState, type FormEvent } from 'react'
import { PlusIcon, XIcon } from '@/components/ui/icons'
import { Skeleton } from '@/components/ui/skeleton'
import { useTypeBreakdown } from '@/features/stats/api/get-stats'
import { cn } from '@/lib/cn'
import { formatPercent } from '@/lib/format'
import { typeColor } from '@/lib/type-color'
import { parseMeta, useFilters } from '../hooks/use-filters'

const MAX_CHIPS = 12

export function FilterBar() {
  const { filters, toggleType, addMeta, removeMeta, removeNot, clear, active } = useFilters()
  const breakdown = useTypeBreakdown()
  const byType = breakdown.data?.by_type ?? []
  const total = breakdown.data?.total ?? 0
  const known = new Set(byType.map((t) => t.event_type))
  const chips = [
    ...byType.slice(0, MAX_CHIPS).map((t) => ({ type: t.event_type, share: formatPercent(t.count, total) })),
    ...filters.types.filter((t) => !known.has(t) || byType.findIndex((b) => b.event_type === t) >= MAX_CHIPS).map((t) => ({ type: t, share: null })),
  ]

  return (
    <div className="flex flex-wrap items-center gap-1.5" role="group" aria-label="Filters">
      {breakdown.isLoading && [80, 64, 72, 56].map((w) => <Skeleton key={w} className="h-7 rounded-full" />)}
      {chips.map(({ type, share }) => {
        const on = filters.types.includes(type)
        return (
          <button
            key={type}
            type="button"
            aria-pressed={on}
            onClick={() => toggleType(type)}
            data-testid={`type-chip-${type}`}
            className={cn(
              'inline-flex h-7 items-center gap-1.5 rounded-full px-2.5 font-mono text-xs ring-1 transition-colors ring-inset',
              on
                ? 'bg-gray-900 text-white ring-gray-900 dark:bg-white dark:text-gray-900 dark:ring-white'
                : 'bg-white text-gray-700 ring-gray-300 hover:bg-gray-50 dark:bg-white/5 dark:text-gray-300 dark:ring-white/10 dark:hover:bg-white/10',
            )}
          >
            <span className="size-2 rounded-full" style={{ backgroundColor: typeColor(type).solid }} aria-hidden="true" />
            {type}
            {share && <span className={cn('font-sans', on ? 'opacity-80' : 'text-gray-500 dark:text-gray-400')}>{share}</span>}
          </button>
        )
      })}
      {filters.meta.map((m) => (
        <span key={m.key} className="inline-flex h-7 items-center gap-1 rounded-full bg-accent-50 pr-1 pl-2.5 font-mono text-xs text-accent-800 ring-1 ring-accent-600/20 ring-inset dark:bg-accent-500/15 dark:text-accent-200 dark:ring-accent-400/30">
          {m.key}={m.value}
          <button type="button" onClick={() => removeMeta(m.key)} aria-label={`Remove filter ${m.key}=${m.value}`} className="rounded-full p-0.5 hover:bg-accent-100 dark:hover:bg-accent-500/20">
            <XIcon className="size-3.5" />
          </button>
        </span>
      ))}
      {filters.not.map((m) => {
        const text = `${m.key}=${m.value}`
        return (
          <span
            key={text}
            title="Left out: only events whose value differs, or that lack the key, are shown and counted"
            className="inline-flex h-7 items-center gap-1 rounded-full bg-rose-50 pr-1 pl-2.5 font-mono text-xs text-rose-800 ring-1 ring-rose-600/20 ring-inset dark:bg-rose-500/15 dark:text-rose-200 dark:ring-rose-400/30"
          >
            {m.key}≠{m.value}
            <button type="button" onClick={() => removeNot(text)} aria-label={`Remove exclusion ${m.key}≠${m.value}`} className="rounded-full p-0.5 hover:bg-rose-100 dark:hover:bg-rose-500/20">
              <XIcon className="size-3.5" />
            </button>
          </span>
        )
      })}
      <MetaFilterInput onAdd={addMeta} />
      {active && (
        <button type="button" onClick={clear} className="h-7 rounded-md px-2 text-xs font-medium text-gray-600 hover:text-gray-900 hover:underline dark:text-gray-400 dark:hover:text-white">
          Clear filters
        </button>
      )}
    </div>
  )
}

function MetaFilterInput({ onAdd }: { onAdd: (filter: { key: string; value: string }) => void }) {
  const [open, setOpen] = useState(false)
  const [text, setText] = useState('')
  const [error, setError] = useState<string | null>(null)
  const inputRef = useRef<HTMLInputElement>(null)
  const id = useId()

  function submit(event: FormEvent) {
    event.preventDefault()
    const parsed = parseMeta(text)
    if (!parsed) {
      setError('Write it as key=value, for example plan=pro or user.country=DE')
      return
    }
    onAdd(parsed)
    setText('')
    setError(null)
    setOpen(false)
  }

  if (!open) {
    return (
      <button
        type="button"
        onClick={() => {
          setOpen(true)
          requestAnimationFrame(() => inputRef.current?.focus())
        }}
        className="inline-flex h-7 items-center gap-1 rounded-full px-2.5 text-xs font-medium text-gray-600 ring-1 ring-gray-300 ring-inset ring-dashed hover:bg-gray-50 hover:text-gray-900 dark:text-gray-400 dark:ring-white/20 dark:hover:bg-white/5 dark:hover:text-white"
      >
        <PlusIcon className="size-3.5" /> key=value
      </button>
    )
  }
  return (
    <form onSubmit={submit} className="relative inline-flex items-center">
      <label htmlFor={id} className="sr-only">
        Metadata filter (key=value)
      </label>
      <input
        ref={inputRef}
        id={id}
        value={text}
        onChange={(e) => {
          setText(e.target.value)
          setError(null)
        }}
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation()
            setOpen(false)
            setText('')
          }
        }}
        onBlur={() => {
          if (!text) setOpen(false)
        }}
        placeholder="plan=pro"
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        className="h-7 w-44 max-w-full rounded-full bg-white px-3 font-mono text-xs ring-1 ring-accent-500 outline-none ring-inset dark:bg-white/5"
      />
      {error && (
        <p id={`${id}-error`} role="alert" className="absolute top-full left-0 z-20 mt-1 w-72 max-w-[calc(100vw-2rem)] rounded-md bg-white p-2 text-xs text-red-700 shadow ring-1 ring-gray-200 dark:bg-gray-900 dark:text-red-400 dark:ring-white/10">
          {error}
        </p>
      )}
    </form>
  )
}
