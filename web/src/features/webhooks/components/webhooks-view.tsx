// Webhooks: the tenant's endpoints with their health on the left; on the right the selected
// one's actions, its delivery health chart, its recent replays and its delivery log. The selected
// endpoint, the chart's window, the status filter and the event id searched live in the URL.
import { useState } from 'react'
import { useSearchParams } from 'react-router'
import type { Delivery, DeliveryStatus, Webhook, WebhookWithSecret } from '@/api/types'
import { describeError } from '@/api/errors'
import { Button } from '@/components/ui/button'
import { Dialog } from '@/components/ui/dialog'
import { EmptyState } from '@/components/ui/empty-state'
import { HistoryIcon, PlusIcon, SendIcon, WebhookIcon } from '@/components/ui/icons'
import { SkeletonRows } from '@/components/ui/skeleton'
import { cn } from '@/lib/cn'
import { formatDateTime, formatPercent, formatRelative } from '@/lib/format'
import { notifyError, notifySuccess } from '@/lib/notify'
import { useDeleteWebhook, useRecentDeliveries, useRotateSecret, useSendTest, useUpdateWebhook, useWebhooks } from '../api/webhooks'
import { isStatsWindow, type StatsWindow } from '../lib/delivery-stats'
import { DELIVERY_STATUSES, healthOf, type HealthTone } from '../lib/health'
import { DeliveryLog } from './delivery-log'
import { DeliveryStats } from './delivery-stats'
import { ReplayDialog } from './replay-dialog'
import { ReplayList } from './replay-list'
import { SecretShown } from './secret-shown'
import { WebhookFormDialog } from './webhook-form-dialog'
import { usePageTitle } from '@/lib/page-title'

const DOT: Record<HealthTone, string> = { healthy: 'bg-emerald-500', failing: 'bg-amber-500', disabled: 'bg-red-500', idle: 'bg-gray-400' }

export default function WebhooksView() {
  usePageTitle('Webhooks')
  const endpoints = useWebhooks()
  const [params, setParams] = useSearchParams()
  const [form, setForm] = useState<{ open: boolean; endpoint: Webhook | null }>({ open: false, endpoint: null })
  const list = endpoints.data ?? []
  const selectedId = params.get('endpoint')
  const selected = list.find((e) => e.id === selectedId) ?? list[0] ?? null
  const rawStatus = params.get('status')
  const status = DELIVERY_STATUSES.some((s) => s.value === rawStatus) ? (rawStatus as DeliveryStatus) : null
  const rawWindow = params.get('window')
  const period: StatsWindow = isStatsWindow(rawWindow) ? rawWindow : '24h'
  const eventId = params.get('event_id')
  const [replay, setReplay] = useState<{ sinceDelivery: Delivery | null; replayId: string | null } | null>(null)

  const select = (id: string, nextStatus: DeliveryStatus | null = null) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev)
        if (next.get('endpoint') !== id) next.delete('event_id')
        next.set('endpoint', id)
        if (nextStatus) next.set('status', nextStatus)
        else next.delete('status')
        return next
      },
      { replace: true },
    )
  const setParam = (key: string, value: string | null) =>
    setParams(
      (prev) => {
        const next = new URLSearchParams(prev)
        if (value) next.set(key, value)
        else next.delete(key)
        return next
      },
      { replace: true },
    )

  return (
    <div className="space-y-4">
      <div className="flex items-center justify-between gap-4">
        <div>
          <h1 className="text-lg font-semibold">Webhooks</h1>
          <p className="text-sm text-gray-600 dark:text-gray-400">Signed HTTP deliveries of this tenant's events, retried until they succeed.</p>
        </div>
        <Button variant="primary" onClick={() => setForm({ open: true, endpoint: null })}>
          <PlusIcon className="size-4" /> Add endpoint
        </Button>
      </div>
      {endpoints.isPending ? (
        <div className="overflow-hidden rounded-xl bg-white ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
          <SkeletonRows rows={3} label="Loading endpoints" />
        </div>
      ) : endpoints.isError ? (
        <EmptyState title={describeError(endpoints.error).title}>
          <p>{describeError(endpoints.error).description}</p>
          <Button className="mt-3" size="sm" onClick={() => void endpoints.refetch()}>
            Try again
          </Button>
        </EmptyState>
      ) : list.length === 0 ? (
        <div className="rounded-xl bg-white ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
          <EmptyState title="No endpoints yet" icon={<WebhookIcon className="size-8" />}>
            <p>Add a URL and Tributary will POST each new event to it, signed, with retries.</p>
            <Button className="mt-4" variant="primary" onClick={() => setForm({ open: true, endpoint: null })}>
              <PlusIcon className="size-4" /> Add your first endpoint
            </Button>
          </EmptyState>
        </div>
      ) : (
        <div className="grid gap-4 lg:grid-cols-[20rem_1fr]">
          <ul aria-label="Endpoints" className="space-y-2">
            {list.map((endpoint) => (
              <EndpointCard key={endpoint.id} endpoint={endpoint} selected={endpoint.id === selected?.id} onSelect={() => select(endpoint.id)} />
            ))}
          </ul>
          {selected && (
            <div className="min-w-0 space-y-4">
              <EndpointDetail endpoint={selected} onEdit={() => setForm({ open: true, endpoint: selected })} onReplay={() => setReplay({ sinceDelivery: null, replayId: null })} />
              <DeliveryStats endpointId={selected.id} period={period} onPeriod={(w) => setParam('window', w)} />
              <ReplayList endpointId={selected.id} onOpen={(r) => setReplay({ sinceDelivery: null, replayId: r.id })} />
              <DeliveryLog
                endpointId={selected.id}
                status={status}
                onStatus={(s) => setParam('status', s)}
                eventId={eventId}
                onEventId={(id) => setParam('event_id', id)}
                onReplayFrom={(d) => setReplay({ sinceDelivery: d, replayId: null })}
              />
              <ReplayDialog endpoint={selected} open={replay !== null} sinceDelivery={replay?.sinceDelivery} replayId={replay?.replayId} onClose={() => setReplay(null)} />
            </div>
          )}
        </div>
      )}
      <WebhookFormDialog open={form.open} endpoint={form.endpoint} onClose={() => setForm({ open: false, endpoint: null })} onCreated={(e) => select(e.id)} />
    </div>
  )
}

