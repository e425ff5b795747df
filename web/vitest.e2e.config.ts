// End-to-end tests: real server (started by each test file), real Chromium (Debian's
// /usr/bin/chromium driven by playwright-core). Run after `cargo build` and `npm run build`.
import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['e2e/**/*.e2e.ts'],
    environment: 'node',
    globalSetup: ['e2e/support/global-setup.ts'],
    // One file at a time: each starts a server and a browser, and the machine has two cores.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 60_000,
    reporters: ['default'],
  },
})
