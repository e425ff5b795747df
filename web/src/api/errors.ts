// Every failure the dashboard can meet, sorted into the few categories a person cares about,
// each with plain words and the next step. The server's error body is
// {"error":{"code","message","field","request_id"}}; anything else (a proxy page, a dropped
// connection) still ends up here with a category.

export type ErrorCategory =
  | 'network'
  | 'origin_not_allowed'
  | 'session_expired'
  | 'bad_credentials'
  | 'not_allowed'
  | 'invalid_input'
  | 'not_found'
  | 'conflict'
  | 'rate_limited'
  | 'unavailable'
  | 'server'

export interface ApiErrorInit {
  status: number
  code?: string
  message?: string
  field?: string | null
  requestId?: string | null
  retryAfter?: number | null
  /** Whether the request carried the session's token (a 401 then means the session ended). */
  authenticated?: boolean
  /** For a cross-origin API: the server's address and this page's origin, to name in the message. */
  server?: string | null
  origin?: string | null
  cause?: unknown
}

export class ApiError extends Error {
  /** HTTP status; 0 when the server could not be reached. */
  readonly status: number
  /** The server's stable code (`validation_error`, `rate_limited`, …) or `network`. */
  readonly code: string
  readonly field: string | null
  readonly requestId: string | null
  /** Seconds to wait before trying again (from `Retry-After`), for 429 and 503. */
  readonly retryAfter: number | null
  /** The API's address when it is another origin than the page's (set on network failures). */
  readonly server: string | null
  /** The page's origin, as the server's CORS allowlist must name it. */
  readonly origin: string | null
  readonly category: ErrorCategory

  constructor(init: ApiErrorInit) {
    super(init.message ?? `Request failed with status ${init.status}`, { cause: init.cause })
    this.name = 'ApiError'
    this.status = init.status
    this.code = init.code ?? (init.status === 0 ? 'network' : 'unknown')
    this.field = init.field ?? null
    this.requestId = init.requestId ?? null
    this.retryAfter = init.retryAfter ?? null
    this.server = init.server ?? null
    this.origin = init.origin ?? null
    this.category = categorize(init.status, this.code, init.authenticated ?? true)
  }
}

/** Sorts a response into a category: the status decides, the code refines. */
export function categorize(status: number, code: string, authenticated = true): ErrorCategory {
  if (status === 0 && code === 'cors') return 'origin_not_allowed'
  if (status === 0 || code === 'network') return 'network'
  if (status === 401 || code === 'unauthorized') return authenticated ? 'session_expired' : 'bad_credentials'
  if (status === 403 || code === 'forbidden') return 'not_allowed'
  if (status === 429 || code === 'rate_limited') return 'rate_limited'
  if (status === 404 || code === 'not_found') return 'not_found'
  if (status === 409 || code === 'conflict') return 'conflict'
  if (status === 503 || code === 'unavailable') return 'unavailable'
  if (status === 400 || status === 413 || status === 415 || status === 422) return 'invalid_input'
  if (code === 'validation_error' || code === 'payload_too_large' || code === 'unsupported_media_type') return 'invalid_input'
  return 'server'
}

/** Parses `Retry-After` (seconds or an HTTP date) into whole seconds, or null. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null || value.trim() === '') return null
  const seconds = Number(value)
  if (Number.isFinite(seconds)) return Math.max(0, Math.ceil(seconds))
  const date = Date.parse(value)
  if (Number.isNaN(date)) return null
  return Math.max(0, Math.ceil((date - now) / 1000))
}

export interface ErrorDescription {
  title: string
  description?: string
}

/** Plain words for a failure, saying what happened and what to do next. */
export function describeError(error: unknown): ErrorDescription {
  const e = toApiError(error)
  switch (e.category) {
    case 'network':
      if (e.server) {
        return {
          title: `Cannot reach the server at ${e.server}`,
          description: "Check that Tributary is running there and that the dashboard's API URL (config.json or VITE_API_URL) is right, then try again.",
        }
      }
      return { title: 'Cannot reach the server', description: 'Check your connection or that Tributary is running, then try again.' }
    case 'origin_not_allowed':
      return {
        title: `The server at ${e.server ?? 'the API URL'} does not allow this origin (${e.origin ?? 'this page'})`,
        description: `Add ${e.origin ?? 'this origin'} to http.cors_origins in the server's configuration (env TRIBUTARY_HTTP__CORS_ORIGINS), restart it, then try again.`,
      }
    case 'session_expired':
      return { title: 'Your session expired — sign in again' }
    case 'bad_credentials':
      return { title: 'That token was not accepted', description: 'Check the admin token or API key and try again.' }
    case 'not_allowed':
      return { title: 'Not allowed', description: withDetail('Your credential does not have permission for this.', e) }
    case 'invalid_input':
      return { title: e.field ? `Invalid ${e.field}` : 'Invalid input', description: e.message }
    case 'not_found':
      return { title: 'Not found', description: e.message }
    case 'conflict':
      return { title: 'Already exists', description: e.message }
    case 'rate_limited':
      return {
        title: e.retryAfter !== null ? `Rate limited — try again in ${formatWait(e.retryAfter)}` : 'Rate limited — try again shortly',
        description: 'This tenant is sending faster than its rate limit allows.',
      }
    case 'unavailable':
      return {
        title: 'The server is busy or its storage is unavailable',
        description: e.retryAfter !== null ? `Try again in ${formatWait(e.retryAfter)}.` : 'Try again in a moment.',
      }
    case 'server':
      return { title: 'Something went wrong on the server', description: e.requestId ? `Request id: ${e.requestId}` : undefined }
  }
}

function withDetail(base: string, e: ApiError): string {
  return e.message && !e.message.startsWith('Request failed') ? `${base} (${e.message})` : base
}

export function formatWait(seconds: number): string {
  if (seconds < 60) return `${Math.max(1, Math.round(seconds))} s`
  const minutes = Math.ceil(seconds / 60)
  return `${minutes} min`
}

export function toApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error
  if (error instanceof TypeError) return new ApiError({ status: 0, code: 'network', message: error.message, cause: error })
  return new ApiError({ status: 500, code: 'internal', message: error instanceof Error ? error.message : String(error), cause: error })
}
