import { useId, useState, type FormEvent } from 'react'
import { useNavigate } from 'react-router'
import { apiOrigin } from '@/api/base-url'
import type { CreatedTenant } from '@/api/types'
import { Button } from '@/components/ui/button'
import { CodeBlock } from '@/components/ui/code-block'
import { Dialog } from '@/components/ui/dialog'
import { toApiError } from '@/api/errors'
import { notifySuccess } from '@/lib/notify'
import { useCreateTenant } from '../api/create-tenant'
import { curlForFirstEvent } from './curl-snippet'

const inputClass =
  'block w-full rounded-md border-0 bg-white px-3 py-2 text-sm text-gray-900 shadow-sm ring-1 ring-gray-300 ring-inset placeholder:text-gray-400 focus:ring-2 focus:ring-accent-500 focus:outline-none dark:bg-white/5 dark:text-white dark:ring-white/10 dark:placeholder:text-gray-500'

export function CreateTenantDialog({ open, onClose }: { open: boolean; onClose: () => void }) {
  const [created, setCreated] = useState<CreatedTenant | null>(null)
  const close = () => {
    setCreated(null)
    onClose()
  }
  return (
    <Dialog
      open={open}
      onClose={close}
      title={created ? `Tenant “${created.name}” created` : 'Create a tenant'}
      description={created ? 'Copy its API key now: it is shown only once.' : 'A tenant gets its own events, rate limit and API keys.'}
    >
      {created ? <CreatedKey tenant={created} onDone={close} /> : <CreateForm onCreated={setCreated} onCancel={close} />}
    </Dialog>
  )
}

function CreateForm({ onCreated, onCancel }: { onCreated: (tenant: CreatedTenant) => void; onCancel: () => void }) {
  const ids = { name: useId(), perSecond: useId(), burst: useId(), error: useId() }
  const [name, setName] = useState('')
  const [perSecond, setPerSecond] = useState('')
  const [burst, setBurst] = useState('')
  const mutation = useCreateTenant()
  const error = mutation.error ? toApiError(mutation.error) : null

  function submit(event: FormEvent) {
    event.preventDefault()
    const rateLimit = perSecond || burst ? { per_second: Number(perSecond || burst), burst: Number(burst || perSecond) } : undefined
    mutation.mutate({ name: name.trim(), rate_limit: rateLimit }, { onSuccess: onCreated })
  }

  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      <div>
        <label htmlFor={ids.name} className="block text-sm font-medium">
          Name
        </label>
        <input
          id={ids.name}
          className={`${inputClass} mt-1.5`}
          value={name}
          onChange={(e) => setName(e.target.value)}
          placeholder="acme-prod"
          autoFocus
          required
          autoComplete="off"
          aria-invalid={error?.field === 'name' || undefined}
          aria-describedby={error ? ids.error : undefined}
        />
      </div>
      <fieldset>
        <legend className="text-sm font-medium">
          Rate limit <span className="font-normal text-gray-500 dark:text-gray-400">(optional, events per second)</span>
        </legend>
        <div className="mt-1.5 grid grid-cols-2 gap-3">
          <div>
            <label htmlFor={ids.perSecond} className="block text-xs text-gray-600 dark:text-gray-400">
              Sustained rate
            </label>
            <input id={ids.perSecond} className={`${inputClass} mt-1`} inputMode="numeric" value={perSecond} onChange={(e) => setPerSecond(e.target.value.replace(/\D/g, ''))} placeholder="1000" />
          </div>
          <div>
            <label htmlFor={ids.burst} className="block text-xs text-gray-600 dark:text-gray-400">
              Burst
            </label>
            <input id={ids.burst} className={`${inputClass} mt-1`} inputMode="numeric" value={burst} onChange={(e) => setBurst(e.target.value.replace(/\D/g, ''))} placeholder="2000" />
          </div>
        </div>
      </fieldset>
      {error && (
        <p id={ids.error} role="alert" className="text-sm text-red-600 dark:text-red-400">
          {error.message}
        </p>
      )}
      <div className="flex justify-end gap-2 pt-2">
        <Button onClick={onCancel}>Cancel</Button>
        <Button type="submit" variant="primary" loading={mutation.isPending} disabled={!name.trim()}>
          Create tenant
        </Button>
      </div>
    </form>
  )
}

function CreatedKey({ tenant, onDone }: { tenant: CreatedTenant; onDone: () => void }) {
  const navigate = useNavigate()
  const key = tenant.api_key.key ?? ''
  return (
    <div className="space-y-4">
      <div>
        <p className="mb-1.5 text-sm font-medium">API key</p>
        <CodeBlock code={key} label="Copy key" ariaLabel="New API key" title="Secret — shown only now" />
        <p className="mt-1.5 text-xs text-gray-600 dark:text-gray-400">
          Scopes: {tenant.api_key.scopes.join(', ')}. Store it in your app's secrets; Tributary keeps only a hash.
        </p>
      </div>
      <div>
        <p className="mb-1.5 text-sm font-medium">Send a first event</p>
        <CodeBlock code={curlForFirstEvent({ origin: apiOrigin(), key })} label="Copy command" ariaLabel="curl command" title="Terminal" />
      </div>
      <div className="flex justify-end gap-2 pt-2">
        <Button onClick={onDone}>Done</Button>
        <Button
          variant="primary"
          onClick={() => {
            onDone()
            notifySuccess(`Switched to ${tenant.name}`)
            navigate(`/t/${tenant.id}/live`)
          }}
        >
          Open its live feed
        </Button>
      </div>
    </div>
  )
}
