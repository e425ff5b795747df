// Statistics: totals, events over time (range and interval in the URL), breakdown by type.
// Refetched when live events arrive (the live-stream hook nudges the ['stats', tenant] queries).
import { useMemo } from 'react'
import { useSearchParams } from 'react-router'
import { PageHeader } from '@/components/layout/page-header'
import { knownKeys } from '@/features/events/lib/known-keys'
import type { StatsInterval } from '@/api/types'
import { describeError } from '@/api/errors'
import { Button } from '@/components/ui/button'
import { EmptyState } from '@/components/ui/empty-state'
import { Skeleton } from '@/components/ui/skeleton'
import { Spinner } from '@/components/ui/spinner'
import { LIVE_RATE_DEFINITION, useEventRate, useFeed } from '@/features/feed/hooks/use-live-stream'
import { FilterBar } from '@/features/filters/components/filter-bar'
import { useFilters } from '@/features/filters/hooks/use-filters'
import { cn } from '@/lib/cn'
import { formatCompact, formatCount } from '@/lib/format'
import { INTERVALS, RANGES, STACKED_TYPES, intervalFits, isRangeKey, useStats, useTypeSeries, type RangeKey } from '../api/get-stats'
import type { TypeSeries } from '../lib/stack-rows'
import { EventsChart } from './events-chart'
import { PropertyBreakdown } from './property-breakdown'
import { TypeBreakdown } from './type-breakdown'

export default function StatsView() {
  const [params, setParams] = useSearchParams()
  const rangeParam = params.get('range')
  const range: RangeKey = isRangeKey(rangeParam) ? rangeParam : '1h'
  const intervalParam = params.get('interval') as StatsInterval | null
  const interval: StatsInterval = intervalParam && INTERVALS.includes(intervalParam) && intervalFits(range, intervalParam) ? intervalParam : RANGES[range].interval
  const { filters } = useFilters()
  const stats = useStats(range, interval, filters)
  const rate = useEventRate()
  const feed = useFeed()
  const suggestions = useMemo(() => knownKeys(feed.items.map((i) => ({ ...i, source: 'live' as const }))), [feed.items])
  const stackTypes = (filters.types.length ? filters.types : (stats.data?.by_type ?? []).map((t) => t.event_type)).slice(0, STACKED_TYPES)
  const perType = useTypeSeries(range, interval, filters, stackTypes)
  const series: TypeSeries[] | null = perType.every((q) => q.data)
    ? stackTypes.map((type, i) => {
        const byBucket = new Map((perType[i]?.data?.series ?? []).map((b) => [b.bucket, b.count]))
        return { type, counts: (stats.data?.series ?? []).map((b) => byBucket.get(b.bucket) ?? 0) }
      })
    : null

  function set(key: string, value: string, drop?: string) {
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev)
        next.set(key, value)
        if (drop) next.delete(drop)
        return next
      },
      { replace: true },
    )
  }

  const data = stats.data
  return (
    <div className="min-w-0 space-y-4">
      <PageHeader title="Stats" description="Counts over a range: over time stacked by type, by type, and by the values of a property." />
      <FilterBar />
      <div className="flex flex-wrap items-center gap-3">
        <Segmented label="Range" value={range} options={Object.entries(RANGES).map(([key, r]) => ({ value: key, label: r.label }))} onChange={(v) => set('range', v, 'interval')} />
        <Segmented
          label="Interval"
          value={interval}
          options={INTERVALS.map((i) => ({ value: i, label: i[0]?.toUpperCase() + i.slice(1), disabled: !intervalFits(range, i) }))}
          onChange={(v) => set('interval', v)}
        />
        {stats.isFetching && !stats.isPending && <Spinner className="text-gray-400" label="Updating" />}
      </div>

      {stats.isError && !data ? (
        <EmptyState title={describeError(stats.error).title}>
          <Button size="sm" onClick={() => void stats.refetch()}>
            Try again
          </Button>
        </EmptyState>
      ) : (
        <>
          <div className="grid grid-cols-3 gap-2 sm:gap-3">
            <Card label={`Events · last ${RANGES[range].label}`} value={data ? formatCount(data.total) : null} testId="stats-total" />
            <Card label="Event types" value={data ? formatCount(data.by_type.length) : null} />
            <Card label="Live rate · last 60 s" title={LIVE_RATE_DEFINITION} value={rate === null ? '—' : `${formatCompact(rate)}/min`} />
          </div>
          <section aria-labelledby="chart-heading" className="rounded-xl bg-white p-4 ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
            <h2 id="chart-heading" className="mb-3 text-sm font-semibold">
              Events over time <span className="font-normal text-gray-500 dark:text-gray-400">· per {interval}, stacked by type; partly covered buckets (the one still filling) drawn faint</span>
            </h2>
            {data ? <EventsChart stats={data} series={series ?? []} /> : <Skeleton className="h-64 w-full" />}
          </section>
          <section aria-labelledby="types-heading" className="rounded-xl bg-white p-4 ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
            <h2 id="types-heading" className="mb-2 text-sm font-semibold">
              By type
            </h2>
            {data ? <TypeBreakdown stats={data} /> : <Skeleton className="h-32 w-full" />}
          </section>
          <section aria-labelledby="property-heading" className="rounded-xl bg-white p-4 ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
            <h2 id="property-heading" className="mb-2 text-sm font-semibold">
              By property
            </h2>
            <PropertyBreakdown range={range} filters={filters} suggestions={suggestions} />
          </section>
        </>
      )}
    </div>
  )
}

function Card({ label, value, testId, title }: { label: string; value: string | null; testId?: string; title?: string }) {
  return (
    <div title={title} className="min-w-0 rounded-xl bg-white p-3 sm:p-4 ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
      <p className="text-xs font-medium text-gray-500 dark:text-gray-400">{label}</p>
      {value === null ? <Skeleton className="mt-2 h-7 w-24" /> : <p className="mt-1 text-lg font-semibold tabular-nums sm:text-2xl" data-testid={testId}>{value}</p>}
    </div>
  )
}

function Segmented({ label, value, options, onChange }: { label: string; value: string; options: { value: string; label: string; disabled?: boolean }[]; onChange: (v: string) => void }) {
  return (
    <div role="radiogroup" aria-label={label} className="inline-flex max-w-full flex-wrap rounded-lg bg-gray-100 p-0.5 dark:bg-white/5">
      {options.map((o) => (
        <button
          key={o.value}
          type="button"
          role="radio"
          aria-checked={o.value === value}
          disabled={o.disabled}
          onClick={() => onChange(o.value)}
          className={cn(
            'h-7 rounded-md px-2.5 text-xs font-medium transition-colors disabled:cursor-not-allowed disabled:opacity-40',
            o.value === value ? 'bg-white text-gray-900 shadow-sm dark:bg-gray-700 dark:text-white' : 'text-gray-600 hover:text-gray-900 dark:text-gray-400 dark:hover:text-white',
          )}
        >
          {o.label}
        </button>
      ))}
    </div>
  )
}
