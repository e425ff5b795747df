// Pick metadata keys as explorer columns: keys seen in the loaded events are offered, any
// dotted key can be typed. Saved per tenant in the URL and this browser (hooks/use-columns).
import { useId, useMemo, useState, type FormEvent } from 'react'
import { Button } from '@/components/ui/button'
import { PlusIcon, XIcon } from '@/components/ui/icons'
import { cn } from '@/lib/cn'
import { useColumns, type Density } from '../hooks/use-columns'
import { knownKeys } from '../lib/known-keys'
import type { ExplorerItem } from '../lib/merge'

export function ColumnPicker({ items }: { items: readonly ExplorerItem[] }) {
  const { columns, add, remove, valid, max } = useColumns()
  const [open, setOpen] = useState(false)
  const [text, setText] = useState('')
  const [error, setError] = useState<string | null>(null)
  const id = useId()
  const suggestions = useMemo(() => (open ? knownKeys(items).filter((k) => !columns.includes(k)).slice(0, 12) : []), [open, items, columns])

  function submit(e: FormEvent) {
    e.preventDefault()
    const key = text.trim()
    if (!valid(key)) {
      setError('A metadata key, for example page or user.plan')
      return
    }
    add(key)
    setText('')
    setError(null)
  }

  return (
    <div className="relative">
      <Button size="sm" aria-expanded={open} aria-controls={`${id}-panel`} onClick={() => setOpen(!open)}>
        Columns{columns.length > 0 && <span className="rounded bg-gray-100 px-1 tabular-nums dark:bg-white/10">{columns.length}</span>}
      </Button>
      {open && (
        <div
          id={`${id}-panel`}
          role="dialog"
          aria-label="Columns"
          onKeyDown={(e) => {
            if (e.key === 'Escape') {
              e.stopPropagation()
              setOpen(false)
            }
          }}
          className="absolute right-0 z-30 mt-1 w-72 max-w-[calc(100vw-2rem)] rounded-lg bg-white p-3 text-xs shadow-lg ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10"
        >
          <p className="mb-2 font-medium text-gray-700 dark:text-gray-300">Metadata columns</p>
          {columns.length === 0 && <p className="mb-2 text-gray-500 dark:text-gray-400">None yet: pick a key below.</p>}
          <ul className="mb-2 flex flex-wrap gap-1">
            {columns.map((c) => (
              <li key={c} className="inline-flex items-center gap-1 rounded-full bg-gray-100 py-0.5 pr-1 pl-2 font-mono dark:bg-white/10">
                {c}
                <button type="button" onClick={() => remove(c)} aria-label={`Remove column ${c}`} className="rounded-full p-0.5 hover:bg-gray-200 dark:hover:bg-white/15">
                  <XIcon className="size-3" />
                </button>
              </li>
            ))}
          </ul>
          {columns.length < max && (
            <>
              {suggestions.length > 0 && (
                <div className="mb-2 flex flex-wrap gap-1" role="group" aria-label="Keys in these events">
                  {suggestions.map((k) => (
                    <button key={k} type="button" onClick={() => add(k)} aria-label={`Add column ${k}`} className="inline-flex items-center gap-0.5 rounded-full px-2 py-0.5 font-mono text-gray-700 ring-1 ring-gray-300 ring-inset hover:bg-gray-50 dark:text-gray-300 dark:ring-white/15 dark:hover:bg-white/5">
                      <PlusIcon className="size-3" />
                      {k}
                    </button>
                  ))}
                </div>
              )}
              <form onSubmit={submit} className="flex gap-1">
                <label htmlFor={`${id}-key`} className="sr-only">
                  Metadata key
                </label>
                <input
                  id={`${id}-key`}
                  value={text}
                  onChange={(e) => {
                    setText(e.target.value)
                    setError(null)
                  }}
                  placeholder="user.plan"
                  aria-invalid={error ? true : undefined}
                  className={cn('h-7 min-w-0 flex-1 rounded-md bg-white px-2 font-mono ring-1 ring-inset dark:bg-white/5', error ? 'ring-red-500' : 'ring-gray-300 dark:ring-white/15')}
                />
                <Button type="submit" size="sm">
                  Add
                </Button>
              </form>
              {error && (
                <p role="alert" className="mt-1 text-red-700 dark:text-red-400">
                  {error}
                </p>
              )}
            </>
          )}
        </div>
      )}
    </div>
  )
}

export function DensityToggle({ density, onChange }: { density: Density; onChange: (d: Density) => void }) {
  return (
    <div role="radiogroup" aria-label="Row density" className="inline-flex rounded-lg bg-gray-100 p-0.5 dark:bg-white/5">
      {(['compact', 'comfortable'] as const).map((d) => (
        <button
          key={d}
          type="button"
          role="radio"
          aria-checked={density === d}
          onClick={() => onChange(d)}
          className={cn('h-6 rounded-md px-2 text-xs font-medium capitalize', density === d ? 'bg-white text-gray-900 shadow-sm dark:bg-gray-700 dark:text-white' : 'text-gray-600 hover:text-gray-900 dark:text-gray-400 dark:hover:text-white')}
        >
          {d}
        </button>
      ))}
    </div>
  )
}
