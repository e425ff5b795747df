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

/**
 * Where and why a text is not JSON. JSON.parse's messages differ between engines and often give
 * no position ("Unexpected token ']', …is not valid JSON"), so a small scanner of the grammar
 * finds the first offending character itself. Only run once JSON.parse has failed.
 */
export function locateJsonError(text: string): { offset: number; reason: string } {
  let i = 0
  const fail = (reason: string): never => {
    throw { offset: i, reason }
  }
  const ws = () => {
    while (i < text.length && ' \t\n\r'.includes(text.charAt(i))) i++
  }
  const describe = () => (i >= text.length ? 'the text ends too early' : `unexpected ${JSON.stringify(text[i])}`)
  const string = () => {
    i++ // the opening quote
    while (i < text.length) {
      const c = text.charAt(i)
      if (c === '"') return void i++
      if (c === '\\') {
        const next = text[i + 1]
        if (next === 'u') {
          if (!/^[0-9a-fA-F]{4}$/.test(text.slice(i + 2, i + 6))) fail('a \\u escape needs four hex digits')
          i += 6
        } else if (next !== undefined && '"\\/bfnrt'.includes(next)) i += 2
        else fail('unknown escape in a string')
      } else if (c < ' ') fail(c === '\n' ? 'a string cannot span lines (close it with ")' : 'control character in a string')
      else i++
    }
    fail('a string is not closed (missing ")')
  }
  const number = () => {
    const m = /^-?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)?/.exec(text.slice(i))
    if (!m || m[0] === '' || m[0] === '-') return fail(describe())
    i += m[0].length
  }
  const value = (): void => {
    ws()
    const c = text[i]
    if (c === '{') {
      i++
      ws()
      if (text[i] === '}') return void i++
      for (;;) {
        ws()
        if (text[i] !== '"') fail(text[i] === '}' ? 'trailing comma before }' : `expected a property name in double quotes, found ${i >= text.length ? 'the end' : JSON.stringify(text[i])}`)
        string()
        ws()
        if (text[i] !== ':') fail(`expected ':' after the property name`)
        i++
        value()
        ws()
        if (text[i] === ',') {
          i++
          continue
        }
        if (text[i] === '}') return void i++
        fail(i >= text.length ? 'the object is not closed (missing })' : `expected ',' or '}' after a property value`)
      }
    }
    if (c === '[') {
      i++
      ws()
      if (text[i] === ']') return void i++
      for (;;) {
        ws()
        if (text[i] === ']') fail('trailing comma before ]')
        value()
        ws()
        if (text[i] === ',') {
          i++
          continue
        }
        if (text[i] === ']') return void i++
        fail(i >= text.length ? 'the array is not closed (missing ])' : `expected ',' or ']' after an item`)
      }
    }
    if (c === '"') return string()
    if (c === '-' || (c !== undefined && c >= '0' && c <= '9')) return number()
    for (const word of ['true', 'false', 'null']) {
      if (text.startsWith(word, i)) {
        i += word.length
        return
      }
    }
    fail(c === "'" ? 'strings use double quotes' : describe())
  }
  try {
    value()
    ws()
    if (i < text.length) fail(`unexpected ${JSON.stringify(text[i])} after the end of the document`)
  } catch (error) {
    if (error && typeof error === 'object' && 'offset' in error) return error as { offset: number; reason: string }
    throw error
  }
  return { offset: 0, reason: 'not valid JSON' }
}

export function parseJson(text: string): Parsed {
  if (text.trim() === '') return { ok: false, message: 'The schema is empty: write a JSON object', line: null, column: null }
  try {
    return { ok: true, value: JSON.parse(text) as unknown }
  } catch {
    const { offset, reason } = locateJsonError(text)
    const { line, column } = lineColumn(text, offset)
    return { ok: false, message: `Line ${line}, column ${column}: ${reason}`, line, column }
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
