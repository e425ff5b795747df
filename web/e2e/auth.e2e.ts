// Sign-in, sign-out, an expired session, and the theme.
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Api } from './support/api'
import { expectAccessible, failureScreenshot, launchBrowser, newPage, signIn, toasts } from './support/browser'
import { startServer, type TestServer } from './support/server'

let server: TestServer
let browser: Browser
let api: Api
let page: Page | undefined

beforeAll(async () => {
  server = await startServer({ name: 'auth' })
  api = new Api(server.url)
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await server?.stop()
})
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await failureScreenshot(page, `auth-${ctx.task.name.replace(/\W+/g, '-')}`)
  await page?.context().close()
  page = undefined
})

describe('signing in', () => {
  it('signs in with the admin token, lands on a view, and the sign-in page has no serious a11y issue', async () => {
    await api.createTenant('acme')
    ;({ page } = await newPage(browser, server.url))
    await page.goto('/')
    await page.waitForURL(/\/sign-in/)
    await expectAccessible(page, 'sign-in')
    await signIn(page)
    await page.waitForURL(/\/t\/[^/]+\/live/)
    await expect.poll(() => page!.getByTestId('current-tenant').textContent()).toBe('acme')
    await expect.poll(() => page!.getByText('Admin', { exact: true }).count()).toBe(1)
  })

  it('says so in plain words when the token is wrong', async () => {
    ;({ page } = await newPage(browser, server.url))
    await page.goto('/sign-in')
    await page.getByLabel('Admin token or API key').fill('not-a-real-token')
    await page.getByRole('button', { name: 'Sign in' }).click()
    await expect.poll(() => page!.getByRole('alert').textContent()).toContain('That token was not accepted')
    expect(page.url()).toContain('/sign-in')
  })

  it('signs in with a tenant key, sees only that tenant, and signs out', async () => {
    const tenant = await api.createTenant('own-only')
    ;({ page } = await newPage(browser, server.url))
    await signIn(page, tenant.api_key.key!)
    await page.waitForURL(new RegExp(`/t/${tenant.id}/live`))
    await page.getByRole('button', { name: /change tenant/i }).click()
    await expect.poll(() => page!.getByRole('option').allTextContents()).toEqual(['own-only'])
    await page.keyboard.press('Escape')
    await page.getByRole('button', { name: 'Sign out' }).click()
    await page.waitForURL(/\/sign-in/)
    // Signed out for real: the protected page sends us back.
    await page.goto(`/t/${tenant.id}/live`)
    await page.waitForURL(/\/sign-in/)
  })

  it('a revoked key ends the session with a toast that says so', async () => {
    const tenant = await api.createTenant('revoked')
    ;({ page } = await newPage(browser, server.url))
    await signIn(page, tenant.api_key.key!)
    await page.waitForURL(/\/live/)
    await api.revokeKey(tenant.id, tenant.api_key.id)
    // The next request (or the live stream's reconnect) is refused; moving to another view makes one.
    await page.getByRole('link', { name: 'Stats' }).first().click({ timeout: 1_000 }).catch(() => {})
    await page.waitForURL(/\/sign-in/, { timeout: 10_000 })
    await expect.poll(() => toasts(page!).allTextContents()).toContainEqual(expect.stringContaining('Your session expired — sign in again'))
  })

  it('keeps the chosen theme across a reload, and follows the system until then', async () => {
    ;({ page } = await newPage(browser, server.url, { colorScheme: 'dark' }))
    await signIn(page)
    const isDark = () => page!.evaluate(() => document.documentElement.classList.contains('dark'))
    await expect.poll(isDark).toBe(true)
    await page.getByRole('button', { name: 'Switch to light theme' }).click()
    await expect.poll(isDark).toBe(false)
    await page.reload()
    await page.waitForLoadState('domcontentloaded')
    expect(await isDark()).toBe(false)
    await page.getByRole('button', { name: 'Switch to dark theme' }).click()
    await page.reload()
    expect(await isDark()).toBe(true)
  })
})
