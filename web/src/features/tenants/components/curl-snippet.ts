/** A ready-to-run `curl` that sends a first event with the given key (or a shell variable). */
export function curlForFirstEvent(options: { origin: string; key?: string; keyPrefix?: string }): string {
  const header = options.key ? options.key : '$TRIBUTARY_API_KEY'
  const lines = [
    `curl -X POST ${options.origin}/api/v1/events \\`,
    `  -H "X-API-Key: ${header}" \\`,
    `  -H "Content-Type: application/json" \\`,
    `  -d '{"event_type":"signup","metadata":{"plan":"pro","country":"DE"}}'`,
  ]
  if (!options.key) {
    const hint = options.keyPrefix ? `your API key (it starts with ${options.keyPrefix})` : 'your API key'
    lines.unshift(`export TRIBUTARY_API_KEY=…  # ${hint}`)
  }
  return lines.join('\n')
}
