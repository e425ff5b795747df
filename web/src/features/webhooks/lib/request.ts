// How the delivery log shows what an attempt sent: the headers in a stable order (the signing
// headers last, as they are read after the others) and the body pretty-printed when it is JSON,
// byte for byte otherwise. The server masks every signature (`v1,<redacted>`); nothing here
// needs to hide anything.

const LAST = ['webhook-id', 'webhook-timestamp', 'webhook-signature']

/** `[name, value]` pairs, ordinary headers by name, then the Standard Webhooks ones. */
export function headerRows(headers: Record<string, string> | null | undefined): [string, string][] {
  if (!headers) return []
  const rank = (name: string) => LAST.indexOf(name)
  return Object.entries(headers).sort(([a], [b]) => rank(a) - rank(b) || a.localeCompare(b))
}

/** The body for reading: JSON indented by two spaces; anything else as it was sent. */
export function prettyBody(body: string): string {
  try {
    return JSON.stringify(JSON.parse(body), null, 2)
  } catch {
    return body
  }
}
