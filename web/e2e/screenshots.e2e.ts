// Screenshots of every view in light and dark, against the demo stream with an hour of
// seeded history, saved to docs/screenshots/ (committed; shown in the README). Each page is also
// checked with axe in both themes.
import { mkdirSync } from 'node:fs'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, beforeAll, describe, it } from 'vitest'
import type { TenantList } from '../src/api/types'
import { Api } from './support/api'
import { expectAccessible, launchBrowser, newPage, signIn } from './support/browser'
import { SCREENSHOTS_DIR } from './support/paths'
import { startReceiver, WEBHOOK_ENV } from './support/receiver'
import { ADMIN_TOKEN, startServer, type TestServer } from './support/server'

let server: TestServer
let browser: Browser
let demoId: string
let acmeId: string
let receivers: Awaited<ReturnType<typeof startReceiver>>[] = []

const TYPES: [string, number, () => Record<string, unknown>][] = [
  ['page_view', 55, () => ({ page: pick(['/', '/pricing', '/docs', '/blog/launch', '/signup']), ref: pick(['google', 'twitter', 'hn', 'direct']), ua: pick(['Firefox', 'Chrome', 'Safari']) })],
  ['click', 18, () => ({ page: pick(['/', '/pricing']), element: 'cta', variant: pick(['a', 'b']) })],
  ['signup', 10, () => ({ plan: pick(['free', 'pro', 'team']), country: pick(['DE', 'US', 'FR', 'BR', 'JP']) })],
  ['payment', 8, () => ({ amount: 5 + Math.floor(Math.random() * 400), currency: 'EUR', plan: pick(['pro', 'team']) })],
  ['error', 4, () => ({ page: '/checkout', message: 'card declined', code: 402 })],
  ['api.request', 5, () => ({ route: '/v1/items', status: 200, latency_ms: 3 + Math.floor(Math.random() * 240) })],
]

function pick<T>(items: T[]): T {
  return items[Math.floor(Math.random() * items.length)]!
}

function sampleType(): [string, Record<string, unknown>] {
  let roll = Math.random() * 100
  for (const [type, weight, meta] of TYPES) {
    roll -= weight
    if (roll <= 0) return [type, meta()]
  }
  return ['page_view', TYPES[0]![2]()]
}

/** An hour of history with a daily-traffic-like wave, so the chart has a shape. */
async function seedHistory(api: Api) {
  const now = Date.now()
  const events: { event_type: string; timestamp: string; metadata: Record<string, unknown>; tenant_id: string }[] = []
  for (let minute = 60; minute >= 1; minute--) {
    const perMinute = Math.round(260 + 90 * Math.sin(minute / 9) + Math.random() * 40)
    for (let i = 0; i < perMinute; i++) {
      const [event_type, metadata] = sampleType()
      events.push({ event_type, metadata, tenant_id: demoId, timestamp: new Date(now - minute * 60_000 + Math.random() * 60_000).toISOString() })
    }
  }
  for (let i = 0; i < events.length; i += 1000) {
    const response = await fetch(`${api.baseUrl}/api/v1/events/batch`, {
      method: 'POST',
      headers: { 'X-API-Key': ADMIN_TOKEN, 'Content-Type': 'application/json' },
      body: JSON.stringify({ events: events.slice(i, i + 1000) }),
    })
    if (response.status !== 202) throw new Error(`seed: ${response.status} ${await response.text()}`)
  }
}

/**
 * acme-prod, for the Data quality view: a warn schema on signup (plans outside the list fail),
 * an observe pattern on order.*, a block schema on payment (amounts over 300 refused), unplanned
 * types warned (a misspelled one among them); an hour of events sent after the schemas.
 */