function EndpointCard({ endpoint, selected, onSelect }: { endpoint: Webhook; selected: boolean; onSelect: () => void }) {
  const recent = useRecentDeliveries(endpoint.id)
  const health = healthOf(endpoint, recent.data)
  return (
    <li>
      <button
        type="button"
        onClick={onSelect}
        aria-current={selected || undefined}
        data-testid="endpoint-card"
        className={cn(
          'w-full rounded-xl bg-white p-3 text-left dark:bg-gray-900',
          selected ? 'ring-2 ring-accent-500 dark:ring-accent-400' : 'ring-1 ring-gray-200 hover:ring-gray-300 dark:ring-white/10 dark:hover:ring-white/20',
        )}
      >
        <div className="truncate font-mono text-xs font-medium" title={endpoint.url}>
          {endpoint.url}
        </div>
        {endpoint.description && <div className="mt-0.5 truncate text-xs text-gray-600 dark:text-gray-400">{endpoint.description}</div>}
        <div className="mt-2 flex items-center gap-2 text-xs text-gray-600 dark:text-gray-400">
          <span className={cn('size-2 shrink-0 rounded-full', DOT[health.tone])} aria-hidden="true" />
          <span data-testid="endpoint-health" className="truncate">
            {health.label}
          </span>
          {health.successRate !== null && (
            <span className="ml-auto shrink-0 tabular-nums" title="Succeeded share of the latest 50 deliveries">
              {formatPercent(health.successRate, 1)} ok
            </span>
          )}
        </div>
        {endpoint.disabled_reason && <p className="mt-1 text-xs text-red-700 dark:text-red-400">{endpoint.disabled_reason}</p>}
      </button>
    </li>
  )
}

