// Generates src/api/schema.d.ts from the server's OpenAPI document (`tributary openapi`).
//   node scripts/api-types.mjs write   regenerate the committed file
//   node scripts/api-types.mjs check   regenerate to a temp file and fail when it differs
// The binary is $TRIBUTARY_BIN, by default ../target/debug/tributary (build it with `cargo build`).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'

const web = resolve(dirname(fileURLToPath(import.meta.url)), '..')
const bin = resolve(web, process.env.TRIBUTARY_BIN ?? '../target/debug/tributary')
const target = join(web, 'src/api/schema.d.ts')
const mode = process.argv[2] ?? 'check'

let document
try {
  document = execFileSync(bin, ['openapi'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
} catch (error) {
  console.error(`api: cannot run "${bin} openapi" (${error.message.split('\n')[0]}); build the server or set TRIBUTARY_BIN`)
  process.exit(2)
}

const dir = mkdtempSync(join(tmpdir(), 'tributary-api-'))
try {
  const specFile = join(dir, 'openapi.json')
  const outFile = join(dir, 'schema.d.ts')
  writeFileSync(specFile, document)
  const cli = join(web, 'node_modules/openapi-typescript/bin/cli.js')
  execFileSync(process.execPath, [cli, specFile, '-o', outFile, '--empty-objects-unknown'], { stdio: ['ignore', 'ignore', 'inherit'] })
  const header = '// Generated from the server\'s OpenAPI document by `npm run api:generate`. Do not edit.\n'
  const generated = header + readFileSync(outFile, 'utf8')
  if (mode === 'write') {
    writeFileSync(target, generated)
    console.log(`api: wrote ${target}`)
  } else {
    let current = ''
    try {
      current = readFileSync(target, 'utf8')
    } catch {
      /* missing file counts as drift */
    }
    if (current !== generated) {
      console.error('api: src/api/schema.d.ts is out of date with the server\'s OpenAPI document; run `npm run api:generate` and commit it')
      process.exit(1)
    }
    console.log('api: src/api/schema.d.ts matches the server\'s OpenAPI document')
  }
} finally {
  rmSync(dir, { recursive: true, force: true })
}
