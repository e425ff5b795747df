import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter, Route, Routes, useLocation } from 'react-router'
import type { Delivery, Replay, Webhook, WebhookStats } from '@/api/types'
import { sessionStore } from '@/features/auth/hooks/use-session'
import WebhooksView from './webhooks-view'

const tenant = { id: 't1', name: 'acme', status: 'active', created_at: '2026-01-01T00:00:00Z', rate_limit: { per_second: 100, burst: 200 } }
const now = new Date().toISOString()
const EVENT = '0190c3e4-1111-7000-8000-000000000001'

const endpoint: Webhook = {
  id: 'e1',
  tenant_id: 't1',
  url: 'https://crm.example.com/hooks',
  description: '',
  event_types: [],
  enabled: true,
  disabled_reason: null,
  consecutive_failures: 0,
  failing_since: null,
  last_success_at: now,
  last_failure_at: null,
  previous_secret_expires_at: null,
  signature: 'v1',
  public_key: null,
  filter: null,
  created_at: now,
  updated_at: now,
}

const delivery: Delivery = {
  id: 'd-1',
  endpoint_id: 'e1',
  event_id: EVENT,
  event_type: 'order.paid',
  status: 'dead',
  attempts: 4,
  next_attempt_at: null,
  created_at: now,
  updated_at: now,
  attempt_log: [
    {
      id: 'a-1',
      attempted_at: now,
      status_code: null,
      error: `could not connect: ${'x'.repeat(600)} the end`,
      latency_ms: 12,
      response_body: null,
      rule: 'exhausted',
      request_headers: { 'webhook-id': 'd-1', 'webhook-signature': 'v1,<redacted>' },
      request_body: '{"type":"order.paid"}',
    },
  ],
}

const stats: WebhookStats = {
  from: '2026-12-01T00:00:00Z',
  to: now,
  bucket_seconds: 3600,
  attempts: 8,
  succeeded: 6,
  failed: 2,
  success_rate: 0.75,
  latency_p50_ms: 42,
  latency_p95_ms: 1_830,
  buckets: [
    { start: '2026-12-01T00:00:00Z', attempts: 8, succeeded: 6, failed: 2, latency_p50_ms: 42, latency_p95_ms: 1_830 },
    { start: '2026-12-01T01:00:00Z', attempts: 0, succeeded: 0, failed: 0, latency_p50_ms: null, latency_p95_ms: null },
  ],
}

function json(body: unknown, status = 200) {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

/**
 * The webhook API with memory: a replay answers `running` (40 of 100 queued) when asked about,
 * `cancelled` once cancelled; event types with a space are refused as the server does.
 */
function serve() {
  const replays: Replay[] = []
  const fetchMock = vi.fn(async (input: string, init?: RequestInit) => {
    const url = new URL(input, 'http://x')
    const method = init?.method ?? 'GET'
    const body = init?.body ? JSON.parse(String(init.body)) : undefined
    const path = url.pathname
    if (path === '/api/v1/tenants') return json({ tenants: [tenant] })
    if (path === '/api/v1/webhooks') return json({ endpoints: [endpoint] })
    if (path === '/api/v1/webhooks/e1/deliveries') {
      const eventId = url.searchParams.get('event_id')
      return json({ deliveries: eventId && eventId !== EVENT ? [] : [delivery], next_cursor: null })
    }
    if (path === '/api/v1/webhooks/e1/stats') return json(stats)
    if (path === '/api/v1/webhooks/e1/replay' && method === 'POST') {
      const bad = (body.event_types ?? []).findIndex((t: string) => t.includes('!'))
      if (bad >= 0) return json({ error: { code: 'validation_error', field: `event_types[${bad}]`, message: 'an event type is letters, digits and . _ - : or a pattern' } }, 422)
      const replay: Replay = {
        id: `r-${replays.length + 1}`,
        endpoint_id: 'e1',
        state: 'pending',
        from: body.from ?? now,
        to: body.to ?? now,
        event_types: body.event_types ?? [],
        only_failed: body.only_failed ?? false,
        total: null,
        created: 0,
        delivered: 0,
        failed: 0,
        waiting: 0,
        error: null,
        created_at: now,
        updated_at: now,
        finished_at: null,
      }
      replays.unshift(replay)
      return json(replay, 202)
    }
    if (path === '/api/v1/webhooks/e1/replays') return json({ data: replays })
    const one = /^\/api\/v1\/webhooks\/e1\/replays\/([^/]+)(\/cancel)?$/.exec(path)
    if (one) {
      const replay = replays.find((r) => r.id === one[1])!
      if (one[2] && method === 'POST') Object.assign(replay, { state: 'cancelled', finished_at: now })
      else if (replay.state === 'pending') Object.assign(replay, { state: 'running', total: 100, created: 40, delivered: 31, failed: 2, waiting: 7 })
      return json(replay)
    }
    return json({ error: { code: 'not_found', message: `no mock for ${method} ${path}` } }, 404)
  })
  vi.stubGlobal('fetch', fetchMock)
  return fetchMock
}

type FetchMock = ReturnType<typeof serve>

const calls = (fetchMock: FetchMock, path: string, method = 'GET') =>
  fetchMock.mock.calls.filter(([url, init]) => new URL(url, 'http://x').pathname === path && (init?.method ?? 'GET') === method)

const sent = (fetchMock: FetchMock, path: string) => calls(fetchMock, path, 'POST').map(([, init]) => (init?.body ? JSON.parse(String(init.body)) : undefined))

function Where() {
  const location = useLocation()
  return <output data-testid="location">{location.search}</output>
}

function renderView(path = '/t/t1/webhooks') {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route
            path="/t/:tenantId/webhooks"
            element={
              <>
                <WebhooksView />
                <Where />
              </>
            }
          />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  )
}

