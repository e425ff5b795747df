import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter, Route, Routes } from 'react-router'
import type { PrivacyPolicy, PrivacySettings } from '@/api/types'
import { sessionStore } from '@/features/auth/hooks/use-session'
import PrivacyView from './privacy-view'

const tenant = { id: 't1', name: 'acme', status: 'active', created_at: '2026-01-01T00:00:00Z', rate_limit: { per_second: 100, burst: 200 } }
const event = {
  id: '0190e000-0000-7000-8000-000000000001',
  tenant_id: 't1',
  event_type: 'signup',
  timestamp: '2026-12-01T10:00:00Z',
  received_at: '2026-12-01T10:00:00Z',
  metadata: { email: 'ann@example.com', plan: 'pro', ip: '203.0.113.7' },
}

/** An event older than the recent ones, reached by its id only. */
const older = { ...event, id: '0190e000-0000-7000-8000-000000000000', event_type: 'order.paid', metadata: { email: 'bo@example.com' } }

function json(body: unknown, status = 200) {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

/** A stand-in for the server's redaction, enough to see each action: mask → `***`, hash → `#`, drop removes. */
function fakeRedact(metadata: Record<string, unknown>, policy: PrivacyPolicy): Record<string, unknown> {
  const out = new Map(Object.entries(metadata))
  for (const rule of policy.rules ?? []) {
    const key = rule.path.replace(/^metadata\./, '')
    if (!out.has(key)) continue
    if (rule.action === 'drop') out.delete(key)
    else out.set(key, rule.action === 'mask' ? '***' : '#')
  }
  return Object.fromEntries(out)
}

interface ServerOptions {
  policy?: PrivacySettings
  events?: (typeof event)[]
  /** Answers a PUT with this 422 instead of saving. */
  refuseSave?: { field: string; message: string }
  /** Answers a preview whose policy has a rule with this path with a 422 naming that rule. */
  refusePreviewPath?: string
}

function serve(options: ServerOptions = {}) {
  let policy: PrivacySettings = options.policy ?? { rules: [], detectors: [], updated_at: null }
  const fetchMock = vi.fn(async (input: string, init?: RequestInit) => {
    const url = new URL(input, 'http://x')
    const body = init?.body ? JSON.parse(String(init.body)) : undefined
    if (url.pathname === '/api/v1/tenants') return json({ tenants: [tenant] })
    if (url.pathname === '/api/v1/events') return json({ events: options.events ?? [event], next_cursor: null })
    if (url.pathname === `/api/v1/events/${older.id}`) return json(older)
    if (url.pathname === '/api/v1/privacy' && init?.method === 'PUT') {
      if (options.refuseSave) return json({ error: { code: 'validation_error', ...options.refuseSave } }, 422)
      policy = { ...body, updated_at: '2026-12-01T11:00:00Z' }
      return json(policy)
    }
    if (url.pathname === '/api/v1/privacy') return json(policy)
    if (url.pathname === '/api/v1/privacy/preview') {
      const bad = (body.policy.rules as { path: string }[]).findIndex((r) => r.path === options.refusePreviewPath)
      if (bad >= 0) return json({ error: { code: 'validation_error', field: `policy.rules[${bad}].path`, message: 'an empty key is not one' } }, 422)
      return json({ metadata: fakeRedact(body.metadata, body.policy) })
    }
    return json({ error: { code: 'not_found', message: `no mock for ${url.pathname}` } }, 404)
  })
  vi.stubGlobal('fetch', fetchMock)
  return fetchMock
}

const calls = (fetchMock: ReturnType<typeof serve>, path: string, method = 'POST') =>
  fetchMock.mock.calls.filter(([url, init]) => new URL(url, 'http://x').pathname === path && (init?.method ?? 'GET') === method).map(([, init]) => JSON.parse(String(init!.body)))

function renderView(path = '/t/t1/privacy') {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={[path]}>
        <Routes>
          <Route path="/t/:tenantId/privacy" element={<PrivacyView />} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  )
}

const before = () => screen.getByLabelText(/Metadata before redaction/)
const after = () => screen.getByLabelText(/Metadata after redaction/)
const marks = (pane: HTMLElement) => [...pane.querySelectorAll('mark')].map((m) => [m.dataset.mark, m.dataset.path])

