import type { ApiKeyView } from '@/api/types'
import { actionWords, actorWords } from './actions'

const key: ApiKeyView = { id: 'k1', name: 'ci-deploy', prefix: 'trb_abc12345', scopes: ['manage'], created_at: '2026-01-01T00:00:00Z' }

describe('audit words', () => {
  it('names known actions and keeps unknown ones as the server named them', () => {
    expect(actionWords('webhook.update')).toBe('Endpoint updated')
    expect(actionWords('alerts.put')).toBe('alerts.put')
  })

  it('names the admin, and a key by its name when the tenant still lists it', () => {
    expect(actorWords({ type: 'admin', via_jwt: true })).toEqual({ name: 'Admin', detail: 'admin token, signed in' })
    expect(actorWords({ type: 'key', key_id: 'k1', key_prefix: 'trb_abc12345', via_jwt: false }, [key])).toEqual({ name: 'ci-deploy', detail: 'trb_abc12345…' })
    expect(actorWords({ type: 'key', key_id: 'k9', key_prefix: 'trb_zzz', via_jwt: true }, [key])).toEqual({ name: 'trb_zzz…', detail: 'signed in' })
  })
})