async function seedQuality() {
  const put = async (path: string, body: unknown) => {
    const response = await fetch(`${server.url}${path}${path.includes('?') ? '&' : '?'}tenant_id=${acmeId}`, { method: 'PUT', headers: { 'X-API-Key': ADMIN_TOKEN, 'Content-Type': 'application/json' }, body: JSON.stringify(body) })
    if (!response.ok) throw new Error(`quality seed ${path}: ${response.status} ${await response.text()}`)
  }
  await put('/api/v1/schemas/signup', { mode: 'warn', schema: { type: 'object', properties: { plan: { enum: ['free', 'pro', 'team'] }, country: { type: 'string', pattern: '^[A-Z]{2}$' } }, required: ['plan', 'country'] } })
  await put('/api/v1/schemas/order.*', { mode: 'observe', schema: { type: 'object', properties: { order_id: { type: 'string' }, total: { type: 'number', minimum: 0 } }, required: ['order_id', 'total'] } })
  await put('/api/v1/schemas/payment', { mode: 'block', schema: { type: 'object', properties: { amount: { type: 'integer', maximum: 300 }, currency: { enum: ['EUR', 'USD'] } }, required: ['amount', 'currency'] } })
  await put('/api/v1/schema-policy', { unplanned: 'warn' })
  const now = Date.now()
  const events: { event_type: string; timestamp: string; metadata: Record<string, unknown> }[] = []
  for (let minute = 60; minute >= 1; minute--) {
    const at = () => new Date(now - minute * 60_000 + Math.random() * 60_000).toISOString()
    for (let i = 0; i < 12; i++) {
      const bad = Math.random() < (minute < 20 ? 0.3 : 0.08)
      events.push({ event_type: 'signup', timestamp: at(), metadata: { plan: bad ? pick(['enterprise', 'Pro']) : pick(['free', 'pro', 'team']), country: bad && Math.random() < 0.5 ? 'germany' : pick(['DE', 'US', 'FR']) } })
    }
    for (let i = 0; i < 8; i++) {
      const bad = Math.random() < 0.04
      events.push({ event_type: pick(['order.created', 'order.shipped']), timestamp: at(), metadata: bad ? { order_id: 1000 + i, total: -5 } : { order_id: `ord_${minute}_${i}`, total: 10 + Math.round(Math.random() * 200) } })
    }
    for (let i = 0; i < 5; i++) {
      const bad = minute > 30 && minute < 40 && Math.random() < 0.5
      events.push({ event_type: 'payment', timestamp: at(), metadata: { amount: bad ? 450 + Math.floor(Math.random() * 500) : 5 + Math.floor(Math.random() * 290), currency: 'EUR' } })
    }
    if (minute % 7 === 0) events.push({ event_type: 'sigup', timestamp: at(), metadata: { plan: 'pro', country: 'DE' } })
  }
  for (let i = 0; i < events.length; i += 1000) {
    const response = await fetch(`${server.url}/api/v1/events/batch?tenant_id=${acmeId}`, {
      method: 'POST',
      headers: { 'X-API-Key': ADMIN_TOKEN, 'Content-Type': 'application/json' },
      body: JSON.stringify({ events: events.slice(i, i + 1000).map((e) => ({ ...e, tenant_id: acmeId })) }),
    })
    if (response.status !== 202) throw new Error(`quality seed: ${response.status} ${await response.text()}`)
  }
}

/**
 * acme-prod, for the Privacy view: an order that came in with personal data, then a policy that
 * masks, hashes and drops it (the order stays stored as sent, so the preview has something to show).
 */
let orderId: string

async function seedPrivacy() {
  const headers = { 'X-API-Key': ADMIN_TOKEN, 'Content-Type': 'application/json' }
  const order = {
    event_type: 'order.created',
    tenant_id: acmeId,
    metadata: {
      order_id: 'ord_7f3k2',
      total: 129.5,
      email: 'jana.novak@example.com',
      customer: { name: 'Jana Novak', phone: '+420 601 234 567', country: 'CZ' },
      payment: { card: '4242 4242 4242 4242', method: 'card' },
      context: { ip: '203.0.113.7', page: '/checkout' },
      note: 'Leave at the door, call +420 601 234 567',
    },
  }
  const sent = await fetch(`${server.url}/api/v1/events`, { method: 'POST', headers, body: JSON.stringify(order) })
  if (sent.status !== 202) throw new Error(`privacy seed: ${sent.status} ${await sent.text()}`)
  orderId = ((await sent.json()) as { id: string }).id
  const policy = {
    rules: [
      { path: 'email', action: 'mask' },
      { path: 'customer.name', action: 'hash' },
      { path: 'context.ip', action: 'drop' },
    ],
    detectors: [
      { detector: 'card', action: 'mask' },
      { detector: 'phone', action: 'mask' },
    ],
  }
  const saved = await fetch(`${server.url}/api/v1/privacy?tenant_id=${acmeId}`, { method: 'PUT', headers, body: JSON.stringify(policy) })
  if (!saved.ok) throw new Error(`privacy seed: ${saved.status} ${await saved.text()}`)
}

