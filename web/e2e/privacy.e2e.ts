// Privacy (#19) in the dashboard, against the real server: rules written in the editor are tried
// live on a stored event (the server's preview, refusals named on their rule), saved, and the next
// event is stored redacted (the API and the explorer's detail panel show only the redacted
// value); a subject's events counted by a dry run (with the webhook endpoint that received them),
// deleted after a confirmation, then suppressed and lifted; a read-only key sees the policy and
// the preview but cannot change anything, and is told deletions need the manage scope.
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { CreatedTenant } from '../src/api/types'
import { Api } from './support/api'
import { expectAccessible, failureScreenshot, launchBrowser, newPage, signIn, toasts } from './support/browser'
import { startReceiver, WEBHOOK_ENV } from './support/receiver'
import { ADMIN_TOKEN, startServer, type TestServer } from './support/server'

let server: TestServer
let browser: Browser
let api: Api
let page: Page | undefined

beforeAll(async () => {
  server = await startServer({ name: 'privacy', env: WEBHOOK_ENV })
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

  it('counts a subject with a dry run, deletes their events after a confirmation, and suppresses them', async () => {
    const receiver = await startReceiver()
    try {
      const tenant = await api.createTenant('privacy-delete')
      const key = tenant.api_key.key!
      await api.createWebhook(tenant.id, { url: receiver.url, description: 'CRM' })
      for (const n of [1, 2, 3]) await api.send(key, { event_type: 'page_view', metadata: { user_id: 'u-42', n } })
      for (const n of [1, 2]) await api.send(key, { event_type: 'page_view', metadata: { user_id: 'u-7', n } })
      // The endpoint has received them before the deletion, so it is listed.
      await expect.poll(() => receiver.received.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(5)

      page = await openPrivacy(tenant)
      await page.getByRole('tab', { name: 'Deletion' }).click()
      await page.waitForURL(/tab=deletion/)
      const form = page.getByTestId('deletion-form')
      expect(await form.getByRole('button', { name: 'Dry run' }).isDisabled()).toBe(true)
      // A key the server refuses: the message shows under its row.
      await form.getByLabel('Key 1').fill('user..id')
      await form.getByLabel('Value 1').fill('u-42')
      await form.getByRole('button', { name: 'Dry run' }).click()
      await expect.poll(() => form.getByRole('alert').first().textContent()).toContain('meta.<key>')
      expect(await form.getByLabel('Key 1').getAttribute('aria-invalid')).toBe('true')

      await form.getByLabel('Key 1').fill('user_id')
      await form.getByRole('button', { name: 'Dry run' }).click()
      const job = page.getByTestId('deletion-job')
      await expect.poll(() => job.getAttribute('data-state'), { timeout: 10_000 }).toBe('done')
      expect(await job.getByRole('heading').first().textContent()).toBe('Dry run')
      expect(await job.getByTestId('job-matched').textContent()).toBe('3')
      await expect.poll(() => job.getByTestId('delivered-to').textContent()).toContain(receiver.url)
      expect(await job.getByTestId('delivered-to').textContent()).toContain('3 events')
      expect((await api.listEvents(key)).length).toBe(5)
      await expectAccessible(page, 'privacy-deletion')

      // The real thing, behind a confirmation that repeats the dry run's counts.
      await form.getByRole('button', { name: 'Delete events…' }).click()
      const dialog = page.getByRole('dialog', { name: 'Delete these events?' })
      expect(await dialog.getByTestId('confirm-spec').textContent()).toBe('meta.user_id=u-42')
      expect(await dialog.getByTestId('confirm-dry-run').textContent()).toContain('matched 3 events')
      expect(await dialog.getByTestId('confirm-dry-run').textContent()).toContain(receiver.url)
      await page.keyboard.press('Escape')
      expect(await dialog.isVisible()).toBe(false)
      await form.getByRole('button', { name: 'Delete events…' }).click()
      await dialog.getByRole('button', { name: 'Delete events' }).click()
      await expect.poll(() => toasts(page!).allTextContents()).toContainEqual(expect.stringContaining('Deletion started'))
      await expect.poll(() => job.getByRole('heading').first().textContent()).toBe('Deletion')
      await expect.poll(() => job.getAttribute('data-state'), { timeout: 15_000 }).toBe('done')
      expect(await job.getByTestId('job-deleted').textContent()).toBe('3')
      expect(await job.getByRole('progressbar').getAttribute('aria-valuenow')).toBe('100')
      const left = await api.listEvents(key)
      expect(left.map((e) => e.metadata.user_id)).toEqual(['u-7', 'u-7'])
      // Both jobs in the list, newest first.
      await expect.poll(() => page!.getByTestId('deletion-row').count()).toBe(2)
      expect(await page.getByTestId('deletion-row').first().textContent()).toContain('Deletion')

      // Their future events: suppressed from the job, counted, then lifted.
      await job.getByRole('button', { name: 'Suppress future events of meta.user_id=u-42' }).click()
      await expect.poll(() => toasts(page!).allTextContents()).toContainEqual(expect.stringContaining('Subject suppressed'))
      expect(await api.sendRaw(key, { event_type: 'page_view', metadata: { user_id: 'u-42', n: 4 } })).toMatchObject({ status: 202 })
      expect((await api.listEvents(key)).length).toBe(2)
      await page.getByRole('tab', { name: 'Suppression' }).click()
      const row = page.locator('[data-testid="suppression"][data-subject="meta.user_id=u-42"]')
      await expect.poll(() => row.getByTestId('suppression-dropped').textContent()).toBe('1')
      expect(await row.textContent()).toContain('deletion ')
      await expectAccessible(page, 'privacy-suppression')
      await row.getByRole('button', { name: 'Lift the suppression of meta.user_id=u-42' }).click()
      await page.getByRole('dialog', { name: 'Lift this suppression?' }).getByRole('button', { name: 'Lift suppression' }).click()
      await expect.poll(() => row.count()).toBe(0)
      await api.send(key, { event_type: 'page_view', metadata: { user_id: 'u-42', n: 5 } })
      expect((await api.listEvents(key)).length).toBe(3)
    } finally {
      await receiver.close()
    }
  })

  it('suppresses a subject from the form, and says when it already was', async () => {
    const tenant = await api.createTenant('privacy-suppress')
    const key = tenant.api_key.key!
    page = await openPrivacy(tenant)
    await page.getByRole('tab', { name: 'Redaction', selected: true }).focus()
    // Arrow keys move between the tabs.
    await page.keyboard.press('ArrowLeft')
    await page.waitForURL(/tab=suppression/)
    const form = page.getByTestId('suppression-form')
    await form.getByLabel('Key 1').fill('device')
    await form.getByLabel('Value 1').fill('d-9')
    await form.getByRole('button', { name: 'Add a pair' }).click()
    await form.getByLabel('Key 2').fill('meta.device')
    await form.getByLabel('Value 2').fill('d-10')
    // The same key twice cannot match anything: said before sending.
    await expect.poll(() => form.getByRole('alert').textContent()).toContain('given twice')
    expect(await form.getByRole('button', { name: 'Suppress' }).isDisabled()).toBe(true)
    await form.getByRole('button', { name: 'Remove pair 2' }).click()
    await form.getByLabel('Reason (optional)').fill('GDPR request #77')
    await form.getByRole('button', { name: 'Suppress' }).click()
    await expect.poll(() => toasts(page!).allTextContents()).toContainEqual(expect.stringContaining('Subject suppressed'))
    const row = page.locator('[data-testid="suppression"][data-subject="meta.device=d-9"]')
    await row.waitFor()
    expect(await row.textContent()).toContain('GDPR request #77')
    expect(await row.getByTestId('suppression-dropped').textContent()).toBe('0')
    await form.getByLabel('Key 1').fill('device')
    await form.getByLabel('Value 1').fill('d-9')
    await form.getByRole('button', { name: 'Suppress' }).click()
    await expect.poll(() => toasts(page!).allTextContents()).toContainEqual(expect.stringContaining('Already suppressed'))
    expect(await page.getByTestId('suppression').count()).toBe(1)
    expect(await api.sendRaw(key, { event_type: 'scan', metadata: { device: 'd-9' } })).toMatchObject({ status: 202 })
    await page.reload()
    await expect.poll(() => row.getByTestId('suppression-dropped').textContent()).toBe('1')
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
    // Deletions and suppressions name people: not even their lists without manage.
    await page.getByRole('tab', { name: 'Deletion' }).click()
    await page.getByText('Deleting events needs the manage scope').waitFor()
    await page.getByRole('tab', { name: 'Suppression' }).click()
    await page.getByText('Suppressing subjects needs the manage scope').waitFor()
  })
})
