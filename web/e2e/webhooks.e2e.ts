// Webhooks II (#17) in the dashboard, against the real server and a real local receiver: the
// endpoint's delivery health (success rate, attempts and latency percentiles, as the stats API
// counts them), the delivery log searched by event id, and the Replay dialog: a replay of the
// last hour started, followed while it runs (created of total, delivered, failed, the progress
// bar) and listed on the endpoint view; a replay from a delivery in the log. Screenshots of the
// endpoint view and of the dialog with a job in progress, desktop and 390×844, light and dark.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { CreatedTenant, Replay, WebhookStats } from '../src/api/types'
import { Api } from './support/api'
import { eventually, expectAccessible, failureScreenshot, launchBrowser, newPage, signIn } from './support/browser'
import { SCREENSHOTS_DIR } from './support/paths'
import { WEBHOOK_ENV } from './support/receiver'
import { ADMIN_TOKEN, startServer, type TestServer } from './support/server'

let server: TestServer
let browser: Browser
let api: Api
let page: Page | undefined
let receiver: Receiver
let tenant: CreatedTenant
let endpointId: string
let eventIds: string[] = []

/** A receiver that answers after a varied delay (so latencies have a spread), 200 or 503 as told. */
interface Receiver {
  url: string
  received: () => number
  fail: (on: boolean) => void
  slow: (ms: number) => void
  close: () => Promise<void>
}

