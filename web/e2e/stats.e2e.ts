// Statistics count what was sent; the events page lists it.
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Api } from './support/api'
import { expectAccessible, failureScreenshot, launchBrowser, newPage, signIn } from './support/browser'
import { startServer, type TestServer } from './support/server'

let server: TestServer
let browser: Browser
let api: Api
let page: Page | undefined

beforeAll(async () => {
  server = await startServer({ name: 'stats' })
  api = new Api(server.url)
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await server?.stop()
})
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await failureScreenshot(page, `stats-${ctx.task.name.replace(/\W+/g, '-')}`)
  await page?.context().close()
  page = undefined
})

describe('statistics', () => {
  it('the chart and the totals count what was sent, and update live', async () => {
    const tenant = await api.createTenant('stats-1')
    const key = tenant.api_key.key!
    await api.sendBatch(key, [...Array.from({ length: 4 }, () => ({ event_type: 'signup' })), ...Array.from({ length: 3 }, () => ({ event_type: 'error' }))])
    ;({ page } = await newPage(browser, server.url))
    await signIn(page)
    await page.goto(`/t/${tenant.id}/stats`)
    await expect.poll(() => page!.getByTestId('stats-total').textContent()).toBe('7')
    await expect.poll(() => page!.getByTestId('events-chart').getAttribute('data-total')).toBe('7')
    const counts = await page.locator('[data-testid="type-breakdown"] tr[data-event-type]').evaluateAll((rows) =>
      Object.fromEntries(rows.map((r) => [r.getAttribute('data-event-type'), r.querySelector('[data-testid="type-count"]')?.firstChild?.textContent])),
    )
    expect(counts).toEqual({ signup: '4', error: '3' })
    await expectAccessible(page, 'stats')

    // Live: more events move the numbers without a reload.
    await api.sendBatch(key, Array.from({ length: 5 }, () => ({ event_type: 'signup' })))
    await expect.poll(() => page!.getByTestId('stats-total').textContent(), { timeout: 8_000 }).toBe('12')
    await expect.poll(() => page!.getByTestId('events-chart').getAttribute('data-total')).toBe('12')

    // Range and interval are in the URL.
    await page.getByRole('radio', { name: '24 hours' }).click()
    await page.waitForURL(/range=24h/)
    await expect.poll(() => page!.getByTestId('events-chart').getAttribute('data-total')).toBe('12')
  })

  it('the events page lists stored events with a metadata filter', async () => {
    const tenant = await api.createTenant('stats-events')
    const key = tenant.api_key.key!
    await api.sendBatch(key, [
      { event_type: 'payment', metadata: { plan: 'pro' } },
      { event_type: 'payment', metadata: { plan: 'free' } },
      { event_type: 'payment', metadata: { plan: 'pro' } },
    ])
    ;({ page } = await newPage(browser, server.url))
    await signIn(page)
    await page.goto(`/t/${tenant.id}/events`)
    const rows = page.getByRole('feed', { name: 'Events' }).locator('article')
    await expect.poll(() => rows.count()).toBe(3)
    await page.getByRole('button', { name: 'key=value' }).click()
    await page.getByLabel('Metadata filter (key=value)').fill('plan=pro')
    await page.keyboard.press('Enter')
    await page.waitForURL(/meta=plan%3Dpro/)
    await expect.poll(() => rows.count()).toBe(2)
    await expectAccessible(page, 'events')
  })
})
