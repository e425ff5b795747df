// A subject as the forms hold it: `meta.<key>` = value rows. The API takes
// `{"meta.user_id": "u-42"}` (values compared as the list's `meta.<key>=<value>` filters do, so
// a value is sent as typed text: "42" matches the number 42 too), and names a bad pair's field
// `match.meta.user_id`.

export interface PairDraft {
  id: string
  key: string
  value: string
}

let lastId = 0
export function newPair(key = '', value = ''): PairDraft {
  lastId += 1
  return { id: `pair-${lastId}`, key, value }
}

/** The key as the API names it, whether or not `meta.` was typed. */
export function metaKey(key: string): string {
  return key.trim().replace(/^meta\./, '')
}

/** Rows with a key; a row left blank is not a pair. */
export function writtenPairs(pairs: readonly PairDraft[]): PairDraft[] {
  return pairs.filter((pair) => metaKey(pair.key) !== '' || pair.value !== '')
}

/** The `match` object, or null when no row has a key. */
export function subjectOf(pairs: readonly PairDraft[]): Record<string, string> | null {
  const written = writtenPairs(pairs)
  if (written.length === 0) return null
  return Object.fromEntries(written.map((pair) => [`meta.${metaKey(pair.key)}`, pair.value]))
}

/** What is wrong with a row before anything is sent: a value without a key, a key given twice. */
export function pairProblems(pairs: readonly PairDraft[]): Map<string, string> {
  const problems = new Map<string, string>()
  const seen = new Set<string>()
  for (const pair of writtenPairs(pairs)) {
    const key = metaKey(pair.key)
    if (key === '') problems.set(pair.id, 'Name the key this value is at')
    else if (seen.has(key)) problems.set(pair.id, `meta.${key} is given twice: an event has one value there`)
    seen.add(key)
  }
  return problems
}

/** Which row a 422's `field` names (`match.meta.user_id`), or null for the subject as a whole. */
export function pairOfField(field: string | null | undefined, pairs: readonly PairDraft[]): string | null {
  const name = /^match\.meta\.(.+)$/.exec(field ?? '')?.[1]
  if (!name) return null
  return writtenPairs(pairs).find((pair) => metaKey(pair.key) === name)?.id ?? null
}

/** "meta.user_id=u-42 · meta.plan=pro" for a subject as the API shows it. */
export function describeSubject(match: Record<string, unknown> | null | undefined): string {
  if (!match) return ''
  return Object.entries(match)
    .map(([key, value]) => `${key}=${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(' · ')
}

/** The rows for a subject the API showed (to start a form from it). */
export function pairsOf(match: Record<string, unknown> | null | undefined): PairDraft[] {
  const rows = Object.entries(match ?? {}).map(([key, value]) => newPair(key.replace(/^meta\./, ''), typeof value === 'string' ? value : JSON.stringify(value)))
  return rows.length ? rows : [newPair()]
}
