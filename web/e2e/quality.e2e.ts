// Data contracts (#18) in the dashboard, against the real server: a warn schema created through
// the editor and a block schema through the API, violating events sent, then the Data quality
// view (type, schema, mode, rate, an example with the failing path marked), the editor's 422 and
// inferred draft, the Live banner, and the violations in the feed row and the detail panel; a
// read-only key sees the policy locked.
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import type { CreatedTenant } from '../src/api/types'
import { Api } from './support/api'
import { expectAccessible, failureScreenshot, launchBrowser, newPage, signIn, toasts } from './support/browser'
import { startServer, type TestServer } from './support/server'

let server: TestServer
let browser: Browser
let api: Api
let page: Page | undefined

beforeAll(async () => {
  server = await startServer({ name: 'quality' })
  api = new Api(server.url)
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await server?.stop()
})
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await failureScreenshot(page, `quality-${ctx.task.name.replace(/\W+/g, '-')}`)
  await page?.context().close()
  page = undefined
})

const SIGNUP_SCHEMA = {
  type: 'object',
  properties: { plan: { enum: ['free', 'pro'] }, user: { type: 'object', properties: { country: { type: 'string', minLength: 2, maxLength: 2 } } } },
  required: ['plan'],
}
const PAYMENT_SCHEMA = { type: 'object', properties: { amount: { type: 'integer', minimum: 1 } }, required: ['amount'] }

async function openQuality(tenant: CreatedTenant, query = '', credential?: string): Promise<Page> {
  const opened = await newPage(browser, server.url)
  await signIn(opened.page, credential)
  await opened.page.goto(`/t/${tenant.id}/quality${query}`)
  await opened.page.getByRole('heading', { name: 'Data quality', level: 1 }).waitFor()
  return opened.page
}

const row = (p: Page, type: string) => p.locator(`[data-testid="quality-row"][data-event-type="${type}"]`)

