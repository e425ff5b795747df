import { QueryClient, QueryClientProvider } from '@tanstack/react-query'
import { render, screen } from '@testing-library/react'
import userEvent from '@testing-library/user-event'
import { MemoryRouter, Route, Routes, useLocation } from 'react-router'
import { sessionStore } from '@/features/auth/hooks/use-session'
import SearchView from './search-view'

const event = { id: 'e1', tenant_id: 't1', event_type: 'error', timestamp: '2026-01-01T12:00:00Z', received_at: '2026-01-01T12:00:00Z', metadata: { message: 'card declined' } }

function json(body: unknown, status = 200) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

function Location() {
  return <p data-testid="location">{useLocation().search}</p>
}

function renderAt(url: string) {
  render(
    <QueryClientProvider client={new QueryClient({ defaultOptions: { queries: { retry: false } } })}>
      <MemoryRouter initialEntries={[url]}>
        <Routes>
          <Route
            path="/t/:tenantId/search"
            element={
              <>
                <SearchView />
                <Location />
              </>
            }
          />
        </Routes>
      </MemoryRouter>
    </QueryClientProvider>,
  )
}

describe('SearchView', () => {
  beforeEach(() => sessionStore.start({ access_token: 'jwt', token_type: 'Bearer', expires_in: 3600, tenant_id: null, scopes: ['read'] }))
  afterEach(() => {
    vi.unstubAllGlobals()
    sessionStore.end()
  })

  it('runs the query from the URL for the tenant and the filters, and shows ranked hits', async () => {
    const fetchMock = vi.fn(async (url: string) => {
      if (url.startsWith('/api/v1/events/search'))
        return json({ hits: [{ event, score: 2.5, snippet: { field: 'message', text: 'card declined', fragments: [{ text: 'card', highlight: true }, { text: ' declined', highlight: false }] } }, { event: { ...event, id: 'e2' }, score: 1, snippet: { field: 'message', text: 'card', fragments: [{ text: 'card', highlight: true }] } }], next_cursor: null })
      return json({ by_type: [], total: 0, series: [], from: '', to: '', interval: 'hour' })
    })
    vi.stubGlobal('fetch', fetchMock)
    renderAt('/t/t1/search?q=card&type=error&range=1h')
    expect((await screen.findAllByText('card', { selector: 'mark' })).length).toBe(2)
    // Relevance relative to the best hit, and the count above the hits.
    expect(screen.getByText('Relevance 100% of the best hit')).toBeInTheDocument()
    expect(screen.getByText('Relevance 40% of the best hit')).toBeInTheDocument()
    expect(screen.getByTestId('hit-count')).toHaveTextContent('2 results')
    const url = new URL(fetchMock.mock.calls.find(([u]) => u.startsWith('/api/v1/events/search'))![0], 'http://x')
    expect(url.searchParams.get('q')).toBe('card')
    expect(url.searchParams.get('tenant_id')).toBe('t1')
    expect(url.searchParams.getAll('event_type')).toEqual(['error'])
    expect(url.searchParams.get('from')).toBeTruthy()
  })

  it('puts the query in the URL and explains a malformed one at the box', async () => {
    vi.stubGlobal(
      'fetch',
      vi.fn(async (url: string) =>
        url.startsWith('/api/v1/events/search')
          ? json({ error: { code: 'validation_error', message: 'unclosed quote at character 1', field: 'q' } }, 422)
          : json({ by_type: [], total: 0, series: [], from: '', to: '', interval: 'hour' }),
      ),
    )
    renderAt('/t/t1/search')
    expect(screen.getByText("Search this tenant's events")).toBeInTheDocument()
    await userEvent.type(screen.getByRole('searchbox', { name: 'Search events' }), '"card{Enter}')
    expect(screen.getByTestId('location')).toHaveTextContent('q=%22card')
    expect(await screen.findByText('unclosed quote at character 1')).toBeInTheDocument()
    expect(screen.getByRole('searchbox', { name: 'Search events' })).toHaveAttribute('aria-invalid', 'true')
  })

  it('runs an example with a click', async () => {
    vi.stubGlobal('fetch', vi.fn(async () => json({ hits: [], next_cursor: null })))
    renderAt('/t/t1/search')
    await userEvent.click(screen.getByRole('button', { name: /"card declined"/ }))
    expect(screen.getByRole('searchbox', { name: 'Search events' })).toHaveValue('"card declined"')
    expect(await screen.findByText('No events match')).toBeInTheDocument()
  })
})
