import { cn } from '@/lib/cn'

export function Skeleton({ className }: { className?: string }) {
  return <div aria-hidden="true" className={cn('animate-pulse rounded bg-gray-200 dark:bg-white/10', className)} />
}

/** Rows of placeholder lines, the height of real rows so nothing shifts when data arrives. */
export function SkeletonRows({ rows = 8, label = 'Loading' }: { rows?: number; label?: string }) {
  return (
    <div role="status" aria-label={label} className="divide-y divide-gray-100 dark:divide-white/5">
      {Array.from({ length: rows }, (_, i) => (
        <div key={i} className="flex h-9 items-center gap-4 px-3">
          <Skeleton className="h-3 w-16" />
          <Skeleton className="h-4 w-20 rounded-full" />
          <Skeleton className="h-3 flex-1" />
        </div>
      ))}
    </div>
  )
}
