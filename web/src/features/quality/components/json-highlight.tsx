// An example's metadata as pretty JSON with the values its violations point at marked, so the
// failing path is seen in place. Text only (React escapes it): metadata is never HTML.
import { Fragment, type ReactNode } from 'react'

function escapeSegment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1')
}

const SCALAR = {
  string: 'text-emerald-700 dark:text-emerald-300',
  number: 'text-amber-700 dark:text-amber-300',
  boolean: 'text-violet-700 dark:text-violet-300',
  null: 'text-gray-500 dark:text-gray-400',
}

function scalar(value: unknown): ReactNode {
  const kind = value === null ? 'null' : typeof value === 'string' ? 'string' : typeof value === 'number' ? 'number' : 'boolean'
  return <span className={SCALAR[kind as keyof typeof SCALAR]}>{JSON.stringify(value)}</span>
}

function render(value: unknown, pointer: string, depth: number, marked: ReadonlySet<string>): ReactNode {
  const pad = '  '.repeat(depth)
  const entries: [string, string, unknown][] | null = Array.isArray(value)
    ? value.map((v, i) => [String(i), '', v])
    : value !== null && typeof value === 'object'
      ? Object.entries(value as Record<string, unknown>).map(([k, v]) => [escapeSegment(k), `${JSON.stringify(k)}: `, v])
      : null
  if (entries === null) return scalar(value)
  const [open, close] = Array.isArray(value) ? ['[', ']'] : ['{', '}']
  if (entries.length === 0) return `${open}${close}`
  return (
    <>
      {open}
      {'\n'}
      {entries.map(([segment, keyText, child], i) => {
        const path = `${pointer}/${segment}`
        const content = (
          <>
            {keyText && <span className="text-sky-800 dark:text-sky-300">{keyText}</span>}
            {render(child, path, depth + 1, marked)}
          </>
        )
        return (
          <Fragment key={segment}>
            {pad}
            {'  '}
            {marked.has(path) ? (
              <mark data-violation-path={path} className="rounded-sm bg-amber-100 text-inherit ring-1 ring-amber-500 dark:bg-amber-400/25 dark:ring-amber-400/50">
                {content}
              </mark>
            ) : (
              content
            )}
            {i < entries.length - 1 ? ',' : ''}
            {'\n'}
          </Fragment>
        )
      })}
      {pad}
      {close}
    </>
  )
}

export function JsonHighlight({ value, paths, label }: { value: unknown; paths: readonly string[]; label: string }) {
  return (
    <pre aria-label={label} className="max-h-72 overflow-auto rounded-md bg-gray-50 p-3 font-mono text-xs leading-5 whitespace-pre text-gray-800 ring-1 ring-gray-200 dark:bg-black/30 dark:text-gray-200 dark:ring-white/10">
      {render(value, '', 0, new Set(paths))}
    </pre>
  )
}
