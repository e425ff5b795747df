// The one HTTP client: adds the session's token, serializes query strings the way the API reads
// them (repeated keys, `meta.<key>` pairs), and turns every failure into an ApiError. A 401 on an
// authenticated request means the session ended; it is reported once to whoever listens
// (the auth feature signs out and says so). Paths are joined to the API base (base-url.ts); when
// that base is another origin and the browser refuses the request, a second, CORS-free probe
// tells "the server refuses this origin" from "the server cannot be reached".
import { apiOrigin, apiUrl, isCrossOrigin } from './base-url'
import { ApiError, parseRetryAfter } from './errors'

export type QueryValue = string | number | boolean | null | undefined | readonly (string | number)[]
export type Query = Record<string, QueryValue>

export interface RequestOptions {
  query?: Query
  body?: unknown
  headers?: Record<string, string>
  signal?: AbortSignal
  /** Send the session's token (default true). Sign-in sends its own credential instead. */
  auth?: boolean
}

type TokenSource = () => string | null
type UnauthorizedListener = (error: ApiError) => void

let tokenSource: TokenSource = () => null
let onUnauthorized: UnauthorizedListener = () => {}

/** Wires the client to the session (called once by the auth feature). */
export function configureClient(options: { token: TokenSource; onUnauthorized: UnauthorizedListener }) {
  tokenSource = options.token
  onUnauthorized = options.onUnauthorized
}

export function buildQuery(query: Query | undefined): string {
  if (!query) return ''
  const params = new URLSearchParams()
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined || value === null || value === '') continue
    if (Array.isArray(value)) for (const item of value) params.append(key, String(item))
    else params.append(key, String(value))
  }
  const text = params.toString()
  return text ? `?${text}` : ''
}

export async function request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { Accept: 'application/json', ...options.headers }
  const token = options.auth === false ? null : tokenSource()
  if (token) headers.Authorization = `Bearer ${token}`
  let body: string | undefined
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json'
    body = JSON.stringify(options.body)
  }

  let response: Response
  try {
    response = await fetch(apiUrl(`${path}${buildQuery(options.query)}`), { method, headers, body, signal: options.signal })
  } catch (cause) {
    if (cause instanceof DOMException && cause.name === 'AbortError') throw cause
    throw await networkError(cause)
  }

  if (response.ok) {
    if (response.status === 204) return undefined as T
    const text = await response.text()
    return (text ? JSON.parse(text) : undefined) as T
  }
  const error = await errorFromResponse(response, Boolean(token))
  if (error.category === 'session_expired') onUnauthorized(error)
  throw error
}

/** How long the reachability probe may take before the server counts as unreachable. */
const PROBE_TIMEOUT_MS = 3_000

/**
 * A fetch that threw has no response, and the browser does not say why. For a cross-origin API
 * the likely reasons are two: the server refused this origin (CORS) or it is not there. A
 * `no-cors` GET of /health is exempt from CORS: it resolves (opaquely) if the server answers at
 * all, so its success means the real request was refused by CORS.
 */
async function networkError(cause: unknown): Promise<ApiError> {
  if (!isCrossOrigin()) return new ApiError({ status: 0, code: 'network', message: 'The server could not be reached', cause })
  const server = apiOrigin()
  const origin = window.location.origin
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), PROBE_TIMEOUT_MS)
  let reachable = false
  try {
    await fetch(apiUrl('/health'), { mode: 'no-cors', cache: 'no-store', credentials: 'omit', signal: controller.signal })
    reachable = true
  } catch {
    /* unreachable (or blocked outright): keep the network error */
  } finally {
    clearTimeout(timer)
  }
  return reachable
    ? new ApiError({ status: 0, code: 'cors', message: `The server at ${server} does not allow this origin (${origin})`, server, origin, cause })
    : new ApiError({ status: 0, code: 'network', message: `The server at ${server} could not be reached`, server, origin, cause })
}

export async function errorFromResponse(response: Response, authenticated: boolean): Promise<ApiError> {
  let detail: { code?: string; message?: string; field?: string | null; request_id?: string | null } = {}
  try {
    const parsed: unknown = await response.json()
    if (parsed && typeof parsed === 'object' && 'error' in parsed && parsed.error && typeof parsed.error === 'object') {
      detail = parsed.error as typeof detail
    }
  } catch {
    /* not our JSON body: keep the status alone */
  }
  return new ApiError({
    status: response.status,
    code: detail.code,
    message: detail.message ?? (response.statusText || undefined),
    field: detail.field,
    requestId: detail.request_id ?? response.headers.get('X-Request-Id'),
    retryAfter: parseRetryAfter(response.headers.get('Retry-After')),
    authenticated,
  })
}

export const api = {
  get: <T>(path: string, options?: Omit<RequestOptions, 'body'>) => request<T>('GET', path, options),
  post: <T>(path: string, body?: unknown, options?: Omit<RequestOptions, 'body'>) => request<T>('POST', path, { ...options, body }),
  patch: <T>(path: string, body?: unknown, options?: Omit<RequestOptions, 'body'>) => request<T>('PATCH', path, { ...options, body }),
  put: <T>(path: string, body?: unknown, options?: Omit<RequestOptions, 'body'>) => request<T>('PUT', path, { ...options, body }),
  delete: <T>(path: string, options?: Omit<RequestOptions, 'body'>) => request<T>('DELETE', path, options),
}
