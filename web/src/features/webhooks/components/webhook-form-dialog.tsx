// Create or edit an endpoint: URL, event types, description, enabled. The API's validation
// messages show under their field; a created endpoint's secret is shown once.
import { useState, type FormEvent } from 'react'
import type { Webhook, WebhookWithSecret } from '@/api/types'
import { describeError, toApiError } from '@/api/errors'
import { Button } from '@/components/ui/button'
import { Dialog } from '@/components/ui/dialog'
import { Field } from '@/components/ui/field'
import { notifySuccess } from '@/lib/notify'
import { useCreateWebhook, useUpdateWebhook } from '../api/webhooks'
import { parseEventTypes } from '../lib/health'
import { SecretShown } from './secret-shown'

export function WebhookFormDialog({ open, endpoint, onClose, onCreated }: { open: boolean; endpoint: Webhook | null; onClose: () => void; onCreated?: (endpoint: Webhook) => void }) {
  const [created, setCreated] = useState<WebhookWithSecret | null>(null)
  const close = () => {
    setCreated(null)
    onClose()
  }
  return (
    <Dialog
      open={open}
      onClose={close}
      title={created ? 'Endpoint created' : endpoint ? 'Edit endpoint' : 'Add an endpoint'}
      description={created ? 'Copy its signing secret now: it is shown only once.' : 'Tributary POSTs matching events to this URL, signed (Standard Webhooks).'}
    >
      {created ? (
        <SecretShown secret={created.secret} publicKey={created.public_key} onDone={close} />
      ) : (
        <WebhookForm
          key={endpoint?.id ?? 'new'}
          endpoint={endpoint}
          onCancel={close}
          onSaved={(saved) => {
            if (endpoint) {
              notifySuccess('Endpoint saved')
              close()
            } else {
              setCreated(saved as WebhookWithSecret)
              onCreated?.(saved)
            }
          }}
        />
      )}
    </Dialog>
  )
}

function WebhookForm({ endpoint, onCancel, onSaved }: { endpoint: Webhook | null; onCancel: () => void; onSaved: (endpoint: Webhook) => void }) {
  const [url, setUrl] = useState(endpoint?.url ?? '')
  const [types, setTypes] = useState(endpoint?.event_types.join(', ') ?? '')
  const [description, setDescription] = useState(endpoint?.description ?? '')
  const [enabled, setEnabled] = useState(endpoint?.enabled ?? true)
  const create = useCreateWebhook()
  const update = useUpdateWebhook()
  const mutation = endpoint ? update : create
  const error = mutation.error ? toApiError(mutation.error) : null
  const fieldError = (name: string) => (error?.field?.startsWith(name) ? error.message : null)
  const known = ['url', 'event_types', 'description']
  const other = error && !known.some((k) => error.field?.startsWith(k)) ? describeError(error) : null

  function submit(event: FormEvent) {
    event.preventDefault()
    const body = { url: url.trim(), event_types: parseEventTypes(types), description: description.trim(), enabled }
    if (endpoint) update.mutate({ id: endpoint.id, ...body }, { onSuccess: onSaved })
    else create.mutate(body, { onSuccess: onSaved })
  }

  return (
    <form onSubmit={submit} className="space-y-4" noValidate>
      <Field label="URL" type="url" value={url} onChange={(e) => setUrl(e.target.value)} placeholder="https://example.com/hooks/tributary" autoFocus autoComplete="off" error={fieldError('url')} />
      <Field label="Event types" value={types} onChange={(e) => setTypes(e.target.value)} placeholder="signup, payment" autoComplete="off" hint="Exact names, separated by commas. Empty: every event type." error={fieldError('event_types')} />
      <Field label="Description" value={description} onChange={(e) => setDescription(e.target.value)} placeholder="Billing service" autoComplete="off" error={fieldError('description')} />
      <label className="flex items-center gap-2 text-sm">
        <input type="checkbox" className="size-4 accent-accent-600" checked={enabled} onChange={(e) => setEnabled(e.target.checked)} />
        Enabled
        {endpoint && !endpoint.enabled && <span className="text-xs text-gray-500 dark:text-gray-400">(enabling clears the failure record)</span>}
      </label>
      {other && (
        <p role="alert" className="text-sm text-red-600 dark:text-red-400">
          {other.title}
          {other.description ? ` — ${other.description}` : ''}
        </p>
      )}
      <div className="flex justify-end gap-2 pt-2">
        <Button onClick={onCancel}>Cancel</Button>
        <Button type="submit" variant="primary" loading={mutation.isPending} disabled={!url.trim()}>
          {endpoint ? 'Save' : 'Add endpoint'}
        </Button>
      </div>
    </form>
  )
}
