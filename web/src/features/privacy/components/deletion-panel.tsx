// Deleting a subject's events: a form (meta.<key> = value pairs and/or a search query, an
// optional time range), a dry run that counts what would go and lists the webhook endpoints that
// already received some of it, and a deletion behind a confirmation; then the job's progress,
// followed until it ends, and the tenant's past jobs. The job looked at is in the URL (`?job=`).
import { useId, useState, type FormEvent } from 'react'
import { useSearchParams } from 'react-router'
import type { CreateDeletion, DeletionJob, DeletionState } from '@/api/types'
import { describeError, toApiError } from '@/api/errors'
import { Button } from '@/components/ui/button'
import { Dialog } from '@/components/ui/dialog'
import { EmptyState } from '@/components/ui/empty-state'
import { Field, inputClass } from '@/components/ui/field'
import { TrashIcon } from '@/components/ui/icons'
import { SkeletonRows } from '@/components/ui/skeleton'
import { cn } from '@/lib/cn'
import { formatCount, formatDateTime, formatRelative } from '@/lib/format'
import { notifySuccess } from '@/lib/notify'
import { useCancelDeletion, useCreateDeletion, useDeletion, useDeletions } from '../api/deletions'
import { useCreateSuppression } from '../api/suppressions'
import { describeSpec, instantOf, isActive, progressOf, STATE_WORDS } from '../lib/deletions'
import { describeSubject, newPair, pairOfField, pairProblems, pairsOf, subjectOf, type PairDraft } from '../lib/subject'
import { PairsEditor } from './pairs-editor'

const STATE_STYLE: Record<DeletionState, string> = {
  pending: 'bg-gray-100 text-gray-700 ring-gray-500/20 dark:bg-white/10 dark:text-gray-300 dark:ring-white/15',
  running: 'bg-sky-100 text-sky-800 ring-sky-600/20 dark:bg-sky-400/10 dark:text-sky-300 dark:ring-sky-400/30',
  done: 'bg-emerald-100 text-emerald-800 ring-emerald-600/20 dark:bg-emerald-400/10 dark:text-emerald-300 dark:ring-emerald-400/30',
  failed: 'bg-red-100 text-red-800 ring-red-600/20 dark:bg-red-400/10 dark:text-red-300 dark:ring-red-400/30',
  cancelled: 'bg-amber-100 text-amber-900 ring-amber-600/25 dark:bg-amber-400/10 dark:text-amber-300 dark:ring-amber-400/30',
}

export function StatePill({ state }: { state: DeletionState }) {
  return (
    <span data-testid="job-state" data-state={state} className={cn('inline-flex rounded-full px-2 py-px text-xs font-medium ring-1 ring-inset', STATE_STYLE[state])}>
      {STATE_WORDS[state]}
    </span>
  )
}

interface SpecDraft {
  pairs: PairDraft[]
  query: string
  from: string
  to: string
}

const EMPTY: SpecDraft = { pairs: [newPair()], query: '', from: '', to: '' }

function bodyOf(draft: SpecDraft, dryRun: boolean): CreateDeletion {
  return {
    match: subjectOf(draft.pairs),
    query: draft.query.trim() || null,
    from: instantOf(draft.from),
    to: instantOf(draft.to),
    dry_run: dryRun,
  }
}

/** A job's spec back as the form holds it (times in local `datetime-local` text). */
function draftOf(job: DeletionJob): SpecDraft {
  const local = (iso: string | null | undefined) => {
    if (!iso) return ''
    const d = new Date(iso)
    const pad = (n: number) => String(n).padStart(2, '0')
    return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
  }
  return { pairs: pairsOf(job.match), query: job.query ?? '', from: local(job.from), to: local(job.to) }
}

const sameSpec = (a: CreateDeletion, b: Pick<DeletionJob, 'match' | 'query' | 'from' | 'to'>) =>
  JSON.stringify([a.match ?? null, a.query ?? null, a.from ?? null, a.to ?? null]) === JSON.stringify([b.match ?? null, b.query ?? null, b.from ?? null, b.to ?? null])

