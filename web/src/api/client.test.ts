import { SAME_ORIGIN, setApiBase } from './base-url'
import { ApiError, describeError } from './errors'
import { api, buildQuery, configureClient } from './client'

function jsonResponse(status: number, body: unknown, headers: Record<string, string> = {}) {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } })
}

describe('api client', () => {
  const fetchMock = vi.fn<typeof fetch>()
  const onUnauthorized = vi.fn()

  beforeEach(() => {
    fetchMock.mockReset()
    onUnauthorized.mockReset()
    vi.stubGlobal('fetch', fetchMock)
    configureClient({ token: () => 'jwt-1', onUnauthorized })
  })
  afterEach(() => vi.unstubAllGlobals())

  it('sends the session token and returns the JSON body', async () => {
    fetchMock.mockResolvedValue(jsonResponse(200, { tenants: [] }))
    await expect(api.get('/api/v1/tenants')).resolves.toEqual({ tenants: [] })
    const [, init] = fetchMock.mock.calls[0]!
    expect((init?.headers as Record<string, string>).Authorization).toBe('Bearer jwt-1')
  })

  it('turns the error body into an ApiError with code, field and request id', async () => {
    fetchMock.mockResolvedValue(jsonResponse(422, { error: { code: 'validation_error', message: 'bad', field: 'event_type', request_id: 'req-9' } }))
    const error = (await api.post('/api/v1/events', {}).catch((e: unknown) => e)) as ApiError
    expect(error).toBeInstanceOf(ApiError)
    expect(error).toMatchObject({ status: 422, code: 'validation_error', field: 'event_type', requestId: 'req-9', category: 'invalid_input' })
  })

  it('reads Retry-After on 429', async () => {
    fetchMock.mockResolvedValue(jsonResponse(429, { error: { code: 'rate_limited', message: 'slow down' } }, { 'Retry-After': '7' }))
    const error = (await api.post('/api/v1/events', {}).catch((e: unknown) => e)) as ApiError
    expect(error.category).toBe('rate_limited')
    expect(error.retryAfter).toBe(7)
  })

  it('reports a 401 on an authenticated request as the end of the session', async () => {
    fetchMock.mockResolvedValue(jsonResponse(401, { error: { code: 'unauthorized', message: 'expired' } }))
    const error = (await api.get('/api/v1/tenants').catch((e: unknown) => e)) as ApiError
    expect(error.category).toBe('session_expired')
    expect(onUnauthorized).toHaveBeenCalledOnce()
  })

  it('does not end a session when sign-in itself is refused', async () => {
    fetchMock.mockResolvedValue(jsonResponse(401, { error: { code: 'unauthorized', message: 'unknown key' } }))
    const error = (await api.post('/api/v1/auth/token', undefined, { auth: false }).catch((e: unknown) => e)) as ApiError
    expect(error.category).toBe('bad_credentials')
    expect(onUnauthorized).not.toHaveBeenCalled()
  })

  it('classifies a failed fetch as a network error', async () => {
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'))
    const error = (await api.get('/api/v1/tenants').catch((e: unknown) => e)) as ApiError
    expect(error.category).toBe('network')
    expect(error.status).toBe(0)
  })

  it('keeps the status when the body is not ours', async () => {
    fetchMock.mockResolvedValue(new Response('<html>bad gateway</html>', { status: 502 }))
    const error = (await api.get('/x').catch((e: unknown) => e)) as ApiError
    expect(error.category).toBe('server')
  })
})

describe('api client with the API on another origin', () => {
  const fetchMock = vi.fn<typeof fetch>()
  const server = 'https://api.example.com'

  beforeEach(() => {
    fetchMock.mockReset()
    vi.stubGlobal('fetch', fetchMock)
    configureClient({ token: () => null, onUnauthorized: () => {} })
    setApiBase({ url: server, source: 'config.json' })
  })
  afterEach(() => {
    setApiBase(SAME_ORIGIN)
    vi.unstubAllGlobals()
  })

  it('sends every request to the API base', async () => {
    fetchMock.mockResolvedValue(jsonResponse(200, { tenants: [] }))
    await api.get('/api/v1/tenants', { query: { limit: 5 } })
    expect(fetchMock.mock.calls[0]![0]).toBe('https://api.example.com/api/v1/tenants?limit=5')
  })

  it('says the server refuses this origin when the request fails but the server answers a CORS-free probe', async () => {
    fetchMock.mockImplementation((_url, init) => (init?.mode === 'no-cors' ? Promise.resolve(new Response(null, { status: 200 })) : Promise.reject(new TypeError('Failed to fetch'))))
    const error = (await api.post('/api/v1/auth/token', undefined, { auth: false }).catch((e: unknown) => e)) as ApiError
    expect(error).toMatchObject({ status: 0, code: 'cors', category: 'origin_not_allowed', server, origin: window.location.origin })
    // The probe is a plain GET of /health on the same server.
    expect(fetchMock.mock.calls[1]![0]).toBe('https://api.example.com/health')
    expect(fetchMock.mock.calls[1]![1]).toMatchObject({ mode: 'no-cors' })
    const { title, description } = describeError(error)
    expect(`${title}: ${description}`).toBe(
      `The server at https://api.example.com does not allow this origin (${window.location.origin}): Add ${window.location.origin} to http.cors_origins in the server's configuration (env TRIBUTARY_HTTP__CORS_ORIGINS), restart it, then try again.`,
    )
  })

  it('says the server cannot be reached, naming it, when the probe fails too', async () => {
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'))
    const error = (await api.get('/api/v1/tenants').catch((e: unknown) => e)) as ApiError
    expect(error).toMatchObject({ status: 0, category: 'network', server })
    expect(describeError(error).title).toBe('Cannot reach the server at https://api.example.com')
  })

  it('does not probe on the same origin', async () => {
    setApiBase(SAME_ORIGIN)
    fetchMock.mockRejectedValue(new TypeError('Failed to fetch'))
    const error = (await api.get('/api/v1/tenants').catch((e: unknown) => e)) as ApiError
    expect(fetchMock).toHaveBeenCalledOnce()
    expect(error).toMatchObject({ category: 'network', server: null })
    expect(describeError(error).title).toBe('Cannot reach the server')
  })
})

describe('buildQuery', () => {
  it('repeats array keys, skips empty values and encodes meta filters', () => {
    expect(buildQuery({ event_type: ['a', 'b'], 'meta.page': '/home', cursor: undefined, limit: 50, q: '' })).toBe('?event_type=a&event_type=b&meta.page=%2Fhome&limit=50')
  })
  it('is empty without parameters', () => expect(buildQuery({})).toBe(''))
})
