import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter, Route, Routes } from 'react-router'
import { sessionStore } from '@/features/auth/hooks/use-session'
import QualityView from './quality-view'

const tenant = { id: 't1', name: 'acme', status: 'active', created_at: '2026-01-01T00:00:00Z', rate_limit: { per_second: 100, burst: 200 } }
const now = new Date()
const hourAgo = new Date(Math.floor(now.getTime() / 3_600_000) * 3_600_000 - 3_600_000).toISOString()

const schemas = {
  unplanned: 'allow',
  schemas: [
    { event_type: 'order.*', mode: 'warn', schema: { type: 'object', properties: { plan: { enum: ['free', 'pro'] } } }, version: 2, created_at: hourAgo, updated_at: hourAgo },
  ],
}
const report = {
  types: [{ event_type: 'order.created', schema: 'order.*', mode: 'warn', totals: { checked: 40, violations: 10, blocked: 0 }, buckets: [{ start: hourAgo, checked: 40, violations: 10, blocked: 0 }] }],
}
const violations = {
  event_type: 'order.created',
  totals: report.types[0]!.totals,
  buckets: report.types[0]!.buckets,
  examples: [{ at: hourAgo, event_id: '7d0e1c4e-1111-4b2a-9c1e-000000000001', mode: 'warn', violations: [{ path: '/user/plan', message: '"gold" is not one of ["free","pro"]' }], metadata: { user: { plan: 'gold', country: 'DE' }, amount: 3 } }],
}
const stats = { from: hourAgo, to: now.toISOString(), interval: 'hour', total: 140, series: [], by_type: [{ event_type: 'page_view', count: 100 }, { event_type: 'order.created', count: 40 }] }

function json(body: unknown, status = 200) {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

type Handler = (url: URL, init?: RequestInit) => Response | undefined

function serve(override: Handler = () => undefined) {
  const fetchMock = vi.fn(async (input: string, init?: RequestInit) => {
    const url = new URL(input, 'http://x')
    const answered = override(url, init)
    if (answered) return answered
    if (url.pathname === '/api/v1/tenants') return json({ tenants: [tenant] })
    if (url.pathname === '/api/v1/schemas') return json(schemas)
    if (url.pathname === '/api/v1/data-quality') return json(report)
    if (url.pathname === '/api/v1/events/stats') return json(stats)
    if (url.pathname === '/api/v1/schemas/order.created/violations') return json(violations)
    return json({ error: { code: 'not_found', message: `no mock for ${url.pathname}` } }, 404)
  })
  vi.stubGlobal('fetch', fetchMock)
  return fetchMock
}

function renderView(path = '/t/t1/quality') {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path="/t/:tenantId/quality" element={<QualityView />} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  )
}

const calls = (fetchMock: ReturnType<typeof serve>, method: string) => fetchMock.mock.calls.filter(([, init]) => (init?.method ?? 'GET') === method)