export function DeletionPanel() {
  const [params, setParams] = useSearchParams()
  const jobId = params.get('job')
  const [draft, setDraft] = useState<SpecDraft>(EMPTY)
  const [confirming, setConfirming] = useState(false)
  const create = useCreateDeletion()
  const jobs = useDeletions()
  const job = useDeletion(jobId)
  const ids = { from: useId(), to: useId(), range: useId() }

  const select = (id: string | null) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev)
        if (id) next.set('job', id)
        else next.delete('job')
        return next
      },
      { replace: true },
    )

  const change = (patch: Partial<SpecDraft>) => {
    setDraft((d) => ({ ...d, ...patch }))
    if (create.isError) create.reset()
  }

  const problems = pairProblems(draft.pairs)
  const body = bodyOf(draft, false)
  const ready = (body.match !== null || body.query !== null) && problems.size === 0
  const error = create.error ? toApiError(create.error) : null
  const field = error?.category === 'invalid_input' ? error.field : null
  const pairErrors = new Map(problems)
  const errorPair = pairOfField(field, draft.pairs)
  if (error && errorPair) pairErrors.set(errorPair, error.message)
  const placed = errorPair !== null || ['match', 'query', 'from', 'to'].includes(field ?? '')
  const fieldError = (name: string) => (field === name && error ? error.message : null)
  // The latest finished dry run of exactly this spec: its counts go into the confirmation.
  const dryRun = (jobs.data ?? []).find((j) => j.dry_run && j.state === 'done' && sameSpec(body, j)) ?? null

  function start(dryRunOnly: boolean) {
    create.mutate(bodyOf(draft, dryRunOnly), {
      onSuccess: (created) => {
        setConfirming(false)
        select(created.id)
        if (!dryRunOnly) notifySuccess('Deletion started', `${describeSpec(created)}: follow its progress below.`)
      },
    })
  }

  function submit(event: FormEvent) {
    event.preventDefault()
    if (ready) start(true)
  }

  return (
    <div className="min-w-0 space-y-4">
      <form onSubmit={submit} noValidate aria-labelledby="deletion-heading" data-testid="deletion-form" className="min-w-0 space-y-5 rounded-xl bg-white p-4 ring-1 ring-gray-200 sm:p-6 dark:bg-gray-900 dark:ring-white/10">
        <div>
          <h2 id="deletion-heading" className="text-sm font-semibold">
            Delete a subject's events
          </h2>
          <p className="text-xs text-gray-600 dark:text-gray-400">
            Everything stored about one person (an account, a device…): their events with their search entries, counts and pending webhook deliveries, in the background. Start with a dry run: it counts and
            deletes nothing.
          </p>
        </div>
        <PairsEditor
          legend="Subject"
          hint="Events whose metadata has every one of these values (as the meta.<key>=<value> filters compare them)."
          pairs={draft.pairs}
          onChange={(pairs) => change({ pairs })}
          errors={pairErrors}
          error={fieldError('match')}
        />
        <Field
          label="Search query (optional)"
          value={draft.query}
          onChange={(e) => change({ query: e.target.value })}
          placeholder={'"ann@example.com" or plan:pro'}
          spellCheck={false}
          autoComplete="off"
          hint="In the search language; with a subject, events must match both."
          error={fieldError('query')}
          className="max-w-xl"
        />
        <fieldset aria-describedby={ids.range}>
          <legend className="text-sm font-medium">Time range (optional)</legend>
          <p id={ids.range} className="mt-0.5 text-xs text-gray-600 dark:text-gray-400">
            By the events' timestamps, in your local time; blank: all of them.
          </p>
          <div className="mt-2 flex flex-wrap gap-3">
            {(
              [
                ['from', 'From', ids.from],
                ['to', 'Before', ids.to],
              ] as const
            ).map(([key, label, id]) => (
              <div key={key}>
                <label htmlFor={id} className="block text-xs font-medium text-gray-700 dark:text-gray-300">
                  {label}
                </label>
                <input
                  id={id}
                  type="datetime-local"
                  value={draft[key]}
                  onChange={(e) => change({ [key]: e.target.value })}
                  aria-invalid={fieldError(key) ? true : undefined}
                  className={cn(inputClass, 'mt-1 h-8 w-56 py-1 text-xs aria-invalid:ring-red-500')}
                />
                {fieldError(key) && (
                  <p role="alert" className="mt-1 text-xs text-red-600 dark:text-red-400">
                    {fieldError(key)}
                  </p>
                )}
              </div>
            ))}
          </div>
        </fieldset>
        {error && !placed && (
          <p role="alert" className="text-sm text-red-600 dark:text-red-400">
            {describeError(error).title}
            {describeError(error).description ? ` — ${describeError(error).description}` : ''}
          </p>
        )}
        <div className="flex flex-wrap items-center justify-end gap-2 border-t border-gray-100 pt-4 dark:border-white/5">
          {!ready && <span className="mr-auto text-xs text-gray-600 dark:text-gray-400">Name a subject (a key and its value) or a search query.</span>}
          <Button onClick={() => change(EMPTY)} disabled={create.isPending}>
            Clear
          </Button>
          <Button type="submit" variant="primary" disabled={!ready} loading={create.isPending && create.variables?.dry_run === true}>
            Dry run
          </Button>
          <Button variant="danger" disabled={!ready || create.isPending} onClick={() => setConfirming(true)}>
            <TrashIcon className="size-4" /> Delete events…
          </Button>
        </div>
      </form>

      {jobId && (
        <JobCard
          job={job.data ?? null}
          loading={job.isPending}
          failure={job.error}
          onClose={() => select(null)}
          onDeleteLikeThis={(j) => {
            setDraft(draftOf(j))
            create.reset()
            setConfirming(true)
          }}
        />
      )}

      <JobsList jobs={jobs.data} loading={jobs.isPending} failure={jobs.error} selected={jobId} onSelect={select} />

      <Dialog open={confirming} onClose={() => setConfirming(false)} title="Delete these events?" description="They are deleted for good, with their search entries, counts and pending webhook deliveries. This cannot be undone.">
        <div className="space-y-3 text-sm">
          <p className="rounded-md bg-gray-50 px-3 py-2 font-mono text-xs break-all ring-1 ring-gray-200 dark:bg-black/30 dark:ring-white/10" data-testid="confirm-spec">
            {describeSpec({ match: body.match, query: body.query, from: body.from, to: body.to })}
          </p>
          {dryRun ? (
            <p data-testid="confirm-dry-run">
              The dry run {formatRelative(dryRun.finished_at ?? dryRun.updated_at)} matched <strong>{formatCount(dryRun.matched)}</strong> event{dryRun.matched === 1 ? '' : 's'}
              {dryRun.delivered_to.length > 0 ? (
                <>
                  ; {dryRun.delivered_to.length} webhook endpoint{dryRun.delivered_to.length === 1 ? '' : 's'} already received some, and cannot be recalled: {dryRun.delivered_to.map((d) => d.url).join(', ')}.
                </>
              ) : (
                '; no webhook endpoint received any of them.'
              )}
            </p>
          ) : (
            <p className="text-gray-600 dark:text-gray-400">No dry run of exactly this yet: it would say how many events match first.</p>
          )}
          {error && create.variables?.dry_run === false && (
            <p role="alert" className="text-sm text-red-600 dark:text-red-400">
              {error.message}
            </p>
          )}
        </div>
        <div className="flex justify-end gap-2 pt-4">
          <Button onClick={() => setConfirming(false)} autoFocus>
            Cancel
          </Button>
          <Button variant="danger" loading={create.isPending} onClick={() => start(false)} disabled={!ready}>
            Delete events
          </Button>
        </div>
      </Dialog>
    </div>
  )
}

