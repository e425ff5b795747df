import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter, Route, Routes } from 'react-router'
import type { AuditEntry } from '@/api/types'
import { sessionStore } from '@/features/auth/hooks/use-session'
import AuditView from './audit-view'

const tenant = { id: 't1', name: 'acme', status: 'active', created_at: '2026-01-01T00:00:00Z', rate_limit: { per_second: 100, burst: 200 } }
const key = { id: 'k1', name: 'ops-laptop', prefix: 'trb_abc12345', scopes: ['manage'], created_at: '2026-01-01T00:00:00Z' }

function entry(n: number, patch: Partial<AuditEntry> = {}): AuditEntry {
  return {
    id: `e${n}`,
    tenant_id: 't1',
    at: new Date(Date.now() - n * 60_000).toISOString(),
    actor: { type: 'admin', via_jwt: true },
    ip: '127.0.0.1',
    action: 'webhook.update',
    method: 'PATCH',
    route: '/api/v1/webhooks/{id}',
    status: 200,
    target_id: 'w1',
    before: { description: `v${n - 1}`, url: 'https://a.example' },
    after: { description: `v${n}`, url: 'https://a.example' },
    request_id: `r${n}`,
    ...patch,
  }
}

function json(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

function serve() {
  const fetchMock = vi.fn(async (input: string) => {
    const url = new URL(input, 'http://x')
    if (url.pathname === '/api/v1/tenants') return json({ tenants: [tenant] })
    if (url.pathname === '/api/v1/tenants/t1/keys') return json({ keys: [key] })
    if (url.pathname === '/api/v1/audit') {
      if (url.searchParams.get('cursor') === 'c2') return json({ entries: [entry(3, { action: 'tenant.create', before: null, after: { name: 'acme' }, target_id: 't1' })], next_cursor: null })
      const first = [entry(1, { action: 'privacy.update', actor: { type: 'key', key_id: 'k1', key_prefix: 'trb_abc12345', via_jwt: false }, before: null, after: null }), entry(2)]
      const action = url.searchParams.get('action')
      return json({ entries: action ? first.filter((e) => e.action === action) : first, next_cursor: action ? null : 'c2' })
    }
    return json({ error: { code: 'not_found', message: url.pathname } }, 404)
  })
  vi.stubGlobal('fetch', fetchMock)
  return fetchMock
}

function renderView(path = '/t/t1/audit') {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path="/t/:tenantId/audit" element={<AuditView />} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  )
}

describe('AuditView', () => {
  beforeEach(() => sessionStore.start({ access_token: 'jwt', token_type: 'Bearer', expires_in: 3600, tenant_id: 't1', scopes: ['manage'] }))
  afterEach(() => {
    vi.unstubAllGlobals()
    sessionStore.end()
  })

  it('lists entries with the key by name, opens one to its before and after, and loads more with the cursor', async () => {
    const fetchMock = serve()
    renderView()
    const rows = await screen.findAllByTestId('audit-entry')
    expect(rows.map((r) => r.dataset.action)).toEqual(['privacy.update', 'webhook.update'])
    await waitFor(() => expect(within(rows[0]!).getByTestId('audit-actor')).toHaveTextContent('ops-laptop'))
    expect(within(rows[1]!).getByTestId('audit-actor')).toHaveTextContent('Admin')

    await userEvent.click(within(rows[1]!).getByRole('button', { name: /Show the details of Endpoint updated/ }))
    const details = screen.getByTestId('audit-details')
    expect(details).toHaveTextContent('PATCH /api/v1/webhooks/{id} → 200')
    expect(details).toHaveTextContent('1 value changed')
    expect([...within(details).getByLabelText(/State before/).querySelectorAll('mark')].map((m) => m.dataset.path)).toEqual(['/description'])
    // The entry without a before or after says so.
    await userEvent.click(within(rows[0]!).getByRole('button', { name: /Show the details of Redaction policy saved/ }))
    expect(screen.getByTestId('audit-details')).toHaveTextContent('No before or after')

    expect(screen.getByTestId('audit-count')).toHaveTextContent('2 changes shown')
    await userEvent.click(screen.getByRole('button', { name: 'Load more' }))
    await waitFor(() => expect(screen.getAllByTestId('audit-entry')).toHaveLength(3))
    expect(fetchMock.mock.calls.some(([url]) => url.includes('cursor=c2'))).toBe(true)
    expect(screen.queryByRole('button', { name: 'Load more' })).toBeNull()
  })

  it('asks the server for one action, and offers to clear filters that match nothing', async () => {
    const fetchMock = serve()
    renderView('/t/t1/audit?action=key.revoke')
    expect(await screen.findByText('No change matches these filters')).toBeInTheDocument()
    expect(fetchMock.mock.calls.some(([url]) => url.startsWith('/api/v1/audit') && url.includes('action=key.revoke'))).toBe(true)
    await userEvent.click(screen.getByRole('button', { name: 'Clear the filters' }))
    expect(await screen.findAllByTestId('audit-entry')).toHaveLength(2)
    await userEvent.selectOptions(screen.getByLabelText('Actor'), 'admin')
    await waitFor(() => expect(fetchMock.mock.calls.some(([url]) => url.includes('actor=admin'))).toBe(true))
  })

  it('tells a key without manage that it needs the scope, and asks nothing', async () => {
    sessionStore.start({ access_token: 'jwt', token_type: 'Bearer', expires_in: 3600, tenant_id: 't1', scopes: ['read'] })
    const fetchMock = serve()
    renderView()
    expect(await screen.findByText('The audit log needs the manage scope')).toBeInTheDocument()
    expect(fetchMock.mock.calls.some(([url]) => url.startsWith('/api/v1/audit'))).toBe(false)
  })
})
