// The ordered rule list: a metadata path and an action per row; rows are added, removed and moved
// with buttons (reachable by keyboard, focus kept on the moved row), and the API's refusal shows
// under the row it names. Read only without the manage scope.
import { useEffect, useId, useRef, type ReactNode } from 'react'
import type { RedactionAction } from '@/api/types'
import { Button } from '@/components/ui/button'
import { inputClass } from '@/components/ui/field'
import { ArrowDownIcon, ArrowUpIcon, PlusIcon, XIcon } from '@/components/ui/icons'
import { cn } from '@/lib/cn'
import { ACTIONS, MAX_RULES, type RuleDraft } from '../lib/policy-form'

export interface RulesEditorProps {
  rules: RuleDraft[]
  canManage: boolean
  /** A message per rule id (the API's refusal of its path or action). */
  errors: ReadonlyMap<string, string>
  /** A message about the list as a whole (too many rules). */
  listError?: string | null
  onAdd: () => string
  onChange: (id: string, patch: Partial<Omit<RuleDraft, 'id'>>) => void
  onRemove: (id: string) => void
  onMove: (id: string, delta: -1 | 1) => void
}

const ACTION_STYLE: Record<RedactionAction, string> = {
  mask: 'text-amber-800 dark:text-amber-300',
  hash: 'text-sky-800 dark:text-sky-300',
  drop: 'text-red-700 dark:text-red-400',
}

