// The audit log (#19) in the dashboard, against the real server: changes made through the API by
// the admin and by a manage key show up newest first with who, what, on what and from where; a
// row opens to its before and after with the changed value marked; the action and actor filters
// live in the URL; "Load more" follows the cursor; another tenant's changes never show; a key
// without manage is told it needs it.
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { CreatedTenant } from '../src/api/types'
import { Api } from './support/api'
import { expectAccessible, failureScreenshot, launchBrowser, newPage, signIn } from './support/browser'
import { startReceiver, WEBHOOK_ENV } from './support/receiver'
import { ADMIN_TOKEN, startServer, type TestServer } from './support/server'

let server: TestServer
let browser: Browser
let api: Api
let page: Page | undefined

beforeAll(async () => {
  server = await startServer({ name: 'audit', env: WEBHOOK_ENV })
  api = new Api(server.url)
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await server?.stop()
})
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await failureScreenshot(page, `audit-${ctx.task.name.replace(/\W+/g, '-')}`)
  await page?.context().close()
  page = undefined
})

async function call(method: string, path: string, body: unknown, key = ADMIN_TOKEN): Promise<{ id?: string }> {
  const response = await fetch(`${server.url}${path}`, { method, headers: { 'X-API-Key': key, 'Content-Type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${await response.text()}`)
  const text = await response.text()
  return text ? (JSON.parse(text) as { id?: string }) : {}
}

async function openAudit(tenant: CreatedTenant, query = '', credential?: string): Promise<Page> {
  const opened = await newPage(browser, server.url)
  await signIn(opened.page, credential)
  await opened.page.goto(`/t/${tenant.id}/audit${query}`)
  await opened.page.getByRole('heading', { name: 'Audit log', level: 1 }).waitFor()
  return opened.page
}

const rows = (p: Page) => p.getByTestId('audit-entry')

describe('audit log', () => {
  it('lists changes newest first with who and what, opens one to its before and after, and filters by action and actor', async () => {
    const receiver = await startReceiver()
    try {
      const tenant = await api.createTenant('audit-co')
      const other = await api.createTenant('audit-other')
      const hook = await api.createWebhook(tenant.id, { url: receiver.url, description: 'CRM' })
      await call('PATCH', `/api/v1/webhooks/${hook}?tenant_id=${tenant.id}`, { description: 'CRM sync' })
      const manager = await api.createKey(tenant.id, 'ops-laptop', ['manage', 'read'])
      await call('PUT', '/api/v1/privacy', { rules: [{ path: 'email', action: 'mask' }], detectors: [] }, manager)
      // Another tenant's change: never in this tenant's log.
      await api.createWebhook(other.id, { url: receiver.url, description: 'Elsewhere' })

      page = await openAudit(tenant)
      expect(await page.title()).toBe('Audit log · audit-co — Tributary')
      await expect.poll(() => rows(page!).count()).toBeGreaterThanOrEqual(4)
      const actions = await rows(page).evaluateAll((els) => els.map((el) => el.getAttribute('data-action')))
      expect(actions.slice(0, 4)).toEqual(['privacy.update', 'key.create', 'webhook.update', 'webhook.create'])
      expect(await page.getByTestId('audit-table').textContent()).not.toContain('Elsewhere')
      // The manage key by its name, the admin as such.
      expect(await rows(page).first().getByTestId('audit-actor').textContent()).toContain('ops-laptop')
      expect(await rows(page).nth(2).getByTestId('audit-actor').textContent()).toContain('Admin')
      expect(await rows(page).first().textContent()).toContain('Redaction policy saved')

      // Before and after of the webhook edit, the changed value marked; secrets never shown.
      await rows(page).nth(2).getByRole('button', { name: /Show the details of Endpoint updated/ }).click()
      const details = page.getByTestId('audit-details')
      await details.waitFor()
      expect(await details.textContent()).toContain('PATCH /api/v1/webhooks/{id}')
      const changed = await details.getByLabel(/State before the change/).locator('mark[data-mark="changed"]').evaluateAll((els) => els.map((el) => el.getAttribute('data-path')))
      expect(changed).toContain('/description')
      expect(changed).not.toContain('/url')
      expect(await details.getByLabel(/State after the change/).textContent()).toContain('"CRM sync"')
      expect(await details.textContent()).not.toMatch(/whsec_/)
      await expectAccessible(page, 'audit-open')

      // Filters, in the URL.
      await page.getByTestId('audit-action-filter').selectOption('webhook.update')
      await page.waitForURL(/action=webhook.update/)
      await expect.poll(() => rows(page!).count()).toBe(1)
      await page.getByTestId('audit-action-filter').selectOption('')
      await page.getByTestId('audit-actor-filter').selectOption({ label: (await page.getByTestId('audit-actor-filter').locator('option', { hasText: 'ops-laptop' }).textContent())! })
      await page.waitForURL(/actor=/)
      await expect.poll(() => rows(page!).evaluateAll((els) => els.map((el) => el.getAttribute('data-action')))).toEqual(['privacy.update'])
      await page.getByTestId('audit-actor-filter').selectOption('admin')
      await expect.poll(() => rows(page!).count()).toBeGreaterThanOrEqual(3)
      await page.reload()
      expect(await page.getByTestId('audit-actor-filter').inputValue()).toBe('admin')
    } finally {
      await receiver.close()
    }
  })

  it('loads older entries with the cursor', async () => {
    const tenant = await api.createTenant('audit-many')
    const hook = await api.createWebhook(tenant.id, { url: 'https://hooks.example.com/in', description: 'v0' })
    for (let i = 1; i <= 55; i++) await call('PATCH', `/api/v1/webhooks/${hook}?tenant_id=${tenant.id}`, { description: `v${i}` })
    page = await openAudit(tenant)
    await expect.poll(() => rows(page!).count()).toBe(50)
    expect(await page.getByTestId('audit-count').textContent()).toBe('50 changes shown')
    await page.getByRole('button', { name: 'Load more' }).click()
    // 55 edits, the endpoint's creation and the tenant's own.
    await expect.poll(() => rows(page!).count()).toBe(57)
    expect(await rows(page).last().getAttribute('data-action')).toBe('tenant.create')
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0)
  })

  it('tells a key without manage that the audit log needs it', async () => {
    const tenant = await api.createTenant('audit-reader')
    const reader = await api.createKey(tenant.id, 'reader', ['read'])
    page = await openAudit(tenant, '', reader)
    await page.getByText('The audit log needs the manage scope').waitFor()
  })
})
