// Privacy (#19) in the dashboard, against the real server: rules written in the editor are tried
// live on a stored event (the server's preview, refusals named on their rule), saved, and the next
// event is stored redacted (the API and the explorer's detail panel show only the redacted
// value); a read-only key sees the policy and the preview but cannot change anything.
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { CreatedTenant } from '../src/api/types'
import { Api } from './support/api'
import { expectAccessible, failureScreenshot, launchBrowser, newPage, signIn, toasts } from './support/browser'
import { ADMIN_TOKEN, startServer, type TestServer } from './support/server'

let server: TestServer
let browser: Browser
let api: Api
let page: Page | undefined

beforeAll(async () => {
  server = await startServer({ name: 'privacy' })
  api = new Api(server.url)
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await server?.stop()
})
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await failureScreenshot(page, `privacy-${ctx.task.name.replace(/\W+/g, '-')}`)
  await page?.context().close()
  page = undefined
})

const PERSONAL = { email: 'ann@example.com', plan: 'pro', context: { ip: '203.0.113.7', page: '/checkout' }, note: 'paid with 4242 4242 4242 4242' }

async function openPrivacy(tenant: CreatedTenant, credential?: string): Promise<Page> {
  const opened = await newPage(browser, server.url)
  await signIn(opened.page, credential)
  await opened.page.goto(`/t/${tenant.id}/privacy`)
  await opened.page.getByRole('heading', { name: 'Privacy', level: 1 }).waitFor()
  return opened.page
}

const beforePane = (p: Page) => p.getByLabel(/Metadata before redaction/)
const afterPane = (p: Page) => p.getByLabel(/Metadata after redaction/)