export function RulesEditor({ rules, canManage, errors, listError, onAdd, onChange, onRemove, onMove }: RulesEditorProps) {
  const base = useId()
  const hintId = `${base}-hint`
  // Where focus goes after the list changed (a row's control), once the change is rendered.
  const focusNext = useRef<string | null>(null)
  useEffect(() => {
    if (!focusNext.current) return
    document.getElementById(focusNext.current)?.focus()
    focusNext.current = null
  })
  const setFocusTarget = (id: string) => {
    focusNext.current = id
  }

  const control = (id: string, part: 'path' | 'action' | 'up' | 'down' | 'remove') => `${base}-${id}-${part}`

  function move(rule: RuleDraft, index: number, delta: -1 | 1) {
    onMove(rule.id, delta)
    const to = index + delta
    // At the top (or bottom) the button just pressed is disabled: focus its twin.
    const atEnd = delta === -1 ? to === 0 : to === rules.length - 1
    setFocusTarget(control(rule.id, atEnd ? (delta === -1 ? 'down' : 'up') : delta === -1 ? 'up' : 'down'))
  }

  function remove(index: number) {
    const rule = rules[index]
    if (!rule) return
    onRemove(rule.id)
    const next = rules[index + 1] ?? rules[index - 1]
    setFocusTarget(next ? control(next.id, 'path') : `${base}-add`)
  }

  return (
    <fieldset className="min-w-0" aria-describedby={hintId}>
      <legend className="text-sm font-semibold">Rules</legend>
      <p id={hintId} className="mt-0.5 text-xs text-gray-600 dark:text-gray-400">
        Applied in order, before the detectors. A path is dotted keys into <code className="font-mono">metadata</code> (<code className="font-mono">metadata.</code> optional), <code className="font-mono">*</code> for any key at its level; an array on the way applies the rest to each item: <code className="font-mono">email</code>, <code className="font-mono">user.*</code>, <code className="font-mono">items.card</code>.
      </p>
      {rules.length === 0 ? (
        <p className="mt-3 rounded-lg border border-dashed border-gray-300 px-3 py-4 text-center text-sm text-gray-600 dark:border-white/15 dark:text-gray-400" data-testid="no-rules">
          No rules: every key is stored as sent{canManage ? '. Add one for each field that must never be stored as is.' : '.'}
        </p>
      ) : (
        <ol className="mt-3 space-y-2" aria-label="Rules, applied in order" data-testid="rules">
          {rules.map((rule, index) => {
            const n = index + 1
            const error = errors.get(rule.id)
            const errorId = `${base}-${rule.id}-error`
            return (
              <li key={rule.id} data-testid="rule" data-path={rule.path} className="rounded-lg bg-gray-50/70 p-2 ring-1 ring-gray-200 dark:bg-white/[0.03] dark:ring-white/10">
                <div className="flex flex-wrap items-center gap-2">
                  <span className="w-5 shrink-0 text-right font-mono text-xs text-gray-500 tabular-nums dark:text-gray-400" aria-hidden="true">
                    {n}
                  </span>
                  <input
                    id={control(rule.id, 'path')}
                    aria-label={`Rule ${n} path`}
                    value={rule.path}
                    onChange={(e) => onChange(rule.id, { path: e.target.value })}
                    placeholder="metadata.email"
                    spellCheck={false}
                    autoCapitalize="off"
                    autoComplete="off"
                    readOnly={!canManage}
                    aria-invalid={error ? true : undefined}
                    aria-describedby={error ? errorId : undefined}
                    className={cn(inputClass, 'h-8 min-w-0 flex-1 basis-[calc(100%-2rem)] py-1 font-mono text-xs aria-invalid:ring-red-500 sm:basis-40 dark:aria-invalid:ring-red-400')}
                  />
                  {/* On a phone the path has the row to itself; the action and the buttons go under it. */}
                  <div className="flex w-full items-center gap-2 pl-7 sm:w-auto sm:pl-0">
                  <select
                    id={control(rule.id, 'action')}
                    aria-label={`Rule ${n} action`}
                    value={rule.action}
                    disabled={!canManage}
                    onChange={(e) => onChange(rule.id, { action: e.target.value as RedactionAction })}
                    className={cn('h-8 w-24 shrink-0 rounded-md bg-white px-2 text-xs font-medium ring-1 ring-gray-300 ring-inset disabled:opacity-70 dark:bg-gray-900 dark:ring-white/10', ACTION_STYLE[rule.action])}
                  >
                    {ACTIONS.map((a) => (
                      <option key={a.action} value={a.action}>
                        {a.label}
                      </option>
                    ))}
                  </select>
                  {canManage && (
                    <div className="ml-auto flex shrink-0 items-center">
                      <IconButton id={control(rule.id, 'up')} label={`Move rule ${n} up`} disabled={index === 0} onClick={() => move(rule, index, -1)}>
                        <ArrowUpIcon className="size-3.5" />
                      </IconButton>
                      <IconButton id={control(rule.id, 'down')} label={`Move rule ${n} down`} disabled={index === rules.length - 1} onClick={() => move(rule, index, 1)}>
                        <ArrowDownIcon className="size-3.5" />
                      </IconButton>
                      <IconButton id={control(rule.id, 'remove')} label={`Remove rule ${n}`} onClick={() => remove(index)} className="hover:text-red-700 dark:hover:text-red-400">
                        <XIcon className="size-3.5" />
                      </IconButton>
                    </div>
                  )}
                  </div>
                </div>
                {error && (
                  <p id={errorId} role="alert" data-testid="rule-error" className="mt-1 pl-7 text-xs text-red-600 dark:text-red-400">
                    {error}
                  </p>
                )}
              </li>
            )
          })}
        </ol>
      )}
      {listError && (
        <p role="alert" className="mt-2 text-xs text-red-600 dark:text-red-400">
          {listError}
        </p>
      )}
      {canManage && (
        <Button
          id={`${base}-add`}
          size="sm"
          className="mt-3"
          disabled={rules.length >= MAX_RULES}
          title={rules.length >= MAX_RULES ? `At most ${MAX_RULES} rules` : undefined}
          onClick={() => setFocusTarget(control(onAdd(), 'path'))}
        >
          <PlusIcon className="size-3.5" /> Add rule
        </Button>
      )}
    </fieldset>
  )
}

function IconButton({ label, className, children, ...rest }: { id: string; label: string; disabled?: boolean; onClick: () => void; className?: string; children: ReactNode }) {
  return (
    <button
      type="button"
      aria-label={label}
      title={label}
      className={cn('rounded-md p-1.5 text-gray-500 hover:bg-gray-100 hover:text-gray-900 disabled:pointer-events-none disabled:opacity-30 dark:text-gray-400 dark:hover:bg-white/10 dark:hover:text-white', className)}
      {...rest}
    >
      {children}
    </button>
  )
}
