// The audit log (#19): every change made with the admin token or a manage key on this tenant,
// newest first: when, who (the key by name when the tenant still lists it), what, on what, from
// which address; a row opens to the request and the state before and after, the changed values
// marked on both sides. Filters (action, actor) live in the URL (`?action=webhook.update&actor=admin`);
// "Load more" follows the cursor.
import { Fragment, useId, useState } from 'react'
import { useSearchParams } from 'react-router'
import type { AuditEntry } from '@/api/types'
import { describeError } from '@/api/errors'
import { PageHeader } from '@/components/layout/page-header'
import { Button } from '@/components/ui/button'
import { EmptyState } from '@/components/ui/empty-state'
import { ChevronDownIcon, ListIcon, LockIcon } from '@/components/ui/icons'
import { SkeletonRows } from '@/components/ui/skeleton'
import { isAdmin, useSession } from '@/features/auth/hooks/use-session'
import { JsonHighlight, type MarkTone } from '@/features/quality/components/json-highlight'
import { useTenantKeys } from '@/features/tenants/api/get-tenants'
import { useCurrentTenant } from '@/features/tenants/hooks/use-current-tenant'
import { cn } from '@/lib/cn'
import { formatCount, formatDateTime, formatRelative } from '@/lib/format'
import { describeDiff, diffJson } from '@/lib/json-diff'
import { useAuditLog } from '../api/audit'
import { ACTIONS, actionWords, actorWords } from '../lib/actions'

const selectClass = 'h-7 max-w-[14rem] min-w-0 rounded-md bg-white px-2 text-xs ring-1 ring-gray-300 ring-inset dark:bg-gray-900 dark:ring-white/10'

