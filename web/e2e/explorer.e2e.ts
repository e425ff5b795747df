// The event explorer and the phone layout against the real server: live events on top of the
// stored history in one list with no duplicate at the seam, columns from the picker, "filter by
// this" and "exclude this" (sent to the server) from the detail panel, the event's webhook
// deliveries in the panel, and every page at 390×844 no wider than the screen.
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { CreatedTenant } from '../src/api/types'
import { Api } from './support/api'
import { eventually, failureScreenshot, launchBrowser, newPage, signIn } from './support/browser'
import { startReceiver, WEBHOOK_ENV } from './support/receiver'
import { startServer, type TestServer } from './support/server'

let server: TestServer
let browser: Browser
let api: Api
let page: Page | undefined

beforeAll(async () => {
  server = await startServer({ name: 'explorer', env: { TRIBUTARY_RATELIMIT__DEFAULT_PER_SECOND: '10000', TRIBUTARY_RATELIMIT__DEFAULT_BURST: '10000', ...WEBHOOK_ENV } })
  api = new Api(server.url)
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await server?.stop()
})
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await failureScreenshot(page, `explorer-${ctx.task.name.replace(/\W+/g, '-')}`)
  await page?.context().close()
  page = undefined
})

const list = (p: Page) => p.getByRole('feed', { name: 'Events' })

async function open(tenant: CreatedTenant, path: string, viewport = { width: 1440, height: 900 }): Promise<Page> {
  const opened = await newPage(browser, server.url, { viewport })
  await signIn(opened.page)
  await opened.page.goto(`/t/${tenant.id}/${path}`)
  return opened.page
}

/** Every row of the virtualized list, by scrolling it from top to bottom: [index, id, source]. */
async function allRows(p: Page): Promise<{ index: number; id: string; source: string }[]> {
  const scroller = p.getByTestId('feed-scroll')
  await scroller.evaluate((el) => el.scrollTo({ top: 0 }))
  const rows = new Map<number, { index: number; id: string; source: string }>()
  for (let step = 0; step < 200; step++) {
    await p.waitForTimeout(60)
    const seen = await list(p)
      .locator('article')
      .evaluateAll((els) => els.map((e) => ({ index: Number(e.getAttribute('data-index')), id: e.getAttribute('data-event-id') ?? '', source: e.getAttribute('data-source') ?? '' })))
    for (const row of seen) rows.set(row.index, row)
    const done = await scroller.evaluate((el) => {
      const atEnd = el.scrollTop + el.clientHeight >= el.scrollHeight - 2
      el.scrollBy({ top: el.clientHeight * 0.8 })
      return atEnd
    })
    if (done && !(await p.getByText('Loading older events…').count())) break
  }
  return [...rows.values()].sort((a, b) => a.index - b.index)
}

