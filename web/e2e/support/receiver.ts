// A real webhook receiver for the tests, and the server settings that let webhooks reach it.
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'

/** Lets webhooks target 127.0.0.1 and retries after 1 s, so the log changes while we watch. */
export const WEBHOOK_ENV = {
  TRIBUTARY_WEBHOOKS__ALLOW_PRIVATE_TARGETS: 'true',
  TRIBUTARY_WEBHOOKS__RETRY_SCHEDULE_SECS: '[1,1,1]',
  TRIBUTARY_WEBHOOKS__POLL_INTERVAL_MS: '100',
}

/** A webhook receiver on 127.0.0.1:0 that answers 200 or 500 as told, counting what it got. */
export async function startReceiver(): Promise<{ url: string; received: unknown[]; fail: (on: boolean) => void; close: () => Promise<void> }> {
  let failing = false
  const received: unknown[] = []
  const server: Server = createServer((req, res) => {
    let body = ''
    req.on('data', (chunk: Buffer) => (body += chunk.toString()))
    req.on('end', () => {
      received.push(body)
      res.writeHead(failing ? 500 : 200, { 'Content-Type': 'text/plain' })
      res.end(failing ? 'receiver down for maintenance' : 'ok')
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    received,
    fail: (on) => (failing = on),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
