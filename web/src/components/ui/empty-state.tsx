import type { ReactNode } from 'react'
import { cn } from '@/lib/cn'

export function EmptyState({ title, children, icon, className }: { title: string; children?: ReactNode; icon?: ReactNode; className?: string }) {
  return (
    <div className={cn('flex flex-col items-center px-6 py-10 text-center', className)}>
      {icon && <div className="mb-3 text-gray-400 dark:text-gray-500">{icon}</div>}
      <h3 className="text-sm font-semibold wrap-break-word text-gray-900 dark:text-gray-100">{title}</h3>
      {children && <div className="mt-2 max-w-xl text-sm wrap-break-word text-gray-600 dark:text-gray-400">{children}</div>}
    </div>
  )
}
