// The tenant's policy for unplanned event types (no schema matches them): allow, warn or block.
// Changed in one click (PUT /api/v1/schema-policy); without the manage scope the choice is shown
// but locked, and a 403 from the server says the same in place.
import { useId } from 'react'
import { toApiError } from '@/api/errors'
import { cn } from '@/lib/cn'
import { notifySuccess } from '@/lib/notify'
import type { UnplannedPolicy } from '@/api/types'
import { useSavePolicy } from '../api/schemas'
import { refusal } from '../lib/words'

const CHOICES: { value: UnplannedPolicy; label: string; what: string }[] = [
  { value: 'allow', label: 'Allow', what: 'store them unchecked' },
  { value: 'warn', label: 'Warn', what: 'store them marked "no schema"' },
  { value: 'block', label: 'Block', what: 'refuse them (422)' },
]

export function PolicyControl({ current, canManage }: { current: UnplannedPolicy | undefined; canManage: boolean }) {
  const save = useSavePolicy()
  const name = useId()
  const messageId = useId()
  const forbidden = save.isError && toApiError(save.error).category === 'not_allowed'
  const shown = save.isPending ? save.variables : current
  const note = !canManage || forbidden ? 'Changing it needs the manage scope: sign in with the admin token or a key that has it.' : null
  return (
    <fieldset data-testid="unplanned-policy" aria-describedby={note || save.isError ? messageId : undefined} className="min-w-0 rounded-xl bg-white p-4 ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
      <legend className="sr-only">Unplanned event types</legend>
      <div className="flex flex-wrap items-center justify-between gap-3">
        <div className="min-w-0">
          <h2 className="text-sm font-semibold" aria-hidden="true">
            Unplanned event types
          </h2>
          <p className="text-xs text-gray-600 dark:text-gray-400">Types no schema matches: a new event name, or a misspelled one.</p>
        </div>
        <div role="radiogroup" aria-label="Policy for unplanned event types" className="flex flex-wrap gap-1 rounded-lg bg-gray-100 p-1 dark:bg-white/5">
          {CHOICES.map((c) => (
            <label
              key={c.value}
              title={c.what}
              className={cn(
                'flex cursor-pointer items-center rounded-md px-3 py-1 text-xs font-medium has-[:focus-visible]:outline-2 has-[:focus-visible]:outline-accent-500',
                shown === c.value ? 'bg-white text-gray-900 shadow-sm ring-1 ring-gray-200 dark:bg-white/15 dark:text-white dark:ring-white/10' : 'text-gray-600 hover:text-gray-900 dark:text-gray-400 dark:hover:text-white',
                !canManage && 'cursor-not-allowed opacity-70',
              )}
            >
              <input
                type="radio"
                name={name}
                value={c.value}
                className="sr-only"
                checked={shown === c.value}
                disabled={!canManage || save.isPending}
                onChange={() => save.mutate(c.value, { onSuccess: (p) => notifySuccess(`Unplanned event types: ${p.unplanned}`, CHOICES.find((x) => x.value === p.unplanned)?.what) })}
              />
              {c.label}
              <span className="sr-only"> — {c.what}</span>
            </label>
          ))}
        </div>
      </div>
      {(note || (save.isError && !forbidden)) && (
        <p id={messageId} role={save.isError ? 'alert' : undefined} data-testid="policy-message" className={cn('mt-2 text-xs', save.isError ? 'text-red-600 dark:text-red-400' : 'text-gray-600 dark:text-gray-400')}>
          {note ?? refusal(save.error)}
        </p>
      )}
    </fieldset>
  )
}
