import { apiOrigin, apiUrl, fetchRuntimeApiUrl, isCrossOrigin, normalizeApiUrl, resolveApiBase, SAME_ORIGIN, webSocketUrl, type ApiBase } from './base-url'

const page = (href: string) => {
  const url = new URL(href)
  return { href: url.href, origin: url.origin }
}
const base = (url: string): ApiBase => ({ url, source: 'config.json' })

describe('normalizeApiUrl', () => {
  it.each([
    ['https://api.example.com', 'https://api.example.com'],
    ['https://api.example.com/', 'https://api.example.com'],
    ['  http://127.0.0.1:8080  ', 'http://127.0.0.1:8080'],
    ['https://example.com/tributary/', 'https://example.com/tributary'],
    ['/tributary/', '/tributary'],
  ])('reads %j as %j', (value, expected) => expect(normalizeApiUrl(value)).toBe(expected))

  it.each([undefined, null, '', '   '])('treats %j as not set', (value) => expect(normalizeApiUrl(value)).toBe(''))

  it.each(['api.example.com', 'ftp://api.example.com', 'https://api.example.com/?x=1', '//api.example.com', 42, { url: 'x' }])('rejects %j', (value) => {
    expect(normalizeApiUrl(value)).toBeNull()
  })
})

describe('resolveApiBase', () => {
  const quiet = () => {}

  it('is same origin when neither config.json nor VITE_API_URL says otherwise', () => {
    expect(resolveApiBase(undefined, undefined, quiet)).toEqual(SAME_ORIGIN)
    expect(resolveApiBase('', '', quiet)).toEqual(SAME_ORIGIN)
  })

  it('uses the build-time VITE_API_URL without a runtime setting', () => {
    expect(resolveApiBase(undefined, 'https://build.example.com/', quiet)).toEqual({ url: 'https://build.example.com', source: 'VITE_API_URL' })
  })

  it("lets config.json's apiUrl win over VITE_API_URL", () => {
    expect(resolveApiBase('https://runtime.example.com', 'https://build.example.com', quiet)).toEqual({ url: 'https://runtime.example.com', source: 'config.json' })
  })

  it('falls back to VITE_API_URL when config.json leaves apiUrl empty', () => {
    expect(resolveApiBase('', 'https://build.example.com', quiet).url).toBe('https://build.example.com')
  })

  it('skips an unusable value with a warning that names where it came from', () => {
    const warn = vi.fn()
    expect(resolveApiBase('api.example.com', undefined, warn)).toEqual(SAME_ORIGIN)
    expect(warn).toHaveBeenCalledWith(expect.stringContaining('config.json'))
    expect(resolveApiBase(7, 'https://build.example.com', warn).source).toBe('VITE_API_URL')
  })
})

describe('URLs from the base', () => {
  it('keeps paths relative on the same origin, as when embedded in the server', () => {
    expect(apiUrl('/api/v1/tenants', SAME_ORIGIN)).toBe('/api/v1/tenants')
    expect(isCrossOrigin(page('http://localhost:8080/t/1/live'), SAME_ORIGIN)).toBe(false)
    expect(apiOrigin(page('http://localhost:8080/t/1/live'), SAME_ORIGIN)).toBe('http://localhost:8080')
  })

  it('joins paths to another origin', () => {
    expect(apiUrl('/api/v1/tenants?limit=5', base('https://api.example.com'))).toBe('https://api.example.com/api/v1/tenants?limit=5')
    expect(isCrossOrigin(page('https://app.example.com/'), base('https://api.example.com'))).toBe(true)
    expect(apiOrigin(page('https://app.example.com/'), base('https://api.example.com'))).toBe('https://api.example.com')
  })

  it('keeps a path prefix', () => {
    expect(apiUrl('/api/v1/events', base('/tributary'))).toBe('/tributary/api/v1/events')
    expect(isCrossOrigin(page('https://example.com/'), base('/tributary'))).toBe(false)
  })
})

describe('webSocketUrl', () => {
  it("follows the page's scheme and host on the same origin", () => {
    expect(webSocketUrl('/api/v1/ws?a=1', page('http://localhost:8080/t/1/live'), SAME_ORIGIN)).toBe('ws://localhost:8080/api/v1/ws?a=1')
    expect(webSocketUrl('/api/v1/ws', page('https://tributary.example.com/'), SAME_ORIGIN)).toBe('wss://tributary.example.com/api/v1/ws')
  })

  it("follows the API base's scheme and host, not the page's: https → wss, http → ws", () => {
    expect(webSocketUrl('/api/v1/ws?a=1', page('http://app.example.com/'), base('https://api.example.com'))).toBe('wss://api.example.com/api/v1/ws?a=1')
    expect(webSocketUrl('/api/v1/ws', page('https://app.example.com/'), base('http://127.0.0.1:9000'))).toBe('ws://127.0.0.1:9000/api/v1/ws')
  })

  it('keeps a path prefix', () => {
    expect(webSocketUrl('/api/v1/ws', page('https://example.com/x'), base('https://example.com/tributary'))).toBe('wss://example.com/tributary/api/v1/ws')
  })
})

