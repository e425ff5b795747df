// Data quality: every event type of the range with the schema that checks it, its mode, the share
// of checked events that violated it and when (sparkline); a type's last failing examples with the
// failing path marked; the schema editor; the tenant's policy for unplanned types. The range, the
// selected type and the schema being edited are in the URL (`?range=24h&type=signup&schema=order.*`).
import { useMemo } from 'react'
import { Link, useSearchParams } from 'react-router'
import { describeError } from '@/api/errors'
import { PageHeader } from '@/components/layout/page-header'
import { Button } from '@/components/ui/button'
import { EmptyState } from '@/components/ui/empty-state'
import { PlusIcon } from '@/components/ui/icons'
import { SkeletonRows } from '@/components/ui/skeleton'
import { TypeBadge } from '@/components/ui/type-badge'
import { isAdmin, useSession } from '@/features/auth/hooks/use-session'
import { useStats } from '@/features/stats/api/get-stats'
import { useCurrentTenantId } from '@/features/tenants/hooks/use-current-tenant'
import { cn } from '@/lib/cn'
import { formatCount, formatDateTime, formatRelative } from '@/lib/format'
import type { EventSchema, SchemaMode } from '@/api/types'
import { useDataQuality } from '../api/data-quality'
import { useSchemas, useViolations } from '../api/schemas'
import { formatRate } from '../lib/words'
import { denseSeries, mergeTypes, type Interval, type QualityRow } from '../lib/rows'
import { JsonHighlight } from './json-highlight'
import { SchemaEditor } from './schema-editor'
import { PolicyControl } from './policy-control'
import { Sparkline } from './sparkline'
import { ViolationList } from './violation-badge'

const RANGES = {
  '1h': { label: '1 hour', ms: 3_600_000, interval: 'minute' },
  '24h': { label: '24 hours', ms: 24 * 3_600_000, interval: 'hour' },
  '7d': { label: '7 days', ms: 7 * 24 * 3_600_000, interval: 'hour' },
} as const satisfies Record<string, { label: string; ms: number; interval: Interval }>
type RangeKey = keyof typeof RANGES
const NO_FILTERS = { types: [], meta: [], not: [] }

const MODE_STYLE: Record<SchemaMode, string> = {
  observe: 'bg-sky-100 text-sky-800 ring-sky-600/20 dark:bg-sky-400/10 dark:text-sky-300 dark:ring-sky-400/30',
  warn: 'bg-amber-100 text-amber-900 ring-amber-600/25 dark:bg-amber-400/10 dark:text-amber-300 dark:ring-amber-400/30',
  block: 'bg-red-100 text-red-800 ring-red-600/20 dark:bg-red-400/10 dark:text-red-300 dark:ring-red-400/30',
}

export function ModePill({ mode }: { mode: SchemaMode | null | undefined }) {
  if (!mode) return <span className="text-xs text-gray-500 dark:text-gray-400">—</span>
  return <span className={cn('inline-flex rounded-full px-2 py-px text-xs font-medium ring-1 ring-inset', MODE_STYLE[mode])}>{mode}</span>
}

function useCanManage(): boolean {
  const session = useSession()
  return isAdmin(session) || Boolean(session?.scopes.includes('manage'))
}

