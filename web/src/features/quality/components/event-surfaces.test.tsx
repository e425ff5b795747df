// Violations where events are shown outside the Data quality view: the feed row's badge, the
// detail panel's list and marked properties, and the Live banner.
import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen, within } from '@testing-library/react'
import type { ReactNode } from 'react'
import { MemoryRouter, Route, Routes } from 'react-router'
import type { Event } from '@/api/types'
import { sessionStore } from '@/features/auth/hooks/use-session'
import { EventDetailPanel } from '@/features/events/components/event-detail-panel'
import { EventRow } from '@/features/events/components/event-row'
import { BlockedBanner } from './blocked-banner'

const event = {
  id: '0b5c2f0e-0000-4000-8000-000000000001',
  tenant_id: 't1',
  event_type: 'signup',
  timestamp: new Date().toISOString(),
  received_at: new Date().toISOString(),
  metadata: { plan: 42, user: { country: 'DE', email: 'a@b.c' } },
  violations: [
    { path: '/plan', message: '42 is not of type "string"' },
    { path: '/user/email', message: '"a@b.c" does not match "^.+@.+\\\\..{2,}$"' },
  ],
} as Event

function json(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

function wrap(children: ReactNode) {
  return (
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={['/t/t1/live']}>
        <Routes>
          <Route path="/t/:tenantId/live" element={children} />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>
  )
}

describe('violations on events', () => {
  beforeEach(() => sessionStore.start({ access_token: 'jwt', token_type: 'Bearer', expires_in: 3600, tenant_id: null, scopes: ['ingest', 'read', 'manage'] }))
  afterEach(() => {
    vi.unstubAllGlobals()
    sessionStore.end()
  })

  it('shows a warning badge with the count in the row, and none for a clean event', () => {
    const { rerender } = render(wrap(<EventRow event={event} selected={false} onSelect={() => {}} />))
    expect(screen.getByTestId('violation-badge')).toHaveAccessibleName('2 schema violations')
    expect(screen.getByTestId('violation-badge')).toHaveAttribute('title', expect.stringContaining('/plan: 42 is not of type "string"'))
    rerender(wrap(<EventRow event={{ ...event, violations: undefined } as Event} selected={false} onSelect={() => {}} />))
    expect(screen.queryByTestId('violation-badge')).toBeNull()
  })

  it('lists path and message in the detail panel and marks the properties they point at', () => {
    vi.stubGlobal('fetch', vi.fn(async () => json({ endpoints: [] })))
    render(wrap(<EventDetailPanel event={event} onClose={() => {}} />))
    const list = screen.getByTestId('violation-list')
    expect(within(list).getByText('/plan')).toBeInTheDocument()
    expect(within(list).getByText('42 is not of type "string"')).toBeInTheDocument()
    const table = screen.getByTestId('property-table')
    const marked = [...table.querySelectorAll('tr[data-violation]')].map((tr) => tr.getAttribute('data-key'))
    expect(marked).toEqual(['plan', 'user.email'])
    expect(within(table.querySelector('tr[data-key="user.country"]') as HTMLElement).queryByText(/violates/)).toBeNull()
  })

  it('warns on Live while block mode refuses events, with a link to Data quality', async () => {
    const fetchMock = vi.fn(async (input: string) => {
      const url = new URL(input, 'http://x')
      if (url.pathname === '/api/v1/data-quality')
        return json({ types: [{ event_type: 'payment', schema: 'payment', mode: 'block', totals: { checked: 9, violations: 3, blocked: 3 }, buckets: [] }, { event_type: 'signup', schema: null, mode: null, totals: { checked: 2, violations: 0, blocked: 0 }, buckets: [] }] })
      return json({})
    })
    vi.stubGlobal('fetch', fetchMock)
    render(wrap(<BlockedBanner />))
    const banner = await screen.findByTestId('blocked-banner')
    expect(banner).toHaveTextContent('Block mode refused 3 events in the last 5 minutes (payment)')
    expect(within(banner).getByRole('link', { name: 'Open Data quality' })).toHaveAttribute('href', '/t/t1/quality?range=1h&type=payment')
    const url = new URL(String(fetchMock.mock.calls[0]![0]), 'http://x')
    expect(url.searchParams.get('interval')).toBe('minute')
    expect(Date.parse(url.searchParams.get('to')!) - Date.parse(url.searchParams.get('from')!)).toBe(5 * 60_000)
  })

  it('stays out of the way when nothing is blocked or the report cannot be read', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json({ error: { code: 'forbidden', message: 'no' } }, 403)))
    render(wrap(<BlockedBanner />))
    await new Promise((r) => setTimeout(r, 50))
    expect(screen.queryByTestId('blocked-banner')).toBeNull()
  })
})