export default function AuditView() {
  const session = useSession()
  const canManage = isAdmin(session) || Boolean(session?.scopes.includes('manage'))
  const { tenantId, tenant } = useCurrentTenant()
  const [params, setParams] = useSearchParams()
  const action = params.get('action')
  const actor = params.get('actor')
  const log = useAuditLog({ action, actor }, canManage)
  const keys = useTenantKeys(canManage ? tenantId : undefined)
  const [open, setOpen] = useState<string | null>(null)
  const ids = { action: useId(), actor: useId() }
  const entries = log.data?.pages.flatMap((page) => page.entries) ?? []
  const filtered = action !== null || actor !== null

  const set = (key: 'action' | 'actor', value: string) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev)
        if (value) next.set(key, value)
        else next.delete(key)
        return next
      },
      { replace: true },
    )

  return (
    <div className="min-w-0 space-y-4">
      <PageHeader title="Audit log" description={`Who changed what in ${tenant?.name ?? 'this tenant'}, when and from where: keys, webhooks, schemas, privacy and settings.`}>
        {canManage && (
          <>
            <label htmlFor={ids.action} className="sr-only">
              Action
            </label>
            <select id={ids.action} value={action ?? ''} onChange={(e) => set('action', e.target.value)} className={selectClass} data-testid="audit-action-filter">
              <option value="">Every action</option>
              {ACTIONS.map((group) => (
                <optgroup key={group.group} label={group.group}>
                  {group.actions.map(([value, words]) => (
                    <option key={value} value={value}>
                      {words}
                    </option>
                  ))}
                </optgroup>
              ))}
            </select>
            <label htmlFor={ids.actor} className="sr-only">
              Actor
            </label>
            <select id={ids.actor} value={actor ?? ''} onChange={(e) => set('actor', e.target.value)} className={selectClass} data-testid="audit-actor-filter">
              <option value="">Anyone</option>
              <option value="admin">Admin</option>
              {(keys.data ?? []).map((key) => (
                <option key={key.id} value={key.id}>
                  {key.name} ({key.prefix}…)
                </option>
              ))}
            </select>
          </>
        )}
      </PageHeader>
      <section aria-label="Audit entries" className="overflow-hidden rounded-xl bg-white ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
        {!canManage ? (
          <EmptyState title="The audit log needs the manage scope" icon={<LockIcon className="size-8" />}>
            <p>Sign in with the admin token or a key with the manage scope to see who changed what.</p>
          </EmptyState>
        ) : log.isPending ? (
          <SkeletonRows rows={8} label="Loading the audit log" />
        ) : log.isError && entries.length === 0 ? (
          <EmptyState title={describeError(log.error).title}>
            <p>{describeError(log.error).description}</p>
            <Button className="mt-3" size="sm" onClick={() => void log.refetch()}>
              Try again
            </Button>
          </EmptyState>
        ) : entries.length === 0 ? (
          <EmptyState title={filtered ? 'No change matches these filters' : 'No changes recorded yet'} icon={<ListIcon className="size-8" />}>
            {filtered ? (
              <Button className="mt-1" size="sm" onClick={() => setParams(new URLSearchParams(), { replace: true })}>
                Clear the filters
              </Button>
            ) : (
              <p>Each change made with the admin token or a manage key shows up here: new keys, webhook edits, schemas, privacy rules, deletions.</p>
            )}
          </EmptyState>
        ) : (
          <>
            <table className="w-full table-fixed text-sm" data-testid="audit-table">
              <caption className="sr-only">Changes, newest first</caption>
              <thead className="border-b border-gray-200 bg-gray-50 text-left text-xs font-medium text-gray-500 dark:border-white/10 dark:bg-white/[0.03] dark:text-gray-400">
                <tr>
                  <th scope="col" className="w-24 px-3 py-2 sm:w-28 sm:px-4">When</th>
                  <th scope="col" className="px-3 py-2">Change</th>
                  <th scope="col" className="hidden w-[22%] px-3 py-2 md:table-cell">By</th>
                  <th scope="col" className="hidden w-[18%] px-3 py-2 lg:table-cell">Target</th>
                  <th scope="col" className="hidden w-32 px-3 py-2 xl:table-cell">IP</th>
                  <th scope="col" className="w-12 px-2 py-2">
                    <span className="sr-only">Details</span>
                  </th>
                </tr>
              </thead>
              <tbody className="divide-y divide-gray-100 dark:divide-white/5">
                {entries.map((entry) => {
                  const who = actorWords(entry.actor, keys.data)
                  const expanded = open === entry.id
                  const detailsId = `audit-${entry.id}`
                  return (
                    <Fragment key={entry.id}>
                      <tr data-testid="audit-entry" data-action={entry.action} data-expanded={expanded} onClick={() => setOpen(expanded ? null : entry.id)} className={cn('cursor-pointer align-top', expanded ? 'bg-accent-50 dark:bg-accent-500/15' : 'hover:bg-gray-50 dark:hover:bg-white/[0.04]')}>
                        <td className="px-3 py-2.5 text-xs text-gray-600 sm:px-4 dark:text-gray-400">
                          <time dateTime={entry.at} title={formatDateTime(entry.at)}>
                            {formatRelative(entry.at)}
                          </time>
                        </td>
                        <td className="min-w-0 px-3 py-2.5">
                          <span className="block truncate font-medium">{actionWords(entry.action)}</span>
                          <span className="block truncate font-mono text-xs text-gray-600 dark:text-gray-400">{entry.action}</span>
                          <span className="block truncate text-xs text-gray-600 md:hidden dark:text-gray-400">by {who.name}</span>
                        </td>
                        <td className="hidden min-w-0 px-3 py-2.5 md:table-cell" data-testid="audit-actor">
                          <span className="block truncate">{who.name}</span>
                          {who.detail && <span className="block truncate font-mono text-xs text-gray-600 dark:text-gray-400">{who.detail}</span>}
                        </td>
                        <td className="hidden truncate px-3 py-2.5 font-mono text-xs lg:table-cell" title={entry.target_id ?? undefined}>
                          {entry.target_id ?? <span className="font-sans text-gray-500 dark:text-gray-400">—</span>}
                        </td>
                        <td className="hidden truncate px-3 py-2.5 font-mono text-xs text-gray-600 xl:table-cell dark:text-gray-400">{entry.ip ?? '—'}</td>
                        <td className="px-2 py-2 text-right">
                          <button
                            type="button"
                            aria-expanded={expanded}
                            aria-controls={expanded ? detailsId : undefined}
                            aria-label={`${expanded ? 'Hide' : 'Show'} the details of ${actionWords(entry.action)}, ${formatRelative(entry.at)}`}
                            onClick={(e) => (e.stopPropagation(), setOpen(expanded ? null : entry.id))}
                            className="rounded-md p-1.5 text-gray-500 hover:bg-gray-100 hover:text-gray-900 dark:text-gray-400 dark:hover:bg-white/10 dark:hover:text-white"
                          >
                            <ChevronDownIcon className={cn('size-4 transition-transform', expanded && 'rotate-180')} />
                          </button>
                        </td>
                      </tr>
                      {expanded && (
                        <tr>
                          <td colSpan={6} id={detailsId} className="bg-gray-50/60 px-3 py-3 sm:px-4 dark:bg-white/[0.02]">
                            <EntryDetails entry={entry} who={who} />
                          </td>
                        </tr>
                      )}
                    </Fragment>
                  )
                })}
              </tbody>
            </table>
            <div className="flex items-center justify-between gap-3 border-t border-gray-100 px-4 py-2.5 text-xs text-gray-600 dark:border-white/5 dark:text-gray-400">
              <span data-testid="audit-count">
                {formatCount(entries.length)} change{entries.length === 1 ? '' : 's'}
                {log.hasNextPage ? ' shown' : ''}
              </span>
              {log.hasNextPage ? (
                <Button size="sm" onClick={() => void log.fetchNextPage()} loading={log.isFetchingNextPage}>
                  Load more
                </Button>
              ) : (
                <span>That is all{filtered ? ' for these filters' : ''}: entries are kept as long as the delivery log.</span>
              )}
            </div>
          </>
        )}
      </section>
    </div>
  )
}

