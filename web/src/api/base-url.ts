// Where the API lives. Same origin by default (the dashboard embedded in the server); a
// dashboard on a static host points at the server with, in order of precedence:
//   1. `config.json` next to index.html, `{"apiUrl": "https://api.example.com"}`, read once at
//      start, so a host can rewrite it without a rebuild;
//   2. `VITE_API_URL`, baked in by `vite build`.
// Absent, empty or unusable means same origin. Every REST path and the WebSocket URL are built
// from the one base held here, so they can never disagree.

export type ApiBaseSource = 'config.json' | 'VITE_API_URL' | 'same origin'

export interface ApiBase {
  /** `''` for same origin; otherwise an absolute `http(s)://host[/prefix]` or a `/prefix`, no trailing slash. */
  url: string
  source: ApiBaseSource
}

export const SAME_ORIGIN: ApiBase = { url: '', source: 'same origin' }

/**
 * Reads one configured value: an absolute http(s) URL (query and fragment are not allowed, a
 * path prefix is) or a path on this origin. `''` means "not set"; `null` means unusable.
 */
export function normalizeApiUrl(value: unknown): string | null {
  if (value === undefined || value === null) return ''
  if (typeof value !== 'string') return null
  const text = value.trim()
  if (text === '') return ''
  if (text.startsWith('/') && !text.startsWith('//')) return text.replace(/\/+$/, '')
  let url: URL
  try {
    url = new URL(text)
  } catch {
    return null
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.search || url.hash || url.username || url.password) return null
  return `${url.origin}${url.pathname.replace(/\/+$/, '')}`
}

/** The runtime setting wins over the build-time one; an unusable value is skipped with a warning. */
export function resolveApiBase(runtime: unknown, buildTime: string | undefined, warn: (message: string) => void = console.warn): ApiBase {
  const candidates: [ApiBaseSource, unknown][] = [
    ['config.json', runtime],
    ['VITE_API_URL', buildTime],
  ]
  for (const [source, value] of candidates) {
    const url = normalizeApiUrl(value)
    if (url === null) {
      warn(`Tributary: ignoring the API URL from ${source} (${JSON.stringify(value)}): it must be an http(s) URL such as https://api.example.com`)
      continue
    }
    if (url !== '') return { url, source }
  }
  return SAME_ORIGIN
}

/**
 * Reads `config.json`'s `apiUrl`. Anything but a JSON object is "no runtime config": a 404, a
 * network failure, a slow host (after `timeoutMs`), or index.html (a server or SPA host that
 * falls back to it for unknown paths, as Tributary's own does).
 */
export async function fetchRuntimeApiUrl(options: { url?: string; fetch?: typeof fetch; timeoutMs?: number } = {}): Promise<unknown> {
  const doFetch = options.fetch ?? fetch
  const controller = new AbortController()
  const timer = setTimeout(() => controller.abort(), options.timeoutMs ?? 3_000)
  try {
    const response = await doFetch(options.url ?? `${import.meta.env.BASE_URL}config.json`, {
      headers: { Accept: 'application/json' },
      cache: 'no-store',
      signal: controller.signal,
    })
    if (!response.ok) return undefined
    const parsed: unknown = JSON.parse(await response.text())
    return parsed && typeof parsed === 'object' && 'apiUrl' in parsed ? parsed.apiUrl : undefined
  } catch {
    return undefined
  } finally {
    clearTimeout(timer)
  }
}

let current: ApiBase = resolveApiBase(undefined, import.meta.env.VITE_API_URL)

/** Reads config.json and settles the base; called once before the first render. */
export async function loadApiBase(): Promise<ApiBase> {
  current = resolveApiBase(await fetchRuntimeApiUrl(), import.meta.env.VITE_API_URL)
  return current
}

export function apiBase(): ApiBase {
  return current
}

/** For tests. */
export function setApiBase(base: ApiBase) {
  current = base
}

/** The URL to fetch for an API path (`/api/v1/…`). */
export function apiUrl(path: string, base: ApiBase = current): string {
  return `${base.url}${path}`
}

/** The absolute base, for people (curl snippets, error messages): this origin when same origin. */
export function apiOrigin(location: Pick<Location, 'href'> = window.location, base: ApiBase = current): string {
  return new URL(base.url || '/', location.href).href.replace(/\/+$/, '')
}

/** The ws(s):// URL for an API path: the API base's scheme, https → wss, http → ws. */
export function webSocketUrl(path: string, location: Pick<Location, 'href'> = window.location, base: ApiBase = current): string {
  const url = new URL(apiUrl(path, base), location.href)
  url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:'
  return url.href
}

/** Whether API requests leave this page's origin (CORS then applies). */
export function isCrossOrigin(location: Pick<Location, 'href' | 'origin'> = window.location, base: ApiBase = current): boolean {
  return new URL(apiUrl('/', base), location.href).origin !== location.origin
}
