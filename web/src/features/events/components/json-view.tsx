// Pretty-printed JSON with light syntax colors (no library: one regex over JSON.stringify).
import { Fragment } from 'react'

const TOKEN = /("(?:\\.|[^"\\])*")(\s*:)?|\b(true|false|null)\b|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)/g

export function JsonView({ value, label }: { value: unknown; label: string }) {
  const text = JSON.stringify(value, null, 2) ?? 'undefined'
  const parts: React.ReactNode[] = []
  let last = 0
  for (const match of text.matchAll(TOKEN)) {
    const at = match.index
    if (at > last) parts.push(text.slice(last, at))
    const [whole, str, colon, literal, num] = match
    if (str !== undefined && colon !== undefined) {
      parts.push(<span key={at} className="text-sky-700 dark:text-sky-300">{str}</span>, colon)
    } else if (str !== undefined) {
      parts.push(<span key={at} className="text-emerald-700 dark:text-emerald-300">{str}</span>)
    } else if (literal !== undefined) {
      parts.push(<span key={at} className="text-violet-700 dark:text-violet-300">{literal}</span>)
    } else if (num !== undefined) {
      parts.push(<span key={at} className="text-amber-700 dark:text-amber-300">{num}</span>)
    } else parts.push(whole)
    last = at + whole.length
  }
  if (last < text.length) parts.push(text.slice(last))
  return (
    <pre tabIndex={0} aria-label={label} className="overflow-auto rounded-lg bg-gray-50 p-3 font-mono break-all whitespace-pre-wrap text-xs leading-relaxed text-gray-800 ring-1 ring-gray-200 ring-inset dark:bg-black/30 dark:text-gray-200 dark:ring-white/10">
      {parts.map((part, i) => (
        <Fragment key={i}>{part}</Fragment>
      ))}
    </pre>
  )
}
