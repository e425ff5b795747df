import type { ApiBase } from '@/api/base-url'
import { liveStreamUrl } from './use-live-stream'

const at = (href: string) => ({ href })
const params = { token: 'jwt.a.b', tenantId: 't-1', since: 'e-9', eventTypes: ['signup', 'click'] }

describe('liveStreamUrl', () => {
  it("is on the page's host when the API is same origin", () => {
    const url = new URL(liveStreamUrl({ ...params, location: at('https://tributary.example.com/t/t-1/live'), base: { url: '', source: 'same origin' } }))
    expect(url.origin).toBe('wss://tributary.example.com')
    expect(url.pathname).toBe('/api/v1/ws')
    expect(url.searchParams.get('access_token')).toBe('jwt.a.b')
    expect(url.searchParams.get('tenant_id')).toBe('t-1')
    expect(url.searchParams.getAll('event_type')).toEqual(['signup', 'click'])
    expect(url.searchParams.get('since')).toBe('e-9')
  })

  it("is on the API's host, with its scheme, when the dashboard is hosted elsewhere", () => {
    const base: ApiBase = { url: 'http://127.0.0.1:9000', source: 'config.json' }
    const url = liveStreamUrl({ ...params, tenantId: null, location: at('https://app.example.com/t/t-1/live'), base })
    expect(url).toBe('ws://127.0.0.1:9000/api/v1/ws?access_token=jwt.a.b&event_type=signup&event_type=click&since=e-9')
  })
})