describe('event explorer at 1440×900', () => {
  it('shows live events and the stored history in one list, with no duplicate ids across the seam while events stream', async () => {
    const tenant = await api.createTenant('explorer-seam')
    const key = tenant.api_key.key!
    const stored = await api.sendBatch(key, Array.from({ length: 80 }, (_, i) => ({ event_type: 'stored', metadata: { i } })))
    // The first page of history is held back (a slow network) while events stream in live: when
    // it lands, it holds events the live stream already showed.
    const opened = await newPage(browser, server.url)
    page = opened.page
    let release!: () => void
    const gate = new Promise<void>((resolve) => (release = resolve))
    await page.route(
      (url) => url.pathname === '/api/v1/events',
      async (route) => {
        await gate
        await route.continue()
      },
    )
    await signIn(page)
    await page.goto(`/t/${tenant.id}/live`)
    await page.locator('[data-testid="connection-status"][data-status="live"]').waitFor({ timeout: 10_000 })

    const live: string[] = []
    for (let batch = 0; batch < 10; batch++) {
      live.push(...(await api.sendBatch(key, Array.from({ length: 3 }, (_, i) => ({ event_type: 'streamed', metadata: { batch, i } })))))
      if (batch === 4) {
        await eventually('the first streamed events, live', () => list(page!).locator('article[data-source="live"]').count(), (n) => n === 15, 3_000)
        release()
        await list(page).locator('article[data-source="stored"]').first().waitFor()
      }
      await page.waitForTimeout(100)
    }
    await eventually('every streamed event at the top', () => list(page!).locator('article[data-source="live"]').count(), (n) => n === live.length, 5_000)

    const rows = await allRows(page)
    const ids = rows.map((r) => r.id)
    expect(new Set(ids).size, 'no id twice').toBe(ids.length)
    expect(new Set(ids)).toEqual(new Set([...stored, ...live]))
    // Live on top, then the history: once a stored row appears, no live row follows.
    const firstStored = rows.findIndex((r) => r.source === 'stored')
    expect(firstStored).toBe(live.length)
    expect(rows.slice(firstStored).every((r) => r.source === 'stored')).toBe(true)
  })

  it('adds a metadata column from the picker, shows that property in every row, and keeps it in the URL', async () => {
    const tenant = await api.createTenant('explorer-columns')
    await api.sendBatch(tenant.api_key.key!, [
      { event_type: 'signup', metadata: { user: { plan: 'pro' }, page: '/a' } },
      { event_type: 'signup', metadata: { user: { plan: 'free' }, page: '/b' } },
      { event_type: 'click', metadata: { page: '/c' } },
    ])
    page = await open(tenant, 'events')
    await list(page).locator('article').nth(2).waitFor()
    await page.getByRole('button', { name: 'Columns', exact: true }).click()
    await page.getByRole('button', { name: 'Add column user.plan' }).click()
    await page.waitForURL(/cols=user.plan/)
    const cells = () => list(page!).locator('[data-column="user.plan"]').allTextContents()
    await expect.poll(cells).toEqual(['—', 'free', 'pro'])
    // Saved for this tenant: without the parameter, the column is still there.
    await page.goto(`/t/${tenant.id}/events`)
    await expect.poll(cells).toEqual(['—', 'free', 'pro'])
  })

  it('"filter by this" in the detail panel filters the list and the URL; "exclude this" leaves the value out on the server', async () => {
    const tenant = await api.createTenant('explorer-filter')
    const key = tenant.api_key.key!
    await api.sendBatch(key, [
      { event_type: 'payment', metadata: { plan: 'pro', n: 1 } },
      { event_type: 'payment', metadata: { plan: 'free', n: 2 } },
      { event_type: 'payment', metadata: { plan: 'pro', n: 3 } },
    ])
    // More free events than a page holds, and newer: were "exclude" applied in the browser, the
    // first pages would be all free, and the history would not end after the two pro events.
    await api.sendBatch(key, Array.from({ length: 60 }, (_, i) => ({ event_type: 'payment', metadata: { plan: 'free', n: 100 + i } })))
    page = await open(tenant, 'events')
    const asked: URL[] = []
    page.on('request', (request) => {
      const url = new URL(request.url())
      if (url.pathname === '/api/v1/events') asked.push(url)
    })
    const rows = list(page).locator('article')
    await expect.poll(() => rows.count()).toBeGreaterThan(3)
    await rows.filter({ hasText: 'plan=free' }).first().click()
    const panel = page.getByRole('complementary', { name: 'Event details' })
    await expect.poll(() => panel.getByTestId('property-table').textContent()).toContain('free')
    await panel.getByRole('button', { name: 'Exclude plan=free' }).click()
    await page.waitForURL(/not=plan%3Dfree/)
    await expect.poll(() => rows.allTextContents()).toEqual([expect.stringContaining('plan=pro'), expect.stringContaining('plan=pro')])
    // The server was asked to leave them out, and the history ends there: one page, two events.
    await expect.poll(() => asked.some((url) => url.searchParams.get('meta.plan!') === 'free')).toBe(true)
    await expect.poll(() => page!.getByTestId('explorer-footer').textContent()).toContain('2 events · end of history')
    // The same exclusion reaches the stats: they count the two events kept.
    const stats = await fetch(`${server.url}/api/v1/events/stats?meta.plan!=free`, { headers: { 'X-API-Key': key } }).then((r) => r.json() as Promise<{ total: number }>)
    expect(stats.total).toBe(2)

    await rows.first().click()
    await panel.getByRole('button', { name: 'Filter by n=3' }).click()
    await page.waitForURL(/meta=n%3D3/)
    await expect.poll(() => rows.count()).toBe(1)
    expect(await rows.first().textContent()).toContain('n=3')
    // The permalink opens the event on its own.
    const id = await rows.first().getAttribute('data-event-id')
    await page.goto(`/t/${tenant.id}/events?event=${id}`)
    await expect.poll(() => page!.getByRole('complementary', { name: 'Event details' }).textContent()).toContain(id!)
  })
})

