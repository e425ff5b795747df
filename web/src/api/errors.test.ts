import { ApiError, categorize, describeError, parseRetryAfter, toApiError } from './errors'

describe('categorize', () => {
  it.each([
    [0, 'network', 'network'],
    [0, 'cors', 'origin_not_allowed'],
    [401, 'unauthorized', 'session_expired'],
    [403, 'forbidden', 'not_allowed'],
    [400, 'validation_error', 'invalid_input'],
    [422, 'validation_error', 'invalid_input'],
    [413, 'payload_too_large', 'invalid_input'],
    [404, 'not_found', 'not_found'],
    [409, 'conflict', 'conflict'],
    [429, 'rate_limited', 'rate_limited'],
    [503, 'unavailable', 'unavailable'],
    [500, 'internal', 'server'],
  ] as const)('status %i (%s) is %s', (status, code, category) => {
    expect(categorize(status, code)).toBe(category)
  })

  it('treats a 401 without a session as bad credentials, not an expired session', () => {
    expect(categorize(401, 'unauthorized', false)).toBe('bad_credentials')
  })

  it('falls back on the code when a proxy changed the status', () => {
    expect(categorize(502, 'rate_limited')).toBe('rate_limited')
  })
})

describe('parseRetryAfter', () => {
  it('reads seconds', () => expect(parseRetryAfter('4')).toBe(4))
  it('rounds fractions up', () => expect(parseRetryAfter('0.2')).toBe(1))
  it('reads an HTTP date', () => {
    const now = Date.parse('2024-01-01T00:00:00Z')
    expect(parseRetryAfter('Mon, 01 Jan 2024 00:00:10 GMT', now)).toBe(10)
  })
  it('ignores garbage and absence', () => {
    expect(parseRetryAfter(null)).toBeNull()
    expect(parseRetryAfter('soon')).toBeNull()
  })
})

describe('describeError', () => {
  it('says how long to wait when rate limited', () => {
    const error = new ApiError({ status: 429, code: 'rate_limited', retryAfter: 4 })
    expect(describeError(error).title).toBe('Rate limited — try again in 4 s')
  })

  it('tells an expired session to sign in again', () => {
    expect(describeError(new ApiError({ status: 401, code: 'unauthorized' })).title).toBe('Your session expired — sign in again')
  })

  it('names the field of invalid input and keeps the server message', () => {
    const error = new ApiError({ status: 422, code: 'validation_error', field: 'name', message: 'name must not be empty' })
    expect(describeError(error)).toEqual({ title: 'Invalid name', description: 'name must not be empty' })
  })

  it('speaks plainly about network failures', () => {
    expect(describeError(new TypeError('Failed to fetch')).title).toBe('Cannot reach the server')
  })

  it('shows the request id for server errors', () => {
    expect(describeError(new ApiError({ status: 500, code: 'internal', requestId: 'r-1' })).description).toContain('r-1')
  })
})

it('toApiError keeps ApiErrors and wraps anything else', () => {
  const e = new ApiError({ status: 403, code: 'forbidden' })
  expect(toApiError(e)).toBe(e)
  expect(toApiError('boom').category).toBe('server')
})
