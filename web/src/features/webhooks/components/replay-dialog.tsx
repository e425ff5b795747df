// The Replay dialog: deliver the tenant's stored events of a time range (a preset or a custom
// from/to; or, from the delivery log, everything since one delivery's event) to this endpoint
// again, optionally only some event types and only those whose delivery failed. Once started it
// follows the job every second (created of total, delivered, failed, a progress bar) and can
// cancel it. A refusal (422) is shown next to the field it names.
import { useId, useState, type FormEvent } from 'react'
import type { Delivery, Replay, ReplayState, Webhook } from '@/api/types'
import { describeError, toApiError } from '@/api/errors'
import { Button } from '@/components/ui/button'
import { Dialog } from '@/components/ui/dialog'
import { Field } from '@/components/ui/field'
import { cn } from '@/lib/cn'
import { formatCount, formatDateTime, formatRelative } from '@/lib/format'
import { useCancelReplay, useReplay, useStartReplay } from '../api/replays'
import { describeReplay, isActive, progressOf, RANGE_PRESETS, REPLAY_STATE_WORDS, replayBody, type RangePreset, type ReplayForm } from '../lib/replay'

export interface ReplayDialogProps {
  endpoint: Webhook
  open: boolean
  /** Replay from this delivery's event onwards instead of a time range. */
  sinceDelivery?: Delivery | null
  /** Open on this replay's progress rather than on the form. */
  replayId?: string | null
  onClose: () => void
}

export function ReplayDialog({ endpoint, open, sinceDelivery = null, replayId = null, onClose }: ReplayDialogProps) {
  return (
    <Dialog
      open={open}
      onClose={onClose}
      title={sinceDelivery ? 'Replay from this delivery' : 'Replay deliveries'}
      description="Delivers stored events to this endpoint again, as a background job. An event it already received keeps its webhook-id, so the receiver can deduplicate."
    >
      {/* Remounted on each opening: a fresh form, or the job asked for. */}
      {open && <ReplayBody key={`${sinceDelivery?.id ?? ''}:${replayId ?? ''}`} endpoint={endpoint} sinceDelivery={sinceDelivery} initialReplayId={replayId} onClose={onClose} />}
    </Dialog>
  )
}

function ReplayBody({ endpoint, sinceDelivery, initialReplayId, onClose }: { endpoint: Webhook; sinceDelivery: Delivery | null; initialReplayId: string | null; onClose: () => void }) {
  const [replayId, setReplayId] = useState<string | null>(initialReplayId)
  if (replayId) return <ReplayProgress endpointId={endpoint.id} replayId={replayId} onClose={onClose} />
  return <ReplayFormView endpoint={endpoint} sinceDelivery={sinceDelivery} onStarted={(r) => setReplayId(r.id)} onClose={onClose} />
}

const FORM_FIELDS = ['from', 'to', 'event_types', 'only_failed', 'since_delivery'] as const
type FormField = (typeof FORM_FIELDS)[number]