describe('privacy', () => {
  it('previews rules live on a stored event, saves them, and the next event is stored redacted', async () => {
    const tenant = await api.createTenant('privacy-co')
    const key = tenant.api_key.key!
    await api.send(key, { event_type: 'signup', metadata: PERSONAL })

    page = await openPrivacy(tenant)
    expect(await page.title()).toBe('Privacy · privacy-co — Tributary')
    expect(await page.getByTestId('policy-status').textContent()).toBe('Never saved: events are stored as sent')
    // The newest event is tried first, as it was stored.
    await expect.poll(() => beforePane(page!).textContent()).toContain('ann@example.com')
    await expect.poll(() => page!.getByTestId('preview-summary').textContent()).toContain('Nothing changed')

    // A path the server refuses: the preview names the rule, and so does saving.
    await page.getByRole('button', { name: 'Add rule' }).click()
    const first = page.getByLabel('Rule 1 path')
    await first.fill('a..b')
    await expect.poll(() => page!.getByTestId('preview-refusal').textContent()).toMatch(/Rule 1: .*empty key/)
    await page.getByRole('button', { name: 'Save policy' }).click()
    await expect.poll(() => page!.getByTestId('rule-error').textContent()).toContain('empty key')
    expect(await first.getAttribute('aria-invalid')).toBe('true')

    // Valid rules: the preview follows each change.
    await first.fill('email')
    await expect.poll(() => afterPane(page!).textContent()).toContain('"a***@example.com"')
    expect(await page.getByTestId('preview-refusal').count()).toBe(0)
    expect(await beforePane(page).locator('mark[data-mark="changed"]').getAttribute('data-path')).toBe('/email')
    await page.getByRole('button', { name: 'Add rule' }).click()
    await page.getByLabel('Rule 2 path').fill('context.ip')
    await page.getByLabel('Rule 2 action').selectOption('drop')
    await expect.poll(() => beforePane(page!).locator('mark[data-mark="removed"]').getAttribute('data-path')).toBe('/context/ip')
    expect(await afterPane(page).textContent()).not.toContain('203.0.113.7')
    await page.getByRole('switch', { name: 'Card numbers' }).check()
    await expect.poll(() => afterPane(page!).textContent()).toContain('**** **** **** 4242')
    await expect.poll(() => page!.getByTestId('preview-summary').textContent()).toBe('2 values changed · 1 key removed')
    await expectAccessible(page, 'privacy-editor')

    await page.getByRole('button', { name: 'Save policy' }).click()
    await expect.poll(() => toasts(page!).allTextContents()).toContainEqual(expect.stringContaining('Privacy policy saved'))
    await expect.poll(() => page!.getByTestId('policy-status').textContent()).toBe('Saved just now')
    expect(await page.getByRole('button', { name: 'Save policy' }).isDisabled()).toBe(true)

    // What the server stores from now on.
    const id = await api.send(key, { event_type: 'signup', metadata: PERSONAL })
    const [stored] = await api.listEvents(key, `&event_type=signup`)
    expect(stored!.id).toBe(id)
    expect(stored!.metadata).toEqual({ email: 'a***@example.com', plan: 'pro', context: { page: '/checkout' }, note: 'paid with **** **** **** 4242' })

    // And what the explorer's detail panel shows of it.
    await page.goto(`/t/${tenant.id}/events?event=${id}`)
    const table = page.getByRole('complementary', { name: 'Event details' }).getByTestId('property-table')
    await expect.poll(() => table.textContent()).toContain('a***@example.com')
    const shown = (await table.textContent())!
    expect(shown).not.toContain('ann@example.com')
    expect(shown).not.toContain('203.0.113.7')
    expect(shown).not.toContain('4242 4242 4242 4242')

    // The saved policy is what the page opens with; the new event, stored redacted, says so.
    await page.goto(`/t/${tenant.id}/privacy`)
    expect(await page.getByLabel('Rule 1 path').inputValue()).toBe('email')
    expect(await page.getByLabel('Rule 2 action').inputValue()).toBe('drop')
    expect(await page.getByRole('switch', { name: 'Card numbers' }).isChecked()).toBe(true)
    await expect.poll(() => page!.getByTestId('redaction-preview').textContent()).toContain('stored under the saved policy')

    // Reordering and removing rules, by keyboard.
    await page.getByRole('button', { name: 'Move rule 2 up' }).click()
    expect(await page.getByLabel('Rule 1 path').inputValue()).toBe('context.ip')
    await page.getByRole('button', { name: 'Remove rule 2' }).click()
    expect(await page.getByTestId('rule').count()).toBe(1)
    await page.getByRole('button', { name: 'Discard changes' }).click()
    expect(await page.getByTestId('rule').count()).toBe(2)
    expect(await page.getByLabel('Rule 1 path').inputValue()).toBe('email')

    // A copy of the stored event, with its original values put back, shows what the policy does to them.
    await page.getByRole('button', { name: 'Edit a copy' }).click()
    const sample = page.getByLabel('Sample metadata (JSON)')
    expect(await sample.inputValue()).toContain('a***@example.com')
    await sample.fill(JSON.stringify(PERSONAL))
    await expect.poll(() => afterPane(page!).textContent()).toContain('"a***@example.com"')
    expect(page.url()).toContain('preview=sample')
  })

  it('tries the rules on an editable sample when the tenant has no events yet', async () => {
    const tenant = await api.createTenant('privacy-sample')
    page = await openPrivacy(tenant)
    // No events yet: the sample is offered.
    const sample = page.getByLabel('Sample metadata (JSON)')
    await sample.waitFor()
    await page.getByRole('switch', { name: 'E-mail addresses' }).check()
    await expect.poll(() => afterPane(page!).textContent()).toContain('a***@example.com')
    await sample.fill('{"contact": "write to bob@example.org", "iban": "DE89 3704 0044 0532 0130 00"}')
    await expect.poll(() => afterPane(page!).textContent()).toContain('write to b***@example.org')
    await page.getByRole('switch', { name: 'IBANs' }).check()
    await page.getByLabel('IBANs: action').selectOption('drop')
    await expect.poll(() => afterPane(page!).textContent()).toContain('"iban": "[redacted]"')
    await sample.fill('[1, 2')
    await expect.poll(() => page!.getByRole('alert').allTextContents()).toContainEqual(expect.stringMatching(/Line 1/))
  })

  it('lets a read-only key see the policy and the preview but change nothing', async () => {
    const tenant = await api.createTenant('privacy-readonly')
    const key = tenant.api_key.key!
    const response = await fetch(`${server.url}/api/v1/privacy?tenant_id=${tenant.id}`, {
      method: 'PUT',
      headers: { 'X-API-Key': ADMIN_TOKEN, 'Content-Type': 'application/json' },
      body: JSON.stringify({ rules: [{ path: 'email', action: 'hash' }], detectors: [] }),
    })
    expect(response.status).toBe(200)
    await api.send(key, { event_type: 'signup', metadata: { email: 'ann@example.com' } })
    const reader = await api.createKey(tenant.id, 'reader', ['read'])
    page = await openPrivacy(tenant, reader)
    await page.getByTestId('read-only').waitFor()
    expect(await page.getByLabel('Rule 1 path').getAttribute('readonly')).not.toBeNull()
    expect(await page.getByRole('button', { name: 'Save policy' }).count()).toBe(0)
    expect(await page.getByRole('button', { name: 'Add rule' }).count()).toBe(0)
    expect(await page.getByRole('switch', { name: 'Card numbers' }).isDisabled()).toBe(true)
    // The stored event holds the hash already; the preview runs for a reader too.
    await expect.poll(() => afterPane(page!).textContent()).toMatch(/"email": "[0-9a-f]{64}"/)
    await expectAccessible(page, 'privacy-read-only')
  })
})
