import type { Event } from '@/api/types'
import { mergeLiveAndStored } from './merge'

const ev = (id: string): Event => ({ id, tenant_id: 't', event_type: 'x', timestamp: '2024-01-01T00:00:00Z', received_at: '2024-01-01T00:00:00Z', metadata: {}, event_id: null })

describe('the explorer list', () => {
  it('puts live events on top of the history and shows an event in both only once', () => {
    const live = [{ event: ev('5'), arrivedAt: 2 }, { event: ev('4'), arrivedAt: 1 }]
    const stored = [ev('4'), ev('3'), ev('2')]
    const merged = mergeLiveAndStored(live, stored)
    expect(merged.map((i) => i.event.id)).toEqual(['5', '4', '3', '2'])
    expect(merged.map((i) => i.source)).toEqual(['live', 'live', 'stored', 'stored'])
  })
  it('drops repeats within the history too (a page boundary shifted by new events)', () => {
    expect(mergeLiveAndStored([], [ev('3'), ev('2'), ev('2'), ev('1')]).map((i) => i.event.id)).toEqual(['3', '2', '1'])
  })
})