function EndpointDetail({ endpoint, onEdit, onReplay }: { endpoint: Webhook; onEdit: () => void; onReplay: () => void }) {
  const test = useSendTest()
  const rotate = useRotateSecret()
  const update = useUpdateWebhook()
  const remove = useDeleteWebhook()
  const [secret, setSecret] = useState<WebhookWithSecret | null>(null)
  const [confirm, setConfirm] = useState<'rotate' | 'delete' | null>(null)
  return (
    <section aria-label="Endpoint" className="rounded-xl bg-white p-4 ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
      <div className="flex flex-wrap items-start justify-between gap-3">
        <div className="min-w-0">
          <h2 className="truncate font-mono text-sm font-semibold">{endpoint.url}</h2>
          <p className="mt-1 text-xs text-gray-600 dark:text-gray-400">
            {endpoint.event_types.length ? `Types: ${endpoint.event_types.join(', ')}` : 'Every event type'}
            {' · '}
            {endpoint.enabled ? 'enabled' : 'disabled'}
            {endpoint.last_success_at && (
              <span title={formatDateTime(endpoint.last_success_at)}> · last success {formatRelative(endpoint.last_success_at)}</span>
            )}
            {endpoint.last_failure_at && (
              <span title={formatDateTime(endpoint.last_failure_at)}> · last failure {formatRelative(endpoint.last_failure_at)}</span>
            )}
          </p>
        </div>
        <div className="flex flex-wrap gap-2">
          <Button
            size="sm"
            variant="primary"
            loading={test.isPending}
            onClick={() => test.mutate(endpoint.id, { onSuccess: () => notifySuccess('Test event queued', 'It shows up in the deliveries below.') })}
          >
            <SendIcon className="size-3.5" /> Send test event
          </Button>
          <Button size="sm" onClick={onReplay}>
            <HistoryIcon className="size-3.5" /> Replay…
          </Button>
          <Button size="sm" onClick={onEdit}>
            Edit
          </Button>
          <Button
            size="sm"
            loading={update.isPending}
            onClick={() =>
              update.mutate(
                { id: endpoint.id, enabled: !endpoint.enabled },
                { onSuccess: () => notifySuccess(endpoint.enabled ? 'Endpoint disabled' : 'Endpoint enabled'), onError: (e) => notifyError(e, 'The endpoint was not updated') },
              )
            }
          >
            {endpoint.enabled ? 'Disable' : 'Enable'}
          </Button>
          <Button size="sm" onClick={() => setConfirm('rotate')}>
            Rotate secret
          </Button>
          <Button size="sm" variant="ghost" className="text-red-700 dark:text-red-400" onClick={() => setConfirm('delete')}>
            Delete
          </Button>
        </div>
      </div>
      {endpoint.disabled_reason && (
        <p role="status" className="mt-3 rounded-md bg-red-50 px-3 py-2 text-xs text-red-800 dark:bg-red-400/10 dark:text-red-300">
          Disabled by the server: {endpoint.disabled_reason}. Fix the receiver, then enable it again.
        </p>
      )}
      <Dialog
        open={confirm !== null}
        onClose={() => setConfirm(null)}
        title={confirm === 'delete' ? 'Delete this endpoint?' : 'Rotate the signing secret?'}
        description={
          confirm === 'delete'
            ? 'Its pending deliveries are dropped and its log is deleted. This cannot be undone.'
            : 'Deliveries are signed with both the old and the new secret for a while, so the receiver can switch.'
        }
      >
        <div className="flex justify-end gap-2 pt-2">
          <Button onClick={() => setConfirm(null)} autoFocus>
            Cancel
          </Button>
          {confirm === 'delete' ? (
            <Button variant="danger" loading={remove.isPending} onClick={() => remove.mutate(endpoint.id, { onSuccess: () => (setConfirm(null), notifySuccess('Endpoint deleted')) })}>
              Delete endpoint
            </Button>
          ) : (
            <Button variant="primary" loading={rotate.isPending} onClick={() => rotate.mutate(endpoint.id, { onSuccess: (s) => (setConfirm(null), setSecret(s)) })}>
              Rotate secret
            </Button>
          )}
        </div>
      </Dialog>
      <Dialog open={secret !== null} onClose={() => setSecret(null)} title="New signing secret" description="Copy it now: it is shown only once.">
        {secret && <SecretShown secret={secret.secret} publicKey={secret.public_key} onDone={() => setSecret(null)} />}
      </Dialog>
    </section>
  )
}