function JobCard({ job, loading, failure, onClose, onDeleteLikeThis }: { job: DeletionJob | null; loading: boolean; failure: unknown; onClose: () => void; onDeleteLikeThis: (job: DeletionJob) => void }) {
  const cancel = useCancelDeletion()
  const suppress = useCreateSuppression()
  if (!job) {
    return (
      <section aria-label="Deletion job" className="rounded-xl bg-white ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
        {loading ? (
          <SkeletonRows rows={2} label="Loading the job" />
        ) : (
          <EmptyState title={describeError(failure).title}>
            <Button size="sm" onClick={onClose}>
              Close
            </Button>
          </EmptyState>
        )}
      </section>
    )
  }
  const progress = progressOf(job)
  const active = isActive(job.state)
  return (
    <section aria-label={job.dry_run ? 'Dry run' : 'Deletion job'} data-testid="deletion-job" data-state={job.state} className="min-w-0 space-y-3 rounded-xl bg-white p-4 ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
      <div className="flex flex-wrap items-center gap-2">
        <h2 className="text-sm font-semibold">{job.dry_run ? 'Dry run' : 'Deletion'}</h2>
        <StatePill state={job.state} />
        <span className="min-w-0 truncate font-mono text-xs text-gray-600 dark:text-gray-400" title={describeSpec(job)}>
          {describeSpec(job)}
        </span>
        <span className="flex-1" />
        {active && (
          <Button size="sm" variant="ghost" loading={cancel.isPending} onClick={() => cancel.mutate(job.id)}>
            Cancel job
          </Button>
        )}
        <Button size="sm" variant="ghost" onClick={onClose}>
          Close
        </Button>
      </div>
      <div role="status" aria-live="polite" data-testid="job-progress" className="space-y-2">
        <dl className="flex flex-wrap gap-x-8 gap-y-1 text-sm">
          <div>
            <dt className="text-xs text-gray-600 dark:text-gray-400">{job.dry_run ? 'Would delete' : 'Matched'}</dt>
            <dd className="font-semibold tabular-nums" data-testid="job-matched">
              {formatCount(job.matched)}
            </dd>
          </div>
          {!job.dry_run && (
            <div>
              <dt className="text-xs text-gray-600 dark:text-gray-400">Deleted</dt>
              <dd className="font-semibold tabular-nums" data-testid="job-deleted">
                {formatCount(job.deleted)}
              </dd>
            </div>
          )}
          <div>
            <dt className="text-xs text-gray-600 dark:text-gray-400">Started</dt>
            <dd className="text-xs" title={formatDateTime(job.created_at)}>
              {formatRelative(job.created_at)}
            </dd>
          </div>
          {job.finished_at && (
            <div>
              <dt className="text-xs text-gray-600 dark:text-gray-400">Finished</dt>
              <dd className="text-xs" title={formatDateTime(job.finished_at)}>
                {formatRelative(job.finished_at)}
              </dd>
            </div>
          )}
        </dl>
        {!job.dry_run && (
          <div
            role="progressbar"
            aria-label="Deleted of matched"
            aria-valuemin={0}
            aria-valuemax={100}
            aria-valuenow={progress === null ? undefined : Math.round(progress * 100)}
            className="h-1.5 overflow-hidden rounded-full bg-gray-100 dark:bg-white/10"
          >
            <div className={cn('h-full rounded-full bg-accent-600 transition-[width] dark:bg-accent-400', progress === null && active && 'w-1/4 animate-pulse')} style={progress === null ? undefined : { width: `${progress * 100}%` }} />
          </div>
        )}
        {active && <p className="text-xs text-gray-600 dark:text-gray-400">{job.state === 'pending' ? 'Waiting for the server to take it up…' : job.dry_run ? 'Counting…' : 'Deleting in batches; ingestion goes on meanwhile.'}</p>}
        {job.error && (
          <p role="alert" className="rounded-md bg-red-50 px-2.5 py-1.5 text-xs text-red-800 dark:bg-red-400/10 dark:text-red-300">
            {job.error}
          </p>
        )}
      </div>
      <div>
        <h3 className="text-xs font-medium text-gray-700 dark:text-gray-300">Already delivered to webhooks</h3>
        {job.delivered_to.length === 0 ? (
          <p className="text-xs text-gray-600 dark:text-gray-400" data-testid="delivered-none">
            {active ? 'None so far.' : 'None: no webhook endpoint received any of these events.'}
          </p>
        ) : (
          <>
            <p className="text-xs text-gray-600 dark:text-gray-400">These endpoints received some of the events; what they stored cannot be recalled from here.</p>
            <ul className="mt-1 space-y-1" data-testid="delivered-to">
              {job.delivered_to.map((d) => (
                <li key={d.endpoint_id} className="flex min-w-0 items-baseline gap-2 text-xs">
                  <span className="min-w-0 truncate font-mono" title={d.url}>
                    {d.url}
                  </span>
                  <span className="shrink-0 text-gray-600 tabular-nums dark:text-gray-400">
                    {formatCount(d.events)} event{d.events === 1 ? '' : 's'}
                  </span>
                </li>
              ))}
            </ul>
          </>
        )}
      </div>
      {job.state === 'done' && (
        <div className="flex flex-wrap gap-2 border-t border-gray-100 pt-3 dark:border-white/5">
          {job.dry_run && job.matched > 0 && (
            <Button size="sm" variant="danger" onClick={() => onDeleteLikeThis(job)}>
              <TrashIcon className="size-3.5" /> Delete these {formatCount(job.matched)} events…
            </Button>
          )}
          {job.match && (
            <Button
              size="sm"
              loading={suppress.isPending}
              title="Drop this subject's future events at ingest"
              onClick={() =>
                suppress.mutate(
                  { match: job.match ?? {}, reason: `deletion ${job.id}` },
                  { onSuccess: ({ existed }) => notifySuccess(existed ? 'Already suppressed' : 'Subject suppressed', `${describeSubject(job.match)}: future events are dropped at ingest.`) },
                )
              }
            >
              Suppress future events of {describeSubject(job.match)}
            </Button>
          )}
          {suppress.isError && (
            <p role="alert" className="text-xs text-red-600 dark:text-red-400">
              {describeError(suppress.error).title}: {toApiError(suppress.error).message}
            </p>
          )}
        </div>
      )}
    </section>
  )
}

