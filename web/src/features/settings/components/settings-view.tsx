// Tenant settings (admin): rename, rate limit, event retention, suspend. Validation errors from the API (422 with
// `field`) are shown under the field they name.
import { useState, type FormEvent } from 'react'
import type { Tenant } from '@/api/types'
import { describeError, toApiError } from '@/api/errors'
import { Button } from '@/components/ui/button'
import { Dialog } from '@/components/ui/dialog'
import { EmptyState } from '@/components/ui/empty-state'
import { Field } from '@/components/ui/field'
import { SkeletonRows } from '@/components/ui/skeleton'
import { isAdmin, useSession } from '@/features/auth/hooks/use-session'
import { useCurrentTenant } from '@/features/tenants/hooks/use-current-tenant'
import { notifySuccess } from '@/lib/notify'
import { useUpdateTenant } from '../api/update-tenant'
import { changes, draftOf, type SettingsDraft } from '../lib/settings-form'
import { usePageTitle } from '@/lib/page-title'

export default function SettingsView() {
  usePageTitle('Settings')
  const admin = isAdmin(useSession())
  const { tenant, isLoading } = useCurrentTenant()
  return (
    <div className="max-w-2xl space-y-4">
      <div>
        <h1 className="text-lg font-semibold">Tenant settings</h1>
        <p className="text-sm text-gray-600 dark:text-gray-400">Name, rate limit, retention and status of {tenant?.name ?? 'this tenant'}.</p>
      </div>
      <div className="rounded-xl bg-white ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
        {!admin ? (
          <EmptyState title="Only the admin can change tenant settings">
            <p>Sign in with the admin token to rename, limit or suspend a tenant.</p>
          </EmptyState>
        ) : isLoading || !tenant ? (
          <SkeletonRows rows={4} label="Loading settings" />
        ) : (
          <SettingsForm key={`${tenant.id}:${tenant.name}:${tenant.status}:${tenant.rate_limit.per_second}:${tenant.rate_limit.burst}:${tenant.retention_days ?? 'server'}`} tenant={tenant} />
        )}
      </div>
    </div>
  )
}

