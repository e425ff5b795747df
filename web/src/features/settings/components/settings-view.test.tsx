import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter, Route, Routes } from 'react-router'
import { sessionStore } from '@/features/auth/hooks/use-session'
import SettingsView from './settings-view'

const tenant = { id: 't1', name: 'acme', status: 'active', created_at: '2026-01-01T00:00:00Z', rate_limit: { per_second: 100, burst: 200 } }

function json(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

function renderSettings() {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={['/t/t1/settings']}>
        <Routes>
          <Route path="/t/:tenantId/settings" element={<SettingsView />} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  )
}

/** A server that lists `tenant` and answers every PATCH with `refusal` (a 422 body). */
function refusingServer(refusal: { message: string; field: string }) {
  const fetchMock = vi.fn(async (url: string, init?: RequestInit) => {
    if (init?.method === 'PATCH') return json({ error: { code: 'validation_error', ...refusal } }, 422)
    if (url.startsWith('/api/v1/tenants')) return json({ tenants: [tenant] })
    return json({})
  })
  vi.stubGlobal('fetch', fetchMock)
  return fetchMock
}

describe('SettingsView', () => {
  beforeEach(() => sessionStore.start({ access_token: 'jwt', token_type: 'Bearer', expires_in: 3600, tenant_id: null, scopes: ['ingest', 'read', 'manage'] }))
  afterEach(() => {
    vi.unstubAllGlobals()
    sessionStore.end()
  })

  it('sends only the changed rate limit and shows the API message under the field it names', async () => {
    const fetchMock = refusingServer({ message: 'burst must be between 1 and 10000000', field: 'rate_limit.burst' })
    renderSettings()
    const burst = await screen.findByLabelText('Burst')
    expect(burst).toHaveValue('200')
    await userEvent.clear(burst)
    await userEvent.type(burst, '0')
    await userEvent.click(screen.getByRole('button', { name: 'Save changes' }))

    expect(await screen.findByText('burst must be between 1 and 10000000')).toBeInTheDocument()
    expect(burst).toHaveAttribute('aria-invalid', 'true')
    expect(burst).toHaveAccessibleDescription('burst must be between 1 and 10000000')
    expect(screen.getByLabelText('Name')).not.toHaveAttribute('aria-invalid')
    const patch = fetchMock.mock.calls.find(([, init]) => init?.method === 'PATCH')!
    expect(patch[0]).toBe('/api/v1/tenants/t1')
    expect(JSON.parse(String(patch[1]!.body))).toEqual({ rate_limit: { per_second: 100, burst: 0 } })
  })

  it('sends a retention in days and shows the API message for it', async () => {
    const fetchMock = refusingServer({ message: 'retention_days must be 0 (keep forever) to 36500, or null', field: 'retention_days' })
    renderSettings()
    expect(await screen.findByLabelText("The server's setting")).toBeChecked()
    const days = screen.getByLabelText('Days to keep events')
    expect(days).toBeDisabled()
    await userEvent.click(screen.getByLabelText('Delete events older than'))
    await userEvent.clear(days)
    await userEvent.type(days, '99999')
    await userEvent.click(screen.getByRole('button', { name: 'Save changes' }))

    expect(await screen.findByText('retention_days must be 0 (keep forever) to 36500, or null')).toBeInTheDocument()
    expect(days).toHaveAttribute('aria-invalid', 'true')
    const patch = fetchMock.mock.calls.find(([, init]) => init?.method === 'PATCH')!
    expect(JSON.parse(String(patch[1]!.body))).toEqual({ retention_days: 99999 })
  })

  it('tells a tenant key that only the admin can change settings', () => {
    sessionStore.start({ access_token: 'jwt', token_type: 'Bearer', expires_in: 3600, tenant_id: 't1', scopes: ['manage'] })
    vi.stubGlobal('fetch', vi.fn(async () => json({ tenants: [tenant] })))
    render(
      <QueryClientProvider client={new QueryClient()}>
        <MemoryRouter initialEntries={['/t/t1/settings']}>
          <Routes>
            <Route path="/t/:tenantId/settings" element={<SettingsView />} />
          </Routes>
        </MemoryRouter>
      </QueryClientProvider>,
    )
    expect(screen.getByText('Only the admin can change tenant settings')).toBeInTheDocument()
  })
})
