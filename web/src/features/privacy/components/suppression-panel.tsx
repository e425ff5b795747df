// Suppressions: subjects whose future events are dropped at ingest (answered as accepted, so SDKs
// do not retry), each with how many it has dropped; add one, lift one after a confirmation.
import { useState, type FormEvent } from 'react'
import type { Suppression } from '@/api/types'
import { describeError, toApiError } from '@/api/errors'
import { Button } from '@/components/ui/button'
import { Dialog } from '@/components/ui/dialog'
import { EmptyState } from '@/components/ui/empty-state'
import { Field } from '@/components/ui/field'
import { SkeletonRows } from '@/components/ui/skeleton'
import { formatCount, formatDateTime, formatRelative } from '@/lib/format'
import { notifySuccess } from '@/lib/notify'
import { useCreateSuppression, useDeleteSuppression, useSuppressions } from '../api/suppressions'
import { describeSubject, newPair, pairOfField, pairProblems, subjectOf, type PairDraft } from '../lib/subject'
import { PairsEditor } from './pairs-editor'

export function SuppressionPanel() {
  const list = useSuppressions()
  const create = useCreateSuppression()
  const [pairs, setPairs] = useState<PairDraft[]>(() => [newPair()])
  const [reason, setReason] = useState('')
  const [lifting, setLifting] = useState<Suppression | null>(null)

  const problems = pairProblems(pairs)
  const match = subjectOf(pairs)
  const ready = match !== null && problems.size === 0
  const error = create.error ? toApiError(create.error) : null
  const field = error?.category === 'invalid_input' ? error.field : null
  const errors = new Map(problems)
  const errorPair = pairOfField(field, pairs)
  if (error && errorPair) errors.set(errorPair, error.message)
  const placed = errorPair !== null || field === 'match' || field === 'reason'

  function submit(event: FormEvent) {
    event.preventDefault()
    if (!ready) return
    create.mutate(
      { match, reason: reason.trim() || null },
      {
        onSuccess: ({ suppression, existed }) => {
          notifySuccess(existed ? 'Already suppressed' : 'Subject suppressed', `${describeSubject(suppression.match)}: future events are dropped at ingest.`)
          setPairs([newPair()])
          setReason('')
        },
      },
    )
  }

  const edit = (next: () => void) => {
    next()
    if (create.isError) create.reset()
  }

  return (
    <div className="min-w-0 space-y-4">
      <form onSubmit={submit} noValidate aria-labelledby="suppress-heading" data-testid="suppression-form" className="min-w-0 space-y-4 rounded-xl bg-white p-4 ring-1 ring-gray-200 sm:p-6 dark:bg-gray-900 dark:ring-white/10">
        <div>
          <h2 id="suppress-heading" className="text-sm font-semibold">
            Suppress a subject
          </h2>
          <p className="text-xs text-gray-600 dark:text-gray-400">Their future events are dropped before anything is stored, answered as accepted so SDKs do not retry, and counted here, until you lift it. Events stored before stay: delete them apart.</p>
        </div>
        <PairsEditor
          legend="Subject"
          hint="An event is dropped when its metadata has every one of these values."
          pairs={pairs}
          onChange={(next) => edit(() => setPairs(next))}
          errors={errors}
          error={field === 'match' ? error?.message : null}
        />
        <Field
          label="Reason (optional)"
          value={reason}
          onChange={(e) => edit(() => setReason(e.target.value))}
          maxLength={500}
          placeholder="GDPR request #1234"
          autoComplete="off"
          error={field === 'reason' ? error?.message : null}
          className="max-w-xl"
        />
        {error && !placed && (
          <p role="alert" className="text-sm text-red-600 dark:text-red-400">
            {describeError(error).title}
            {describeError(error).description ? ` — ${describeError(error).description}` : ''}
          </p>
        )}
        <div className="flex justify-end">
          <Button type="submit" variant="primary" disabled={!ready} loading={create.isPending}>
            Suppress
          </Button>
        </div>
      </form>

      <section aria-labelledby="suppressions-heading" className="overflow-hidden rounded-xl bg-white ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
        <h2 id="suppressions-heading" className="border-b border-gray-100 px-4 py-3 text-sm font-semibold dark:border-white/5">
          Suppressed subjects
        </h2>
        {list.isPending ? (
          <SkeletonRows rows={3} label="Loading suppressions" />
        ) : list.isError ? (
          <EmptyState title={describeError(list.error).title}>
            <Button size="sm" onClick={() => void list.refetch()}>
              Try again
            </Button>
          </EmptyState>
        ) : list.data.length === 0 ? (
          <EmptyState title="No subject is suppressed">
            <p>Every event is stored (after redaction). Suppress a subject to drop their events at ingest from now on.</p>
          </EmptyState>
        ) : (
          <table className="w-full table-fixed text-sm" data-testid="suppressions">
            <caption className="sr-only">Suppressed subjects, oldest first, with the events each has dropped</caption>
            <thead className="border-b border-gray-200 bg-gray-50 text-left text-xs font-medium text-gray-500 dark:border-white/10 dark:bg-white/[0.03] dark:text-gray-400">
              <tr>
                <th scope="col" className="px-3 py-2 sm:px-4">Subject</th>
                <th scope="col" className="hidden px-3 py-2 md:table-cell">Reason</th>
                <th scope="col" className="w-24 px-3 py-2 text-right">Dropped</th>
                <th scope="col" className="hidden w-32 px-3 py-2 lg:table-cell">Last dropped</th>
                <th scope="col" className="hidden w-28 px-3 py-2 sm:table-cell">Added</th>
                <th scope="col" className="w-20 px-3 py-2 sm:w-24">
                  <span className="sr-only">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody className="divide-y divide-gray-100 dark:divide-white/5">
              {list.data.map((s) => (
                <tr key={s.id} data-testid="suppression" data-subject={describeSubject(s.match)}>
                  <td className="min-w-0 px-3 py-2.5 sm:px-4">
                    <span className="block font-mono text-xs [overflow-wrap:anywhere]">
                      {describeSubject(s.match)}
                    </span>
                    {s.reason && <span className="block truncate text-xs text-gray-600 md:hidden dark:text-gray-400">{s.reason}</span>}
                  </td>
                  <td className="hidden truncate px-3 py-2.5 text-xs text-gray-700 md:table-cell dark:text-gray-300" title={s.reason ?? undefined}>
                    {s.reason ?? <span className="text-gray-500 dark:text-gray-400">—</span>}
                  </td>
                  <td className="px-3 py-2.5 text-right text-xs font-semibold tabular-nums" data-testid="suppression-dropped">
                    {formatCount(s.dropped)}
                  </td>
                  <td className="hidden px-3 py-2.5 text-xs text-gray-600 lg:table-cell dark:text-gray-400" title={s.last_dropped_at ? formatDateTime(s.last_dropped_at) : undefined}>
                    {s.last_dropped_at ? formatRelative(s.last_dropped_at) : 'never'}
                  </td>
                  <td className="hidden px-3 py-2.5 text-xs text-gray-600 sm:table-cell dark:text-gray-400" title={formatDateTime(s.created_at)}>
                    {formatRelative(s.created_at)}
                  </td>
                  <td className="px-3 py-2 text-right">
                    <Button size="sm" variant="ghost" className="text-red-700 dark:text-red-400" aria-label={`Lift the suppression of ${describeSubject(s.match)}`} onClick={() => setLifting(s)}>
                      Lift
                    </Button>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </section>
      <LiftDialog suppression={lifting} onClose={() => setLifting(null)} />
    </div>
  )
}

function LiftDialog({ suppression, onClose }: { suppression: Suppression | null; onClose: () => void }) {
  const remove = useDeleteSuppression()
  const subject = suppression ? describeSubject(suppression.match) : ''
  return (
    <Dialog open={suppression !== null} onClose={onClose} title="Lift this suppression?" description="The subject's events are stored again from the next one on.">
      <p className="rounded-md bg-gray-50 px-3 py-2 font-mono text-xs break-all ring-1 ring-gray-200 dark:bg-black/30 dark:ring-white/10">{subject}</p>
      {suppression && suppression.dropped > 0 && <p className="mt-2 text-sm text-gray-600 dark:text-gray-400">It has dropped {formatCount(suppression.dropped)} events; those are gone either way.</p>}
      <div className="flex justify-end gap-2 pt-4">
        <Button onClick={onClose} autoFocus>
          Cancel
        </Button>
        <Button
          variant="danger"
          loading={remove.isPending}
          onClick={() =>
            suppression &&
            remove.mutate(suppression.id, {
              onSuccess: () => {
                notifySuccess('Suppression lifted', `${subject}: events are stored again.`)
                onClose()
              },
            })
          }
        >
          Lift suppression
        </Button>
      </div>
    </Dialog>
  )
}