function SettingsForm({ tenant }: { tenant: Tenant }) {
  const [draft, setDraft] = useState<SettingsDraft>(() => draftOf(tenant))
  const [confirmSuspend, setConfirmSuspend] = useState(false)
  const mutation = useUpdateTenant(tenant.id)
  const error = mutation.error ? toApiError(mutation.error) : null
  const fieldError = (name: string) => (error?.field === name ? error.message : null)
  const rateError = error?.field === 'rate_limit' ? error.message : null
  const other = error && !['name', 'rate_limit', 'rate_limit.per_second', 'rate_limit.burst', 'status', 'retention_days'].includes(error.field ?? '') ? describeError(error) : null
  const body = changes(tenant, draft)
  const dirty = Object.keys(body).length > 0
  const set = (patch: Partial<SettingsDraft>) => setDraft((d) => ({ ...d, ...patch }))

  function save(event?: FormEvent) {
    event?.preventDefault()
    if (body.status === 'suspended' && !confirmSuspend) {
      setConfirmSuspend(true)
      return
    }
    setConfirmSuspend(false)
    mutation.mutate(body, { onSuccess: (updated) => notifySuccess(`Saved ${updated.name}`) })
  }

  return (
    <>
      <form onSubmit={save} className="space-y-6 p-6" noValidate>
        <Field label="Name" value={draft.name} onChange={(e) => set({ name: e.target.value })} autoComplete="off" error={fieldError('name')} />
        <fieldset>
          <legend className="text-sm font-medium">Rate limit</legend>
          <p className="text-xs text-gray-600 dark:text-gray-400">Events per second; a batch of 200 counts 200. Beyond it, requests get 429 with Retry-After.</p>
          <div className="mt-2 grid grid-cols-2 gap-3">
            <Field label="Sustained rate (per second)" inputMode="numeric" value={draft.perSecond} onChange={(e) => set({ perSecond: e.target.value.replace(/\D/g, '') })} error={fieldError('rate_limit.per_second')} />
            <Field label="Burst" inputMode="numeric" value={draft.burst} onChange={(e) => set({ burst: e.target.value.replace(/\D/g, '') })} error={fieldError('rate_limit.burst')} />
          </div>
          {rateError && (
            <p role="alert" className="mt-1 text-xs text-red-600 dark:text-red-400">
              {rateError}
            </p>
          )}
        </fieldset>
        <fieldset>
          <legend className="text-sm font-medium">Event retention</legend>
          <p className="text-xs text-gray-600 dark:text-gray-400">Older events are deleted with their webhook deliveries; their event_id can then be sent again.</p>
          <div className="mt-2 space-y-2 text-sm">
            {(
              [
                ['server', "The server's setting"],
                ['forever', 'Keep forever'],
                ['days', 'Delete events older than'],
              ] as const
            ).map(([choice, label]) => (
              <div key={choice} className="flex items-center gap-2">
                <label className="flex items-center gap-2">
                  <input type="radio" name="retention" className="size-4 accent-accent-600" checked={draft.retention === choice} onChange={() => set({ retention: choice })} />
                  {label}
                </label>
                {choice === 'days' && (
                  <span className="flex items-center gap-2">
                    <input
                      aria-label="Days to keep events"
                      inputMode="numeric"
                      className="w-20 rounded-md border-0 bg-white px-2 py-1 text-sm ring-1 ring-gray-300 focus:ring-2 focus:ring-accent-600 disabled:opacity-50 dark:bg-gray-950 dark:ring-white/15"
                      value={draft.retentionDays}
                      disabled={draft.retention !== 'days'}
                      aria-invalid={fieldError('retention_days') ? true : undefined}
                      onChange={(e) => set({ retentionDays: e.target.value.replace(/\D/g, '') })}
                    />
                    days
                  </span>
                )}
              </div>
            ))}
          </div>
          {fieldError('retention_days') && (
            <p role="alert" className="mt-1 text-xs text-red-600 dark:text-red-400">
              {fieldError('retention_days')}
            </p>
          )}
        </fieldset>
        <fieldset>
          <legend className="text-sm font-medium">Status</legend>
          <div className="mt-2 flex gap-4 text-sm">
            {(['active', 'suspended'] as const).map((s) => (
              <label key={s} className="flex items-center gap-2">
                <input type="radio" name="status" className="size-4 accent-accent-600" checked={draft.status === s} onChange={() => set({ status: s })} />
                {s === 'active' ? 'Active' : 'Suspended — its keys are refused'}
              </label>
            ))}
          </div>
          {fieldError('status') && (
            <p role="alert" className="mt-1 text-xs text-red-600 dark:text-red-400">
              {fieldError('status')}
            </p>
          )}
        </fieldset>
        {other && (
          <p role="alert" className="text-sm text-red-600 dark:text-red-400">
            {other.title}
            {other.description ? ` — ${other.description}` : ''}
          </p>
        )}
        <div className="flex justify-end gap-2">
          <Button disabled={!dirty || mutation.isPending} onClick={() => (mutation.reset(), setDraft(draftOf(tenant)))}>
            Reset
          </Button>
          <Button type="submit" variant="primary" loading={mutation.isPending} disabled={!dirty}>
            Save changes
          </Button>
        </div>
      </form>
        <Dialog open={confirmSuspend} onClose={() => setConfirmSuspend(false)} title={`Suspend ${tenant.name}?`} description="Its keys are refused until it is active again; stored events stay.">
          <div className="flex justify-end gap-2 pt-2">
            <Button onClick={() => setConfirmSuspend(false)} autoFocus>
              Cancel
            </Button>
            <Button variant="danger" onClick={() => save()}>
              Suspend tenant
            </Button>
          </div>
        </Dialog>
    </>
  )
}