describe('QualityView', () => {
  beforeEach(() => sessionStore.start({ access_token: 'jwt', token_type: 'Bearer', expires_in: 3600, tenant_id: null, scopes: ['ingest', 'read', 'manage'] }))
  afterEach(() => {
    vi.unstubAllGlobals()
    sessionStore.end()
  })

  it('lists checked and unchecked types with schema, mode and rate, worst first', async () => {
    serve()
    renderView()
    const rows = await screen.findAllByTestId('quality-row')
    expect(rows.map((r) => r.dataset.eventType)).toEqual(['order.created', 'page_view'])
    expect(within(rows[0]!).getByTestId('quality-schema')).toHaveTextContent('order.*')
    expect(within(rows[0]!).getByTestId('quality-mode')).toHaveTextContent('warn')
    expect(within(rows[0]!).getByTestId('quality-rate')).toHaveTextContent('25%')
    expect(within(rows[0]!).getByRole('img', { name: /10 violations/ })).toBeInTheDocument()
    expect(within(rows[1]!).getByTestId('quality-schema')).toHaveTextContent('no schema')
    expect(within(rows[1]!).getByTestId('quality-rate')).toHaveTextContent('—')
    expect(document.title).toBe('Data quality · acme — Tributary')
  })

  it("shows a type's examples with the failing path marked in its metadata", async () => {
    serve()
    renderView('/t/t1/quality?type=order.created')
    const example = await screen.findByTestId('violation-example')
    expect(within(example).getByText('/user/plan')).toBeInTheDocument()
    const mark = example.querySelector('mark[data-violation-path="/user/plan"]')
    expect(mark).not.toBeNull()
    expect(mark!.textContent).toBe('"plan": "gold"')
    expect(example.querySelectorAll('mark')).toHaveLength(1)
    expect(within(example).getByRole('link', { name: 'Open the stored event' })).toHaveAttribute('href', '/t/t1/events?event=7d0e1c4e-1111-4b2a-9c1e-000000000001')
  })

  it('edits the matching pattern: parse errors block saving, the inferred draft is loaded but not saved', async () => {
    const fetchMock = serve((url, init) =>
      init?.method === 'POST' && url.pathname === '/api/v1/schemas/order.created/infer'
        ? json({ event_type: 'order.created', sampled: 812, schema: { type: 'object', required: ['amount'] } })
        : undefined,
    )
    renderView('/t/t1/quality?type=order.created')
    const editor = await screen.findByTestId('schema-editor')
    expect(within(editor).getByRole('heading')).toHaveTextContent('Schema order.*')
    const text = within(editor).getByLabelText(/JSON Schema for/)
    await userEvent.clear(text)
    await userEvent.type(text, '{{"type": "object",}')
    expect(within(editor).getByTestId('schema-parse-error')).toHaveTextContent('Line 1, column 19: trailing comma before }')
    expect(text).toHaveAttribute('aria-invalid', 'true')
    expect(within(editor).getByRole('button', { name: 'Save schema' })).toBeDisabled()

    await userEvent.click(within(editor).getByRole('button', { name: 'Start from inferred draft' }))
    expect(await within(editor).findByTestId('schema-draft-note')).toHaveTextContent('812 stored order.created events')
    expect(JSON.parse((text as HTMLTextAreaElement).value)).toEqual({ type: 'object', required: ['amount'] })
    expect(calls(fetchMock, 'PUT')).toHaveLength(0)
    expect(calls(fetchMock, 'POST')[0]![0]).toBe('/api/v1/schemas/order.created/infer?tenant_id=t1&sample=1000')
  })

  it("saves with a PUT and shows the server's 422 next to the editor", async () => {
    const fetchMock = serve((_url, init) =>
      init?.method === 'PUT' ? json({ error: { code: 'validation_error', message: 'schema is not a valid JSON Schema: "nope" is not valid under any of the given schemas', field: 'schema' } }, 422) : undefined,
    )
    renderView('/t/t1/quality?type=order.created')
    const editor = await screen.findByTestId('schema-editor')
    const text = within(editor).getByLabelText(/JSON Schema for/)
    await userEvent.clear(text)
    await userEvent.type(text, '{{"type": "nope"}')
    await userEvent.selectOptions(within(editor).getByLabelText('Mode'), 'block')
    await userEvent.click(within(editor).getByRole('button', { name: 'Save schema' }))
    expect(await within(editor).findByTestId('schema-server-error')).toHaveTextContent('The server refused this schema: schema is not a valid JSON Schema: "nope" is not valid')
    const [url, init] = calls(fetchMock, 'PUT')[0]!
    expect(url).toBe('/api/v1/schemas/order.*?tenant_id=t1')
    expect(JSON.parse(String(init!.body))).toEqual({ mode: 'block', schema: { type: 'nope' } })
  })

  it('says in place that changing the unplanned policy needs the manage scope when the API answers 403', async () => {
    serve((url, init) => (init?.method === 'PUT' && url.pathname === '/api/v1/schema-policy' ? json({ error: { code: 'forbidden', message: 'this key lacks the manage scope' } }, 403) : undefined))
    renderView()
    const policy = await screen.findByTestId('unplanned-policy')
    expect(await within(policy).findByRole('radio', { name: /Allow/ })).toBeChecked()
    await userEvent.click(within(policy).getByRole('radio', { name: /Block/ }))
    expect(await within(policy).findByRole('alert')).toHaveTextContent('needs the manage scope')
    expect(within(policy).getByRole('radio', { name: /Allow/ })).toBeChecked()
  })

  it('locks the policy and the editor for a key without manage', async () => {
    sessionStore.start({ access_token: 'jwt', token_type: 'Bearer', expires_in: 3600, tenant_id: 't1', scopes: ['read'] })
    serve()
    renderView('/t/t1/quality?type=order.created')
    const policy = await screen.findByTestId('unplanned-policy')
    expect(within(policy).getByRole('radio', { name: /Warn/ })).toBeDisabled()
    expect(within(policy).getByTestId('policy-message')).toHaveTextContent('needs the manage scope')
    const editor = await screen.findByTestId('schema-editor')
    expect(within(editor).queryByRole('button', { name: 'Save schema' })).toBeNull()
    expect(within(editor).getByText(/Read only/)).toBeInTheDocument()
  })
})
