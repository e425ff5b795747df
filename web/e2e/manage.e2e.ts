// Dashboard II against the real server and a real local webhook receiver: search with
// highlighted snippets, API keys (create with one scope, use, revoke), webhooks (delivery log,
// retries, retry now) and tenant settings (validation next to the field, a new rate limit → 429).
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Api } from './support/api'
import { expectAccessible, failureScreenshot, launchBrowser, newPage, signIn, toasts } from './support/browser'
import { startReceiver, WEBHOOK_ENV } from './support/receiver'
import { startServer, type TestServer } from './support/server'

let server: TestServer
let browser: Browser
let api: Api
let page: Page | undefined

beforeAll(async () => {
  server = await startServer({ name: 'manage', env: WEBHOOK_ENV })
  api = new Api(server.url)
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await server?.stop()
})
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await failureScreenshot(page, `manage-${ctx.task.name.replace(/\W+/g, '-')}`)
  await page?.context().close()
  page = undefined
})

describe('search', () => {
  it('finds an event by a metadata phrase and highlights the match; a malformed query is explained at the box', async () => {
    const tenant = await api.createTenant('search-co')
    const key = tenant.api_key.key!
    await api.send(key, { event_type: 'error', metadata: { page: '/checkout', message: 'card declined by issuer' } })
    await api.send(key, { event_type: 'page_view', metadata: { page: '/pricing', note: 'card shown, then declined later' } })
    await api.send(key, { event_type: 'signup', metadata: { plan: 'pro' } })

    ;({ page } = await newPage(browser, server.url))
    await signIn(page)
    await page.goto(`/t/${tenant.id}/search`)
    await page.getByRole('searchbox', { name: 'Search events' }).waitFor()
    await expectAccessible(page, 'search-empty')
    await page.getByRole('searchbox', { name: 'Search events' }).fill('"card declined"')
    await page.getByRole('button', { name: 'Search', exact: true }).click()

    const hits = page.getByTestId('search-hit')
    await expect.poll(() => hits.count()).toBe(1)
    expect(await hits.first().getByTestId('snippet').textContent()).toBe('card declined by issuer')
    expect(await hits.first().locator('mark').allTextContents()).toEqual(['card', 'declined'])
    // The URL holds the query: a reload (or a shared link) shows the same results.
    expect(new URL(page.url()).searchParams.get('q')).toBe('"card declined"')
    await page.reload()
    await expect.poll(() => hits.count()).toBe(1)
    await expectAccessible(page, 'search-results')
    // The hit opens the event's detail panel.
    await hits.first().click()
    await expect.poll(() => page!.getByRole('complementary', { name: 'Event details' }).textContent()).toContain('card declined by issuer')

    // The query language's help folds away once there is a query; its examples run at once.
    await page.getByText('Query language').click()
    await page.getByRole('button', { name: /type:signup plan:pro/ }).click()
    await expect.poll(() => hits.allTextContents()).toEqual([expect.stringContaining('signup')])

    await page.getByRole('searchbox', { name: 'Search events' }).fill('"card')
    await page.getByRole('searchbox', { name: 'Search events' }).press('Enter')
    await expect.poll(() => page!.getByRole('alert').first().textContent()).toContain('unclosed quote')
    expect(await page.getByRole('searchbox', { name: 'Search events' }).getAttribute('aria-invalid')).toBe('true')
  })
})

describe('API keys', () => {
  it('creates an ingest-only key, which sends events until it is revoked', async () => {
    const tenant = await api.createTenant('keys-co')
    ;({ page } = await newPage(browser, server.url))
    await signIn(page)
    await page.goto(`/t/${tenant.id}/keys`)
    await page.locator('tr[data-key-name="default"]').waitFor()
    await expectAccessible(page, 'keys-list')

    await page.getByRole('button', { name: 'Create key' }).click()
    const dialog = page.getByRole('dialog', { name: 'Create an API key' })
    await dialog.getByLabel('Name').fill('checkout-service')
    expect(await dialog.getByRole('checkbox', { name: /ingest/ }).isChecked()).toBe(true)
    expect(await dialog.getByRole('checkbox', { name: /read/ }).isChecked()).toBe(false)
    expect(await dialog.getByRole('checkbox', { name: /manage/ }).isChecked()).toBe(false)
    await dialog.getByRole('button', { name: 'Create key' }).click()
    const created = page.getByRole('dialog', { name: /Key “checkout-service” created/ })
    const key = (await created.getByLabel('New API key').textContent())!.trim()
    expect(key).toMatch(/^trb_/)
    await expectAccessible(page, 'keys-created')
    await created.getByRole('button', { name: 'Done' }).click()

    const row = page.locator('tr[data-key-name="checkout-service"]')
    await expect.poll(() => row.textContent()).toContain(key.slice(0, 8))
    expect(await row.textContent()).toContain('ingest')
    expect(await page.locator('body').textContent()).not.toContain(key)

    // The key sends events (ingest) but cannot read them.
    await api.send(key, { event_type: 'signup' })
    const read = await fetch(`${server.url}/api/v1/events`, { headers: { 'X-API-Key': key } })
    expect(read.status).toBe(403)

    await row.getByRole('button', { name: 'Revoke checkout-service' }).click()
    const confirm = page.getByRole('dialog', { name: 'Revoke “checkout-service”?' })
    await expectAccessible(page, 'keys-revoke')
    await confirm.getByRole('button', { name: 'Revoke key' }).click()
    await expect.poll(() => row.textContent()).toContain('Revoked')
    const refused = await fetch(`${server.url}/api/v1/events`, { method: 'POST', headers: { 'X-API-Key': key, 'Content-Type': 'application/json' }, body: JSON.stringify({ event_type: 'signup' }) })
    expect(refused.status).toBe(401)
  })
})

