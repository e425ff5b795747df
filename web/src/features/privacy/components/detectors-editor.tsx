// The built-in detectors: each switched on with an action, or off. They scan every string left
// after the rules (numbers are not scanned), in a fixed order whatever is chosen here.
import { useId } from 'react'
import type { Detector, RedactionAction } from '@/api/types'
import { ACTIONS, DETECTORS, type DetectorChoice } from '../lib/policy-form'

export interface DetectorsEditorProps {
  detectors: DetectorChoice
  canManage: boolean
  errors: ReadonlyMap<Detector, string>
  onChange: (detector: Detector, action: RedactionAction | null) => void
}

/** What a detector's match becomes, per action (the rules' wording does not fit a match). */
const MATCH_ACTION: Record<RedactionAction, string> = { mask: 'Mask', hash: 'Hash', drop: '[redacted]' }

export function DetectorsEditor({ detectors, canManage, errors, onChange }: DetectorsEditorProps) {
  const base = useId()
  return (
    <fieldset className="min-w-0">
      <legend className="text-sm font-semibold">Detectors</legend>
      <p className="mt-0.5 text-xs text-gray-600 dark:text-gray-400">Found in any string left after the rules, wherever it is in the metadata.</p>
      <ul className="mt-3 divide-y divide-gray-100 rounded-lg ring-1 ring-gray-200 dark:divide-white/5 dark:ring-white/10" aria-label="Detectors">
        {DETECTORS.map(({ detector, label, finds }) => {
          const action = detectors[detector]
          const on = action !== null
          const id = `${base}-${detector}`
          const error = errors.get(detector)
          return (
            <li key={detector} data-testid="detector" data-detector={detector} data-on={on} className="flex items-center gap-3 px-3 py-2.5">
              <input
                id={id}
                type="checkbox"
                role="switch"
                aria-checked={on}
                checked={on}
                disabled={!canManage}
                aria-describedby={`${id}-finds`}
                onChange={(e) => onChange(detector, e.target.checked ? 'mask' : null)}
                className="size-4 shrink-0 accent-accent-600 disabled:opacity-70"
              />
              <div className="min-w-0 flex-1">
                <label htmlFor={id} className="block text-sm font-medium">
                  {label}
                </label>
                <p id={`${id}-finds`} className="truncate text-xs text-gray-600 dark:text-gray-400" title={finds}>
                  {finds}
                </p>
                {error && (
                  <p role="alert" className="text-xs text-red-600 dark:text-red-400">
                    {error}
                  </p>
                )}
              </div>
              <select
                aria-label={`${label}: action`}
                value={action ?? 'mask'}
                disabled={!canManage || !on}
                onChange={(e) => onChange(detector, e.target.value as RedactionAction)}
                title={action === 'drop' ? 'Each match becomes [redacted]' : undefined}
                className="h-8 w-24 shrink-0 rounded-md bg-white px-2 text-xs font-medium ring-1 ring-gray-300 ring-inset disabled:opacity-50 dark:bg-gray-900 dark:ring-white/10"
              >
                {ACTIONS.map((a) => (
                  <option key={a.action} value={a.action}>
                    {MATCH_ACTION[a.action]}
                  </option>
                ))}
              </select>
            </li>
          )
        })}
      </ul>
    </fieldset>
  )
}
