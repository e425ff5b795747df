// Debian's Chromium through playwright-core, plus the dashboard's common steps.
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { join } from 'node:path'
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core'
import { expect } from 'vitest'
import { ARTIFACTS_DIR, CHROMIUM } from './paths'
import { ADMIN_TOKEN } from './server'

const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync']

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, args: FLAGS })
}

export interface PageOptions {
  colorScheme?: 'light' | 'dark'
  viewport?: { width: number; height: number }
}

export async function newPage(browser: Browser, baseURL: string, options: PageOptions = {}): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({
    baseURL,
    viewport: options.viewport ?? { width: 1440, height: 900 },
    colorScheme: options.colorScheme ?? 'light',
    // Lets the test inject axe-core; the app itself runs under the server's CSP otherwise.
    bypassCSP: true,
    permissions: ['clipboard-read', 'clipboard-write'],
  })
  const page = await context.newPage()
  page.on('pageerror', (error) => console.error(`[page error] ${error.message}`))
  return { context, page }
}

export async function signIn(page: Page, credential: string = ADMIN_TOKEN): Promise<void> {
  await page.goto('/sign-in')
  await page.getByLabel('Admin token or API key').fill(credential)
  await page.getByRole('button', { name: 'Sign in' }).click()
  await page.waitForURL((url) => !url.pathname.startsWith('/sign-in'))
}

/** Waits for `predicate` to hold, polling; fails with `what` after `timeout` ms. */
export async function eventually<T>(what: string, fn: () => Promise<T>, predicate: (value: T) => boolean, timeout = 5_000): Promise<T> {
  const deadline = Date.now() + timeout
  let last: T | undefined
  for (;;) {
    try {
      last = await fn()
      if (predicate(last)) return last
    } catch {
      /* retry */
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${timeout} ms waiting for ${what} (last value: ${JSON.stringify(last)})`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8')

interface AxeViolation {
  id: string
  impact: string | null
  help: string
  nodes: { target: unknown[]; failureSummary?: string }[]
}

async function seriousViolations(page: Page) {
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run: (ctx: unknown, opts: unknown) => Promise<{ violations: AxeViolation[] }> } }).axe
    const result = await axe.run(document, { resultTypes: ['violations'] })
    return result.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }))
  })
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
}

/**
 * Runs axe-core on the page and fails on any serious or critical violation. A toast that is
 * still fading in has a half-transparent colour that axe reads as low contrast, so a page
 * with violations is checked once more after the animations have settled; what remains fails.
 */
export async function expectAccessible(page: Page, label: string): Promise<void> {
  if (!(await page.evaluate(() => 'axe' in window))) await page.addScriptTag({ content: axeSource })
  let serious = await seriousViolations(page)
  if (serious.length) {
    await page.waitForTimeout(1000)
    serious = await seriousViolations(page)
  }
  if (serious.length) {
    await page.screenshot({ path: join(ARTIFACTS_DIR, `axe-${label}.png`) })
  }
  expect(serious, `${label}: ${JSON.stringify(serious, null, 2)}`).toEqual([])
}

/** The toast region's text (sonner). */
export function toasts(page: Page) {
  return page.locator('[data-sonner-toast]')
}

export async function failureScreenshot(page: Page | undefined, name: string) {
  if (page) await page.screenshot({ path: join(ARTIFACTS_DIR, `${name}.png`) }).catch(() => {})
}
