import { existsSync, mkdirSync } from 'node:fs'
import { resolve } from 'node:path'
import { ARTIFACTS_DIR, CHROMIUM, SERVER_BIN, WEB_DIR } from './paths'

/** Fails early, with the fix, when something the suite needs is missing. */
export default function setup() {
  const missing: string[] = []
  if (!existsSync(SERVER_BIN)) missing.push(`server binary ${SERVER_BIN} (run \`cargo build\` or set TRIBUTARY_BIN)`)
  if (!existsSync(CHROMIUM)) missing.push(`${CHROMIUM} (run \`apt-get install -y chromium\`)`)
  if (!existsSync(resolve(WEB_DIR, 'dist/index.html'))) missing.push('web/dist (run `npm run build` first)')
  if (missing.length) throw new Error(`e2e: missing ${missing.join('; ')}`)
  mkdirSync(ARTIFACTS_DIR, { recursive: true })
}