describe('webhooks', () => {
  it('delivers to a real receiver, shows the retries when it fails, and retries on demand', async () => {
    const receiver = await startReceiver()
    try {
      const tenant = await api.createTenant('hooks-co')
      const key = tenant.api_key.key!
      ;({ page } = await newPage(browser, server.url))
      await signIn(page)
      await page.goto(`/t/${tenant.id}/webhooks`)
      await page.getByText('No endpoints yet').waitFor()
      await expectAccessible(page, 'webhooks-empty')

      await page.getByRole('button', { name: 'Add your first endpoint' }).click()
      const form = page.getByRole('dialog', { name: 'Add an endpoint' })
      await form.getByLabel('URL').fill('ftp://nope')
      await form.getByRole('button', { name: 'Add endpoint' }).click()
      await expect.poll(() => form.getByRole('alert').textContent()).toBeTruthy()
      expect(await form.getByLabel('URL').getAttribute('aria-invalid')).toBe('true')
      await form.getByLabel('URL').fill(receiver.url)
      await form.getByLabel('Event types').fill('order.paid')
      await form.getByLabel('Description').fill('Billing')
      await form.getByRole('button', { name: 'Add endpoint' }).click()
      const secret = page.getByRole('dialog', { name: 'Endpoint created' })
      expect((await secret.getByLabel('Signing secret').textContent())!.trim()).toMatch(/^whsec_/)
      await secret.getByRole('button', { name: 'Done' }).click()

      const log = page.getByRole('region', { name: 'Delivery log' })
      await api.send(key, { event_type: 'order.paid', metadata: { amount: 42 } })
      await log.locator('[data-testid="delivery"][data-status="succeeded"]').waitFor({ timeout: 10_000 })
      await expect.poll(() => page!.getByTestId('endpoint-health').textContent(), { timeout: 10_000 }).toBe('Healthy')
      await expectAccessible(page, 'webhooks-log')

      // The receiver fails: the log shows the attempts piling up, each with its HTTP status.
      receiver.fail(true)
      await api.send(key, { event_type: 'order.paid', metadata: { amount: 7 } })
      const failing = log.locator('[data-testid="delivery"]').first()
      await expect.poll(() => failing.getAttribute('data-attempts'), { timeout: 10_000 }).toMatch(/^[2-9]/)
      expect(['failed', 'dead']).toContain(await failing.getAttribute('data-status'))
      await failing.getByRole('button', { name: /Show attempts/ }).click()
      await expect.poll(() => failing.getByTestId('attempt').first().textContent()).toContain('500')
      expect(await failing.getByTestId('attempt').first().textContent()).toContain('receiver down for maintenance')
      // Each attempt opens to the request it sent: the body in full, the signature masked.
      const request = failing.getByTestId('attempt-request').first()
      await request.getByText('Request sent').click()
      await expect.poll(() => request.getByLabel('Request body of attempt 1').textContent()).toContain('"amount": 7')
      const headers = await request.getByRole('table', { name: 'Request headers of attempt 1' }).textContent()
      expect(headers).toContain('webhook-signaturev1,<redacted>')
      expect(headers).toContain('content-typeapplication/json')
      await page.getByRole('button', { name: 'Retrying' }).click()
      await expect.poll(() => new URL(page!.url()).searchParams.get('status')).toBe('failed')
      await page.getByRole('button', { name: 'All', exact: true }).click()

      // Back up: "Retry now" delivers it.
      receiver.fail(false)
      await failing.getByRole('button', { name: 'Retry now' }).click()
      await expect.poll(() => failing.getAttribute('data-status'), { timeout: 10_000 }).toBe('succeeded')

      // The test event goes through the same log.
      await page.getByRole('button', { name: 'Send test event' }).click()
      await log.locator('[data-testid="delivery"]', { hasText: 'webhook.test' }).first().waitFor()
    } finally {
      await receiver.close()
    }
  })
})

describe('tenant settings', () => {
  it('shows validation next to the field, and a lower rate limit turns sends into 429 toasts', async () => {
    const tenant = await api.createTenant('limits-co')
    ;({ page } = await newPage(browser, server.url))
    await signIn(page)
    await page.goto(`/t/${tenant.id}/settings`)
    const burst = page.getByLabel('Burst')
    await burst.waitFor()
    await expectAccessible(page, 'settings')
    await burst.fill('0')
    await page.getByRole('button', { name: 'Save changes' }).click()
    await expect.poll(() => burst.getAttribute('aria-invalid')).toBe('true')
    const describedBy = (await burst.getAttribute('aria-describedby'))!
    expect(await page.locator(`[id="${describedBy.split(' ').pop()}"]`).textContent()).toContain('burst must be between')

    await page.getByLabel('Sustained rate (per second)').fill('1')
    await burst.fill('1')
    await page.getByRole('button', { name: 'Save changes' }).click()
    await expect.poll(() => toasts(page!).allTextContents()).toContainEqual(expect.stringContaining('Saved limits-co'))

    await page.getByRole('link', { name: 'Live' }).first().click()
    const send = page.getByRole('button', { name: 'Send test event' })
    for (let i = 0; i < 4; i++) {
      await send.click()
      await page.waitForTimeout(50)
    }
    await expect.poll(() => toasts(page!).allTextContents()).toContainEqual(expect.stringContaining('Rate limited'))
  })
})
