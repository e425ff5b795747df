// Violations per bucket as tiny bars (blocked ones in red on top of the rest in amber), with a
// baseline so an empty range still reads as "nothing". Plain SVG: no chart library in this chunk.
import { cn } from '@/lib/cn'
import type { SparkPoint } from '../lib/rows'

export function Sparkline({ points, label, className }: { points: readonly SparkPoint[]; label: string; className?: string }) {
  const width = 120
  const height = 28
  const max = Math.max(1, ...points.map((p) => p.violations))
  const step = points.length ? width / points.length : width
  const bar = Math.max(0.75, step - (step > 3 ? 1 : 0))
  return (
    <svg viewBox={`0 0 ${width} ${height}`} preserveAspectRatio="none" role="img" aria-label={label} className={cn('h-7 w-full max-w-30', className)} data-testid="sparkline">
      <line x1="0" x2={width} y1={height - 0.5} y2={height - 0.5} className="stroke-gray-200 dark:stroke-white/15" strokeWidth="1" />
      {points.map((p, i) => {
        if (p.violations === 0) return null
        const h = Math.max(2, (p.violations / max) * (height - 2))
        const blockedH = p.blocked > 0 ? Math.max(2, (Math.min(p.blocked, p.violations) / max) * (height - 2)) : 0
        return (
          <g key={p.start}>
            <rect x={i * step} y={height - h} width={bar} height={h} className="fill-amber-500 dark:fill-amber-400" />
            {blockedH > 0 && <rect x={i * step} y={height - blockedH} width={bar} height={blockedH} className="fill-red-500 dark:fill-red-400" />}
          </g>
        )
      })}
    </svg>
  )
}
