// Events over time: one area per bucket, colors chosen per theme (checked in both).
import { Area, AreaChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from 'recharts'
import type { Stats, StatsInterval } from '@/api/types'
import { useTheme } from '@/features/theme/hooks/use-theme'
import { formatCompact, formatCount, formatDateTime } from '@/lib/format'

const pad = (n: number) => String(n).padStart(2, '0')
const monthDay = new Intl.DateTimeFormat('en-US', { month: 'short', day: 'numeric' })

function tickLabel(iso: string, interval: StatsInterval): string {
  const d = new Date(iso)
  if (interval === 'day') return monthDay.format(d)
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`
  return interval === 'hour' && d.getHours() === 0 ? monthDay.format(d) : time
}

export function EventsChart({ stats }: { stats: Stats }) {
  const { theme } = useTheme()
  const dark = theme === 'dark'
  const colors = {
    line: dark ? '#818cf8' : '#4f46e5',
    grid: dark ? 'rgba(255,255,255,0.08)' : '#e5e7eb',
    text: dark ? '#9ca3af' : '#6b7280',
    tooltipBg: dark ? '#111827' : '#ffffff',
    tooltipBorder: dark ? 'rgba(255,255,255,0.12)' : '#e5e7eb',
  }
  const data = stats.series.map((b) => ({ bucket: b.bucket, count: b.count }))
  const sum = data.reduce((acc, b) => acc + b.count, 0)
  const peak = data.reduce((best, b) => (b.count > best.count ? b : best), { bucket: '', count: 0 })
  const summary = `Events over time: ${formatCount(sum)} events from ${formatDateTime(stats.from)} to ${formatDateTime(stats.to)}, per ${stats.interval}${peak.count ? `; peak ${formatCount(peak.count)} at ${formatDateTime(peak.bucket)}` : ''}.`

  return (
    <figure role="img" aria-label={summary} data-testid="events-chart" data-total={sum} className="h-64 w-full">
      <ResponsiveContainer width="100%" height="100%">
        <AreaChart data={data} margin={{ top: 8, right: 8, bottom: 0, left: 0 }}>
          <defs>
            <linearGradient id="events-fill" x1="0" y1="0" x2="0" y2="1">
              <stop offset="0%" stopColor={colors.line} stopOpacity={dark ? 0.35 : 0.25} />
              <stop offset="100%" stopColor={colors.line} stopOpacity={0} />
            </linearGradient>
          </defs>
          <CartesianGrid stroke={colors.grid} vertical={false} />
          <XAxis
            dataKey="bucket"
            tickFormatter={(v: string) => tickLabel(v, stats.interval)}
            tick={{ fill: colors.text, fontSize: 11 }}
            tickLine={false}
            axisLine={{ stroke: colors.grid }}
            minTickGap={32}
          />
          <YAxis allowDecimals={false} tickFormatter={(v: number) => formatCompact(v)} tick={{ fill: colors.text, fontSize: 11 }} tickLine={false} axisLine={false} width={44} />
          <Tooltip
            cursor={{ stroke: colors.text, strokeDasharray: '3 3' }}
            contentStyle={{ background: colors.tooltipBg, border: `1px solid ${colors.tooltipBorder}`, borderRadius: 8, fontSize: 12, color: dark ? '#f3f4f6' : '#111827' }}
            labelFormatter={(label) => formatDateTime(String(label))}
            formatter={(value) => [formatCount(Number(value)), 'events']}
          />
          <Area type="monotone" dataKey="count" stroke={colors.line} strokeWidth={2} fill="url(#events-fill)" isAnimationActive={false} />
        </AreaChart>
      </ResponsiveContainer>
    </figure>
  )
}
