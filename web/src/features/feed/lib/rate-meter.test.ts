import { RateMeter } from './rate-meter'

const t0 = 1_000_000_000

it('sums the last minute and forgets older seconds', () => {
  const meter = new RateMeter(60, t0)
  meter.record(10, t0)
  meter.record(5, t0 + 30_000)
  expect(meter.total(t0 + 30_000)).toBe(15)
  expect(meter.total(t0 + 61_000)).toBe(5)
  expect(meter.total(t0 + 200_000)).toBe(0)
})

it('extrapolates the rate until a full minute has passed', () => {
  const meter = new RateMeter(60, t0)
  expect(meter.rate(t0 + 1_000)).toBeNull()
  for (let s = 0; s < 10; s++) meter.record(6, t0 + s * 1000)
  expect(meter.rate(t0 + 10_000)).toBe(360)
  for (let s = 10; s < 70; s++) meter.record(6, t0 + s * 1000)
  expect(meter.rate(t0 + 70_000)).toBeGreaterThanOrEqual(350)
})