let dryRunId: string

/**
 * acme-prod, for the Privacy view's other tabs: a user's page views delivered to a webhook, a dry
 * run of their deletion (the endpoint listed) after a finished deletion of another user, and two
 * suppressions, one of which has dropped an event.
 */
async function seedSubjects(hookUrl: string) {
  const headers = { 'X-API-Key': ADMIN_TOKEN, 'Content-Type': 'application/json' }
  const call = async (method: string, path: string, body: unknown) => {
    const response = await fetch(`${server.url}${path}?tenant_id=${acmeId}`, { method, headers, body: JSON.stringify(body) })
    if (!response.ok) throw new Error(`subjects seed ${path}: ${response.status} ${await response.text()}`)
    return (await response.json()) as { id: string }
  }
  const hook = await call('POST', '/api/v1/webhooks', { url: hookUrl, event_types: ['page_view'], description: 'Analytics warehouse' })
  // An edit, for the audit log's before and after.
  const edited = await fetch(`${server.url}/api/v1/webhooks/${hook.id}?tenant_id=${acmeId}`, { method: 'PATCH', headers, body: JSON.stringify({ description: 'Analytics warehouse (EU)', event_types: ['page_view', 'signup'] }) })
  if (!edited.ok) throw new Error(`subjects seed: webhook edit ${edited.status}`)
  const events = []
  for (let i = 0; i < 24; i++) events.push({ event_type: 'page_view', tenant_id: acmeId, metadata: { user_id: i % 4 ? 'u-1842' : 'u-977', page: pick(['/', '/pricing', '/account']) } })
  await call('POST', '/api/v1/events/batch', { events })
  const job = async (body: unknown) => {
    const { id } = await call('POST', '/api/v1/deletions', body)
    for (let i = 0; i < 100; i++) {
      const state = ((await (await fetch(`${server.url}/api/v1/deletions/${id}?tenant_id=${acmeId}`, { headers })).json()) as { state: string }).state
      if (state === 'done') return id
      await new Promise((r) => setTimeout(r, 100))
    }
    throw new Error('subjects seed: the deletion job did not finish')
  }
  // Deliveries first, so that the dry run lists the endpoint.
  for (let i = 0; i < 100; i++) {
    const deliveries = (await (await fetch(`${server.url}/api/v1/events?tenant_id=${acmeId}&event_type=page_view&limit=1`, { headers })).json()) as { events: { id: string }[] }
    const id = deliveries.events[0]?.id
    const list = id ? ((await (await fetch(`${server.url}/api/v1/events/${id}/deliveries?tenant_id=${acmeId}`, { headers })).json()) as { deliveries: { status: string }[] }) : { deliveries: [] }
    if (list.deliveries.some((d) => d.status === 'succeeded')) break
    await new Promise((r) => setTimeout(r, 100))
  }
  await job({ match: { 'meta.user_id': 'u-977' } })
  dryRunId = await job({ match: { 'meta.user_id': 'u-1842' }, dry_run: true })
  await call('POST', '/api/v1/suppressions', { match: { 'meta.user_id': 'u-977' }, reason: 'GDPR erasure request #4471' })
  await call('POST', '/api/v1/suppressions', { match: { 'meta.device_id': 'd-3f9a0c', 'meta.app': 'ios' }, reason: 'Test device' })
  await call('POST', '/api/v1/events', { event_type: 'page_view', tenant_id: acmeId, metadata: { user_id: 'u-977', page: '/' } })
}

