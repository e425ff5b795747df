// The live preview: one of the tenant's recent events (or an editable sample) as it came in, and
// side by side what the editor's rules make of it, the values they change and the keys they
// remove marked on both sides. Nothing is stored.
import { useId } from 'react'
import type { Event } from '@/api/types'
import { describeError } from '@/api/errors'
import { Button } from '@/components/ui/button'
import { inputClass } from '@/components/ui/field'
import { Skeleton } from '@/components/ui/skeleton'
import { Spinner } from '@/components/ui/spinner'
import { JsonHighlight, type MarkTone } from '@/features/quality/components/json-highlight'
import { cn } from '@/lib/cn'
import { formatClock, formatDateTime, metadataPreview } from '@/lib/format'
import { describeDiff, diffJson } from '@/lib/json-diff'
import type { LivePreview } from '../hooks/use-live-preview'
import { SAMPLE } from '../lib/sample'

export interface RedactionPreviewProps {
  events: Event[] | undefined
  eventsPending: boolean
  /** `sample` or the id of the event tried. */
  source: string
  onSource: (source: string) => void
  sampleText: string
  onSampleText: (text: string) => void
  sampleError: string | null
  selected: Event | null
  preview: LivePreview
  /** The event came in under the saved policy: what that redacted is redacted on both sides. */
  storedRedacted: boolean
  /** No policy saved yet: the preview's hashes use a throwaway key, different each time. */
  throwawayHashes: boolean
  /** Where a refusal names a rule: "Rule 3". */
  refusalWhere: string | null
  onEditCopy: (event: Event) => void
}

