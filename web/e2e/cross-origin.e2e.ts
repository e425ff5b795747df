// The dashboard on a static host of its own, the server elsewhere: web/dist served from a second
// origin with a config.json naming the server. Against a server that allows that origin it signs
// in, streams live events and searches; from an origin the server does not allow, or with the
// server gone, the sign-in screen says which in plain words.
import { createServer } from 'node:net'
import { join } from 'node:path'
import type { Browser, Page } from 'playwright-core'
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest'
import { Api } from './support/api'
import { expectAccessible, failureScreenshot, launchBrowser, newPage, signIn } from './support/browser'
import { ARTIFACTS_DIR } from './support/paths'
import { ADMIN_TOKEN, startServer, type TestServer } from './support/server'
import { startStaticHost, type StaticHost } from './support/static-host'

let server: TestServer
let browser: Browser
let api: Api
let page: Page | undefined
/** Listed in the server's http.cors_origins. */
let allowed: StaticHost
/** Another origin pointing at the same server, not listed. */
let refused: StaticHost
/** Pointing at a port nothing listens on. */
let nowhere: StaticHost
let deadUrl: string

/** A port that was free a moment ago (nothing listens on it once this returns). */
async function closedPort(): Promise<number> {
  const probe = createServer()
  await new Promise<void>((done) => probe.listen(0, '127.0.0.1', done))
  const { port } = probe.address() as { port: number }
  await new Promise<void>((done) => probe.close(() => done()))
  return port
}

beforeAll(async () => {
  ;[allowed, refused, nowhere] = await Promise.all([startStaticHost('allowed'), startStaticHost('refused'), startStaticHost('nowhere')])
  server = await startServer({ name: 'cross-origin', env: { TRIBUTARY_HTTP__CORS_ORIGINS: JSON.stringify([allowed.url]) } })
  api = new Api(server.url)
  allowed.setConfig({ apiUrl: server.url })
  refused.setConfig({ apiUrl: `${server.url}/` })
  deadUrl = `http://127.0.0.1:${await closedPort()}`
  nowhere.setConfig({ apiUrl: deadUrl })
  browser = await launchBrowser()
})
afterAll(async () => {
  await browser?.close()
  await server?.stop()
  await Promise.all([allowed, refused, nowhere].map((host) => host?.stop()))
})
afterEach(async (ctx) => {
  if (ctx.task.result?.state === 'fail') await failureScreenshot(page, `cross-origin-${ctx.task.name.replace(/\W+/g, '-')}`)
  await page?.context().close()
  page = undefined
})

async function submitSignIn(p: Page) {
  await p.goto('/sign-in')
  await p.getByLabel('Admin token or API key').fill(ADMIN_TOKEN)
  await p.getByRole('button', { name: 'Sign in' }).click()
  return p.getByRole('alert')
}

describe('dashboard on another origin', () => {
  it('signs in, shows live events and finds them by search against a server that allows its origin', async () => {
    const tenant = await api.createTenant('cross-origin')
    ;({ page } = await newPage(browser, allowed.url))
    const requests: string[] = []
    const sockets: string[] = []
    page.on('request', (request) => requests.push(request.url()))
    page.on('websocket', (socket) => sockets.push(socket.url()))

    await signIn(page)
    await page.goto(`/t/${tenant.id}/live`)
    await page.locator('[data-testid="connection-status"][data-status="live"]').waitFor({ timeout: 10_000 })
    expect(sockets.length).toBeGreaterThan(0)
    for (const socket of sockets) expect(socket.startsWith(`ws://127.0.0.1:${server.port}/api/v1/ws?`), socket).toBe(true)

    const key = tenant.api_key.key!
    const ids = [
      await api.send(key, { event_type: 'error', metadata: { message: 'card declined by issuer' } }),
      await api.send(key, { event_type: 'signup', metadata: { plan: 'pro' } }),
    ]
    const live = page.getByRole('feed', { name: 'Events' })
    for (const id of ids) await live.locator(`article[data-event-id="${id}"]`).waitFor({ timeout: 2_000 })

    await page.goto(`/t/${tenant.id}/search?q=${encodeURIComponent('"card declined"')}`)
    const hits = page.getByTestId('search-hit')
    await expect.poll(() => hits.count()).toBe(1)
    expect(await hits.first().getByTestId('snippet').textContent()).toBe('card declined by issuer')

    // Every API call went to the server, none to the static host.
    const apiCalls = requests.filter((url) => new URL(url).pathname.startsWith('/api/'))
    expect(apiCalls.length).toBeGreaterThan(0)
    expect(apiCalls.filter((url) => !url.startsWith(`${server.url}/api/`))).toEqual([])
  })

  it('says in plain words that the server does not allow this origin, and how to allow it', async () => {
    ;({ page } = await newPage(browser, refused.url))
    const alert = await submitSignIn(page)
    await expect.poll(() => alert.textContent()).toContain(`The server at ${server.url} does not allow this origin (${refused.url})`)
    expect(await alert.textContent()).toContain(`Add ${refused.url} to http.cors_origins`)
    expect(new URL(page.url()).pathname).toBe('/sign-in')
    await expectAccessible(page, 'cross-origin-refused')
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'cross-origin-refused-1440.png') })
    await page.setViewportSize({ width: 390, height: 844 })
    await page.screenshot({ path: join(ARTIFACTS_DIR, 'cross-origin-refused-390.png') })
  })

  it('names the server it cannot reach when nothing answers there', async () => {
    ;({ page } = await newPage(browser, nowhere.url))
    const alert = await submitSignIn(page)
    await expect.poll(() => alert.textContent()).toContain(`Cannot reach the server at ${deadUrl}`)
    expect(await alert.textContent()).not.toContain('cors_origins')
  })
})