beforeAll(async () => {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true })
  // A generous limit: seeding an hour of history sends ~17k events in a few requests.
  server = await startServer({ name: 'screens', demo: true, env: { TRIBUTARY_RATELIMIT__DEFAULT_PER_SECOND: '100000', TRIBUTARY_RATELIMIT__DEFAULT_BURST: '100000', ...WEBHOOK_ENV } })
  const api = new Api(server.url)
  acmeId = (await api.createTenant('acme-prod')).id
  await api.createTenant('acme-staging')
  const tenants = (await (await fetch(`${server.url}/api/v1/tenants`, { headers: { 'X-API-Key': ADMIN_TOKEN } })).json()) as TenantList
  demoId = tenants.tenants.find((t) => t.name === 'demo')!.id
  await seedHistory(api)
  await seedQuality()
  await seedPrivacy()
  // Two endpoints for the webhooks view: a healthy one and one whose receiver fails.
  receivers = [await startReceiver(), await startReceiver()]
  receivers[1]!.fail(true)
  const hooks: [string, string[], string][] = [
    [receivers[0]!.url, ['signup', 'payment'], 'Billing service'],
    [receivers[1]!.url.replace('/hooks', '/crm'), ['signup'], 'CRM sync (staging)'],
  ]
  for (const [url, event_types, description] of hooks) {
    const response = await fetch(`${server.url}/api/v1/webhooks?tenant_id=${demoId}`, {
      method: 'POST',
      headers: { 'X-API-Key': ADMIN_TOKEN, 'Content-Type': 'application/json' },
      body: JSON.stringify({ url, event_types, description }),
    })
    if (response.status !== 201) throw new Error(`webhook: ${response.status} ${await response.text()}`)
  }
  for (const [name, scopes] of [['checkout-service', ['ingest']], ['analytics-reader', ['read']]] as const) {
    await fetch(`${server.url}/api/v1/tenants/${demoId}/keys`, {
      method: 'POST',
      headers: { 'X-API-Key': ADMIN_TOKEN, 'Content-Type': 'application/json' },
      body: JSON.stringify({ name, scopes }),
    })
  }
  await seedSubjects(receivers[0]!.url)
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await server?.stop()
  for (const receiver of receivers) await receiver.close()
})

// Each tour visits a dozen views, with an accessibility check and a settle pause on each:
// about 40 s on a quiet machine, so the suite's 60 s limit is too tight on a loaded one.
const TOUR_TIMEOUT = 180_000

async function shoot(page: Page, name: string, options: { settle?: number; fullPage?: boolean } = {}) {
  // Let entry highlights and chart layout settle.
  await page.waitForTimeout(options.settle ?? 1_800)
  await page.screenshot({ path: join(SCREENSHOTS_DIR, `${name}.png`), fullPage: options.fullPage })
}

