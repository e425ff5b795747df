// "Break down by property": the top 10 values of a metadata key over the range, with counts
// (GET /api/v1/events/stats?group_by=meta.<key>), plus the events with another value and those
// without the key. Picking a value filters by it. The key is in the URL (`by=user.plan`).
import { useId, useState, type FormEvent } from 'react'
import { useSearchParams } from 'react-router'
import { describeError } from '@/api/errors'
import { Button } from '@/components/ui/button'
import { Skeleton } from '@/components/ui/skeleton'
import { useFilters, type Filters } from '@/features/filters/hooks/use-filters'
import { formatCount, formatPercent } from '@/lib/format'
import { useBreakdown, type RangeKey } from '../api/get-stats'

const KEY = /^[^.\s"'\\][^\s"'\\]*$/

export function PropertyBreakdown({ range, filters, suggestions }: { range: RangeKey; filters: Filters; suggestions: readonly string[] }) {
  const [params, setParams] = useSearchParams()
  const by = params.get('by')
  const key = by && KEY.test(by) && !by.endsWith('.') && !by.includes('..') ? by : null
  const [draft, setDraft] = useState(key ?? '')
  const id = useId()
  const breakdown = useBreakdown(range, filters, key)
  const { addMeta } = useFilters()

  function submit(e: FormEvent) {
    e.preventDefault()
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev)
        if (draft.trim()) next.set('by', draft.trim())
        else next.delete('by')
        return next
      },
      { replace: true },
    )
  }

  const data = breakdown.data
  const max = Math.max(1, ...(data?.values.map((v) => v.count) ?? []))
  return (
    <div className="space-y-3">
      <form onSubmit={submit} className="flex flex-wrap items-center gap-2">
        <label htmlFor={id} className="text-xs text-gray-600 dark:text-gray-400">
          Metadata key
        </label>
        <input id={id} list={`${id}-keys`} value={draft} onChange={(e) => setDraft(e.target.value)} placeholder="user.plan" className="h-7 w-48 max-w-full rounded-md bg-white px-2 font-mono text-xs ring-1 ring-gray-300 ring-inset dark:bg-white/5 dark:ring-white/15" />
        <datalist id={`${id}-keys`}>
          {suggestions.map((s) => (
            <option key={s} value={s} />
          ))}
        </datalist>
        <Button type="submit" size="sm">
          Break down
        </Button>
      </form>
      {!key ? (
        <p className="text-sm text-gray-500 dark:text-gray-400">Pick a metadata key to see its 10 most frequent values over this range.</p>
      ) : breakdown.isPending ? (
        <Skeleton className="h-32 w-full" />
      ) : breakdown.isError ? (
        <p role="alert" className="text-sm text-red-700 dark:text-red-400">
          {describeError(breakdown.error).description ?? describeError(breakdown.error).title}
        </p>
      ) : data && data.values.length === 0 ? (
        <p className="text-sm text-gray-500 dark:text-gray-400">
          No event in this range has a value at <code className="font-mono">{key}</code>.
        </p>
      ) : data ? (
        <table className="w-full table-fixed text-sm" data-testid="property-breakdown">
          <caption className="sr-only">Top values of {key}</caption>
          <thead className="sr-only">
            <tr>
              <th scope="col">Value</th>
              <th scope="col">Share</th>
              <th scope="col">Count</th>
            </tr>
          </thead>
          <tbody>
            {data.values.map((v) => (
              <tr key={v.value} data-value={v.value}>
                <td className="w-[40%] py-1 pr-3">
                  <button type="button" onClick={() => addMeta({ key, value: v.value })} title={`Filter by ${key}=${v.value}`} className="block max-w-full truncate rounded font-mono text-xs text-gray-800 hover:underline dark:text-gray-200">
                    {v.value}
                  </button>
                </td>
                <td className="py-1 pr-3">
                  <div className="h-2 w-full overflow-hidden rounded-full bg-gray-100 dark:bg-white/5" aria-hidden="true">
                    <div className="h-full rounded-full bg-accent-500" style={{ width: `${(v.count / max) * 100}%` }} />
                  </div>
                </td>
                <td className="w-28 py-1 text-right font-mono text-xs text-gray-700 tabular-nums dark:text-gray-300" data-testid="value-count">
                  {formatCount(v.count)}
                  <span className="ml-1.5 text-gray-500 dark:text-gray-400">{formatPercent(v.count, data.total)}</span>
                </td>
              </tr>
            ))}
          </tbody>
          <tfoot className="text-xs text-gray-500 dark:text-gray-400">
            {data.other > 0 && (
              <tr>
                <td className="pt-2" colSpan={2}>
                  Other values
                </td>
                <td className="pt-2 text-right font-mono tabular-nums">{formatCount(data.other)}</td>
              </tr>
            )}
            {data.missing > 0 && (
              <tr>
                <td className="pt-1" colSpan={2}>
                  Without {key}
                </td>
                <td className="pt-1 text-right font-mono tabular-nums">{formatCount(data.missing)}</td>
              </tr>
            )}
          </tfoot>
        </table>
      ) : null}
    </div>
  )
}