describe('data quality', () => {
  it('shows warn and block schemas at work: rates, marked examples, the editor, the Live banner and the detail panel', async () => {
    const tenant = await api.createTenant('quality-co')
    const key = tenant.api_key.key!
    await api.send(key, { event_type: 'page_view', metadata: { page: '/' } })
    await api.putSchema(tenant.id, 'payment', { mode: 'block', schema: PAYMENT_SCHEMA })

    page = await openQuality(tenant)
    expect(await page.title()).toBe('Data quality · quality-co — Tributary')
    // The warn schema, through the editor.
    await page.getByRole('button', { name: 'New schema' }).click()
    const editor = page.getByTestId('schema-editor')
    await editor.getByLabel('Event type or pattern').fill('signup')
    await editor.getByLabel('Mode').selectOption('warn')
    const text = editor.getByLabel(/JSON Schema for/)
    await text.fill('{"type": "object",')
    await expect.poll(() => editor.getByTestId('schema-parse-error').textContent()).toContain('Line 1, column 19')
    expect(await editor.getByRole('button', { name: 'Create schema' }).isDisabled()).toBe(true)
    await text.fill(JSON.stringify(SIGNUP_SCHEMA, null, 2))
    await editor.getByRole('button', { name: 'Create schema' }).click()
    await expect.poll(() => toasts(page!).allTextContents()).toContainEqual(expect.stringContaining('Schema for signup created'))
    await page.locator('[data-testid="schema-item"][data-pattern="signup"]').waitFor()

    // Violating events: a warn one is stored with its violations, a block one is refused.
    for (const plan of ['pro', 'free', 'pro']) await api.send(key, { event_type: 'signup', metadata: { plan, user: { country: 'DE' } } })
    const warned = await api.send(key, { event_type: 'signup', metadata: { plan: 'gold', user: { country: 'DE' } } })
    await api.send(key, { event_type: 'payment', metadata: { amount: 30 } })
    const refused = await api.sendRaw(key, { event_type: 'payment', metadata: { amount: 'ten' } })
    expect(refused.status).toBe(422)
    expect(refused.body).toMatchObject({ error: { code: 'schema_violation' } })

    // The view: every type, its schema, mode and rate; payment's refused event counted.
    await page.reload()
    await row(page, 'signup').waitFor()
    await expect.poll(() => row(page!, 'signup').getByTestId('quality-rate').textContent()).toBe('25%')
    expect(await row(page, 'signup').getByTestId('quality-schema').textContent()).toBe('signup')
    expect(await row(page, 'signup').getByTestId('quality-mode').textContent()).toBe('warn')
    expect(await row(page, 'payment').getByTestId('quality-mode').textContent()).toBe('block')
    expect(await row(page, 'payment').getByTestId('quality-blocked').textContent()).toBe('1 blocked')
    expect(await row(page, 'payment').getByTestId('quality-rate').textContent()).toBe('50%')
    expect(await row(page, 'page_view').getByTestId('quality-schema').textContent()).toBe('no schema')
    expect(await row(page, 'signup').getByTestId('sparkline').locator('rect').count()).toBeGreaterThan(0)
    await expectAccessible(page, 'quality')

    // A type's last examples, the failing path marked in the metadata, a link to the stored event.
    await row(page, 'signup').getByRole('button').click()
    await page.waitForURL(/type=signup/)
    const example = page.getByTestId('violation-example').first()
    await example.waitFor()
    expect(await example.locator('mark[data-violation-path="/plan"]').textContent()).toBe('"plan": "gold"')
    expect(await example.locator('mark').count()).toBe(1)
    expect(await example.getByRole('link', { name: 'Open the stored event' }).getAttribute('href')).toBe(`/t/${tenant.id}/events?event=${warned}`)
    await row(page, 'payment').getByRole('button').click()
    const refusedExample = page.getByTestId('violation-example').first()
    await refusedExample.locator('mark[data-violation-path="/amount"]').waitFor()
    expect(await refusedExample.textContent()).toContain('Refused, not stored')

    // The editor: the server's 422 next to it; an inferred draft is loaded, not saved.
    const typeEditor = page.getByTestId('schema-editor')
    await typeEditor.getByLabel(/JSON Schema for/).fill('{"type": "nope"}')
    await typeEditor.getByRole('button', { name: 'Save schema' }).click()
    await typeEditor.getByTestId('schema-server-error').waitFor()
    expect(await typeEditor.getByTestId('schema-server-error').textContent()).toMatch(/^The server refused this schema: .+/)
    await typeEditor.getByRole('button', { name: 'Start from inferred draft' }).click()
    await typeEditor.getByTestId('schema-draft-note').waitFor()
    const draft = JSON.parse(await typeEditor.getByLabel(/JSON Schema for/).inputValue()) as { properties?: Record<string, unknown> }
    expect(Object.keys(draft.properties ?? {})).toContain('amount')
    const stored = (await (await fetch(`${server.url}/api/v1/schemas/payment?tenant_id=${tenant.id}`, { headers: { 'X-API-Key': 'e2e-admin-token-0123456789abcdef' } })).json()) as { schema: unknown; version: number }
    expect(stored.schema).toEqual(PAYMENT_SCHEMA)

    // Live: the banner while block mode refuses events, with its way to this view.
    await page.goto(`/t/${tenant.id}/live`)
    const banner = page.getByTestId('blocked-banner')
    await banner.waitFor({ timeout: 10_000 })
    expect(await banner.textContent()).toContain('Block mode refused 1 event in the last 5 minutes (payment)')
    // The warned event's row carries the badge; its detail lists the violation and marks the property.
    const warnedRow = page.locator(`article[data-event-id="${warned}"]`)
    await warnedRow.waitFor()
    expect(await warnedRow.getByTestId('violation-badge').getAttribute('aria-label')).toBe('1 schema violation')
    await warnedRow.click()
    const panel = page.getByRole('complementary', { name: 'Event details' })
    const list = panel.getByTestId('violation-list')
    await list.waitFor()
    expect(await list.textContent()).toContain('/plan')
    expect(await panel.locator('tr[data-key="plan"]').getAttribute('data-violation')).toBe('true')
    expect(await panel.locator('tr[data-key="user.country"]').getAttribute('data-violation')).toBeNull()
    await expectAccessible(page, 'live-violations')
    await banner.getByRole('link', { name: 'Open Data quality' }).click()
    await page.waitForURL(/\/quality\?range=1h&type=payment/)
    await page.getByTestId('violation-example').first().waitFor()
  })

  it('changes the unplanned-type policy with manage, and shows it locked to a read-only key', async () => {
    const tenant = await api.createTenant('quality-policy')
    page = await openQuality(tenant)
    const policy = page.getByTestId('unplanned-policy')
    await policy.getByRole('radio', { name: /Allow/ }).waitFor()
    await expect.poll(() => policy.getByRole('radio', { name: /Allow/ }).isChecked()).toBe(true)
    await policy.locator('label', { hasText: 'Warn' }).click()
    await expect.poll(() => toasts(page!).allTextContents()).toContainEqual(expect.stringContaining('Unplanned event types: warn'))
    await api.send(tenant.api_key.key!, { event_type: 'sigunp', metadata: { plan: 'pro' } })
    await page.reload()
    await expect.poll(() => row(page!, 'sigunp').getByTestId('quality-schema').textContent(), { timeout: 10_000 }).toBe('unplanned')
    expect(await row(page, 'sigunp').getByTestId('quality-rate').textContent()).toBe('100%')
    await page.context().close()

    const reader = await api.createKey(tenant.id, 'reader', ['read'])
    page = await openQuality(tenant, '', reader)
    const locked = page.getByTestId('unplanned-policy')
    await expect.poll(() => locked.getByRole('radio', { name: /Warn/ }).isChecked()).toBe(true)
    expect(await locked.getByRole('radio', { name: /Block/ }).isDisabled()).toBe(true)
    expect(await locked.getByTestId('policy-message').textContent()).toContain('needs the manage scope')
  })
})
