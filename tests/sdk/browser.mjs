// Drives the real, unmodified browser SDKs — `@segment/analytics-next` and `posthog-js`, bundled
// from npm with esbuild as an application would — in headless Chromium against a Tributary
// server. The page is served from a second origin (this script's own static server), so every
// request is cross-origin and goes through CORS, as on a customer's website.
//
//   node browser.mjs <server url> <api key> <bad key> <run id> <page port>
//
// The page's clock runs SKEW_MS behind. Prints one JSON line: what each SDK reported.

import { createServer } from 'node:http'
import { fileURLToPath } from 'node:url'
import { build } from 'esbuild'
import { chromium } from 'playwright-core'

const [server, key, badKey, run, pagePort] = process.argv.slice(2)
if (!server || !key || !badKey || !run || !pagePort) {
  console.error('usage: node browser.mjs <server url> <api key> <bad key> <run id> <page port>')
  process.exit(2)
}
const SKEW_MS = 2 * 60 * 60 * 1000
const CAPTURE = /^\/(e|i\/v0\/e|batch|capture|track)\/?$/

const bundled = await build({
  entryPoints: [fileURLToPath(new URL('./browser-entry.js', import.meta.url))],
  bundle: true,
  format: 'iife',
  write: false,
  logLevel: 'warning',
})
const bundle = bundled.outputFiles[0].contents
const page_html = '<!doctype html><meta charset="utf-8"><title>shop</title><script src="/bundle.js"></script><h1>Shop</h1>'
const pages = createServer((request, response) => {
  if (request.url === '/bundle.js') {
    response.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle)
  } else {
    response.writeHead(200, { 'content-type': 'text/html' }).end(page_html)
  }
})
await new Promise((resolve) => pages.listen(Number(pagePort), '127.0.0.1', resolve))

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM ?? '/usr/bin/chromium',
  args: [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
  ],
})
const result = { statuses: [], console_errors: [], segment: null, posthog: null, bad: null }
try {
  const context = await browser.newContext()
  await context.addInitScript((skew) => {
    const RealDate = Date
    globalThis.Date = class SkewedDate extends RealDate {
      constructor(...args) {
        if (args.length === 0) super(RealDate.now() - skew)
        else super(...args)
      }
      static now() {
        return RealDate.now() - skew
      }
    }
  }, SKEW_MS)
  const page = await context.newPage()
  page.on('response', (response) => {
    const url = new URL(response.url())
    if (url.origin === new URL(server).origin) {
      result.statuses.push(`${response.request().method()} ${url.pathname} ${response.status()}`)
    }
  })
  page.on('console', (message) => {
    if (message.type() === 'error') result.console_errors.push(message.text())
  })
  await page.goto(`http://127.0.0.1:${pagePort}/`)

  result.segment = await page.evaluate(async ({ server, key, run }) => {
    const { AnalyticsBrowser } = window.TributarySdks
    const [analytics] = await AnalyticsBrowser.load(
      { writeKey: key, cdnURL: server },
      { disableClientPersistence: true },
    )
    const tracked = await analytics.track('Plan Upgraded', { plan: 'team', seats: 5 }, { messageId: `browser-segment-${run}` })
    await analytics.identify(`browser-user-${run}`, { email: 'grace@example.com' })
    return { delivered: !tracked.failedDelivery(), anonymousId: analytics.user().anonymousId() }
  }, { server, key, run })

  const posthogSent = page
    .waitForResponse((r) => CAPTURE.test(new URL(r.url()).pathname) && r.request().method() === 'POST', { timeout: 15000 })
    .catch((error) => {
      result.posthog_wait_error = String(error)
    })
  result.posthog = await page.evaluate(async ({ server, key, run }) => {
    const { posthog } = window.TributarySdks
    posthog.init(key, {
      api_host: server,
      autocapture: false,
      capture_pageview: false,
      capture_pageleave: false,
      disable_session_recording: true,
      disable_surveys: true,
      persistence: 'memory',
      request_batching: false,
      // Headless Chromium announces itself as a bot, whose events posthog-js drops.
      opt_out_useragent_filter: true,
    })
    posthog.identify(`browser-user-${run}`)
    posthog.capture('clicked buy', { sku: 'A-1', run })
    return { distinct_id: posthog.get_distinct_id() }
  }, { server, key, run })
  await posthogSent
  // posthog-js sends the identify and the capture in separate requests.
  await page.waitForTimeout(500)

  // A bad key: both SDKs must be told no.
  const badPage = await context.newPage()
  await badPage.goto(`http://127.0.0.1:${pagePort}/`)
  result.bad = await badPage.evaluate(async ({ server, badKey }) => {
    const { AnalyticsBrowser, posthog } = window.TributarySdks
    const [analytics] = await AnalyticsBrowser.load(
      { writeKey: badKey, cdnURL: server },
      { disableClientPersistence: true, retryQueue: false },
    )
    const tracked = await analytics.track('Should Not Arrive')
    const posthogErrors = await new Promise((resolve) => {
      const errors = []
      const client = posthog.init(badKey, {
        api_host: server,
        autocapture: false,
        capture_pageview: false,
        disable_session_recording: true,
        disable_surveys: true,
        persistence: 'memory',
        request_batching: false,
        opt_out_useragent_filter: true,
        on_request_error: (response) => {
          errors.push(response.statusCode)
          resolve(errors)
        },
      }, 'bad')
      client?.capture('should not arrive')
      setTimeout(() => resolve(errors), 5000)
    })
    return { segment_failed: Boolean(tracked.failedDelivery()), posthog_statuses: posthogErrors }
  }, { server, badKey })
} finally {
  await browser.close()
  pages.close()
}
console.log(JSON.stringify(result))