describe('PrivacyView', () => {
  beforeEach(() => sessionStore.start({ access_token: 'jwt', token_type: 'Bearer', expires_in: 3600, tenant_id: 't1', scopes: ['read', 'manage'] }))
  afterEach(() => {
    vi.unstubAllGlobals()
    sessionStore.end()
  })

  it('previews the newest event under the unsaved rules and marks what they change and remove', async () => {
    const fetchMock = serve()
    renderView()
    expect(await screen.findByText('Never saved: events are stored as sent')).toBeInTheDocument()
    await waitFor(() => expect(JSON.parse(before().textContent!)).toEqual(event.metadata))
    expect(screen.getByTestId('preview-summary')).toHaveTextContent('Nothing changed')

    await userEvent.click(screen.getByRole('button', { name: 'Add rule' }))
    // Focus goes to the new rule's path.
    expect(screen.getByLabelText('Rule 1 path')).toHaveFocus()
    await userEvent.keyboard('email')
    await userEvent.click(screen.getByRole('button', { name: 'Add rule' }))
    await userEvent.type(screen.getByLabelText('Rule 2 path'), 'ip')
    await userEvent.selectOptions(screen.getByLabelText('Rule 2 action'), 'drop')

    await waitFor(() => expect(JSON.parse(after().textContent!)).toEqual({ email: '***', plan: 'pro' }))
    expect(marks(before())).toEqual([
      ['changed', '/email'],
      ['removed', '/ip'],
    ])
    expect(marks(after())).toEqual([['redacted', '/email']])
    expect(screen.getByTestId('preview-summary')).toHaveTextContent('1 value changed · 1 key removed')
    // Debounced: not one request per keystroke, and the last one carries the editor's policy.
    const previews = calls(fetchMock, '/api/v1/privacy/preview')
    expect(previews.length).toBeLessThan(6)
    expect(previews.at(-1)).toEqual({
      metadata: event.metadata,
      policy: {
        rules: [
          { path: 'email', action: 'mask' },
          { path: 'ip', action: 'drop' },
        ],
        detectors: [],
      },
    })
  })

  it('saves the rules in their order and the detectors switched on', async () => {
    const fetchMock = serve()
    renderView()
    await userEvent.click(await screen.findByRole('button', { name: 'Add rule' }))
    await userEvent.keyboard('email')
    await userEvent.click(screen.getByRole('button', { name: 'Add rule' }))
    await userEvent.keyboard('user.*')
    await userEvent.selectOptions(screen.getByLabelText('Rule 2 action'), 'hash')
    await userEvent.click(screen.getByRole('button', { name: 'Move rule 2 up' }))
    // The moved rule keeps the focus, on the button still enabled.
    expect(screen.getByRole('button', { name: 'Move rule 1 down' })).toHaveFocus()
    expect(screen.getByLabelText('Rule 1 path')).toHaveValue('user.*')
    const card = screen.getByRole('switch', { name: 'Card numbers' })
    await userEvent.click(card)
    expect(card).toBeChecked()
    await userEvent.selectOptions(screen.getByLabelText('Card numbers: action'), 'drop')

    expect(screen.getByText('Unsaved changes')).toBeInTheDocument()
    await userEvent.click(screen.getByRole('button', { name: 'Save policy' }))
    await waitFor(() => expect(calls(fetchMock, '/api/v1/privacy', 'PUT')).toHaveLength(1))
    expect(calls(fetchMock, '/api/v1/privacy', 'PUT')[0]).toEqual({
      rules: [
        { path: 'user.*', action: 'hash' },
        { path: 'email', action: 'mask' },
      ],
      detectors: [{ detector: 'card', action: 'drop' }],
    })
    expect(await screen.findByTestId('policy-status')).toHaveTextContent(/^Saved /)
    expect(screen.queryByText('Unsaved changes')).toBeNull()
    expect(screen.getByRole('button', { name: 'Save policy' })).toBeDisabled()
  })

  it('tries an older event named in the URL, offered in the picker too', async () => {
    serve()
    renderView(`/t/t1/privacy?preview=${older.id}`)
    await waitFor(() => expect(JSON.parse(before().textContent!)).toEqual({ email: 'bo@example.com' }))
    expect(screen.getByTestId('preview-source')).toHaveValue(older.id)
    expect(screen.getByRole('option', { name: /order.paid/ })).toBeInTheDocument()
  })

  it('keeps unsaved rules while another tab is looked at', async () => {
    serve()
    renderView()
    await userEvent.click(await screen.findByRole('button', { name: 'Add rule' }))
    await userEvent.keyboard('email')
    await userEvent.click(screen.getByRole('tab', { name: 'Suppression' }))
    expect(screen.getByTestId('redaction-editor')).not.toBeVisible()
    await userEvent.click(screen.getByRole('tab', { name: 'Redaction' }))
    expect(screen.getByLabelText('Rule 1 path')).toHaveValue('email')
    expect(screen.getByText('Unsaved changes')).toBeVisible()
  })

  it("shows the server's refusal of a save under the rule it names, even after the rules moved", async () => {
    serve({ refuseSave: { field: 'rules[1].path', message: 'at most 16 keys deep' }, policy: { rules: [{ path: 'email', action: 'mask' }, { path: 'a.b', action: 'drop' }], detectors: [], updated_at: '2026-12-01T09:00:00Z' } })
    renderView()
    const second = await screen.findByLabelText('Rule 2 path')
    await userEvent.type(second, '.c')
    await userEvent.click(screen.getByRole('button', { name: 'Save policy' }))
    expect(await screen.findByText('at most 16 keys deep')).toBeInTheDocument()
    expect(second).toHaveAttribute('aria-invalid', 'true')
    expect(second).toHaveAccessibleDescription('at most 16 keys deep')
    expect(screen.getByLabelText('Rule 1 path')).not.toHaveAttribute('aria-invalid')
    // An edit clears the refusal; it was about what was sent.
    await userEvent.type(screen.getByLabelText('Rule 1 path'), 'x')
    expect(screen.queryByText('at most 16 keys deep')).toBeNull()
  })

  it('says which rule the preview refuses, and keeps the last preview on screen', async () => {
    serve({ refusePreviewPath: 'user.' })
    renderView()
    await userEvent.click(await screen.findByRole('button', { name: 'Add rule' }))
    await userEvent.keyboard('email')
    await waitFor(() => expect(JSON.parse(after().textContent!)).toMatchObject({ email: '***' }))
    await userEvent.click(screen.getByRole('button', { name: 'Add rule' }))
    await userEvent.keyboard('user.')
    expect(await screen.findByTestId('preview-refusal')).toHaveTextContent('Not previewed: Rule 2: an empty key is not one')
    expect(screen.getByLabelText('Rule 2 path')).toHaveAttribute('aria-invalid', 'true')
    expect(JSON.parse(after().textContent!)).toMatchObject({ email: '***' })
  })

  it('tries the rules on an editable sample when the tenant has no events', async () => {
    serve({ events: [] })
    renderView()
    const sample = await screen.findByLabelText('Sample metadata (JSON)')
    await waitFor(() => expect(JSON.parse(before().textContent!)).toMatchObject({ email: 'ann.lee@example.com' }))
    expect(screen.getByText(/This tenant has no events yet/)).toBeInTheDocument()
    await userEvent.clear(sample)
    await userEvent.type(sample, '[[1]')
    expect(await screen.findByRole('alert')).toHaveTextContent(/JSON object/)
  })

  it('is read only for a key without the manage scope, the preview still works', async () => {
    sessionStore.start({ access_token: 'jwt', token_type: 'Bearer', expires_in: 3600, tenant_id: 't1', scopes: ['read'] })
    serve({ policy: { rules: [{ path: 'email', action: 'mask' }], detectors: [{ detector: 'phone', action: 'hash' }], updated_at: '2026-12-01T09:00:00Z' } })
    renderView()
    expect(await screen.findByTestId('read-only')).toHaveTextContent('needs the manage scope')
    expect(screen.getByLabelText('Rule 1 path')).toHaveAttribute('readonly')
    expect(screen.getByLabelText('Rule 1 action')).toBeDisabled()
    expect(screen.getByRole('switch', { name: 'Phone numbers' })).toBeDisabled()
    expect(screen.queryByRole('button', { name: 'Save policy' })).toBeNull()
    expect(screen.queryByRole('button', { name: 'Add rule' })).toBeNull()
    expect(screen.queryByRole('button', { name: /Remove rule/ })).toBeNull()
    await waitFor(() => expect(JSON.parse(after().textContent!)).toMatchObject({ email: '***' }))
    expect(within(screen.getByTestId('redaction-preview')).getByText(/stored under the saved policy/)).toBeInTheDocument()
  })
})
