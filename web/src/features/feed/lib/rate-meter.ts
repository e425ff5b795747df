// Events per minute over a sliding window of one-second buckets: cheap to record at any rate.
// Until a full window has passed since the meter started, the rate is extrapolated from the
// time so far (otherwise a fresh page would report a fraction of the real rate for a minute).

export class RateMeter {
  private buckets: number[]
  private stamps: number[]
  private readonly startedAt: number

  constructor(
    private readonly windowSeconds = 60,
    now: number = Date.now(),
  ) {
    this.buckets = new Array<number>(windowSeconds).fill(0)
    this.stamps = new Array<number>(windowSeconds).fill(-1)
    this.startedAt = now
  }

  record(count: number, now: number = Date.now()) {
    const second = Math.floor(now / 1000)
    const slot = second % this.windowSeconds
    if (this.stamps[slot] !== second) {
      this.stamps[slot] = second
      this.buckets[slot] = 0
    }
    this.buckets[slot] = (this.buckets[slot] ?? 0) + count
  }

  /** Events in the last `windowSeconds` seconds. */
  total(now: number = Date.now()): number {
    const second = Math.floor(now / 1000)
    let sum = 0
    for (let i = 0; i < this.windowSeconds; i++) {
      const stamp = this.stamps[i] ?? -1
      if (stamp > second - this.windowSeconds && stamp <= second) sum += this.buckets[i] ?? 0
    }
    return sum
  }

  /** Events per window (per minute by default); null for the first five seconds, too early to tell. */
  rate(now: number = Date.now()): number | null {
    const elapsed = (now - this.startedAt) / 1000
    if (elapsed < 5) return null
    const total = this.total(now)
    return elapsed >= this.windowSeconds ? total : Math.round((total * this.windowSeconds) / elapsed)
  }
}
