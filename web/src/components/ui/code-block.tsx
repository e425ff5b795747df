import { cn } from '@/lib/cn'
import { CopyButton } from './copy-button'

/** Preformatted text under a slim bar with its copy button (never over the text). */
export function CodeBlock({ code, label = 'Copy', className, ariaLabel, title }: { code: string; label?: string; className?: string; ariaLabel?: string; title?: string }) {
  return (
    <div className={cn('overflow-hidden rounded-lg bg-gray-950 text-left ring-1 ring-gray-900/10 dark:bg-black/40 dark:ring-white/10', className)}>
      <div className="flex h-9 items-center justify-between gap-2 border-b border-white/10 pr-1.5 pl-3">
        <span className="truncate font-sans text-xs text-gray-400">{title ?? ariaLabel}</span>
        <CopyButton value={code} label={label} tone="onDark" />
      </div>
      <pre tabIndex={0} aria-label={ariaLabel} className="overflow-x-auto p-3 font-mono text-xs leading-relaxed whitespace-pre text-gray-100">
        {code}
      </pre>
    </div>
  )
}
