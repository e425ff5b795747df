// Starts the real server for a test file: a fresh SQLite database in a temp dir, a known admin
// token, port 0 (the JSON "listening" log line gives the address). `restart()` stops it and
// starts it again on the same port and database, for the reconnect test.
import { spawn, type ChildProcess } from 'node:child_process'
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { createInterface } from 'node:readline'
import { ARTIFACTS_DIR, SERVER_BIN } from './paths'

export const ADMIN_TOKEN = 'e2e-admin-token-0123456789abcdef'
const JWT_SECRET = 'e2e-jwt-secret-0123456789abcdef0123456789'

export interface TestServer {
  url: string
  port: number
  dataDir: string
  stop(): Promise<void>
  restart(): Promise<void>
}

export async function startServer(options: { name: string; demo?: boolean; env?: Record<string, string> }): Promise<TestServer> {
  const dataDir = mkdtempSync(join(tmpdir(), `tributary-e2e-${options.name}-`))
  let child: ChildProcess | null = null
  let port = 0
  let run = 0

  async function launch(): Promise<void> {
    run += 1
    const log = createWriteStream(join(ARTIFACTS_DIR, `server-${options.name}-${run}.log`))
    const proc = spawn(SERVER_BIN, ['serve', ...(options.demo ? ['--demo'] : [])], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        HOME: process.env.HOME ?? '/tmp',
        ADMIN_TOKEN,
        JWT_SECRET,
        DATABASE_URL: `sqlite://${join(dataDir, 'tributary.db')}`,
        PORT: String(port),
        TRIBUTARY_LOG__FORMAT: 'json',
        TRIBUTARY_LOG__FILTER: 'info',
        ...options.env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    child = proc
    const address = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`server did not log "listening" within 20 s (see ${log.path})`)), 20_000)
      proc.once('exit', (code) => {
        clearTimeout(timer)
        reject(new Error(`server exited with ${code} before listening (see ${log.path})`))
      })
      // Logs go to stderr, banners (the printed admin token) to stdout: read both.
      const onLine = (line: string) => {
        log.write(`${line}\n`)
        try {
          const record = JSON.parse(line) as { message?: string; address?: string; fields?: { message?: string; address?: string } }
          const message = record.message ?? record.fields?.message
          const addr = record.address ?? record.fields?.address
          if (message === 'listening' && addr) {
            clearTimeout(timer)
            resolve(addr)
          }
        } catch {
          /* not a JSON log line (the printed admin token banner, …) */
        }
      }
      createInterface({ input: proc.stdout! }).on('line', onLine)
      createInterface({ input: proc.stderr! }).on('line', onLine)
    })
    port = Number(address.split(':').pop())
  }

  async function stop(): Promise<void> {
    const proc = child
    child = null
    if (!proc || proc.exitCode !== null) return
    await new Promise<void>((resolve) => {
      const kill = setTimeout(() => proc.kill('SIGKILL'), 10_000)
      proc.once('exit', () => {
        clearTimeout(kill)
        resolve()
      })
      proc.kill('SIGTERM')
    })
  }

  await launch()
  return {
    get url() {
      return `http://127.0.0.1:${port}`
    },
    get port() {
      return port
    },
    dataDir,
    stop: async () => {
      await stop()
      rmSync(dataDir, { recursive: true, force: true })
    },
    restart: async () => {
      await stop()
      await launch()
    },
  }
}
