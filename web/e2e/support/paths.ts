import { dirname, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

export const WEB_DIR = resolve(dirname(fileURLToPath(import.meta.url)), '../..')
export const REPO_DIR = resolve(WEB_DIR, '..')
/** The server binary: $TRIBUTARY_BIN (relative to web/) or ../target/debug/tributary. */
export const SERVER_BIN = resolve(WEB_DIR, process.env.TRIBUTARY_BIN ?? '../target/debug/tributary')
export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
export const ARTIFACTS_DIR = resolve(WEB_DIR, 'e2e/artifacts')
export const SCREENSHOTS_DIR = resolve(REPO_DIR, 'docs/screenshots')
