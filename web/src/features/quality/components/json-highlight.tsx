// An example's metadata as pretty JSON with the values its violations point at marked, so the
// failing path is seen in place. Text only (React escapes it): metadata is never HTML. The
// privacy preview marks with other tones (a value changed, a key removed) through `tones`.
import { Fragment, type ReactNode } from 'react'
import { cn } from '@/lib/cn'

/** How a marked value is shown: a schema violation, or what redaction did to it. */
export type MarkTone = 'violation' | 'changed' | 'removed' | 'redacted' | 'added'

const TONE: Record<MarkTone, string> = {
  violation: 'bg-amber-100 ring-amber-500 dark:bg-amber-400/25 dark:ring-amber-400/50',
  changed: 'bg-amber-100 ring-amber-500 dark:bg-amber-400/20 dark:ring-amber-400/50',
  // Struck through, the key and value in one dark red: the scalar colours do not all read on red.
  removed: 'bg-red-100 text-red-900 line-through decoration-red-700/70 ring-red-500 dark:bg-red-400/20 dark:text-red-200 dark:decoration-red-300/70 dark:ring-red-400/50 [&_span]:text-inherit',
  redacted: 'bg-emerald-100 ring-emerald-600 dark:bg-emerald-400/15 dark:ring-emerald-400/50',
  added: 'bg-emerald-100 ring-emerald-600 dark:bg-emerald-400/15 dark:ring-emerald-400/50',
}

const TONE_WORDS: Record<MarkTone, string> = { violation: 'violation', changed: 'changed', removed: 'removed', redacted: 'redacted', added: 'new value' }

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

function render(value: unknown, pointer: string, depth: number, marked: ReadonlyMap<string, MarkTone>): ReactNode {
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
        const tone = marked.get(path)
        return (
          <Fragment key={segment}>
            {pad}
            {'  '}
            {tone ? (
              <mark
                data-violation-path={tone === 'violation' ? path : undefined}
                data-mark={tone === 'violation' ? undefined : tone}
                data-path={tone === 'violation' ? undefined : path}
                title={tone === 'violation' ? undefined : TONE_WORDS[tone]}
                className={cn('rounded-sm ring-1', tone !== 'removed' && 'text-inherit', TONE[tone])}
              >
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

export interface JsonHighlightProps {
  value: unknown
  /** JSON Pointers of values to mark as violations. */
  paths?: readonly string[]
  /** JSON Pointers of values to mark with a tone of their own (wins over `paths`). */
  tones?: ReadonlyMap<string, MarkTone>
  label: string
  /** Sizing classes (default `max-h-72`). */
  className?: string
  /** Wrap long values instead of scrolling sideways (indentation then shows less). */
  wrap?: boolean
}

export function JsonHighlight({ value, paths = [], tones, label, className = 'max-h-72', wrap = false }: JsonHighlightProps) {
  const marked = new Map<string, MarkTone>(paths.map((p) => [p, 'violation']))
  for (const [path, tone] of tones ?? []) marked.set(path, tone)
  return (
    <pre
      aria-label={label}
      tabIndex={0}
      className={cn(
        'overflow-auto rounded-md bg-gray-50 p-3 font-mono text-xs leading-5 text-gray-800 ring-1 ring-gray-200 dark:bg-black/30 dark:text-gray-200 dark:ring-white/10',
        wrap ? 'whitespace-pre-wrap [overflow-wrap:anywhere]' : 'whitespace-pre',
        className,
      )}
    >
      {render(value, '', 0, marked)}
    </pre>
  )
}
