import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter, Route, Routes } from 'react-router'
import { sessionStore } from '../hooks/use-session'
import { SignInForm } from './sign-in-form'

function renderForm() {
  const client = new QueryClient({ defaultOptions: { mutations: { retry: false } } })
  render(
    <QueryClientProvider client={client}>
      <MemoryRouter initialEntries={['/sign-in']}>
        <Routes>
          <Route path="/sign-in" element={<SignInForm />} />
          <Route path="/" element={<p>Signed in</p>} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  )
}

describe('SignInForm', () => {
  afterEach(() => {
    vi.unstubAllGlobals()
    sessionStore.end()
  })

  it('says in plain words when the credential is refused', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => new Response(JSON.stringify({ error: { code: 'unauthorized', message: 'unknown key' } }), { status: 401 })))
    renderForm()
    await userEvent.type(screen.getByLabelText('Admin token or API key'), 'nope')
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }))
    expect(await screen.findByRole('alert')).toHaveTextContent('That token was not accepted')
    expect(sessionStore.get()).toBeNull()
  })

  it('exchanges the credential for a session and moves on', async () => {
    const fetchMock = vi.fn(async () => new Response(JSON.stringify({ access_token: 'jwt', token_type: 'Bearer', expires_in: 3600, tenant_id: null, scopes: ['ingest', 'read', 'manage'] }), { status: 200 }))
    vi.stubGlobal('fetch', fetchMock)
    renderForm()
    await userEvent.type(screen.getByLabelText('Admin token or API key'), 'admin-token')
    await userEvent.click(screen.getByRole('button', { name: 'Sign in' }))
    expect(await screen.findByText('Signed in')).toBeInTheDocument()
    expect(sessionStore.get()).toMatchObject({ token: 'jwt', tenantId: null })
    const init = (fetchMock.mock.calls[0] as unknown as [string, RequestInit])[1]
    expect((init.headers as Record<string, string>)['X-API-Key']).toBe('admin-token')
  })
})
