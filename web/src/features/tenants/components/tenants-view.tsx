// Tenants: every tenant (admin) or your own (tenant key), with status, limits and keys' prefixes;
// the admin creates tenants here too.
import { useState } from 'react'
import { Link } from 'react-router'
import type { Tenant } from '@/api/types'
import { describeError } from '@/api/errors'
import { Button } from '@/components/ui/button'
import { CopyButton } from '@/components/ui/copy-button'
import { EmptyState } from '@/components/ui/empty-state'
import { BuildingIcon, PlusIcon } from '@/components/ui/icons'
import { SkeletonRows } from '@/components/ui/skeleton'
import { isAdmin, useSession } from '@/features/auth/hooks/use-session'
import { cn } from '@/lib/cn'
import { formatCount, formatDateTime, formatRelative } from '@/lib/format'
import { useTenantKeys, useTenants } from '../api/get-tenants'
import { CreateTenantDialog } from './create-tenant-dialog'
import { usePageTitle } from '@/lib/page-title'

export function TenantsView() {
  usePageTitle('Tenants')
  const tenants = useTenants()
  const admin = isAdmin(useSession())
  const [creating, setCreating] = useState(false)

  return (
    <div className="space-y-4">
      <div className="flex flex-wrap items-center justify-between gap-4">
        <div>
          <h1 className="text-lg font-semibold">Tenants</h1>
          <p className="text-sm text-gray-600 dark:text-gray-400">{admin ? 'Every tenant on this server.' : 'The tenant your key belongs to.'}</p>
        </div>
        {admin && (
          <Button variant="primary" onClick={() => setCreating(true)}>
            <PlusIcon className="size-4" /> Create tenant
          </Button>
        )}
      </div>
      <div className="overflow-hidden rounded-xl bg-white ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
        {tenants.isPending ? (
          <SkeletonRows rows={4} label="Loading tenants" />
        ) : tenants.isError ? (
          <EmptyState title={describeError(tenants.error).title}>
            <Button size="sm" onClick={() => void tenants.refetch()}>
              Try again
            </Button>
          </EmptyState>
        ) : tenants.data.length === 0 ? (
          <EmptyState title="No tenants yet" icon={<BuildingIcon className="size-8" />}>
            <p>Create a tenant to get an API key, then send its first event.</p>
            {admin && (
              <Button className="mt-4" variant="primary" onClick={() => setCreating(true)}>
                <PlusIcon className="size-4" /> Create your first tenant
              </Button>
            )}
          </EmptyState>
        ) : (
          <table className="w-full text-sm">
            <thead className="border-b border-gray-200 bg-gray-50 text-left text-xs font-medium text-gray-500 dark:border-white/10 dark:bg-white/[0.03] dark:text-gray-400">
              <tr>
                <th scope="col" className="px-4 py-2.5">Name</th>
                <th scope="col" className="px-4 py-2.5">Status</th>
                <th scope="col" className="hidden px-4 py-2.5 md:table-cell">Rate limit</th>
                <th scope="col" className="hidden px-4 py-2.5 md:table-cell">Keys</th>
                <th scope="col" className="hidden px-4 py-2.5 sm:table-cell">Created</th>
                <th scope="col" className="px-4 py-2.5"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody className="divide-y divide-gray-100 dark:divide-white/5">
              {tenants.data.map((tenant) => (
                <TenantRow key={tenant.id} tenant={tenant} />
              ))}
            </tbody>
          </table>
        )}
      </div>
      <CreateTenantDialog open={creating} onClose={() => setCreating(false)} />
    </div>
  )
}

function TenantRow({ tenant }: { tenant: Tenant }) {
  const session = useSession()
  const canManage = session?.tenantId === null || session?.scopes.includes('manage')
  const keys = useTenantKeys(canManage ? tenant.id : undefined)
  const active = keys.data?.filter((k) => !k.revoked_at) ?? []
  return (
    <tr data-tenant-name={tenant.name}>
      <td className="w-full max-w-0 px-3 py-3 sm:px-4">
        <div className="truncate font-medium" title={tenant.name}>
          {tenant.name}
        </div>
        <div className="mt-0.5 flex min-w-0 items-center gap-2 font-mono text-xs text-gray-500 dark:text-gray-400">
          <span className="truncate" title={tenant.id}>
            {tenant.id}
          </span>
          <CopyButton value={tenant.id} label="Copy id" className="h-6 shrink-0" />
        </div>
      </td>
      <td className="px-4 py-3">
        <span
          className={cn(
            'inline-flex rounded-full px-2 py-0.5 text-xs font-medium ring-1 ring-inset',
            tenant.status === 'active'
              ? 'bg-emerald-50 text-emerald-800 ring-emerald-600/20 dark:bg-emerald-400/10 dark:text-emerald-300 dark:ring-emerald-400/30'
              : 'bg-amber-50 text-amber-900 ring-amber-600/20 dark:bg-amber-400/10 dark:text-amber-300 dark:ring-amber-400/30',
          )}
        >
          {tenant.status}
        </span>
      </td>
      <td className="hidden px-4 py-3 font-mono text-xs tabular-nums md:table-cell">
        {formatCount(tenant.rate_limit.per_second)}/s · burst {formatCount(tenant.rate_limit.burst)}
      </td>
      <td className="hidden px-4 py-3 font-mono text-xs md:table-cell">
        {keys.isPending && canManage ? '…' : active.length ? active.map((k) => `${k.prefix}…`).join(', ') : '—'}
      </td>
      <td className="hidden px-4 py-3 text-xs whitespace-nowrap text-gray-600 sm:table-cell dark:text-gray-400" title={formatDateTime(tenant.created_at)}>
        {formatRelative(tenant.created_at)}
      </td>
      <td className="px-3 py-3 text-right sm:px-4">
        <Link to={`/t/${tenant.id}/live`} className="text-sm font-medium text-accent-700 hover:underline dark:text-accent-300">
          Open<span className="sr-only"> {tenant.name}</span>
        </Link>
      </td>
    </tr>
  )
}
