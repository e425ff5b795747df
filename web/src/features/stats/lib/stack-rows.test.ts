import type { Stats } from '@/api/types'
import { OTHER, stackRows } from './stack-rows'

const stats: Stats = {
  total: 9,
  by_type: [],
  from: '2024-05-01T10:00:30Z',
  to: '2024-05-01T10:03:30Z',
  interval: 'minute',
  series: [
    { bucket: '2024-05-01T10:00:00Z', count: 4 },
    { bucket: '2024-05-01T10:01:00Z', count: 0 },
    { bucket: '2024-05-01T10:02:00Z', count: 3 },
    { bucket: '2024-05-01T10:03:00Z', count: 2 },
  ],
}

describe('stacked chart rows', () => {
  it('splits each bucket into the stacked types and the rest, empty buckets staying empty', () => {
    const rows = stackRows(stats, [{ type: 'signup', counts: [1, 0, 3, 1] }])
    expect(rows.map((r) => [r.signup, r[OTHER]])).toEqual([
      [1, 3],
      [0, 0],
      [3, 0],
      [1, 1],
    ])
  })
  it('marks the buckets the range covers in part: the one it starts inside of and the one still filling', () => {
    expect(stackRows(stats, []).map((r) => r.partial)).toEqual([true, false, false, true])
    expect(stackRows({ ...stats, from: '2024-05-01T10:00:00Z' }, []).map((r) => r.partial)).toEqual([false, false, false, true])
  })
})
