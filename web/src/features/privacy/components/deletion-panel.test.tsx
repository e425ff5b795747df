import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen, waitFor, within } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter, Route, Routes } from 'react-router'
import type { DeletionJob, Suppression } from '@/api/types'
import { sessionStore } from '@/features/auth/hooks/use-session'
import PrivacyView from './privacy-view'

const tenant = { id: 't1', name: 'acme', status: 'active', created_at: '2026-01-01T00:00:00Z', rate_limit: { per_second: 100, burst: 200 } }
const now = new Date().toISOString()

function json(body: unknown, status = 200) {
  return new Response(body === undefined ? null : JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

/**
 * A deletion and suppression API with memory: a job answers `running` the first time it is
 * asked about and `done` after (3 matched, one endpoint), or refuses a key with `..` as the
 * server does.
 */
function serve() {
  const jobs: DeletionJob[] = []
  const asked = new Map<string, number>()
  let suppressions: Suppression[] = []
  const fetchMock = vi.fn(async (input: string, init?: RequestInit) => {
    const url = new URL(input, 'http://x')
    const method = init?.method ?? 'GET'
    const body = init?.body ? JSON.parse(String(init.body)) : undefined
    if (url.pathname === '/api/v1/tenants') return json({ tenants: [tenant] })
    if (url.pathname === '/api/v1/deletions' && method === 'POST') {
      const bad = Object.keys(body.match ?? {}).find((k) => k.includes('..'))
      if (bad) return json({ error: { code: 'validation_error', field: `match.${bad}`, message: 'metadata filters look like meta.<key>[.<nested key>]=<value>' } }, 422)
      const job: DeletionJob = { id: `job-${jobs.length + 1}`, tenant_id: 't1', ...body, state: 'pending', matched: 0, deleted: 0, delivered_to: [], created_at: now, updated_at: now }
      jobs.unshift(job)
      return json(job, 202)
    }
    if (url.pathname === '/api/v1/deletions') return json({ deletions: jobs })
    const jobPath = /^\/api\/v1\/deletions\/([^/]+)$/.exec(url.pathname)
    if (jobPath) {
      const job = jobs.find((j) => j.id === jobPath[1])!
      const n = (asked.get(job.id) ?? 0) + 1
      asked.set(job.id, n)
      Object.assign(job, n === 1 ? { state: 'running', matched: 3 } : { state: 'done', matched: 3, deleted: job.dry_run ? 0 : 3, finished_at: now, delivered_to: [{ endpoint_id: 'e1', url: 'https://crm.example.com/hooks', events: 2 }] })
      return json(job)
    }
    if (url.pathname === '/api/v1/suppressions' && method === 'POST') {
      const existing = suppressions.find((s) => JSON.stringify(s.match) === JSON.stringify(body.match))
      if (existing) return json(existing, 200)
      const created: Suppression = { id: `s-${suppressions.length + 1}`, match: body.match, reason: body.reason, dropped: 0, created_at: now }
      suppressions = [...suppressions, created]
      return json(created, 201)
    }
    if (url.pathname === '/api/v1/suppressions') return json({ suppressions })
    const suppressionPath = /^\/api\/v1\/suppressions\/([^/]+)$/.exec(url.pathname)
    if (suppressionPath && method === 'DELETE') {
      suppressions = suppressions.filter((s) => s.id !== suppressionPath[1])
      return json(undefined, 204)
    }
    return json({ error: { code: 'not_found', message: `no mock for ${method} ${url.pathname}` } }, 404)
  })
  vi.stubGlobal('fetch', fetchMock)
  return { fetchMock, suppressions: () => suppressions }
}

const sent = (fetchMock: ReturnType<typeof serve>['fetchMock'], path: string, method = 'POST') =>
  fetchMock.mock.calls.filter(([url, init]) => new URL(url, 'http://x').pathname === path && (init?.method ?? 'GET') === method).map(([, init]) => (init?.body ? JSON.parse(String(init.body)) : undefined))

function renderView(path: string) {
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

describe('Privacy: deletion and suppression', () => {
  // jsdom has no modal dialogs: open and close are enough here.
  beforeAll(() => {
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

  it('runs a dry run, follows it to the end, and deletes the same subject after a confirmation', async () => {
    const { fetchMock } = serve()
    renderView('/t/t1/privacy?tab=deletion')
    expect(await screen.findByRole('tab', { name: 'Deletion', selected: true })).toBeInTheDocument()
    const form = screen.getByTestId('deletion-form')
    expect(within(form).getByRole('button', { name: 'Dry run' })).toBeDisabled()
    await userEvent.type(within(form).getByLabelText('Key 1'), 'user_id')
    await userEvent.type(within(form).getByLabelText('Value 1'), 'u-42')
    await userEvent.click(within(form).getByRole('button', { name: 'Dry run' }))

    expect(sent(fetchMock, '/api/v1/deletions')[0]).toEqual({ match: { 'meta.user_id': 'u-42' }, query: null, from: null, to: null, dry_run: true })
    const job = await screen.findByTestId('deletion-job')
    await waitFor(() => expect(job).toHaveAttribute('data-state', 'done'), { timeout: 4_000 })
    expect(within(job).getByTestId('job-matched')).toHaveTextContent('3')
    expect(within(job).getByTestId('delivered-to')).toHaveTextContent('https://crm.example.com/hooks')
    expect(within(job).getByTestId('delivered-to')).toHaveTextContent('2 events')
    // Once done it is not asked about again.
    const polls = fetchMock.mock.calls.filter(([url]) => url.startsWith('/api/v1/deletions/job-1')).length
    await new Promise((r) => setTimeout(r, 1_300))
    expect(fetchMock.mock.calls.filter(([url]) => url.startsWith('/api/v1/deletions/job-1')).length).toBe(polls)

    await userEvent.click(within(job).getByRole('button', { name: 'Delete these 3 events…' }))
    const dialog = await screen.findByRole('dialog', { name: 'Delete these events?' })
    expect(within(dialog).getByTestId('confirm-spec')).toHaveTextContent('meta.user_id=u-42')
    expect(within(dialog).getByTestId('confirm-dry-run')).toHaveTextContent('matched 3 events; 1 webhook endpoint already received some')
    await userEvent.click(within(dialog).getByRole('button', { name: 'Delete events' }))
    await waitFor(() => expect(sent(fetchMock, '/api/v1/deletions')).toHaveLength(2))
    expect(sent(fetchMock, '/api/v1/deletions')[1]).toMatchObject({ match: { 'meta.user_id': 'u-42' }, dry_run: false })
    await waitFor(() => expect(screen.getByRole('heading', { name: 'Deletion', level: 2 })).toBeInTheDocument())
    await waitFor(() => expect(screen.getByTestId('job-deleted')).toHaveTextContent('3'), { timeout: 4_000 })
    expect(screen.getByRole('progressbar', { name: 'Deleted of matched' })).toHaveAttribute('aria-valuenow', '100')
    expect(screen.getAllByTestId('deletion-row')).toHaveLength(2)
  })

  it("shows the server's refusal of a key under its row, and a key given twice before sending", async () => {
    serve()
    renderView('/t/t1/privacy?tab=deletion')
    const form = await screen.findByTestId('deletion-form')
    await userEvent.type(within(form).getByLabelText('Key 1'), 'user..id')
    await userEvent.type(within(form).getByLabelText('Value 1'), 'u-42')
    await userEvent.click(within(form).getByRole('button', { name: 'Dry run' }))
    expect(await within(form).findByText(/metadata filters look like/)).toBeInTheDocument()
    expect(within(form).getByLabelText('Key 1')).toHaveAttribute('aria-invalid', 'true')

    await userEvent.clear(within(form).getByLabelText('Key 1'))
    await userEvent.type(within(form).getByLabelText('Key 1'), 'user_id')
    await userEvent.click(within(form).getByRole('button', { name: 'Add a pair' }))
    expect(within(form).getByLabelText('Key 2')).toHaveFocus()
    await userEvent.keyboard('meta.user_id')
    await userEvent.type(within(form).getByLabelText('Value 2'), 'u-43')
    expect(within(form).getByText(/meta.user_id is given twice/)).toBeInTheDocument()
    expect(within(form).getByRole('button', { name: 'Dry run' })).toBeDisabled()
  })

  it('adds a suppression with its reason, says when the subject already was, and lifts it', async () => {
    const { fetchMock } = serve()
    renderView('/t/t1/privacy?tab=suppression')
    const form = await screen.findByTestId('suppression-form')
    expect(await screen.findByText('No subject is suppressed')).toBeInTheDocument()
    await userEvent.type(within(form).getByLabelText('Key 1'), 'device')
    await userEvent.type(within(form).getByLabelText('Value 1'), 'd-9')
    await userEvent.type(within(form).getByLabelText('Reason (optional)'), 'ticket 12')
    await userEvent.click(within(form).getByRole('button', { name: 'Suppress' }))
    expect(sent(fetchMock, '/api/v1/suppressions')[0]).toEqual({ match: { 'meta.device': 'd-9' }, reason: 'ticket 12' })
    const row = await screen.findByTestId('suppression')
    expect(row).toHaveTextContent('meta.device=d-9')
    expect(row).toHaveTextContent('ticket 12')
    // The form is emptied for the next one; the same subject again is the same suppression.
    expect(within(form).getByLabelText('Key 1')).toHaveValue('')
    await userEvent.type(within(form).getByLabelText('Key 1'), 'meta.device')
    await userEvent.type(within(form).getByLabelText('Value 1'), 'd-9')
    await userEvent.click(within(form).getByRole('button', { name: 'Suppress' }))
    await waitFor(() => expect(sent(fetchMock, '/api/v1/suppressions')).toHaveLength(2))
    expect(sent(fetchMock, '/api/v1/suppressions')[1]).toEqual({ match: { 'meta.device': 'd-9' }, reason: null })
    await waitFor(() => expect(within(form).getByLabelText('Key 1')).toHaveValue(''))
    expect(screen.getAllByTestId('suppression')).toHaveLength(1)

    await userEvent.click(within(row).getByRole('button', { name: 'Lift the suppression of meta.device=d-9' }))
    const dialog = await screen.findByRole('dialog', { name: 'Lift this suppression?' })
    await userEvent.click(within(dialog).getByRole('button', { name: 'Lift suppression' }))
    await waitFor(() => expect(sent(fetchMock, '/api/v1/suppressions/s-1', 'DELETE')).toHaveLength(1))
    expect(await screen.findByText('No subject is suppressed')).toBeInTheDocument()
  })

  it('tells a key without manage that deletions and suppressions need it, and asks nothing of the API', async () => {
    sessionStore.start({ access_token: 'jwt', token_type: 'Bearer', expires_in: 3600, tenant_id: 't1', scopes: ['read'] })
    const { fetchMock } = serve()
    renderView('/t/t1/privacy?tab=deletion')
    expect(await screen.findByText('Deleting events needs the manage scope')).toBeInTheDocument()
    await userEvent.click(screen.getByRole('tab', { name: 'Suppression' }))
    expect(await screen.findByText('Suppressing subjects needs the manage scope')).toBeInTheDocument()
    expect(fetchMock.mock.calls.some(([url]) => url.includes('/deletions') || url.includes('/suppressions'))).toBe(false)
  })

  it('moves between tabs with the arrow keys', async () => {
    serve()
    renderView('/t/t1/privacy?tab=deletion')
    const tab = await screen.findByRole('tab', { name: 'Deletion', selected: true })
    tab.focus()
    await userEvent.keyboard('{ArrowRight}')
    expect(screen.getByRole('tab', { name: 'Suppression' })).toHaveAttribute('aria-selected', 'true')
    expect(screen.getByRole('tab', { name: 'Suppression' })).toHaveFocus()
    await userEvent.keyboard('{Home}')
    expect(screen.getByRole('tab', { name: 'Redaction' })).toHaveFocus()
    expect(screen.getByRole('tab', { name: 'Redaction' })).toHaveAttribute('tabindex', '0')
    expect(screen.getByRole('tab', { name: 'Deletion' })).toHaveAttribute('tabindex', '-1')
  })
})
