// `meta.<key>` = value rows naming a subject (one person, account or device), shared by the
// deletion and suppression forms. A row's problem (local, or the API's `match.meta.<key>`) shows
// under it.
import { useEffect, useId, useRef } from 'react'
import { Button } from '@/components/ui/button'
import { inputClass } from '@/components/ui/field'
import { PlusIcon, XIcon } from '@/components/ui/icons'
import { cn } from '@/lib/cn'
import { newPair, type PairDraft } from '../lib/subject'

/** The server's limit on pairs in one subject (MAX_META_FILTERS). */
const MAX_PAIRS = 10

export interface PairsEditorProps {
  legend: string
  hint?: string
  pairs: PairDraft[]
  onChange: (pairs: PairDraft[]) => void
  errors: ReadonlyMap<string, string>
  /** About the subject as a whole (`match`). */
  error?: string | null
  disabled?: boolean
}

export function PairsEditor({ legend, hint, pairs, onChange, errors, error, disabled }: PairsEditorProps) {
  const base = useId()
  const focusNext = useRef<string | null>(null)
  useEffect(() => {
    if (!focusNext.current) return
    document.getElementById(focusNext.current)?.focus()
    focusNext.current = null
  })
  const set = (id: string, patch: Partial<PairDraft>) => onChange(pairs.map((p) => (p.id === id ? { ...p, ...patch } : p)))

  return (
    <fieldset className="min-w-0" disabled={disabled}>
      <legend className="text-sm font-medium">{legend}</legend>
      {hint && <p className="mt-0.5 text-xs text-gray-600 dark:text-gray-400">{hint}</p>}
      <ul className="mt-2 max-w-3xl space-y-2">
        {pairs.map((pair, index) => {
          const n = index + 1
          const problem = errors.get(pair.id)
          const problemId = `${base}-${pair.id}-problem`
          return (
            <li key={pair.id} data-testid="pair">
              <div className="flex flex-wrap items-center gap-2">
                <div className="flex min-w-0 flex-1 basis-56 items-center">
                  <span aria-hidden="true" className="inline-flex h-8 items-center rounded-l-md bg-gray-100 px-2 font-mono text-xs text-gray-600 ring-1 ring-gray-300 ring-inset dark:bg-white/10 dark:text-gray-300 dark:ring-white/10">
                    meta.
                  </span>
                  <input
                    id={`${base}-${pair.id}-key`}
                    aria-label={`Key ${n}`}
                    value={pair.key}
                    onChange={(e) => set(pair.id, { key: e.target.value })}
                    placeholder="user_id"
                    spellCheck={false}
                    autoCapitalize="off"
                    autoComplete="off"
                    aria-invalid={problem ? true : undefined}
                    aria-describedby={problem ? problemId : undefined}
                    className={cn(inputClass, 'h-8 min-w-0 flex-1 rounded-l-none py-1 font-mono text-xs aria-invalid:ring-red-500 dark:aria-invalid:ring-red-400')}
                  />
                </div>
                <div className="flex min-w-0 flex-1 basis-40 items-center gap-2">
                <span aria-hidden="true" className="font-mono text-xs text-gray-500 dark:text-gray-400">
                  =
                </span>
                <input
                  aria-label={`Value ${n}`}
                  value={pair.value}
                  onChange={(e) => set(pair.id, { value: e.target.value })}
                  placeholder="u-42"
                  spellCheck={false}
                  autoCapitalize="off"
                  autoComplete="off"
                  className={cn(inputClass, 'h-8 min-w-0 flex-1 py-1 font-mono text-xs')}
                />
                {pairs.length > 1 && (
                  <button
                    type="button"
                    aria-label={`Remove pair ${n}`}
                    title={`Remove pair ${n}`}
                    onClick={() => {
                      onChange(pairs.filter((p) => p.id !== pair.id))
                      const next = pairs[index + 1] ?? pairs[index - 1]
                      focusNext.current = next ? `${base}-${next.id}-key` : null
                    }}
                    className="rounded-md p-1.5 text-gray-500 hover:bg-gray-100 hover:text-red-700 dark:text-gray-400 dark:hover:bg-white/10 dark:hover:text-red-400"
                  >
                    <XIcon className="size-3.5" />
                  </button>
                )}
                </div>
              </div>
              {problem && (
                <p id={problemId} role="alert" className="mt-1 text-xs text-red-600 dark:text-red-400">
                  {problem}
                </p>
              )}
            </li>
          )
        })}
      </ul>
      {error && (
        <p role="alert" className="mt-1 text-xs text-red-600 dark:text-red-400">
          {error}
        </p>
      )}
      <Button
        size="sm"
        variant="ghost"
        className="mt-1.5"
        disabled={disabled || pairs.length >= MAX_PAIRS}
        onClick={() => {
          const added = newPair()
          onChange([...pairs, added])
          focusNext.current = `${base}-${added.id}-key`
        }}
      >
        <PlusIcon className="size-3.5" /> Add a pair
      </Button>
    </fieldset>
  )
}