describe('fetchRuntimeApiUrl', () => {
  const serve = (response: Response | Error) => vi.fn<typeof fetch>(() => (response instanceof Error ? Promise.reject(response) : Promise.resolve(response)))

  it("reads config.json's apiUrl, bypassing the cache", async () => {
    const fetchMock = serve(new Response(JSON.stringify({ apiUrl: 'https://api.example.com' }), { headers: { 'Content-Type': 'application/json' } }))
    await expect(fetchRuntimeApiUrl({ fetch: fetchMock, url: '/config.json' })).resolves.toBe('https://api.example.com')
    expect(fetchMock).toHaveBeenCalledWith('/config.json', expect.objectContaining({ cache: 'no-store' }))
  })

  it('is "no config" for a 404', async () => {
    await expect(fetchRuntimeApiUrl({ fetch: serve(new Response('not found', { status: 404 })) })).resolves.toBeUndefined()
  })

  it("is \"no config\" for index.html (the server's fallback for unknown paths)", async () => {
    const html = new Response('<!doctype html><html><body><div id="root"></div></body></html>', { headers: { 'Content-Type': 'text/html' } })
    await expect(fetchRuntimeApiUrl({ fetch: serve(html) })).resolves.toBeUndefined()
  })

  it('is "no config" for JSON without apiUrl, and for a failed fetch', async () => {
    await expect(fetchRuntimeApiUrl({ fetch: serve(new Response('{"other":1}')) })).resolves.toBeUndefined()
    await expect(fetchRuntimeApiUrl({ fetch: serve(new Response('null')) })).resolves.toBeUndefined()
    await expect(fetchRuntimeApiUrl({ fetch: serve(new TypeError('Failed to fetch')) })).resolves.toBeUndefined()
  })

  it('gives up on a host that does not answer', async () => {
    const hanging = vi.fn<typeof fetch>((_url, init) => new Promise((_resolve, reject) => init?.signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')))))
    const started = Date.now()
    await expect(fetchRuntimeApiUrl({ fetch: hanging, timeoutMs: 20 })).resolves.toBeUndefined()
    expect(Date.now() - started).toBeLessThan(1_000)
  })
})

describe('loadApiBase', () => {
  afterEach(() => {
    vi.unstubAllEnvs()
    vi.unstubAllGlobals()
    vi.resetModules()
  })

  async function freshModule() {
    vi.resetModules()
    return import('./base-url')
  }

  it('starts from VITE_API_URL as built, then lets config.json override it', async () => {
    vi.stubEnv('VITE_API_URL', 'https://build.example.com')
    const fetchMock = vi.fn<typeof fetch>(() => Promise.resolve(new Response(JSON.stringify({ apiUrl: 'https://runtime.example.com/' }))))
    vi.stubGlobal('fetch', fetchMock)
    const module = await freshModule()
    expect(module.apiBase()).toEqual({ url: 'https://build.example.com', source: 'VITE_API_URL' })
    await expect(module.loadApiBase()).resolves.toEqual({ url: 'https://runtime.example.com', source: 'config.json' })
    expect(module.apiUrl('/api/v1/tenants')).toBe('https://runtime.example.com/api/v1/tenants')
    expect(fetchMock.mock.calls[0]![0]).toBe('/config.json')
  })

  it('keeps VITE_API_URL when there is no config.json', async () => {
    vi.stubEnv('VITE_API_URL', 'https://build.example.com')
    vi.stubGlobal('fetch', vi.fn<typeof fetch>(() => Promise.resolve(new Response('', { status: 404 }))))
    const module = await freshModule()
    await expect(module.loadApiBase()).resolves.toEqual({ url: 'https://build.example.com', source: 'VITE_API_URL' })
  })

  it('stays on the same origin with neither', async () => {
    vi.stubEnv('VITE_API_URL', '')
    vi.stubGlobal('fetch', vi.fn<typeof fetch>(() => Promise.resolve(new Response('<!doctype html>', { headers: { 'Content-Type': 'text/html' } }))))
    const module = await freshModule()
    await expect(module.loadApiBase()).resolves.toEqual(module.SAME_ORIGIN)
    expect(module.apiUrl('/api/v1/tenants')).toBe('/api/v1/tenants')
  })
})