async function startReceiver(): Promise<Receiver> {
  let failing = false
  let extra = 0
  let received = 0
  const http: Server = createServer((req, res) => {
    req.resume()
    req.on('end', () => {
      received += 1
      const delay = 5 + Math.round(Math.random() ** 3 * 180) + extra
      setTimeout(() => {
        res.writeHead(failing ? 503 : 200, { 'Content-Type': 'text/plain' })
        res.end(failing ? 'upstream unavailable' : 'ok')
      }, delay)
    })
  })
  await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
  const { port } = http.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hooks/orders`,
    received: () => received,
    fail: (on) => (failing = on),
    slow: (ms) => (extra = ms),
    close: () => new Promise<void>((resolve) => http.close(() => resolve())),
  }
}

async function call<T>(method: string, path: string, body?: unknown): Promise<{ status: number; body: T }> {
  const response = await fetch(`${server.url}${path}${path.includes('?') ? '&' : '?'}tenant_id=${tenant.id}`, {
    method,
    headers: { 'X-API-Key': ADMIN_TOKEN, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  })
  const text = await response.text()
  return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T }
}

const stats = async (hours = 24) => (await call<WebhookStats>('GET', `/api/v1/webhooks/${endpointId}/stats?hours=${hours}`)).body

beforeAll(async () => {
  // Quick retries, so failed attempts pile up while the test arranges the data.
  // The circuit breaker off: the receiver fails on purpose here, and the replays after it
  // should not wait out an open circuit.
  server = await startServer({ name: 'webhooks', env: { ...WEBHOOK_ENV, TRIBUTARY_WEBHOOKS__CIRCUIT_AFTER_FAILURES: '0' } })
  api = new Api(server.url)
  receiver = await startReceiver()
  tenant = await api.createTenant('orders-co')
  endpointId = await api.createWebhook(tenant.id, { url: receiver.url, description: 'Order fulfilment', event_types: ['order.*'] })
  const key = tenant.api_key.key!
  // 40 orders delivered, then the receiver goes down for a few: their retries fail.
  eventIds = await api.sendBatch(
    key,
    Array.from({ length: 40 }, (_, i) => ({ event_type: i % 4 === 0 ? 'order.refunded' : 'order.paid', metadata: { order_id: `ord_${1000 + i}`, total: 10 + i } })),
  )
  await eventually('40 deliveries', async () => (await stats()).succeeded, (n) => n >= 40, 20_000)
  receiver.fail(true)
  receiver.slow(250)
  eventIds.push(...(await api.sendBatch(key, Array.from({ length: 4 }, (_, i) => ({ event_type: 'order.paid', metadata: { order_id: `ord_${2000 + i}`, total: 99 } })))))
  await eventually('failed attempts', async () => (await stats()).failed, (n) => n >= 8, 20_000)
  receiver.fail(false)
  receiver.slow(0)
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await server?.stop()
  await receiver?.close()
})
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await failureScreenshot(page, `webhooks-${ctx.task.name.replace(/\W+/g, '-')}`)
  await page?.context().close()
  page = undefined
})

async function openEndpoint(options: { theme?: 'light' | 'dark'; phone?: boolean } = {}): Promise<Page> {
  const opened = await newPage(browser, server.url, { colorScheme: options.theme, viewport: options.phone ? { width: 390, height: 844 } : undefined })
  page = opened.page
  await signIn(page)
  await page.goto(`/t/${tenant.id}/webhooks?endpoint=${endpointId}`)
  await page.getByTestId('stats-success-rate').waitFor({ timeout: 15_000 })
  return page
}

async function shoot(target: Page, name: string, settle = 1_200) {
  await target.waitForTimeout(settle)
  await target.screenshot({ path: join(SCREENSHOTS_DIR, `${name}.png`) })
}

describe('delivery health and the log', () => {
  it('shows the endpoint’s success rate and latencies as the stats API counts them, and finds an event’s delivery by its id', async () => {
    // Retries of the failed deliveries still land while the page loads, so the rate moves
    // (one way: only successes are added now): the page must show a rate the API gave at some
    // moment between the two reads around it, to its one decimal.
    const before = await stats()
    const p = await openEndpoint()
    const rate = (await p.getByTestId('stats-success-rate').textContent())!
    const figures = await stats()
    expect(figures.attempts).toBeGreaterThan(40)
    const rates = [before, figures].map((f) => f.success_rate! * 100)
    const [low, high] = [Math.min(...rates), Math.max(...rates)]
    expect(Number.parseFloat(rate)).toBeGreaterThanOrEqual(low - 0.05)
    expect(Number.parseFloat(rate)).toBeLessThanOrEqual(high + 0.05)
    expect(await p.getByTestId('stats-p95').textContent()).toMatch(/\d+ ms|\d(\.\d)? s/)
    expect(await p.getByTestId('attempts-chart').getAttribute('data-buckets')).toBe(String(figures.buckets.length))
    await expectAccessible(p, 'webhooks-health')

    await p.getByRole('radiogroup', { name: 'Window' }).getByRole('radio', { name: '1 h' }).click()
    await expect.poll(() => p.getByTestId('attempts-chart').getAttribute('data-buckets')).toBe('13')
    expect(new URL(p.url()).searchParams.get('window')).toBe('1h')

    const search = p.getByRole('searchbox', { name: 'Find deliveries by event id' })
    await search.fill('ord_1000')
    await search.press('Enter')
    await p.getByText('An event id is a UUID').waitFor()
    await search.fill(eventIds[3]!)
    await search.press('Enter')
    const log = p.getByRole('region', { name: 'Delivery log' })
    await expect.poll(() => log.getByTestId('delivery').count()).toBe(1)
    await log.getByTestId('delivery').getByRole('button', { name: /Show attempts/ }).click()
    await expect.poll(() => log.getByRole('link', { name: /the event/ }).getAttribute('href')).toContain(eventIds[3])
    expect(new URL(p.url()).searchParams.get('event_id')).toBe(eventIds[3])
  })

  it.each(['light', 'dark'] as const)('screenshots the endpoint view with its chart (%s)', async (theme) => {
    const desktop = await openEndpoint({ theme })
    await shoot(desktop, `webhooks-health-${theme}`)
    await desktop.context().close()
    const phone = await openEndpoint({ theme, phone: true })
    await expectAccessible(phone, `phone-webhooks-health-${theme}`)
    await phone.getByTestId('delivery-stats').scrollIntoViewIfNeeded()
    await shoot(phone, `phone-webhooks-health-${theme}`)
  })
})

describe('replay', () => {
  it('replays the last hour of one type, follows the job while it runs, lists it, and replays from a delivery', async () => {
    const p = await openEndpoint()
    const before = receiver.received()
    // A slower receiver, so that the job is seen on its way.
    receiver.slow(300)
    await p.getByRole('button', { name: 'Replay…' }).click()
    const dialog = p.getByRole('dialog', { name: 'Replay deliveries' })
    await dialog.getByRole('radio', { name: 'Last hour' }).click()
    await dialog.getByLabel('Event types (optional)').fill('order.refunded')
    await expectAccessible(p, 'webhooks-replay-form')
    await dialog.getByRole('button', { name: 'Start replay' }).click()
    const job = dialog.getByTestId('replay-job')
    await job.waitFor()
    await expectAccessible(p, 'webhooks-replay-job')
    // 10 of the seeded orders are refunds.
    await expect.poll(() => job.getByTestId('replay-created').textContent(), { timeout: 20_000 }).toMatch(/^10 \/ 10/)
    await expect.poll(() => job.getAttribute('data-state'), { timeout: 30_000 }).toBe('done')
    await expect.poll(() => job.getByTestId('replay-delivered').textContent(), { timeout: 30_000 }).toBe('10')
    await eventually('the replayed deliveries', async () => receiver.received() - before, (n) => n >= 10, 20_000)
    const { body } = await call<{ data: Replay[] }>('GET', `/api/v1/webhooks/${endpointId}/replays`)
    expect(body.data[0]).toMatchObject({ state: 'done', event_types: ['order.refunded'], total: 10, created: 10 })
    await job.getByRole('button', { name: 'Close' }).click()
    const list = p.getByTestId('replay-list')
    await expect.poll(() => list.getByTestId('replay-row').first().getAttribute('data-state')).toBe('done')

    // From a delivery in the log: that event and every later one, cancelled on the way.
    const log = p.getByRole('region', { name: 'Delivery log' })
    const oldest = log.getByTestId('delivery').last()
    await oldest.getByRole('button', { name: /Show attempts/ }).click()
    await oldest.getByRole('button', { name: 'Replay from here' }).click()
    const since = p.getByRole('dialog', { name: 'Replay from this delivery' })
    await since.getByRole('button', { name: 'Start replay' }).click()
    const second = since.getByTestId('replay-job')
    await second.waitFor()
    const state = await second.getAttribute('data-state')
    if (state === 'pending' || state === 'running') {
      await second.getByRole('button', { name: 'Cancel replay' }).click()
      await expect.poll(() => second.getAttribute('data-state'), { timeout: 10_000 }).toMatch(/cancelled|done/)
    }
    receiver.slow(0)
  })

  it.each(['light', 'dark'] as const)('screenshots the Replay dialog with a job in progress (%s)', async (theme) => {
    for (const phone of [false, true]) {
      const p = await openEndpoint({ theme, phone })
      receiver.slow(1_500)
      await p.getByRole('button', { name: 'Replay…' }).click()
      const dialog = p.getByRole('dialog', { name: 'Replay deliveries' })
      await dialog.getByRole('radio', { name: 'Last 24 h' }).click()
      await dialog.getByRole('button', { name: 'Start replay' }).click()
      await dialog.getByTestId('replay-job').waitFor()
      await expect.poll(() => dialog.getByTestId('replay-created').textContent(), { timeout: 10_000 }).not.toMatch(/^0 /)
      await shoot(p, `${phone ? 'phone-' : ''}webhooks-replay-${theme}`, 300)
      await dialog.getByTestId('replay-job').getByRole('button', { name: 'Cancel replay' }).click({ timeout: 2_000 }).catch(() => {})
      receiver.slow(0)
      await p.context().close()
      page = undefined
    }
  })
})
