// The view's title, shown as its heading and in the browser tab ("Live · demo — Tributary"),
// with the view's own controls on the right (wrapping under it on a phone).
import type { ReactNode } from 'react'
import { usePageTitle } from '@/lib/page-title'

export function PageHeader({ title, description, children }: { title: string; description?: ReactNode; children?: ReactNode }) {
  usePageTitle(title)
  return (
    <div className="flex flex-wrap items-end justify-between gap-x-4 gap-y-2">
      <div className="min-w-0">
        <h1 className="text-lg font-semibold tracking-tight">{title}</h1>
        {description && <p className="text-sm text-gray-600 dark:text-gray-400">{description}</p>}
      </div>
      {children && <div className="flex flex-wrap items-center gap-2">{children}</div>}
    </div>
  )
}
