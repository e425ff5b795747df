import type { Stats } from '@/api/types'
import { TypeBadge } from '@/components/ui/type-badge'
import { useFilters } from '@/features/filters/hooks/use-filters'
import { formatCount, formatPercent } from '@/lib/format'
import { typeColor } from '@/lib/type-color'

/** Counts per type with proportional bars; picking a type filters by it. */
export function TypeBreakdown({ stats }: { stats: Stats }) {
  const { filters, toggleType } = useFilters()
  const max = Math.max(1, ...stats.by_type.map((t) => t.count))
  if (stats.by_type.length === 0) return <p className="px-1 py-6 text-center text-sm text-gray-500 dark:text-gray-400">No events in this range.</p>
  return (
    <table className="w-full text-sm" data-testid="type-breakdown">
      <caption className="sr-only">Events by type</caption>
      <thead className="sr-only">
        <tr>
          <th scope="col">Type</th>
          <th scope="col">Share</th>
          <th scope="col">Count</th>
        </tr>
      </thead>
      <tbody>
        {stats.by_type.map((t) => (
          <tr key={t.event_type} data-event-type={t.event_type}>
            <td className="w-40 max-w-40 py-1.5 pr-3">
              <button type="button" onClick={() => toggleType(t.event_type)} aria-pressed={filters.types.includes(t.event_type)} className="max-w-full rounded-full" title={`Filter by ${t.event_type}`}>
                <TypeBadge type={t.event_type} />
              </button>
            </td>
            <td className="py-1.5 pr-3">
              <div className="h-2 w-full overflow-hidden rounded-full bg-gray-100 dark:bg-white/5" aria-hidden="true">
                <div className="h-full rounded-full" style={{ width: `${(t.count / max) * 100}%`, backgroundColor: typeColor(t.event_type).solid }} />
              </div>
            </td>
            <td className="w-24 py-1.5 text-right font-mono text-xs text-gray-700 tabular-nums dark:text-gray-300" data-testid="type-count">
              {formatCount(t.count)}
              <span className="ml-1.5 text-gray-500 dark:text-gray-400">{formatPercent(t.count, stats.total)}</span>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  )
}