describe('Webhooks: delivery health, event search and replays', () => {
  // jsdom has no modal dialogs (open and close are enough here) and no media queries (the
  // charts follow the theme).
  beforeAll(() => {
    window.matchMedia = ((query: string) => ({ matches: false, media: query, addEventListener() {}, removeEventListener() {} })) as unknown as typeof window.matchMedia
    HTMLDialogElement.prototype.showModal = function (this: HTMLDialogElement) {
      this.setAttribute('open', '')
    }
    HTMLDialogElement.prototype.close = function (this: HTMLDialogElement) {
      this.removeAttribute('open')
    }
  })
  beforeEach(() => sessionStore.start({ access_token: 'jwt', token_type: 'Bearer', expires_in: 3600, tenant_id: 't1', scopes: ['read', 'manage'] }))
  afterEach(() => {
    vi.unstubAllGlobals()
    sessionStore.end()
  })

  it('shows the success rate and latency of the window, and switches windows', async () => {
    const fetchMock = serve()
    renderView()
    expect(await screen.findByTestId('stats-success-rate')).toHaveTextContent('75%')
    expect(screen.getByTestId('stats-attempts')).toHaveTextContent('8')
    expect(screen.getByTestId('stats-p50')).toHaveTextContent('42 ms')
    expect(screen.getByTestId('stats-p95')).toHaveTextContent('1.8 s')
    expect(screen.getByTestId('attempts-chart')).toHaveAttribute('data-buckets', '2')
    expect(screen.getByRole('img', { name: /8 attempts, 6 succeeded, 2 failed, a success rate of 75%/ })).toBeInTheDocument()
    expect(new URL(calls(fetchMock, '/api/v1/webhooks/e1/stats')[0]![0], 'http://x').searchParams.get('hours')).toBe('24')

    await userEvent.click(within(screen.getByRole('radiogroup', { name: 'Window' })).getByRole('radio', { name: '7 d' }))
    await waitFor(() => expect(calls(fetchMock, '/api/v1/webhooks/e1/stats').some(([url]) => url.includes('hours=168'))).toBe(true))
    expect(screen.getByTestId('location')).toHaveTextContent('window=7d')
  })

  it('finds an event’s deliveries by its id, refusing what is not an id', async () => {
    const fetchMock = serve()
    renderView()
    const search = await screen.findByRole('searchbox', { name: 'Find deliveries by event id' })
    await userEvent.type(search, 'not-an-id{Enter}')
    expect(await screen.findByText(/An event id is a UUID/)).toBeInTheDocument()
    expect(calls(fetchMock, '/api/v1/webhooks/e1/deliveries').some(([url]) => url.includes('event_id'))).toBe(false)

    await userEvent.clear(search)
    await userEvent.type(search, '0190c3e4-2222-7000-8000-000000000009{Enter}')
    expect(await screen.findByText('No delivery of this event to this endpoint')).toBeInTheDocument()
    expect(screen.getByTestId('location')).toHaveTextContent('event_id=0190c3e4-2222-7000-8000-000000000009')

    await userEvent.click(screen.getByRole('button', { name: 'Clear the event id' }))
    expect(await screen.findByTestId('delivery')).toBeInTheDocument()
    expect(screen.getByTestId('location')).not.toHaveTextContent('event_id')
  })

  it('shows an attempt’s full error text, however long', async () => {
    serve()
    renderView()
    const row = await screen.findByTestId('delivery')
    await userEvent.click(within(row).getByRole('button', { expanded: false }))
    expect(within(row).getByText(/could not connect: x+ the end/)).toBeInTheDocument()
  })

  it('starts a replay of the last 24 h, follows its progress every second and cancels it', async () => {
    const fetchMock = serve()
    renderView()
    await userEvent.click(await screen.findByRole('button', { name: 'Replay…' }))
    const dialog = await screen.findByRole('dialog', { name: 'Replay deliveries' })
    expect(within(dialog).getByRole('radio', { name: 'Last 24 h' })).toHaveAttribute('aria-checked', 'true')
    await userEvent.type(within(dialog).getByLabelText('Event types (optional)'), 'order.*, signup')
    await userEvent.click(within(dialog).getByLabelText('Only failed'))
    const before = Date.now()
    await userEvent.click(within(dialog).getByRole('button', { name: 'Start replay' }))

    const [body] = sent(fetchMock, '/api/v1/webhooks/e1/replay')
    expect(body).toMatchObject({ event_types: ['order.*', 'signup'], only_failed: true })
    expect(body.to).toBeUndefined()
    expect(Math.abs(Date.parse(body.from) - (before - 24 * 3_600_000))).toBeLessThan(5_000)

    const job = await within(dialog).findByTestId('replay-job')
    await waitFor(() => expect(job).toHaveAttribute('data-state', 'running'), { timeout: 3_000 })
    expect(within(job).getByTestId('replay-created')).toHaveTextContent('40 / 100')
    expect(within(job).getByTestId('replay-delivered')).toHaveTextContent('31')
    expect(within(job).getByTestId('replay-failed')).toHaveTextContent('2')
    expect(within(job).getByRole('progressbar', { name: 'Events queued for delivery' })).toHaveAttribute('aria-valuenow', '40')
    // Followed while it runs.
    const polls = calls(fetchMock, '/api/v1/webhooks/e1/replays/r-1').length
    await waitFor(() => expect(calls(fetchMock, '/api/v1/webhooks/e1/replays/r-1').length).toBeGreaterThan(polls), { timeout: 2_500 })

    await userEvent.click(within(job).getByRole('button', { name: 'Cancel replay' }))
    await waitFor(() => expect(job).toHaveAttribute('data-state', 'cancelled'))
    expect(calls(fetchMock, '/api/v1/webhooks/e1/replays/r-1/cancel', 'POST')).toHaveLength(1)
    // Once it has ended it is not asked about again.
    const settled = calls(fetchMock, '/api/v1/webhooks/e1/replays/r-1').length
    await new Promise((r) => setTimeout(r, 1_300))
    expect(calls(fetchMock, '/api/v1/webhooks/e1/replays/r-1').length).toBe(settled)

    // The endpoint view lists it, and opens it again.
    await userEvent.click(within(job).getByRole('button', { name: 'Close' }))
    const list = await screen.findByTestId('replay-list')
    expect(within(list).getByTestId('replay-row')).toHaveAttribute('data-state', 'cancelled')
    await userEvent.click(within(list).getByRole('button', { name: /Progress of the replay/ }))
    expect(await within(await screen.findByRole('dialog', { name: 'Replay deliveries' })).findByTestId('replay-job')).toHaveAttribute('data-state', 'cancelled')
  })

  it('checks a custom range and shows the server’s refusal next to the field', async () => {
    const fetchMock = serve()
    renderView()
    await userEvent.click(await screen.findByRole('button', { name: 'Replay…' }))
    const dialog = await screen.findByRole('dialog', { name: 'Replay deliveries' })
    await userEvent.click(within(dialog).getByRole('radio', { name: 'Custom' }))
    await userEvent.click(within(dialog).getByRole('button', { name: 'Start replay' }))
    expect(within(dialog).getByLabelText('From')).toHaveAccessibleDescription('Choose when the range starts.')
    expect(sent(fetchMock, '/api/v1/webhooks/e1/replay')).toHaveLength(0)

    await userEvent.type(within(dialog).getByLabelText('From'), '2026-11-30T10:00:00')
    await userEvent.type(within(dialog).getByLabelText('Event types (optional)'), 'order!')
    await userEvent.click(within(dialog).getByRole('button', { name: 'Start replay' }))
    await waitFor(() => expect(within(dialog).getByLabelText('Event types (optional)')).toHaveAttribute('aria-invalid', 'true'))
    expect(within(dialog).getByRole('alert')).toHaveTextContent('an event type is letters')
    expect(sent(fetchMock, '/api/v1/webhooks/e1/replay')[0]).toEqual({ from: new Date('2026-11-30T10:00:00').toISOString(), event_types: ['order!'] })
  })

  it('replays from a delivery in the log', async () => {
    const fetchMock = serve()
    renderView()
    const row = await screen.findByTestId('delivery')
    await userEvent.click(within(row).getByRole('button', { expanded: false }))
    await userEvent.click(within(row).getByRole('button', { name: 'Replay from here' }))
    const dialog = await screen.findByRole('dialog', { name: 'Replay from this delivery' })
    expect(within(dialog).queryByRole('radiogroup')).not.toBeInTheDocument()
    await userEvent.click(within(dialog).getByRole('button', { name: 'Start replay' }))
    expect(sent(fetchMock, '/api/v1/webhooks/e1/replay')[0]).toEqual({ since_delivery: 'd-1' })
    expect(await within(dialog).findByTestId('replay-job')).toBeInTheDocument()
  })
})