function JobsList({ jobs, loading, failure, selected, onSelect }: { jobs: DeletionJob[] | undefined; loading: boolean; failure: unknown; selected: string | null; onSelect: (id: string) => void }) {
  return (
    <section aria-labelledby="jobs-heading" className="overflow-hidden rounded-xl bg-white ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
      <h2 id="jobs-heading" className="border-b border-gray-100 px-4 py-3 text-sm font-semibold dark:border-white/5">
        Past jobs
      </h2>
      {loading ? (
        <SkeletonRows rows={3} label="Loading deletion jobs" />
      ) : failure ? (
        <EmptyState title={describeError(failure).title} />
      ) : !jobs || jobs.length === 0 ? (
        <EmptyState title="No deletions yet">
          <p>Dry runs and deletions show up here with what they matched and deleted.</p>
        </EmptyState>
      ) : (
        <table className="w-full table-fixed text-sm" data-testid="deletion-jobs">
          <caption className="sr-only">Deletion jobs, newest first</caption>
          <thead className="border-b border-gray-200 bg-gray-50 text-left text-xs font-medium text-gray-500 dark:border-white/10 dark:bg-white/[0.03] dark:text-gray-400">
            <tr>
              <th scope="col" className="px-3 py-2 sm:px-4">What</th>
              <th scope="col" className="hidden w-24 px-3 py-2 sm:table-cell">Kind</th>
              <th scope="col" className="w-24 px-3 py-2">State</th>
              <th scope="col" className="hidden w-24 px-3 py-2 text-right md:table-cell">Matched</th>
              <th scope="col" className="hidden w-24 px-3 py-2 text-right md:table-cell">Deleted</th>
              <th scope="col" className="hidden w-28 px-3 py-2 lg:table-cell">Started</th>
            </tr>
          </thead>
          <tbody className="divide-y divide-gray-100 dark:divide-white/5">
            {jobs.map((job) => (
              <tr key={job.id} data-testid="deletion-row" data-job-id={job.id} aria-selected={job.id === selected} onClick={() => onSelect(job.id)} className={cn('cursor-pointer', job.id === selected ? 'bg-accent-50 dark:bg-accent-500/15' : 'hover:bg-gray-50 dark:hover:bg-white/[0.04]')}>
                <td className="min-w-0 px-3 py-2 sm:px-4">
                  <button type="button" onClick={(e) => (e.stopPropagation(), onSelect(job.id))} className="block max-w-full truncate text-left font-mono text-xs" title={describeSpec(job)}>
                    {describeSpec(job)}
                  </button>
                  <span className="text-xs text-gray-600 sm:hidden dark:text-gray-400">{job.dry_run ? 'Dry run' : 'Deletion'} · {formatRelative(job.created_at)}</span>
                </td>
                <td className="hidden px-3 py-2 text-xs sm:table-cell">{job.dry_run ? 'Dry run' : 'Deletion'}</td>
                <td className="px-3 py-2">
                  <StatePill state={job.state} />
                </td>
                <td className="hidden px-3 py-2 text-right text-xs tabular-nums md:table-cell">{formatCount(job.matched)}</td>
                <td className="hidden px-3 py-2 text-right text-xs tabular-nums md:table-cell">{job.dry_run ? '—' : formatCount(job.deleted)}</td>
                <td className="hidden px-3 py-2 text-xs text-gray-600 lg:table-cell dark:text-gray-400" title={formatDateTime(job.created_at)}>
                  {formatRelative(job.created_at)}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  )
}
