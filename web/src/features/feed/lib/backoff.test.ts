import { backoffDelay } from './backoff'

describe('backoffDelay', () => {
  it('doubles from the base and stops at the cap (no jitter)', () => {
    const delays = [0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, { baseMs: 500, maxMs: 8_000, jitter: 0 }))
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000, 8000])
  })

  it('keeps every delay within [half, full] of the schedule with jitter 0.5', () => {
    expect(backoffDelay(3, { baseMs: 500, jitter: 0.5 }, () => 0)).toBe(2000)
    expect(backoffDelay(3, { baseMs: 500, jitter: 0.5 }, () => 1)).toBe(4000)
    for (let i = 0; i < 200; i++) {
      const d = backoffDelay(2, { baseMs: 500, jitter: 0.5 })
      expect(d).toBeGreaterThanOrEqual(1000)
      expect(d).toBeLessThanOrEqual(2000)
    }
  })

  it('spreads clients apart (jitter actually varies)', () => {
    const seen = new Set(Array.from({ length: 50 }, () => backoffDelay(4)))
    expect(seen.size).toBeGreaterThan(10)
  })

  it('never exceeds the cap even with jitter', () => {
    expect(backoffDelay(50, { maxMs: 30_000 }, () => 1)).toBe(30_000)
  })
})
