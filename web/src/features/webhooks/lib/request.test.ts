import { headerRows, prettyBody } from './request'

describe('an attempt request', () => {
  it('lists ordinary headers by name, then the webhook ones in signing order', () => {
    const rows = headerRows({
      'webhook-signature': 'v1,<redacted>',
      'user-agent': 'Tributary-Webhooks/1',
      'webhook-id': 'abc',
      'content-type': 'application/json',
      'webhook-timestamp': '1700000000',
    })
    expect(rows.map(([name]) => name)).toEqual(['content-type', 'user-agent', 'webhook-id', 'webhook-timestamp', 'webhook-signature'])
    expect(rows.at(-1)).toEqual(['webhook-signature', 'v1,<redacted>'])
  })

  it('has no rows for an attempt logged without its request', () => {
    expect(headerRows(null)).toEqual([])
    expect(headerRows(undefined)).toEqual([])
  })

  it('indents a JSON body and keeps anything else as sent', () => {
    expect(prettyBody('{"type":"signup","data":{"n":1}}')).toBe('{\n  "type": "signup",\n  "data": {\n    "n": 1\n  }\n}')
    expect(prettyBody('not json {')).toBe('not json {')
  })
})