function EntryDetails({ entry, who }: { entry: AuditEntry; who: { name: string; detail: string | null } }) {
  const before = entry.before ?? null
  const after = entry.after ?? null
  const diff = before && after ? diffJson(before, after) : null
  const beforeTones = new Map<string, MarkTone>()
  const afterTones = new Map<string, MarkTone>()
  for (const path of diff?.changed ?? []) {
    beforeTones.set(path, 'changed')
    afterTones.set(path, 'added')
  }
  for (const path of diff?.removed ?? []) beforeTones.set(path, 'removed')
  for (const path of diff?.added ?? []) afterTones.set(path, 'added')
  return (
    <div className="min-w-0 space-y-3" data-testid="audit-details">
      <dl className="grid grid-cols-[auto_1fr] gap-x-4 gap-y-1 text-xs sm:grid-cols-[auto_1fr_auto_1fr]">
        <dt className="text-gray-600 dark:text-gray-400">Request</dt>
        <dd className="min-w-0 font-mono break-all">
          {entry.method} {entry.route} → {entry.status}
        </dd>
        <dt className="text-gray-600 dark:text-gray-400">At</dt>
        <dd>{formatDateTime(entry.at)}</dd>
        <dt className="text-gray-600 dark:text-gray-400">By</dt>
        <dd className="min-w-0 break-all">
          {who.name}
          {who.detail ? ` (${who.detail})` : ''}
        </dd>
        <dt className="text-gray-600 dark:text-gray-400">From</dt>
        <dd className="font-mono">{entry.ip ?? 'unknown'}</dd>
        <dt className="text-gray-600 dark:text-gray-400">Target</dt>
        <dd className="min-w-0 font-mono break-all">{entry.target_id ?? '—'}</dd>
        <dt className="text-gray-600 dark:text-gray-400">Request id</dt>
        <dd className="min-w-0 font-mono break-all">{entry.request_id ?? '—'}</dd>
      </dl>
      {before || after ? (
        <>
          {diff && <p className="text-xs font-medium text-gray-800 dark:text-gray-200">{describeDiff(diff) ?? 'Nothing changed in what the API shows of it.'}</p>}
          <div className={cn('grid min-w-0 gap-3', before && after && 'md:grid-cols-2')}>
            {before && (
              <div className="min-w-0">
                <h3 className="mb-1 text-xs font-medium text-gray-700 dark:text-gray-300">Before</h3>
                <JsonHighlight value={before} tones={beforeTones} wrap label="State before the change, changed and removed values marked" className="max-h-80" />
              </div>
            )}
            {after && (
              <div className="min-w-0">
                <h3 className="mb-1 text-xs font-medium text-gray-700 dark:text-gray-300">{before ? 'After' : 'Created as'}</h3>
                <JsonHighlight value={after} tones={afterTones} wrap label="State after the change, new values marked" className="max-h-80" />
              </div>
            )}
          </div>
        </>
      ) : (
        <p className="text-xs text-gray-600 dark:text-gray-400">No before or after for this change (it has no state of its own to show). Secrets are never recorded.</p>
      )}
    </div>
  )
}
