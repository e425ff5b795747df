// API keys of the current tenant (admin or a `manage` key): name, prefix, scopes, created and
// last used; create one (its secret shown once, with copy); revoke after a confirmation.
import { useId, useState, type FormEvent } from 'react'
import type { ApiKeyView, Scope } from '@/api/types'
import { describeError, toApiError } from '@/api/errors'
import { Button } from '@/components/ui/button'
import { CodeBlock } from '@/components/ui/code-block'
import { Dialog } from '@/components/ui/dialog'
import { EmptyState } from '@/components/ui/empty-state'
import { Field } from '@/components/ui/field'
import { KeyIcon, PlusIcon } from '@/components/ui/icons'
import { SkeletonRows } from '@/components/ui/skeleton'
import { isAdmin, useSession } from '@/features/auth/hooks/use-session'
import { useTenantKeys } from '@/features/tenants/api/get-tenants'
import { useCurrentTenant } from '@/features/tenants/hooks/use-current-tenant'
import { cn } from '@/lib/cn'
import { formatDateTime, formatRelative } from '@/lib/format'
import { notifySuccess } from '@/lib/notify'
import { useCreateKey, useRevokeKey } from '../api/keys'
import { SCOPES, sortKeys, toggleScope } from '../lib/scopes'
import { usePageTitle } from '@/lib/page-title'

