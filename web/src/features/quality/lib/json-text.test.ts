import { lineColumn, locateJsonError, parseJson, schemaShapeError } from './json-text'
import { formatRate } from './words'

describe('parseJson', () => {
  it('parses valid JSON', () => {
    expect(parseJson('{"type": "object"}')).toEqual({ ok: true, value: { type: 'object' } })
  })
  it('says where a syntax error is, by line and column', () => {
    const result = parseJson('{\n  "type": "object",\n  "required": ["a",]\n}')
    expect(result.ok).toBe(false)
    if (result.ok) return
    expect(result.message).toBe('Line 3, column 20: trailing comma before ]')
    expect(result).toMatchObject({ line: 3, column: 20 })
  })
  it('points an unfinished document at its end', () => {
    const result = parseJson('{\n  "type": "object"')
    expect(result.ok).toBe(false)
    if (!result.ok) expect(result.line).toBe(2)
  })
  it('calls an empty text empty', () => {
    expect(parseJson('  ')).toMatchObject({ ok: false, message: 'The schema is empty: write a JSON object' })
  })
})

describe('locateJsonError', () => {
  it('finds the first offending character and says what is wrong', () => {
    expect(locateJsonError('{"a": 1,}')).toEqual({ offset: 8, reason: 'trailing comma before }' })
    expect(locateJsonError("{'a': 1}")).toMatchObject({ offset: 1, reason: expect.stringContaining('double quotes') })
    expect(locateJsonError('{"a" 1}')).toEqual({ offset: 5, reason: "expected ':' after the property name" })
    expect(locateJsonError('{"a": 1 "b": 2}')).toEqual({ offset: 8, reason: "expected ',' or '}' after a property value" })
    expect(locateJsonError('{"a": "x')).toMatchObject({ reason: 'a string is not closed (missing ")' })
    expect(locateJsonError('{"a": tru}')).toMatchObject({ offset: 6 })
    expect(locateJsonError('[1, 2')).toMatchObject({ reason: 'the array is not closed (missing ])' })
    expect(locateJsonError('{} x')).toMatchObject({ offset: 3, reason: expect.stringContaining('after the end') })
    expect(locateJsonError('{"a": "\\q"}')).toMatchObject({ reason: 'unknown escape in a string' })
  })
  it('accepts what JSON.parse accepts', () => {
    for (const text of ['{"a": [1, -2.5e3, true, null, "x\\n\\u00e9"], "b": {}}', '[]', '"s"', '0']) {
      expect(() => JSON.parse(text)).not.toThrow()
      expect(locateJsonError(text).reason).toBe('not valid JSON')
    }
  })
})

describe('schemaShapeError', () => {
  it('accepts objects and booleans, refuses the rest with the reason', () => {
    expect(schemaShapeError({})).toBeNull()
    expect(schemaShapeError(true)).toBeNull()
    expect(schemaShapeError([])).toMatch(/not an array/)
    expect(schemaShapeError(3)).toMatch(/not a number/)
    expect(schemaShapeError(null)).toMatch(/not null/)
  })
})

describe('lineColumn', () => {
  it('counts from 1', () => {
    expect(lineColumn('ab\ncd', 0)).toEqual({ line: 1, column: 1 })
    expect(lineColumn('ab\ncd', 4)).toEqual({ line: 2, column: 2 })
  })
})

describe('formatRate', () => {
  it('formats a share for people', () => {
    expect(formatRate(null)).toBe('—')
    expect(formatRate(0)).toBe('0%')
    expect(formatRate(0.0004)).toBe('<0.1%')
    expect(formatRate(0.042)).toBe('4.2%')
    expect(formatRate(0.25)).toBe('25%')
    expect(formatRate(1)).toBe('100%')
  })
})
