// An endpoint's delivery health over a window (1 h, 24 h, 7 d; in the URL as `window`): the
// success rate, attempts and latency percentiles as figures, then per bucket the attempts
// (succeeded and failed, stacked) and the p50/p95 latency. A bucket without attempts is an empty
// slot and a gap in the lines, never a 0 drawn through. Percentiles are the server's
// approximation from a latency histogram, and say so.
import { Bar, BarChart, CartesianGrid, Legend, Line, LineChart, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import type { WebhookStats } from '@/api/types'
import { describeError } from '@/api/errors'
import { Button } from '@/components/ui/button'
import { Skeleton } from '@/components/ui/skeleton'
import { Spinner } from '@/components/ui/spinner'
import { useTheme } from '@/features/theme/hooks/use-theme'
import { cn } from '@/lib/cn'
import { formatCompact, formatCount, formatDateTime } from '@/lib/format'
import { useWebhookStats } from '../api/stats'
import { formatLatency, formatRate, hoursOf, STATS_WINDOWS, statsRows, type StatsWindow } from '../lib/delivery-stats'

const pad = (n: number) => String(n).padStart(2, '0')
const monthDay = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric' })

function tickLabel(iso: string, bucketSeconds: number): string {
  const d = new Date(iso)
  if (bucketSeconds >= 86_400) return monthDay.format(d)
  if (bucketSeconds >= 21_600 && d.getHours() < bucketSeconds / 3_600) return monthDay.format(d)
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`
}

function useColors() {
  const { theme } = useTheme()
  const dark = theme === 'dark'
  return {
    dark,
    grid: dark ? 'rgba(255,255,255,0.08)' : '#e5e7eb',
    text: dark ? '#9ca3af' : '#6b7280',
    succeeded: dark ? '#34d399' : '#059669',
    failed: dark ? '#f87171' : '#dc2626',
    p50: dark ? '#818cf8' : '#4f46e5',
    p95: dark ? '#fbbf24' : '#d97706',
    tooltip: {
      background: dark ? '#111827' : '#ffffff',
      border: `1px solid ${dark ? 'rgba(255,255,255,0.12)' : '#e5e7eb'}`,
      borderRadius: 8,
      fontSize: 12,
      color: dark ? '#f3f4f6' : '#111827',
    },
  }
}

export function DeliveryStats({ endpointId, period, onPeriod }: { endpointId: string; period: StatsWindow; onPeriod: (period: StatsWindow) => void }) {
  const stats = useWebhookStats(endpointId, hoursOf(period))
  const data = stats.data
  return (
    <section aria-labelledby="delivery-stats-heading" data-testid="delivery-stats" className="min-w-0 rounded-xl bg-white p-4 ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
      <div className="mb-3 flex flex-wrap items-center justify-between gap-2">
        <h2 id="delivery-stats-heading" className="text-sm font-semibold">
          Delivery health
        </h2>
        <div className="flex items-center gap-2">
          {stats.isFetching && !stats.isPending && <Spinner className="text-gray-400" label="Updating" />}
          <div role="radiogroup" aria-label="Window" className="inline-flex rounded-lg bg-gray-100 p-0.5 dark:bg-white/5">
            {STATS_WINDOWS.map((w) => (
              <button
                key={w.value}
                type="button"
                role="radio"
                aria-checked={w.value === period}
                onClick={() => onPeriod(w.value)}
                className={cn(
                  'h-7 rounded-md px-2.5 text-xs font-medium transition-colors',
                  w.value === period ? 'bg-white text-gray-900 shadow-sm dark:bg-gray-700 dark:text-white' : 'text-gray-600 hover:text-gray-900 dark:text-gray-400 dark:hover:text-white',
                )}
              >
                {w.label}
              </button>
            ))}
          </div>
        </div>
      </div>
      {stats.isError && !data ? (
        <div className="flex h-40 flex-col items-center justify-center gap-2 text-sm text-gray-600 dark:text-gray-400">
          <p>{describeError(stats.error).title}</p>
          <Button size="sm" onClick={() => void stats.refetch()}>
            Try again
          </Button>
        </div>
      ) : (
        <>
          <dl className="grid grid-cols-2 gap-2 sm:grid-cols-4">
            <Figure label="Success rate" value={data ? formatRate(data.success_rate) : null} testId="stats-success-rate" />
            <Figure label="Attempts" value={data ? formatCount(data.attempts) : null} detail={data && data.attempts > 0 ? `${formatCount(data.failed)} failed` : undefined} testId="stats-attempts" />
            <Figure label="Latency p50" value={data ? formatLatency(data.latency_p50_ms) : null} testId="stats-p50" />
            <Figure label="Latency p95" value={data ? formatLatency(data.latency_p95_ms) : null} testId="stats-p95" />
          </dl>
          <div className="mt-4 grid min-w-0 gap-4 md:grid-cols-2">
            {data ? <AttemptsChart stats={data} /> : <Skeleton className="h-44 w-full" />}
            {data ? <LatencyChart stats={data} /> : <Skeleton className="h-44 w-full" />}
          </div>
          {data && data.attempts === 0 && <p className="mt-2 text-xs text-gray-600 dark:text-gray-400">No attempts in this window. Send a test event to see one here.</p>}
        </>
      )}
    </section>
  )
}

function Figure({ label, value, detail, testId }: { label: string; value: string | null; detail?: string; testId?: string }) {
  return (
    <div className="min-w-0 rounded-lg bg-gray-50 px-3 py-2 dark:bg-white/5">
      <dt className="text-xs text-gray-600 dark:text-gray-400">{label}</dt>
      <dd className="mt-0.5 flex items-baseline gap-1.5">
        {value === null ? <Skeleton className="h-6 w-16" /> : <span className="text-lg font-semibold tabular-nums" data-testid={testId}>{value}</span>}
        {detail && <span className="truncate text-xs text-gray-600 dark:text-gray-400">{detail}</span>}
      </dd>
    </div>
  )
}

function AttemptsChart({ stats }: { stats: WebhookStats }) {
  const colors = useColors()
  const rows = statsRows(stats)
  const summary = `Attempts per ${formatBucket(stats.bucket_seconds)} from ${formatDateTime(stats.from)} to ${formatDateTime(stats.to)}: ${formatCount(stats.attempts)} attempts, ${formatCount(stats.succeeded)} succeeded, ${formatCount(stats.failed)} failed${stats.success_rate !== null ? `, a success rate of ${formatRate(stats.success_rate)}` : ''}.`
  return (
    <figure className="min-w-0">
      <figcaption className="mb-1 text-xs font-medium text-gray-700 dark:text-gray-300">
        Attempts <span className="font-normal text-gray-500 dark:text-gray-400">· per {formatBucket(stats.bucket_seconds)}</span>
      </figcaption>
      <div role="img" aria-label={summary} data-testid="attempts-chart" data-buckets={rows.length} className="h-44 w-full">
        <ResponsiveContainer width="100%" height="100%">
          <BarChart data={rows} margin={{ top: 4, right: 4, bottom: 0, left: 0 }} barCategoryGap={1}>
            <CartesianGrid stroke={colors.grid} vertical={false} />
            <XAxis dataKey="start" tickFormatter={(v: string) => tickLabel(v, stats.bucket_seconds)} tick={{ fill: colors.text, fontSize: 11 }} tickLine={false} axisLine={{ stroke: colors.grid }} minTickGap={28} />
            <YAxis allowDecimals={false} tickFormatter={(v: number) => formatCompact(v)} tick={{ fill: colors.text, fontSize: 11 }} tickLine={false} axisLine={false} width={36} />
            <Tooltip
              cursor={{ fill: colors.dark ? 'rgba(255,255,255,0.05)' : 'rgba(0,0,0,0.04)' }}
              contentStyle={colors.tooltip}
              labelFormatter={(label, payload) => {
                const row = payload?.[0]?.payload as { rate: number | null } | undefined
                return `${formatDateTime(String(label))}${row?.rate != null ? ` · ${formatRate(row.rate / 100)} ok` : ''}`
              }}
              formatter={(value, name) => [formatCount(Number(value)), String(name)]}
            />
            <Legend iconType="circle" iconSize={8} wrapperStyle={{ fontSize: 11, color: colors.text }} />
            <Bar dataKey="succeeded" name="Succeeded" stackId="attempts" fill={colors.succeeded} isAnimationActive={false} />
            <Bar dataKey="failed" name="Failed" stackId="attempts" fill={colors.failed} isAnimationActive={false} />
          </BarChart>
        </ResponsiveContainer>
      </div>
    </figure>
  )
}

function LatencyChart({ stats }: { stats: WebhookStats }) {
  const colors = useColors()
  const rows = statsRows(stats)
  const summary = `Latency per ${formatBucket(stats.bucket_seconds)}, approximate: p50 ${formatLatency(stats.latency_p50_ms)}, p95 ${formatLatency(stats.latency_p95_ms)} over the window; buckets without attempts are gaps.`
  return (
    <figure className="min-w-0">
      <figcaption className="mb-1 text-xs font-medium text-gray-700 dark:text-gray-300">
        Latency <span className="font-normal text-gray-500 dark:text-gray-400">· p50 and p95, approximate</span>
      </figcaption>
      <div role="img" aria-label={summary} data-testid="latency-chart" className="h-44 w-full">
        <ResponsiveContainer width="100%" height="100%">
          <LineChart data={rows} margin={{ top: 4, right: 4, bottom: 0, left: 0 }}>
            <CartesianGrid stroke={colors.grid} vertical={false} />
            <XAxis dataKey="start" tickFormatter={(v: string) => tickLabel(v, stats.bucket_seconds)} tick={{ fill: colors.text, fontSize: 11 }} tickLine={false} axisLine={{ stroke: colors.grid }} minTickGap={28} />
            <YAxis tickFormatter={(v: number) => formatLatency(v)} tick={{ fill: colors.text, fontSize: 11 }} tickLine={false} axisLine={false} width={60} />
            <Tooltip contentStyle={colors.tooltip} labelFormatter={(label) => formatDateTime(String(label))} formatter={(value, name) => [formatLatency(Number(value)), String(name)]} />
            <Legend iconType="circle" iconSize={8} wrapperStyle={{ fontSize: 11, color: colors.text }} />
            <Line dataKey="p50" name="p50" stroke={colors.p50} strokeWidth={2} dot={{ r: 2 }} connectNulls={false} isAnimationActive={false} />
            <Line dataKey="p95" name="p95" stroke={colors.p95} strokeWidth={2} strokeDasharray="4 2" dot={{ r: 2 }} connectNulls={false} isAnimationActive={false} />
          </LineChart>
        </ResponsiveContainer>
      </div>
    </figure>
  )
}

function formatBucket(seconds: number): string {
  if (seconds % 86_400 === 0) return seconds === 86_400 ? 'day' : `${seconds / 86_400} days`
  if (seconds % 3_600 === 0) return seconds === 3_600 ? 'hour' : `${seconds / 3_600} h`
  return `${Math.round(seconds / 60)} min`
}