export default function KeysView() {
  usePageTitle('API keys')
  const { tenantId, tenant } = useCurrentTenant()
  const session = useSession()
  const canManage = isAdmin(session) || Boolean(session?.scopes.includes('manage'))
  const keys = useTenantKeys(canManage ? tenantId : undefined)
  const [creating, setCreating] = useState(false)
  const [revoking, setRevoking] = useState<ApiKeyView | null>(null)

  return (
    <div className="space-y-4">
      <div className="flex items-center justify-between gap-4">
        <div>
          <h1 className="text-lg font-semibold">API keys</h1>
          <p className="text-sm text-gray-600 dark:text-gray-400">Keys of {tenant?.name ?? 'this tenant'}. Each key's secret is shown only when it is created.</p>
        </div>
        {canManage && (
          <Button variant="primary" onClick={() => setCreating(true)}>
            <PlusIcon className="size-4" /> Create key
          </Button>
        )}
      </div>
      <div className="overflow-hidden rounded-xl bg-white ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
        {!canManage ? (
          <EmptyState title="Your key cannot manage keys" icon={<KeyIcon className="size-8" />}>
            <p>Sign in with the admin token or a key with the manage scope.</p>
          </EmptyState>
        ) : keys.isPending ? (
          <SkeletonRows rows={4} label="Loading keys" />
        ) : keys.isError ? (
          <EmptyState title={describeError(keys.error).title}>
            <Button size="sm" onClick={() => void keys.refetch()}>
              Try again
            </Button>
          </EmptyState>
        ) : keys.data.length === 0 ? (
          <EmptyState title="No keys yet" icon={<KeyIcon className="size-8" />}>
            <p>Create a key for each app or person that sends or reads events.</p>
          </EmptyState>
        ) : (
          <table className="w-full text-sm">
            <thead className="border-b border-gray-200 bg-gray-50 text-left text-xs font-medium text-gray-500 dark:border-white/10 dark:bg-white/[0.03] dark:text-gray-400">
              <tr>
                <th scope="col" className="px-4 py-2.5">Name</th>
                <th scope="col" className="px-4 py-2.5">Key</th>
                <th scope="col" className="px-4 py-2.5">Scopes</th>
                <th scope="col" className="hidden px-4 py-2.5 md:table-cell">Created</th>
                <th scope="col" className="hidden px-4 py-2.5 md:table-cell">Last used</th>
                <th scope="col" className="px-4 py-2.5"><span className="sr-only">Actions</span></th>
              </tr>
            </thead>
            <tbody className="divide-y divide-gray-100 dark:divide-white/5">
              {sortKeys(keys.data).map((key) => (
                <tr key={key.id} data-key-name={key.name} className={cn(key.revoked_at && 'text-gray-500 dark:text-gray-400')}>
                  <td className="px-4 py-3 font-medium">{key.name}</td>
                  <td className="px-4 py-3 font-mono text-xs">{key.prefix}…</td>
                  <td className="px-4 py-3">
                    <div className="flex flex-wrap gap-1">
                      {key.scopes.map((s) => (
                        <span key={s} className="rounded-full bg-gray-100 px-2 py-0.5 text-xs font-medium text-gray-700 dark:bg-white/10 dark:text-gray-300">
                          {s}
                        </span>
                      ))}
                    </div>
                  </td>
                  <td className="hidden px-4 py-3 text-xs text-gray-600 md:table-cell dark:text-gray-400" title={formatDateTime(key.created_at)}>
                    {formatRelative(key.created_at)}
                  </td>
                  <td className="hidden px-4 py-3 text-xs text-gray-600 md:table-cell dark:text-gray-400" title={key.last_used_at ? formatDateTime(key.last_used_at) : undefined}>
                    {key.last_used_at ? formatRelative(key.last_used_at) : 'never'}
                  </td>
                  <td className="px-4 py-3 text-right">
                    {key.revoked_at ? (
                      <span className="text-xs" title={formatDateTime(key.revoked_at)}>
                        Revoked {formatRelative(key.revoked_at)}
                      </span>
                    ) : (
                      <Button size="sm" variant="ghost" className="text-red-700 dark:text-red-400" onClick={() => setRevoking(key)}>
                        Revoke<span className="sr-only"> {key.name}</span>
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )}
      </div>
      <CreateKeyDialog tenantId={tenantId} open={creating} onClose={() => setCreating(false)} />
      <RevokeDialog tenantId={tenantId} apiKey={revoking} onClose={() => setRevoking(null)} />
    </div>
  )
}

function CreateKeyDialog({ tenantId, open, onClose }: { tenantId: string; open: boolean; onClose: () => void }) {
  const [created, setCreated] = useState<ApiKeyView | null>(null)
  const close = () => {
    setCreated(null)
    onClose()
  }
  return (
    <Dialog
      open={open}
      onClose={close}
      title={created ? `Key “${created.name}” created` : 'Create an API key'}
      description={created ? 'Copy it now: it is shown only once.' : 'Give it a name and only the scopes it needs.'}
    >
      {created ? (
        <div className="space-y-4">
          <CodeBlock code={created.key ?? ''} label="Copy key" ariaLabel="New API key" title="Secret — shown only now" />
          <p className="text-xs text-gray-600 dark:text-gray-400">Scopes: {created.scopes.join(', ')}. Tributary keeps only a hash.</p>
          <div className="flex justify-end">
            <Button variant="primary" onClick={close}>
              Done
            </Button>
          </div>
        </div>
      ) : (
        <CreateKeyForm tenantId={tenantId} onCreated={setCreated} onCancel={close} />
      )}
    </Dialog>
  )
}

function CreateKeyForm({ tenantId, onCreated, onCancel }: { tenantId: string; onCreated: (key: ApiKeyView) => void; onCancel: () => void }) {
  const [name, setName] = useState('')
  const [scopes, setScopes] = useState<Scope[]>(['ingest'])
  const mutation = useCreateKey(tenantId)
  const error = mutation.error ? toApiError(mutation.error) : null
  const scopesError = error?.field?.startsWith('scopes') ? error.message : null
  const otherError = error && !scopesError && error.field !== 'name' ? describeError(error) : null
  const legendId = useId()

  function submit(event: FormEvent) {
    event.preventDefault()
    mutation.mutate({ name: name.trim(), scopes }, { onSuccess: onCreated })
  }

  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      <Field label="Name" value={name} onChange={(e) => setName(e.target.value)} placeholder="checkout-service" autoFocus autoComplete="off" error={error?.field === 'name' ? error.message : null} />
      <fieldset aria-describedby={scopesError ? legendId : undefined}>
        <legend className="text-sm font-medium">Scopes</legend>
        <div className="mt-1.5 space-y-1.5">
          {SCOPES.map(({ scope, what }) => (
            <label key={scope} className="flex items-center gap-2 text-sm">
              <input type="checkbox" className="size-4 accent-accent-600" checked={scopes.includes(scope)} onChange={() => setScopes((s) => toggleScope(s, scope))} />
              <span className="font-mono">{scope}</span>
              <span className="text-gray-500 dark:text-gray-400">— {what}</span>
            </label>
          ))}
        </div>
        {scopesError && (
          <p id={legendId} role="alert" className="mt-1 text-xs text-red-600 dark:text-red-400">
            {scopesError}
          </p>
        )}
      </fieldset>
      {otherError && (
        <p role="alert" className="text-sm text-red-600 dark:text-red-400">
          {otherError.title}
          {otherError.description ? ` — ${otherError.description}` : ''}
        </p>
      )}
      <div className="flex justify-end gap-2 pt-2">
        <Button onClick={onCancel}>Cancel</Button>
        <Button type="submit" variant="primary" loading={mutation.isPending} disabled={!name.trim() || scopes.length === 0}>
          Create key
        </Button>
      </div>
    </form>
  )
}

function RevokeDialog({ tenantId, apiKey, onClose }: { tenantId: string; apiKey: ApiKeyView | null; onClose: () => void }) {
  const mutation = useRevokeKey(tenantId)
  return (
    <Dialog open={apiKey !== null} onClose={onClose} title={`Revoke “${apiKey?.name ?? ''}”?`} description="Apps using this key are refused from now on. This cannot be undone.">
      <div className="flex justify-end gap-2 pt-2">
        <Button onClick={onClose} autoFocus>
          Cancel
        </Button>
        <Button
          variant="danger"
          loading={mutation.isPending}
          onClick={() =>
            apiKey &&
            mutation.mutate(apiKey.id, {
              onSuccess: () => {
                notifySuccess(`Key “${apiKey.name}” revoked`)
                onClose()
              },
            })
          }
        >
          Revoke key
        </Button>
      </div>
    </Dialog>
  )
}