/** The form field a server error names (`event_types[1]` is the event types field). */
function fieldOf(field: string | null): FormField | null {
  if (!field) return null
  const head = field.replace(/\[.*$/, '')
  return (FORM_FIELDS as readonly string[]).includes(head) ? (head as FormField) : null
}

function ReplayFormView({ endpoint, sinceDelivery, onStarted, onClose }: { endpoint: Webhook; sinceDelivery: Delivery | null; onStarted: (replay: Replay) => void; onClose: () => void }) {
  const start = useStartReplay(endpoint.id)
  const [form, setForm] = useState<ReplayForm>({ preset: '24h', from: '', to: '', eventTypes: '', onlyFailed: false })
  const [local, setLocal] = useState<{ field: FormField; message: string } | null>(null)
  const rangeLabel = useId()
  const onlyFailedId = useId()
  const onlyFailedHint = useId()

  const serverError = start.error ? toApiError(start.error) : null
  const serverField = serverError ? fieldOf(serverError.field) : null
  const errorFor = (field: FormField) => (local?.field === field ? local.message : serverField === field ? serverError?.message : null) ?? null
  const general = serverError && !serverField ? describeError(serverError) : null

  function submit(event: FormEvent) {
    event.preventDefault()
    const built = replayBody(form, sinceDelivery?.id ?? null)
    if ('field' in built) {
      setLocal({ field: built.field, message: built.message })
      return
    }
    setLocal(null)
    start.mutate(built.body, { onSuccess: onStarted })
  }
  const set = (patch: Partial<ReplayForm>) => setForm((f) => ({ ...f, ...patch }))

  return (
    <form onSubmit={submit} className="space-y-4" data-testid="replay-form" noValidate>
      {sinceDelivery ? (
        <div className="rounded-md bg-gray-50 px-3 py-2 text-sm dark:bg-white/5">
          <p>
            From the event of delivery <span className="font-mono text-xs">{sinceDelivery.id.slice(0, 8)}…</span> ({sinceDelivery.event_type}, {formatRelative(sinceDelivery.created_at)}) onwards, up to now.
          </p>
          {errorFor('since_delivery') && (
            <p role="alert" className="mt-1 text-xs text-red-600 dark:text-red-400">
              {errorFor('since_delivery')}
            </p>
          )}
        </div>
      ) : (
        <div>
          <p id={rangeLabel} className="text-sm font-medium">
            Time range
          </p>
          <div role="radiogroup" aria-labelledby={rangeLabel} className="mt-1.5 inline-flex max-w-full flex-wrap rounded-lg bg-gray-100 p-0.5 dark:bg-white/5">
            {RANGE_PRESETS.map((p) => (
              <button
                key={p.value}
                type="button"
                role="radio"
                aria-checked={form.preset === p.value}
                onClick={() => set({ preset: p.value as RangePreset })}
                className={cn(
                  'h-7 rounded-md px-2.5 text-xs font-medium transition-colors',
                  form.preset === p.value ? 'bg-white text-gray-900 shadow-sm dark:bg-gray-700 dark:text-white' : 'text-gray-600 hover:text-gray-900 dark:text-gray-400 dark:hover:text-white',
                )}
              >
                {p.label}
              </button>
            ))}
          </div>
          {form.preset === 'custom' ? (
            <div className="mt-3 grid gap-3 sm:grid-cols-2">
              <Field label="From" type="datetime-local" step={1} value={form.from} onChange={(e) => set({ from: e.target.value })} error={errorFor('from')} required />
              <Field label="To" type="datetime-local" step={1} value={form.to} onChange={(e) => set({ to: e.target.value })} error={errorFor('to')} hint="Blank: now." />
            </div>
          ) : (
            (errorFor('from') || errorFor('to')) && (
              <p role="alert" className="mt-1 text-xs text-red-600 dark:text-red-400">
                {errorFor('from') ?? errorFor('to')}
              </p>
            )
          )}
        </div>
      )}
      <Field
        label="Event types (optional)"
        placeholder={endpoint.event_types.length ? endpoint.event_types.join(', ') : 'order.*, signup'}
        value={form.eventTypes}
        onChange={(e) => set({ eventTypes: e.target.value })}
        error={errorFor('event_types')}
        hint={`Names or patterns like order.*, separated by commas. Blank: ${endpoint.event_types.length ? 'the types this endpoint receives' : 'every type'}.`}
        autoComplete="off"
      />
      <div className="flex items-start gap-2">
        <input
          id={onlyFailedId}
          type="checkbox"
          checked={form.onlyFailed}
          onChange={(e) => set({ onlyFailed: e.target.checked })}
          aria-describedby={onlyFailedHint}
          className="mt-0.5 size-4 rounded border-gray-300 text-accent-600 focus:ring-accent-500 dark:border-white/20 dark:bg-white/5"
        />
        <div>
          <label htmlFor={onlyFailedId} className="text-sm font-medium">
            Only failed
          </label>
          <p id={onlyFailedHint} className="text-xs text-gray-600 dark:text-gray-400">
            Only events whose delivery to this endpoint failed or died; skip what it already received.
          </p>
        </div>
      </div>
      {general && (
        <p role="alert" className="rounded-md bg-red-50 px-3 py-2 text-xs text-red-800 dark:bg-red-400/10 dark:text-red-300">
          {general.title}
          {general.description ? `: ${general.description}` : ''}
        </p>
      )}
      <div className="flex justify-end gap-2 pt-1">
        <Button onClick={onClose}>Cancel</Button>
        <Button type="submit" variant="primary" loading={start.isPending}>
          Start replay
        </Button>
      </div>
    </form>
  )
}

const PILL: Record<ReplayState, string> = {
  pending: 'bg-gray-100 text-gray-700 ring-gray-500/20 dark:bg-white/10 dark:text-gray-300 dark:ring-white/20',
  running: 'bg-accent-50 text-accent-700 ring-accent-600/20 dark:bg-accent-400/10 dark:text-accent-300 dark:ring-accent-400/30',
  done: 'bg-emerald-50 text-emerald-800 ring-emerald-600/20 dark:bg-emerald-400/10 dark:text-emerald-300 dark:ring-emerald-400/30',
  cancelled: 'bg-amber-50 text-amber-900 ring-amber-600/20 dark:bg-amber-400/10 dark:text-amber-300 dark:ring-amber-400/30',
  failed: 'bg-red-50 text-red-800 ring-red-600/20 dark:bg-red-400/10 dark:text-red-300 dark:ring-red-400/30',
}

export function ReplayStatePill({ state }: { state: ReplayState }) {
  return (
    <span data-testid="replay-state" className={cn('inline-flex rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset', PILL[state])}>
      {REPLAY_STATE_WORDS[state]}
    </span>
  )
}

export function ReplayBar({ replay, label }: { replay: Replay; label: string }) {
  const progress = progressOf(replay)
  const active = isActive(replay.state)
  return (
    <div
      role="progressbar"
      aria-label={label}
      aria-valuemin={0}
      aria-valuemax={100}
      aria-valuenow={progress === null ? undefined : Math.round(progress * 100)}
      className="h-1.5 overflow-hidden rounded-full bg-gray-100 dark:bg-white/10"
    >
      <div
        className={cn('h-full rounded-full transition-[width]', replay.state === 'failed' ? 'bg-red-500' : 'bg-accent-600 dark:bg-accent-400', progress === null && active && 'w-1/4 animate-pulse')}
        style={progress === null ? undefined : { width: `${progress * 100}%` }}
      />
    </div>
  )
}

function ReplayProgress({ endpointId, replayId, onClose }: { endpointId: string; replayId: string; onClose: () => void }) {
  const replay = useReplay(endpointId, replayId)
  const cancel = useCancelReplay(endpointId)
  const job = replay.data
  if (!job) {
    return (
      <div className="space-y-3">
        <p className="text-sm text-gray-600 dark:text-gray-400">{replay.isError ? describeError(replay.error).title : 'Loading the replay…'}</p>
        <div className="flex justify-end">
          <Button onClick={onClose}>Close</Button>
        </div>
      </div>
    )
  }
  const active = isActive(job.state)
  return (
    <div data-testid="replay-job" data-state={job.state} className="space-y-4">
      <div className="flex flex-wrap items-center gap-2">
        <ReplayStatePill state={job.state} />
        <span className="min-w-0 text-xs text-gray-600 dark:text-gray-400">{describeReplay(job)}</span>
      </div>
      <div role="status" aria-live="polite" className="space-y-2">
        <dl className="grid grid-cols-3 gap-2 text-sm">
          <div>
            <dt className="text-xs text-gray-600 dark:text-gray-400">Queued</dt>
            <dd className="font-semibold tabular-nums" data-testid="replay-created">
              {formatCount(job.created)}
              <span className="font-normal text-gray-500 dark:text-gray-400"> / {job.total == null ? '…' : formatCount(job.total)}</span>
            </dd>
          </div>
          <div>
            <dt className="text-xs text-gray-600 dark:text-gray-400">Delivered</dt>
            <dd className="font-semibold tabular-nums text-emerald-700 dark:text-emerald-400" data-testid="replay-delivered">
              {formatCount(job.delivered)}
            </dd>
          </div>
          <div>
            <dt className="text-xs text-gray-600 dark:text-gray-400">Failed</dt>
            <dd className={cn('font-semibold tabular-nums', job.failed > 0 && 'text-red-700 dark:text-red-400')} data-testid="replay-failed">
              {formatCount(job.failed)}
            </dd>
          </div>
        </dl>
        <ReplayBar replay={job} label="Events queued for delivery" />
        <p className="text-xs text-gray-600 dark:text-gray-400">
          {job.state === 'pending'
            ? 'Waiting for the server to take it up…'
            : job.state === 'running'
              ? `Queueing in batches; live deliveries go first, so the replay uses the spare capacity.${job.waiting > 0 ? ` ${formatCount(job.waiting)} waiting to be delivered.` : ''}`
              : job.state === 'done'
                ? `Finished ${job.finished_at ? formatRelative(job.finished_at) : ''}. The deliveries are in the log below, retried like any other.`
                : job.state === 'cancelled'
                  ? 'Cancelled before it finished.'
                  : 'The replay stopped.'}
        </p>
        {job.error && (
          <p role="alert" className="rounded-md bg-red-50 px-2.5 py-1.5 text-xs wrap-break-word whitespace-pre-wrap text-red-800 dark:bg-red-400/10 dark:text-red-300">
            {job.error}
          </p>
        )}
      </div>
      <p className="text-xs text-gray-500 dark:text-gray-400" title={formatDateTime(job.created_at)}>
        Started {formatRelative(job.created_at)} · <span className="font-mono">{job.id}</span>
      </p>
      <div className="flex justify-end gap-2">
        {active && (
          <Button variant="danger" loading={cancel.isPending} onClick={() => cancel.mutate(job.id)}>
            Cancel replay
          </Button>
        )}
        <Button onClick={onClose} autoFocus={!active}>
          Close
        </Button>
      </div>
    </div>
  )
}