export function RedactionPreview(props: RedactionPreviewProps) {
  const { events, eventsPending, source, onSource, sampleText, onSampleText, sampleError, selected, preview, storedRedacted, throwawayHashes, refusalWhere, onEditCopy } = props
  const ids = { heading: useId(), source: useId(), sample: useId(), sampleError: useId() }
  const diff = preview.shown ? diffJson(preview.shown.before, preview.shown.after) : null
  const before = new Map<string, MarkTone>()
  const after = new Map<string, MarkTone>()
  for (const path of diff?.changed ?? []) {
    before.set(path, 'changed')
    after.set(path, 'redacted')
  }
  for (const path of diff?.removed ?? []) before.set(path, 'removed')
  for (const path of diff?.added ?? []) after.set(path, 'redacted')
  const summary = diff ? (describeDiff(diff) ?? 'Nothing changed: no rule or detector applies to this event.') : null
  const list = events ?? []
  // An event named in the URL that is older than the recent ones is offered too.
  const options = selected && !list.some((e) => e.id === selected.id) ? [selected, ...list] : list

  return (
    <section aria-labelledby={ids.heading} data-testid="redaction-preview" className="min-w-0 space-y-3 rounded-xl bg-white p-4 ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
      <div className="flex flex-wrap items-end justify-between gap-x-4 gap-y-2">
        <div className="min-w-0">
          <h2 id={ids.heading} className="text-sm font-semibold">
            Preview
          </h2>
          <p className="text-xs text-gray-600 dark:text-gray-400">What the rules in the editor make of an event, before you save them. Nothing is stored.</p>
        </div>
        <div className="flex min-w-0 flex-wrap items-center gap-2">
          <label htmlFor={ids.source} className="text-xs font-medium text-gray-700 dark:text-gray-300">
            Try on
          </label>
          {eventsPending ? (
            <Skeleton className="h-7 w-64" />
          ) : (
            <select
              id={ids.source}
              value={source}
              onChange={(e) => onSource(e.target.value)}
              data-testid="preview-source"
              className="h-7 max-w-full min-w-0 truncate rounded-md bg-white px-2 text-xs ring-1 ring-gray-300 ring-inset sm:w-80 dark:bg-gray-900 dark:ring-white/10"
            >
              <option value={SAMPLE}>A sample with personal data (editable)</option>
              {options.length > 0 && (
                <optgroup label="Recent events">
                  {options.map((event) => (
                    <option key={event.id} value={event.id}>
                      {formatClock(event.received_at)} · {event.event_type} · {metadataPreview(event.metadata, 3)}
                    </option>
                  ))}
                </optgroup>
              )}
            </select>
          )}
          {selected && (
            <Button size="sm" variant="ghost" onClick={() => onEditCopy(selected)} title="Copy this event's metadata into the sample, to change its values">
              Edit a copy
            </Button>
          )}
        </div>
      </div>

      {source === SAMPLE && (
        <div>
          <label htmlFor={ids.sample} className="block text-xs font-medium text-gray-700 dark:text-gray-300">
            Sample metadata (JSON)
          </label>
          <textarea
            id={ids.sample}
            value={sampleText}
            onChange={(e) => onSampleText(e.target.value)}
            rows={6}
            spellCheck={false}
            autoCapitalize="off"
            autoComplete="off"
            aria-invalid={sampleError ? true : undefined}
            aria-describedby={sampleError ? ids.sampleError : undefined}
            className={cn(inputClass, 'mt-1 min-h-24 resize-y font-mono text-xs leading-5 aria-invalid:ring-red-500 dark:aria-invalid:ring-red-400')}
          />
          {sampleError && (
            <p id={ids.sampleError} role="alert" className="mt-1 text-xs text-red-600 dark:text-red-400">
              {sampleError}
            </p>
          )}
        </div>
      )}

      {selected && (
        <p className="text-xs text-gray-600 dark:text-gray-400">
          <span className="font-mono">{selected.event_type}</span> received <time dateTime={selected.received_at}>{formatDateTime(selected.received_at)}</time>
          {storedRedacted && <> — stored under the saved policy, so what that policy redacts is already redacted here. Edit a copy or use the sample to try the original values.</>}
        </p>
      )}
      {list.length === 0 && !eventsPending && source === SAMPLE && (
        <p className="text-xs text-gray-600 dark:text-gray-400">This tenant has no events yet: the newest ones show up here to try the rules on.</p>
      )}

      <div className="grid min-w-0 gap-3 md:grid-cols-2">
        <div className="min-w-0">
          <h3 className="mb-1 text-xs font-medium text-gray-700 dark:text-gray-300">{selected ? 'As stored' : 'As sent'}</h3>
          {preview.shown ? (
            <JsonHighlight value={preview.shown.before} tones={before} wrap label="Metadata before redaction, changed and removed values marked" className={PANE} />
          ) : (
            <PanePlaceholder />
          )}
        </div>
        <div className="min-w-0">
          <h3 className="mb-1 flex items-center gap-2 text-xs font-medium text-gray-700 dark:text-gray-300">
            With these rules
            {preview.updating && <Spinner className="size-3" label="Updating the preview" />}
          </h3>
          {preview.refusal && (
            <p role="alert" data-testid="preview-refusal" className="mb-2 rounded-md bg-amber-50 px-2.5 py-1.5 text-xs text-amber-900 dark:bg-amber-400/10 dark:text-amber-200">
              Not previewed: {refusalWhere ? `${refusalWhere}: ` : ''}
              {preview.refusal.message}
            </p>
          )}
          {preview.failure ? (
            <p role="alert" className="mb-2 rounded-md bg-red-50 px-2.5 py-1.5 text-xs text-red-800 dark:bg-red-400/10 dark:text-red-300">
              {describeError(preview.failure).title}
            </p>
          ) : null}
          {preview.shown ? (
            <JsonHighlight
              value={preview.shown.after}
              tones={after}
              wrap
              label="Metadata after redaction, redacted values marked"
              className={cn(PANE, 'transition-opacity', (preview.refusal !== null || Boolean(preview.failure)) && 'opacity-50')}
            />
          ) : (
            <PanePlaceholder />
          )}
        </div>
      </div>
      <div className="flex flex-wrap items-center gap-x-4 gap-y-1 text-xs text-gray-600 dark:text-gray-400">
        <p aria-live="polite" data-testid="preview-summary" className="font-medium text-gray-800 dark:text-gray-200">
          {summary}
        </p>
        <span className="flex-1" />
        <Legend tone="changed" label="changed" />
        <Legend tone="removed" label="removed" />
        <Legend tone="redacted" label="redacted value" />
      </div>
      {throwawayHashes && <p className="text-xs text-gray-600 dark:text-gray-400">Until the policy is first saved, hashes here use a throwaway key; once saved, they match the stored ones.</p>}
    </section>
  )
}

// Long values (a hash is 64 characters) wrap rather than hide past the pane's edge.
const PANE = 'max-h-[28rem] min-h-32'

function PanePlaceholder() {
  return <div aria-hidden="true" className="min-h-32 rounded-md bg-gray-50 ring-1 ring-gray-200 dark:bg-black/30 dark:ring-white/10" />
}

const SWATCH: Record<'changed' | 'removed' | 'redacted', string> = {
  changed: 'bg-amber-100 ring-amber-500 dark:bg-amber-400/20 dark:ring-amber-400/50',
  removed: 'bg-red-100 ring-red-500 dark:bg-red-400/20 dark:ring-red-400/50',
  redacted: 'bg-emerald-100 ring-emerald-600 dark:bg-emerald-400/15 dark:ring-emerald-400/50',
}

function Legend({ tone, label }: { tone: keyof typeof SWATCH; label: string }) {
  return (
    <span className="inline-flex items-center gap-1.5">
      <span aria-hidden="true" className={cn('size-2.5 rounded-sm ring-1', SWATCH[tone])} />
      {label}
    </span>
  )
}