export default function QualityView() {
  const [params, setParams] = useSearchParams()
  const rangeParam = params.get('range')
  const range: RangeKey = rangeParam && rangeParam in RANGES ? (rangeParam as RangeKey) : '24h'
  const { ms, interval } = RANGES[range]
  const selectedType = params.get('type')
  const editing = params.get('schema')
  const canManage = useCanManage()

  const report = useDataQuality(ms, interval)
  const stats = useStats(range, interval, NO_FILTERS)
  const schemas = useSchemas()
  const schemaList = useMemo(() => schemas.data?.schemas ?? [], [schemas.data])
  const rows = useMemo(() => mergeTypes(report.data?.types ?? [], stats.data?.by_type ?? [], schemaList), [report.data, stats.data, schemaList])
  const selected = rows.find((r) => r.eventType === selectedType) ?? null

  function set(changes: Record<string, string | null>) {
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev)
        for (const [k, v] of Object.entries(changes)) {
          if (v === null) next.delete(k)
          else next.set(k, v)
        }
        return next
      },
      { replace: true },
    )
  }

  const loading = report.isPending || stats.isPending
  const error = report.error ?? stats.error
  return (
    <div className="min-w-0 space-y-4">
      <PageHeader title="Data quality" description="Each event type checked against its schema: how often it fails, where, and what to do about it.">
        <label className="sr-only" htmlFor="quality-range">
          Time range
        </label>
        <select id="quality-range" value={range} onChange={(e) => set({ range: e.target.value })} className="h-7 rounded-md bg-white px-2 text-xs ring-1 ring-gray-300 ring-inset dark:bg-white/5 dark:ring-white/10">
          {Object.entries(RANGES).map(([key, r]) => (
            <option key={key} value={key}>
              Last {r.label}
            </option>
          ))}
        </select>
        {canManage && (
          <Button size="sm" variant="primary" onClick={() => set({ schema: '', type: null })}>
            <PlusIcon className="size-3.5" /> New schema
          </Button>
        )}
      </PageHeader>
      <PolicyControl current={schemas.data?.unplanned} canManage={canManage} />

      <section aria-label="Event types" className="overflow-hidden rounded-xl bg-white ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
        {loading && rows.length === 0 ? (
          <SkeletonRows rows={5} label="Loading data quality" />
        ) : error && rows.length === 0 ? (
          <EmptyState title={describeError(error).title}>
            <p>{describeError(error).description}</p>
            <Button className="mt-3" size="sm" onClick={() => void Promise.all([report.refetch(), stats.refetch()])}>
              Try again
            </Button>
          </EmptyState>
        ) : rows.length === 0 ? (
          <EmptyState title={`No events in the last ${RANGES[range].label}`}>
            <p>Each event type that arrives shows up here with its schema and violation rate. Create a schema first to check events from their first one.</p>
          </EmptyState>
        ) : (
          <TypesTable rows={rows} selected={selected?.eventType ?? null} from={report.data?.from} to={report.data?.to} interval={interval} rangeLabel={RANGES[range].label} onSelect={(t) => set({ type: t === selected?.eventType ? null : t, schema: null })} />
        )}
      </section>

      {editing !== null && !selected ? (
        <SchemaEditor
          key={`edit:${editing}:${schemaList.find((s) => s.event_type === editing)?.version ?? 0}`}
          pattern={editing === '' ? null : editing}
          existing={schemaList.find((s) => s.event_type === editing) ?? null}
          canManage={canManage}
          onSaved={(p) => set({ schema: p })}
          onDeleted={() => set({ schema: null })}
        />
      ) : selected ? (
        <TypeDetail key={selected.eventType} row={selected} schemas={schemaList} windowMs={ms} interval={interval} rangeLabel={RANGES[range].label} canManage={canManage} onClose={() => set({ type: null })} />
      ) : null}

      <SchemasList schemas={schemaList} loading={schemas.isPending} editing={editing} onEdit={(p) => set({ schema: p, type: null })} />
    </div>
  )
}