describe('event lineage', () => {
  it("lists the event's webhook deliveries in the detail panel, each endpoint with its status and error", async () => {
    const receiver = await startReceiver()
    try {
      const tenant = await api.createTenant('explorer-lineage')
      const key = tenant.api_key.key!
      await api.createWebhook(tenant.id, { url: receiver.url, description: 'Billing sync' })
      // A target where nothing listens: its delivery fails, and says why.
      await api.createWebhook(tenant.id, { url: 'http://127.0.0.1:9/closed', description: 'Warehouse' })
      const id = await api.send(key, { event_type: 'order.paid', metadata: { amount: 42 } })
      page = await open(tenant, `events?event=${id}`)
      const panel = page.getByRole('complementary', { name: 'Event details' })
      await panel.getByRole('tab', { name: 'Deliveries' }).click()
      const deliveries = panel.getByTestId('event-delivery')
      await expect.poll(() => deliveries.count(), { timeout: 10_000 }).toBe(2)
      const billing = deliveries.filter({ hasText: 'Billing sync' })
      await expect.poll(() => billing.getAttribute('data-status'), { timeout: 10_000 }).toBe('succeeded')
      expect(await billing.textContent()).toContain(receiver.url)
      expect(await billing.textContent()).toContain('HTTP 200')
      const warehouse = deliveries.filter({ hasText: 'Warehouse' })
      await expect.poll(() => warehouse.textContent(), { timeout: 10_000 }).toContain('could not connect')
      expect(['failed', 'dead']).toContain(await warehouse.getAttribute('data-status'))
      // Each endpoint links to its delivery log.
      await billing.getByRole('link').click()
      await page.waitForURL(/\/webhooks\?endpoint=/)
    } finally {
      await receiver.close()
    }
  })
})

describe('phone layout at 390×844', () => {
  it('keeps every page within the screen, and the detail sheet closes from a visible button', async () => {
    const tenant = await api.createTenant('explorer-phone-with-a-long-name')
    await api.sendBatch(
      tenant.api_key.key!,
      Array.from({ length: 12 }, (_, i) => ({
        event_type: i % 2 ? 'checkout.payment_failed' : 'page_view',
        metadata: { page: `/blog/a-very-long-path-that-would-not-fit-on-a-phone-screen/${i}`, user: { country: 'US', plan: 'pro' }, message: 'card declined by issuer: insufficient funds on the account' },
      })),
    )
    page = await open(tenant, 'live', { width: 390, height: 844 })
    const pages = ['live', 'events', 'stats', 'search?q=card', 'quality', 'webhooks', 'keys', 'settings']
    for (const path of [...pages.map((p) => `/t/${tenant.id}/${p}`), '/tenants']) {
      await page.goto(path)
      await page.locator('main h1').first().waitFor({ timeout: 10_000 })
      await page.waitForTimeout(300)
      const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }))
      expect(scrollWidth, `${path} is ${scrollWidth}px wide`).toBeLessThanOrEqual(innerWidth)
    }

    // Every section is reachable from the compact navigation bar.
    const nav = page.getByRole('navigation', { name: 'Sections (compact)' })
    await nav.getByRole('link', { name: 'Settings' }).scrollIntoViewIfNeeded()
    expect(await nav.getByRole('link', { name: 'Settings' }).isVisible()).toBe(true)

    await page.goto(`/t/${tenant.id}/live`)
    const row = list(page).locator('article').first()
    await row.waitFor()
    // Two lines: the metadata preview wraps under the time and type.
    const height = await row.evaluate((el) => el.getBoundingClientRect().height)
    expect(height).toBeGreaterThan(50)
    await row.click()
    const sheet = page.getByTestId('detail-sheet')
    await sheet.waitFor()
    const close = sheet.getByRole('button', { name: 'Close details' })
    const box = await close.boundingBox()
    expect(box).not.toBeNull()
    expect(box!.x + box!.width).toBeLessThanOrEqual(390)
    expect(box!.y).toBeGreaterThanOrEqual(0)
    expect(box!.y + box!.height).toBeLessThanOrEqual(844)
    expect(await sheet.evaluate((el) => el.getBoundingClientRect().height)).toBe(844)
    await close.click()
    await expect.poll(() => page!.getByTestId('detail-sheet').count()).toBe(0)
    expect(page.url()).not.toContain('event=')
  })
})
