// The explorer's time range: relative presets (ending now, so live events keep joining) or an
// absolute from–to (local time inputs), written to the URL.
import { useId, useState, type FormEvent } from 'react'
import { useSearchParams } from 'react-router'
import { Button } from '@/components/ui/button'
import { ChevronDownIcon } from '@/components/ui/icons'
import { cn } from '@/lib/cn'
import { RELATIVE_RANGES, rangeLabel, type TimeRange } from '../lib/time-range'

function toLocalInput(iso: string | null): string {
  if (!iso) return ''
  const d = new Date(iso)
  const pad = (n: number) => String(n).padStart(2, '0')
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

export function TimeRangePicker({ range }: { range: TimeRange }) {
  const [, setParams] = useSearchParams()
  const [open, setOpen] = useState(false)
  const id = useId()
  const [from, setFrom] = useState(range.kind === 'absolute' ? toLocalInput(range.from) : '')
  const [to, setTo] = useState(range.kind === 'absolute' ? toLocalInput(range.to) : '')

  function apply(change: (p: URLSearchParams) => void) {
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev)
        next.delete('range')
        next.delete('from')
        next.delete('to')
        change(next)
        return next
      },
      { replace: true },
    )
    setOpen(false)
  }

  function submit(e: FormEvent) {
    e.preventDefault()
    apply((p) => {
      if (from) p.set('from', new Date(from).toISOString())
      if (to) p.set('to', new Date(to).toISOString())
    })
  }

  const current = range.kind === 'relative' ? range.key : range.kind
  return (
    <div className="relative">
      <Button size="sm" aria-expanded={open} aria-controls={`${id}-panel`} onClick={() => setOpen(!open)} data-testid="time-range">
        {rangeLabel(range)} <ChevronDownIcon className="size-3.5" />
      </Button>
      {open && (
        <div
          id={`${id}-panel`}
          role="dialog"
          aria-label="Time range"
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.stopPropagation()
              setOpen(false)
            }
          }}
          className="absolute right-0 z-30 mt-1 w-72 max-w-[calc(100vw-2rem)] rounded-lg bg-white p-3 shadow-lg ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10"
        >
          <div className="grid grid-cols-2 gap-1">
            {[['all', 'All time'] as const, ...Object.entries(RELATIVE_RANGES).map(([k, r]) => [k, r.label] as const)].map(([key, label]) => (
              <button
                key={key}
                type="button"
                aria-pressed={current === key}
                onClick={() => apply((p) => (key === 'all' ? undefined : p.set('range', key)))}
                className={cn('rounded-md px-2 py-1.5 text-left text-xs font-medium', current === key ? 'bg-accent-50 text-accent-800 dark:bg-accent-500/15 dark:text-accent-200' : 'text-gray-700 hover:bg-gray-100 dark:text-gray-300 dark:hover:bg-white/10')}
              >
                {label}
              </button>
            ))}
          </div>
          <form onSubmit={submit} className="mt-3 space-y-2 border-t border-gray-200 pt-3 text-xs dark:border-white/10">
            <label className="block">
              <span className="text-gray-600 dark:text-gray-400">From</span>
              <input type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} className="mt-0.5 block w-full rounded-md bg-white px-2 py-1 ring-1 ring-gray-300 ring-inset dark:bg-white/5 dark:ring-white/15" />
            </label>
            <label className="block">
              <span className="text-gray-600 dark:text-gray-400">To (empty: now, live events join)</span>
              <input type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} className="mt-0.5 block w-full rounded-md bg-white px-2 py-1 ring-1 ring-gray-300 ring-inset dark:bg-white/5 dark:ring-white/15" />
            </label>
            <Button type="submit" size="sm" variant="primary" disabled={!from && !to}>
              Apply range
            </Button>
          </form>
        </div>
      )}
    </div>
  )
}