function TypesTable({ rows, selected, from, to, interval, rangeLabel, onSelect }: { rows: QualityRow[]; selected: string | null; from?: Date; to?: Date; interval: Interval; rangeLabel: string; onSelect: (type: string) => void }) {
  return (
    <table className="w-full table-fixed text-sm" data-testid="quality-table">
      <caption className="sr-only">Event types with their schema, mode and violation rate over the last {rangeLabel}</caption>
      <thead className="border-b border-gray-200 bg-gray-50 text-left text-xs font-medium text-gray-500 dark:border-white/10 dark:bg-white/[0.03] dark:text-gray-400">
        <tr>
          <th scope="col" className="px-3 py-2.5 sm:px-4">Type</th>
          <th scope="col" className="hidden w-[18%] px-3 py-2.5 md:table-cell">Schema</th>
          <th scope="col" className="hidden w-24 px-3 py-2.5 md:table-cell">Mode</th>
          <th scope="col" className="hidden w-24 px-3 py-2.5 text-right lg:table-cell">Checked</th>
          <th scope="col" className="hidden w-24 px-3 py-2.5 text-right sm:table-cell">Violations</th>
          <th scope="col" className="w-20 px-3 py-2.5 text-right">Rate</th>
          <th scope="col" className="w-24 px-3 py-2.5 sm:w-36 sm:px-4">Over time</th>
        </tr>
      </thead>
      <tbody className="divide-y divide-gray-100 dark:divide-white/5">
        {rows.map((row) => {
          const points = from && to ? denseSeries(row.buckets, from, to, interval) : []
          const isSelected = row.eventType === selected
          return (
            <tr
              key={row.eventType}
              data-testid="quality-row"
              data-event-type={row.eventType}
              aria-selected={isSelected}
              onClick={() => onSelect(row.eventType)}
              className={cn('cursor-pointer', isSelected ? 'bg-accent-50 dark:bg-accent-500/15' : 'hover:bg-gray-50 dark:hover:bg-white/[0.04]')}
            >
              <td className="min-w-0 px-3 py-2.5 sm:px-4">
                <button type="button" className="max-w-full rounded-full text-left" aria-expanded={isSelected} onClick={(e) => (e.stopPropagation(), onSelect(row.eventType))}>
                  <TypeBadge type={row.eventType} />
                  <span className="sr-only"> — show examples and schema</span>
                </button>
                <div className="mt-1 flex min-w-0 items-center gap-1.5 text-xs text-gray-600 md:hidden dark:text-gray-400">
                  <span className="truncate font-mono">{row.schema ?? (row.checked ? 'unplanned' : 'no schema')}</span>
                  {row.mode && <ModePill mode={row.mode} />}
                </div>
              </td>
              <td className="hidden truncate px-3 py-2.5 font-mono text-xs md:table-cell" data-testid="quality-schema">
                {row.schema ?? <span className="font-sans text-gray-500 dark:text-gray-400">{row.checked ? 'unplanned' : 'no schema'}</span>}
              </td>
              <td className="hidden px-3 py-2.5 md:table-cell" data-testid="quality-mode">
                <ModePill mode={row.mode} />
                {row.checked && !row.schema && row.mode && (
                  <span className="ml-1 text-xs text-gray-600 dark:text-gray-400" title="The unplanned-type policy checks this type">
                    policy
                  </span>
                )}
              </td>
              <td className="hidden px-3 py-2.5 text-right text-xs tabular-nums lg:table-cell">{row.checked ? formatCount(row.totals.checked) : <span className="text-gray-500 dark:text-gray-400" title={`${formatCount(row.events)} events, none checked`}>unchecked</span>}</td>
              <td className="hidden px-3 py-2.5 text-right text-xs tabular-nums sm:table-cell">
                {row.checked ? formatCount(row.totals.violations) : '—'}
                {row.totals.blocked > 0 && (
                  <span className="block text-red-700 dark:text-red-400" data-testid="quality-blocked">
                    {formatCount(row.totals.blocked)} blocked
                  </span>
                )}
              </td>
              <td className={cn('px-3 py-2.5 text-right text-xs font-semibold tabular-nums', (row.rate ?? 0) > 0 ? 'text-amber-800 dark:text-amber-300' : 'text-gray-700 dark:text-gray-300')} data-testid="quality-rate">
                {formatRate(row.rate)}
              </td>
              <td className="px-3 py-1.5 sm:px-4">
                {row.checked ? (
                  <Sparkline points={points} label={`${row.eventType}: ${formatCount(row.totals.violations)} violations over the last ${rangeLabel}${row.totals.blocked ? `, ${formatCount(row.totals.blocked)} blocked` : ''}`} />
                ) : (
                  <span className="text-xs text-gray-500 dark:text-gray-400">—</span>
                )}
              </td>
            </tr>
          )
        })}
      </tbody>
    </table>
  )
}