describe.each(['light', 'dark'] as const)('%s theme', (theme) => {
  it('sign-in, live feed with details, stats, tenants, search, data quality, privacy, the audit log, webhooks, API keys and settings', async () => {
    const { page, context } = await newPage(browser, server.url, { colorScheme: theme, viewport: { width: 1280, height: 800 } })
    await page.goto('/sign-in')
    await page.getByLabel('Admin token or API key').waitFor()
    await expectAccessible(page, `sign-in-${theme}`)
    await shoot(page, `sign-in-${theme}`)

    await signIn(page)
    await page.goto(`/t/${demoId}/live`)
    await page.locator('[data-testid="connection-status"][data-status="live"]').waitFor({ timeout: 10_000 })
    await page.getByRole('feed', { name: 'Events' }).locator('article').nth(5).waitFor({ timeout: 10_000 })
    await expectAccessible(page, `live-${theme}`)
    await page.getByTestId('event-rate').waitFor({ timeout: 10_000 })
    // Select a recent row with some metadata depth, then take the picture before it scrolls away.
    await page.getByRole('feed', { name: 'Events' }).locator('article[data-event-type="payment"], article[data-event-type="signup"]').first().click({ timeout: 10_000 })
    await page.waitForTimeout(250)
    await page.screenshot({ path: join(SCREENSHOTS_DIR, `live-${theme}.png`) })

    // The explorer on the Events page: metadata columns, the last hour, a row opened on its properties.
    await page.goto(`/t/${demoId}/events?range=1h&cols=page,plan`)
    await page.getByRole('feed', { name: 'Events' }).locator('article').nth(5).waitFor({ timeout: 10_000 })
    await page.getByRole('feed', { name: 'Events' }).locator('article[data-event-type="signup"]').first().click({ timeout: 10_000 })
    await page.getByTestId('property-table').waitFor()
    await expectAccessible(page, `events-${theme}`)
    await shoot(page, `events-${theme}`, { settle: 600 })

    await page.getByRole('link', { name: 'Stats' }).first().click()
    await page.getByTestId('events-chart').waitFor()
    await page.getByLabel('Metadata key').fill('page')
    await page.getByRole('button', { name: 'Break down' }).click()
    await page.getByTestId('property-breakdown').waitFor()
    await expectAccessible(page, `stats-${theme}`)
    // Tall enough for the property breakdown (a full-page capture would draw the sticky top bar mid-page).
    await page.setViewportSize({ width: 1280, height: 1320 })
    await shoot(page, `stats-${theme}`)
    await page.setViewportSize({ width: 1280, height: 800 })

    await page.getByRole('link', { name: 'Tenants' }).first().click()
    await page.locator('tr[data-tenant-name="demo"]').waitFor()
    await expectAccessible(page, `tenants-${theme}`)
    await shoot(page, `tenants-${theme}`)

    await page.goto(`/t/${demoId}/search?q=${encodeURIComponent('declined OR plan:pro')}`)
    await page.getByTestId('search-hit').nth(3).waitFor()
    await expectAccessible(page, `search-${theme}`)
    await page.getByTestId('search-hit').first().click()
    await shoot(page, `search-${theme}`)

    await page.goto(`/t/${acmeId}/quality?range=1h&type=signup`)
    await page.getByTestId('violation-example').first().waitFor({ timeout: 10_000 })
    await expectAccessible(page, `quality-${theme}`)
    await page.setViewportSize({ width: 1280, height: 1500 })
    await shoot(page, `quality-${theme}`)
    await page.setViewportSize({ width: 1280, height: 800 })

    await page.goto(`/t/${acmeId}/privacy?preview=${orderId}`)
    await page.getByLabel(/Metadata before redaction/).locator('mark[data-mark="removed"]').waitFor({ timeout: 10_000 })
    await expectAccessible(page, `privacy-${theme}`)
    await page.setViewportSize({ width: 1280, height: 1200 })
    await shoot(page, `privacy-${theme}`, { settle: 600 })
    await page.goto(`/t/${acmeId}/privacy?tab=deletion&job=${dryRunId}`)
    await page.getByTestId('delivered-to').waitFor({ timeout: 10_000 })
    await page.getByTestId('deletion-row').nth(1).waitFor()
    await page.getByTestId('deletion-form').getByLabel('Key 1').fill('user_id')
    await page.getByTestId('deletion-form').getByLabel('Value 1').fill('u-1842')
    await expectAccessible(page, `privacy-deletion-${theme}`)
    await shoot(page, `privacy-deletion-${theme}`, { settle: 400 })
    await page.goto(`/t/${acmeId}/privacy?tab=suppression`)
    await page.getByTestId('suppression').nth(1).waitFor()
    await expectAccessible(page, `privacy-suppression-${theme}`)
    await shoot(page, `privacy-suppression-${theme}`, { settle: 400 })
    await page.setViewportSize({ width: 1280, height: 800 })

    await page.goto(`/t/${acmeId}/audit`)
    await page.locator('[data-testid="audit-entry"][data-action="webhook.update"]').getByRole('button', { name: /Show the details/ }).click()
    await page.getByTestId('audit-details').waitFor()
    await expectAccessible(page, `audit-${theme}`)
    await page.setViewportSize({ width: 1280, height: 1100 })
    await shoot(page, `audit-${theme}`, { settle: 400 })
    await page.setViewportSize({ width: 1280, height: 800 })

    await page.goto(`/t/${demoId}/webhooks`)
    await page.locator('[data-testid="delivery"][data-status="succeeded"]').first().waitFor({ timeout: 15_000 })
    await page.locator('[data-testid="delivery"]').first().getByRole('button', { name: /Show attempts/ }).click()
    await expectAccessible(page, `webhooks-${theme}`)
    await shoot(page, `webhooks-${theme}`)

    await page.goto(`/t/${demoId}/keys`)
    await page.locator('tr[data-key-name="checkout-service"]').waitFor()
    await expectAccessible(page, `keys-${theme}`)
    await shoot(page, `keys-${theme}`)

    await page.goto(`/t/${demoId}/settings`)
    await page.getByLabel('Burst').waitFor()
    await expectAccessible(page, `settings-${theme}`)
    await shoot(page, `settings-${theme}`)
    await context.close()
  }, TOUR_TIMEOUT)
})

