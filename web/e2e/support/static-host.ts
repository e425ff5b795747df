// A static host for the built dashboard, on its own origin (127.0.0.1, a random port), the way
// Netlify or S3 + CDN would serve it: files from a copy of web/dist, index.html for any other
// path (client-side routes), no CSP. `setConfig` writes config.json next to index.html, as a
// host would when it rewrites the runtime setting without a rebuild.
import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { extname, join, normalize, resolve } from 'node:path'
import { WEB_DIR } from './paths'

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.woff2': 'font/woff2',
}

export interface StaticHost {
  /** The dashboard's origin, e.g. http://127.0.0.1:41234 */
  url: string
  setConfig(config: { apiUrl: string }): void
  stop(): Promise<void>
}

export async function startStaticHost(name: string): Promise<StaticHost> {
  const root = mkdtempSync(join(tmpdir(), `tributary-e2e-static-${name}-`))
  cpSync(resolve(WEB_DIR, 'dist'), root, { recursive: true })
  // A config.json in dist would be served too; the test decides what this host says.
  rmSync(join(root, 'config.json'), { force: true })

  const server: Server = createServer((req, res) => {
    const path = normalize(decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname))
    let file = join(root, path)
    if (!file.startsWith(root) || !existsSync(file) || statSync(file).isDirectory()) {
      // Unknown paths are client-side routes, but a missing config.json is a plain 404.
      if (path === '/config.json') {
        res.writeHead(404, { 'Content-Type': 'text/plain' }).end('not found')
        return
      }
      file = join(root, 'index.html')
    }
    res.writeHead(200, { 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Cache-Control': 'no-cache' })
    res.end(readFileSync(file))
  })
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done))
  const { port } = server.address() as AddressInfo

  return {
    url: `http://127.0.0.1:${port}`,
    setConfig: (config) => writeFileSync(join(root, 'config.json'), JSON.stringify(config)),
    stop: async () => {
      server.closeAllConnections()
      await new Promise<void>((done) => server.close(() => done()))
      rmSync(root, { recursive: true, force: true })
    },
  }
}
