// Events over time, honestly: one bar per bucket (an empty bucket is an empty slot, never a
// line drawn through it), stacked by event type in the types' own colors, and the current
// buckets the range covers only in part (the one still filling, the one the range starts inside)
// drawn faint with a dashed outline and labelled as partial.
import { Bar, BarChart, CartesianGrid, Cell, Legend, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import type { Stats, StatsInterval } from '@/api/types'
import { useTheme } from '@/features/theme/hooks/use-theme'
import { formatCompact, formatCount, formatDateTime } from '@/lib/format'
import { typeColor } from '@/lib/type-color'
import { OTHER, stackRows, type TypeSeries } from '../lib/stack-rows'

const pad = (n: number) => String(n).padStart(2, '0')
const monthDay = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric' })

function tickLabel(iso: string, interval: StatsInterval): string {
  const d = new Date(iso)
  if (interval === 'day') return monthDay.format(d)
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`
  return interval === 'hour' && d.getHours() === 0 ? monthDay.format(d) : time
}

export function EventsChart({ stats, series }: { stats: Stats; series: readonly TypeSeries[] }) {
  const { theme } = useTheme()
  const dark = theme === 'dark'
  const colors = {
    grid: dark ? 'rgba(255,255,255,0.08)' : '#e5e7eb',
    text: dark ? '#9ca3af' : '#6b7280',
    other: dark ? '#6b7280' : '#9ca3af',
    tooltipBg: dark ? '#111827' : '#ffffff',
    tooltipBorder: dark ? 'rgba(255,255,255,0.12)' : '#e5e7eb',
  }
  const data = stackRows(stats, series)
  const keys = [...series.map((s) => s.type), OTHER].filter((k) => k !== OTHER || data.some((row) => Number(row[k] ?? 0) > 0))
  const sum = stats.series.reduce((acc, b) => acc + b.count, 0)
  const peak = stats.series.reduce((best, b) => (b.count > best.count ? b : best), { bucket: '', count: 0 })
  const partial = data.some((row) => row.partial)
  const filling = Boolean(data.at(-1)?.partial)
  const summary = `Events over time: ${formatCount(sum)} events from ${formatDateTime(stats.from)} to ${formatDateTime(stats.to)}, per ${stats.interval}${peak.count ? `; peak ${formatCount(peak.count)} at ${formatDateTime(peak.bucket)}` : ''}${filling ? '; the last bucket is still filling' : ''}${partial ? '; partly covered buckets are drawn faint' : ''}.`
  const fill = (key: string) => (key === OTHER ? colors.other : typeColor(key).solid)

  return (
    <figure role="img" aria-label={summary} data-testid="events-chart" data-total={sum} data-partial={partial} className="h-64 w-full">
      <ResponsiveContainer width="100%" height="100%">
        <BarChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }} barCategoryGap={1}>
          <CartesianGrid stroke={colors.grid} vertical={false} />
          <XAxis dataKey="bucket" tickFormatter={(v: string) => tickLabel(v, stats.interval)} tick={{ fill: colors.text, fontSize: 11 }} tickLine={false} axisLine={{ stroke: colors.grid }} minTickGap={32} />
          <YAxis allowDecimals={false} tickFormatter={(v: number) => formatCompact(v)} tick={{ fill: colors.text, fontSize: 11 }} tickLine={false} axisLine={false} width={44} />
          <Tooltip
            cursor={{ fill: dark ? 'rgba(255,255,255,0.05)' : 'rgba(0,0,0,0.04)' }}
            contentStyle={{ background: colors.tooltipBg, border: `1px solid ${colors.tooltipBorder}`, borderRadius: 8, fontSize: 12, color: dark ? '#f3f4f6' : '#111827' }}
            labelFormatter={(label, payload) => `${formatDateTime(String(label))}${payload?.[0]?.payload?.partial ? ' (partial: the range covers part of this bucket)' : ''}`}
            formatter={(value, name) => [formatCount(Number(value)), String(name)]}
          />
          {keys.length > 1 && <Legend iconType="circle" iconSize={8} wrapperStyle={{ fontSize: 11, color: colors.text }} />}
          {keys.map((key) => (
            <Bar key={key} dataKey={key} stackId="events" fill={fill(key)} isAnimationActive={false}>
              {data.map((row, i) => (
                <Cell key={i} fill={fill(key)} fillOpacity={row.partial ? 0.25 : 1} stroke={row.partial ? fill(key) : undefined} strokeDasharray={row.partial ? '3 2' : undefined} />
              ))}
            </Bar>
          ))}
        </BarChart>
      </ResponsiveContainer>

    </figure>
  )
}
