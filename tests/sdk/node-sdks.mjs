// Drives the real, unmodified `@segment/analytics-node` and `posthog-node` against a Tributary
// server, as an application would: one host setting, the Tributary API key as write key or
// project key. Started by tests/api/sdk.rs, which then reads what the server stored.
//
//   node node-sdks.mjs <server url> <api key> <bad key> <run id>
//
// The process clock runs SKEW_MS behind (as a device with a wrong clock would), so the server
// must correct the SDKs' timestamps with their sentAt / sent_at. Prints one JSON line: the
// errors each SDK reported for the bad key.

import { Analytics } from '@segment/analytics-node'
import { PostHog } from 'posthog-node'

const [host, key, badKey, run] = process.argv.slice(2)
if (!host || !key || !badKey || !run) {
  console.error('usage: node node-sdks.mjs <server url> <api key> <bad key> <run id>')
  process.exit(2)
}

const SKEW_MS = 2 * 60 * 60 * 1000
const RealDate = Date
globalThis.Date = class SkewedDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(RealDate.now() - SKEW_MS)
    else super(...args)
  }
  static now() {
    return RealDate.now() - SKEW_MS
  }
}

async function segment(writeKey, errors) {
  const analytics = new Analytics({ writeKey, host, flushAt: 2, flushInterval: 200, maxRetries: 1 })
  analytics.on('error', (error) => errors.push(String(error?.reason ?? error?.message ?? error)))
  analytics.track({
    userId: `user-${run}`,
    event: 'Order Completed',
    messageId: `segment-track-${run}`,
    properties: { revenue: 42.5, currency: 'EUR', items: [{ sku: 'A-1' }] },
  })
  analytics.identify({
    userId: `user-${run}`,
    messageId: `segment-identify-${run}`,
    traits: { plan: 'pro', email: 'ada@example.com' },
  })
  // Five seconds before "now" on the device's clock.
  analytics.track({
    anonymousId: `anon-${run}`,
    event: 'Cart Viewed',
    messageId: `segment-past-${run}`,
    timestamp: new Date(Date.now() - 5000),
  })
  await analytics.closeAndFlush({ timeout: 10000 })
}

async function posthog(projectKey, errors) {
  const client = new PostHog(projectKey, { host, flushAt: 2, flushInterval: 200, fetchRetryCount: 0 })
  client.on('error', (error) => errors.push(String(error?.message ?? error)))
  client.capture({
    distinctId: `user-${run}`,
    event: 'signed up',
    uuid: `0193${run.padStart(4, '0').slice(-4)}-0000-7000-8000-000000000001`,
    properties: { plan: 'pro', $current_url: 'https://shop.example/welcome' },
  })
  client.capture({
    distinctId: `user-${run}`,
    event: '$pageview',
    properties: { $current_url: 'https://shop.example/pricing' },
    timestamp: new Date(Date.now() - 5000),
  })
  await client.shutdown(10000)
}

const result = { segment_good: [], posthog_good: [], segment_bad: [], posthog_bad: [] }
await segment(key, result.segment_good)
await posthog(key, result.posthog_good)
await segment(badKey, result.segment_bad)
await posthog(badKey, result.posthog_bad)
console.log(JSON.stringify(result))
