// The schema editor's text: parsed on every keystroke, with the error in words a person can act
// on ("Line 3, column 9: …") instead of the engine's "at position 41".

export type Parsed = { ok: true; value: unknown } | { ok: false; message: string; line: number | null; column: number | null }

/** Line and column (1-based) of a character offset. */
export function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, Math.max(0, offset))
  const line = before.split('\n').length
  const column = offset - (before.lastIndexOf('\n') + 1) + 1
  return { line, column }
}

export function parseJson(text: string): Parsed {
  if (text.trim() === '') return { ok: false, message: 'The schema is empty: write a JSON object', line: null, column: null }
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch (error) {
    const raw = error instanceof Error ? error.message : String(error)
    // V8: "… in JSON at position 41 (line 3 column 9)"; older: "… in JSON at position 41".
    const position = /at position (\d+)/.exec(raw)
    const where = position ? lineColumn(text, Number(position[1])) : /Unexpected end/i.test(raw) ? lineColumn(text, text.length) : null
    const reason = raw
      .replace(/^JSON\.parse: /, '')
      .replace(/,? ?(?:in JSON )?at position \d+.*$/, '')
      .replace(/ \(line \d+ column \d+\)$/, '')
      .trim()
    const message = where ? `Line ${where.line}, column ${where.column}: ${reason}` : reason
    return { ok: false, message, line: where?.line ?? null, column: where?.column ?? null }
  }
}

/** A JSON Schema is an object or a boolean; anything else cannot be one. */
export function schemaShapeError(value: unknown): string | null {
  if (typeof value === 'boolean') return null
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return 'A JSON Schema is an object (or true / false), not ' + (Array.isArray(value) ? 'an array' : value === null ? 'null' : `a ${typeof value}`)
  return null
}

export const STARTER_SCHEMA = `{
  "type": "object",
  "properties": {},
  "required": []
}`

export function pretty(value: unknown): string {
  return JSON.stringify(value, null, 2)
}
