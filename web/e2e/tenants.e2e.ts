// Tenant selector and tenant creation (the key shown once, with a copy button).
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
  server = await startServer({ name: 'tenants' })
  api = new Api(server.url)
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await server?.stop()
})
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await failureScreenshot(page, `tenants-${ctx.task.name.replace(/\W+/g, '-')}`)
  await page?.context().close()
  page = undefined
})

describe('tenants', () => {
  it('creates a tenant from the dashboard and shows its key once, ready to copy', async () => {
    ;({ page } = await newPage(browser, server.url))
    await signIn(page)
    await page.waitForURL(/\/tenants/)
    await expect.poll(() => page!.getByText('No tenants yet').count()).toBe(1)
    await expectAccessible(page, 'tenants-empty')
    await page.getByRole('button', { name: 'Create your first tenant' }).click()
    const dialog = page.getByRole('dialog', { name: 'Create a tenant' })
    await dialog.getByLabel('Name').fill('acme-prod')
    await dialog.getByRole('button', { name: 'Create tenant' }).click()

    const created = page.getByRole('dialog', { name: /Tenant “acme-prod” created/ })
    await created.waitFor()
    const key = (await created.getByLabel('New API key').textContent())!.trim()
    expect(key).toMatch(/^trb_/)
    await expectAccessible(page, 'create-tenant-key')
    await created.getByRole('button', { name: 'Copy key' }).click()
    await expect.poll(() => created.getByText('Copied').count()).toBe(1)
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(key)

    // The key is real: it gets a token for that tenant.
    const token = await api.token(key)
    expect(token.tenant_id).toBeTruthy()

    await created.getByRole('button', { name: 'Open its live feed' }).click()
    await page.waitForURL(new RegExp(`/t/${token.tenant_id}/live`))
    await expect.poll(() => page!.getByTestId('current-tenant').textContent()).toBe('acme-prod')
    // Shown once: the tenants page lists only its prefix.
    await page.getByRole('link', { name: 'Tenants' }).first().click()
    await expect.poll(() => page!.locator('tr[data-tenant-name="acme-prod"]').textContent()).toContain(key.slice(0, 8))
    expect(await page.locator('body').textContent()).not.toContain(key)
    await expectAccessible(page, 'tenants-list')
  })

  it('switches tenants with a searchable selector, by keyboard', async () => {
    for (const name of ['alpha', 'bravo', 'charlie', 'delta', 'echo', 'foxtrot', 'golf']) await api.createTenant(name)
    ;({ page } = await newPage(browser, server.url))
    await signIn(page)
    await page.getByRole('button', { name: /change tenant/i }).click()
    const search = page.getByRole('combobox', { name: 'Search tenants' })
    await search.fill('fox')
    await expect.poll(() => page!.getByRole('option').allTextContents()).toEqual(['foxtrot'])
    await search.press('Enter')
    await page.waitForURL(/\/t\/[^/]+\/live/)
    await expect.poll(() => page!.getByTestId('current-tenant').textContent()).toBe('foxtrot')
    // The tenant is in the URL: a reload keeps it.
    await page.reload()
    await expect.poll(() => page!.getByTestId('current-tenant').textContent()).toBe('foxtrot')
  })
})