describe.each(['light', 'dark'] as const)('phone (390×844), %s theme', (theme) => {
  it('every view fits the screen; the event detail is a full-height sheet', async () => {
    const { page, context } = await newPage(browser, server.url, { colorScheme: theme, viewport: { width: 390, height: 844 } })
    await signIn(page)
    await page.goto(`/t/${demoId}/live`)
    await page.getByRole('feed', { name: 'Events' }).locator('article').nth(5).waitFor({ timeout: 10_000 })
    await shoot(page, `phone-live-${theme}`, { settle: 800 })
    await page.getByRole('feed', { name: 'Events' }).locator('article[data-event-type="signup"], article[data-event-type="payment"]').first().click({ timeout: 10_000 })
    await page.getByTestId('detail-sheet').waitFor()
    await expectAccessible(page, `phone-detail-${theme}`)
    await shoot(page, `phone-detail-${theme}`, { settle: 400 })
    await page.getByRole('button', { name: 'Close details' }).click()

    const views: [string, string, () => Promise<unknown>][] = [
      ['events', `/t/${demoId}/events?cols=page`, () => page.getByRole('feed', { name: 'Events' }).locator('article').nth(3).waitFor()],
      ['stats', `/t/${demoId}/stats?by=plan`, () => page.getByTestId('property-breakdown').waitFor()],
      ['search', `/t/${demoId}/search?q=${encodeURIComponent('declined OR plan:pro')}`, () => page.getByTestId('search-hit').nth(3).waitFor()],
      ['quality', `/t/${acmeId}/quality?range=1h`, () => page.getByTestId('quality-row').nth(3).waitFor()],
      ['privacy', `/t/${acmeId}/privacy?preview=${orderId}`, () => page.getByLabel(/Metadata before redaction/).locator('mark[data-mark="removed"]').waitFor({ timeout: 10_000 })],
      ['privacy-deletion', `/t/${acmeId}/privacy?tab=deletion&job=${dryRunId}`, () => page.getByTestId('delivered-to').waitFor({ timeout: 10_000 })],
      ['privacy-suppression', `/t/${acmeId}/privacy?tab=suppression`, () => page.getByTestId('suppression').nth(1).waitFor()],
      ['audit', `/t/${acmeId}/audit`, () => page.getByTestId('audit-entry').nth(3).waitFor()],
      ['webhooks', `/t/${demoId}/webhooks`, () => page.locator('[data-testid="delivery"]').first().waitFor({ timeout: 15_000 })],
      ['keys', `/t/${demoId}/keys`, () => page.locator('tr[data-key-name="checkout-service"], [data-key-name="checkout-service"]').first().waitFor()],
      ['settings', `/t/${demoId}/settings`, () => page.getByLabel('Burst').waitFor()],
      ['tenants', '/tenants', () => page.locator('tr[data-tenant-name="demo"]').waitFor()],
    ]
    for (const [name, path, ready] of views) {
      await page.goto(path)
      await ready()
      const { scrollWidth, innerWidth } = await page.evaluate(() => ({ scrollWidth: document.documentElement.scrollWidth, innerWidth: window.innerWidth }))
      if (scrollWidth > innerWidth) throw new Error(`${name} is ${scrollWidth}px wide at ${innerWidth}px`)
      await shoot(page, `phone-${name}-${theme}`, { settle: 800 })
    }
    await context.close()
  }, TOUR_TIMEOUT)
})
