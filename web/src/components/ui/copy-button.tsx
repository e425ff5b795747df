import { useEffect, useState } from 'react'
import { cn } from '@/lib/cn'
import { notifyError } from '@/lib/notify'
import { CheckIcon, CopyIcon } from './icons'

/** Copies `value` to the clipboard; says "Copied" for a moment. */
export function CopyButton({ value, label = 'Copy', className, tone = 'default' }: { value: string; label?: string; className?: string; tone?: 'default' | 'onDark' }) {
  const [copied, setCopied] = useState(false)
  useEffect(() => {
    if (!copied) return
    const timer = setTimeout(() => setCopied(false), 1500)
    return () => clearTimeout(timer)
  }, [copied])

  async function copy() {
    try {
      await navigator.clipboard.writeText(value)
      setCopied(true)
    } catch {
      notifyError(new Error('The browser did not allow copying; select the text and copy it by hand.'))
    }
  }

  return (
    <button
      type="button"
      onClick={copy}
      className={cn(
        'inline-flex h-7 items-center gap-1.5 rounded-md px-2 font-sans text-xs font-medium ring-1 ring-inset',
        tone === 'onDark'
          ? 'bg-gray-800 text-gray-100 ring-white/20 hover:bg-gray-700 hover:text-white'
          : 'text-gray-700 ring-gray-300 hover:bg-gray-50 hover:text-gray-900 dark:text-gray-300 dark:ring-white/15 dark:hover:bg-white/10 dark:hover:text-white',
        className,
      )}
    >
      {copied ? <CheckIcon className={cn('size-3.5', tone === 'onDark' ? 'text-emerald-400' : 'text-emerald-600 dark:text-emerald-400')} /> : <CopyIcon className="size-3.5" />}
      <span aria-live="polite">{copied ? 'Copied' : label}</span>
    </button>
  )
}
