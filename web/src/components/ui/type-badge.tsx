import { cn } from '@/lib/cn'
import { typeColor } from '@/lib/type-color'

export function TypeBadge({ type, className }: { type: string; className?: string }) {
  return (
    <span
      className={cn(
        'inline-flex max-w-full items-center truncate rounded-full px-2 py-px font-mono text-xs font-medium ring-1 ring-inset',
        typeColor(type).badge,
        className,
      )}
      title={type}
    >
      {type}
    </span>
  )
}