function TypeDetail({ row, schemas, windowMs, interval, rangeLabel, canManage, onClose }: { row: QualityRow; schemas: EventSchema[]; windowMs: number; interval: Interval; rangeLabel: string; canManage: boolean; onClose: () => void }) {
  const tenantId = useCurrentTenantId()
  const report = useViolations(row.checked ? row.eventType : null, windowMs, interval)
  // The schema that checks the type (a pattern, possibly), else a new one for the type itself.
  const pattern = row.schema ?? row.eventType
  const existing = schemas.find((s) => s.event_type === pattern) ?? null
  const examples = report.data?.examples ?? []
  return (
    <section aria-label={`${row.eventType} details`} data-testid="type-detail" className="grid min-w-0 gap-4 lg:grid-cols-2">
      <div className="min-w-0 space-y-3 rounded-xl bg-white p-4 ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
        <div className="flex flex-wrap items-center gap-2">
          <h2 className="text-sm font-semibold">Last failing examples</h2>
          <TypeBadge type={row.eventType} />
          <span className="flex-1" />
          <Button size="sm" variant="ghost" onClick={onClose}>
            Close
          </Button>
        </div>
        <p className="text-xs text-gray-600 dark:text-gray-400">
          {row.checked
            ? `${formatCount(row.totals.checked)} checked, ${formatCount(row.totals.violations)} violating (${formatRate(row.rate)})${row.totals.blocked ? `, ${formatCount(row.totals.blocked)} refused` : ''} in the last ${rangeLabel}.`
            : `${formatCount(row.events)} events in the last ${rangeLabel}, none checked: ${row.schema ? `the schema ${row.schema} came after them.` : 'no schema matches this type and unplanned types are allowed.'}`}
        </p>
        {!row.checked ? null : report.isPending ? (
          <SkeletonRows rows={3} label="Loading examples" />
        ) : report.isError ? (
          <p className="text-xs text-red-600 dark:text-red-400">{describeError(report.error).title}</p>
        ) : examples.length === 0 ? (
          <p className="text-sm text-gray-600 dark:text-gray-400">No violations in this range: every checked event matched.</p>
        ) : (
          <ol className="space-y-3" aria-label="Examples, newest first">
            {examples.map((ex, i) => (
              <li key={`${ex.at}-${i}`} data-testid="violation-example" className="space-y-2 rounded-lg p-3 ring-1 ring-gray-200 dark:ring-white/10">
                <div className="flex flex-wrap items-center gap-2 text-xs text-gray-600 dark:text-gray-400">
                  <time dateTime={ex.at} title={formatDateTime(ex.at)}>
                    {formatRelative(ex.at)}
                  </time>
                  <ModePill mode={ex.mode} />
                  <span className="flex-1" />
                  {ex.event_id ? (
                    <Link className="text-accent-700 underline dark:text-accent-300" to={`/t/${tenantId}/events?event=${ex.event_id}`}>
                      Open the stored event
                    </Link>
                  ) : (
                    <span>Refused, not stored</span>
                  )}
                </div>
                <ViolationList violations={ex.violations} title={`${ex.violations.length} violation${ex.violations.length === 1 ? '' : 's'}`} />
                <JsonHighlight value={ex.metadata} paths={ex.violations.map((v) => v.path)} label="Example metadata, failing paths marked" />
              </li>
            ))}
          </ol>
        )}
      </div>
      <SchemaEditor key={`${pattern}:${existing?.version ?? 0}`} pattern={pattern} existing={existing} inferFrom={row.eventType} canManage={canManage} />
    </section>
  )
}

function SchemasList({ schemas, loading, editing, onEdit }: { schemas: EventSchema[]; loading: boolean; editing: string | null; onEdit: (pattern: string) => void }) {
  return (
    <section aria-labelledby="schemas-heading" className="overflow-hidden rounded-xl bg-white ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
      <h2 id="schemas-heading" className="border-b border-gray-200 px-4 py-2.5 text-sm font-semibold dark:border-white/10">
        Schemas
      </h2>
      {loading ? (
        <SkeletonRows rows={2} label="Loading schemas" />
      ) : schemas.length === 0 ? (
        <p className="px-4 py-4 text-sm text-gray-600 dark:text-gray-400">No schemas yet: select a type above and start from its inferred draft, or create one for a pattern.</p>
      ) : (
        <ul className="divide-y divide-gray-100 dark:divide-white/5">
          {schemas.map((s) => (
            <li key={s.event_type} data-testid="schema-item" data-pattern={s.event_type} className={cn('flex flex-wrap items-center gap-x-3 gap-y-1 px-4 py-2.5', editing === s.event_type && 'bg-accent-50 dark:bg-accent-500/15')}>
              <code className="min-w-0 truncate font-mono text-sm">{s.event_type}</code>
              <ModePill mode={s.mode} />
              <span className="text-xs text-gray-600 dark:text-gray-400" title={formatDateTime(s.updated_at)}>
                v{s.version} · {formatRelative(s.updated_at)}
              </span>
              <span className="flex-1" />
              <Button size="sm" variant="ghost" onClick={() => onEdit(s.event_type)}>
                Edit<span className="sr-only"> {s.event_type}</span>
              </Button>
            </li>
          ))}
        </ul>
      )}
    </section>
  )
}
