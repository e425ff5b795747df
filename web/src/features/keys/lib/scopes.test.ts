import type { ApiKeyView } from '@/api/types'
import { sortKeys, toggleScope } from './scopes'

const key = (id: string, created_at: string, revoked_at: string | null = null): ApiKeyView => ({ id, name: id, prefix: 'trb_', scopes: ['ingest'], created_at, revoked_at })

describe('scopes and keys', () => {
  it('toggles scopes in a stable order', () => {
    expect(toggleScope(['manage'], 'ingest')).toEqual(['ingest', 'manage'])
    expect(toggleScope(['ingest', 'read'], 'ingest')).toEqual(['read'])
  })

  it('lists active keys first, newest first', () => {
    const sorted = sortKeys([key('old', '2026-01-01T00:00:00Z'), key('gone', '2026-03-01T00:00:00Z', '2026-03-02T00:00:00Z'), key('new', '2026-02-01T00:00:00Z')])
    expect(sorted.map((k) => k.id)).toEqual(['new', 'old', 'gone'])
  })
})
