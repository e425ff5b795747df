// A search snippet: plain text in pieces, the matching ones wrapped in <mark>. Every piece is a
// React text node, so event data is never parsed as HTML.
import type { Snippet } from '@/api/types'

export function SnippetText({ snippet }: { snippet: Snippet }) {
  const fragments = snippet.fragments.length ? snippet.fragments : [{ text: snippet.text, highlight: false }]
  return (
    <span data-testid="snippet">
      {fragments.map((fragment, i) =>
        fragment.highlight ? (
          <mark key={i} className="rounded-sm bg-amber-200/80 px-0.5 text-gray-950 dark:bg-amber-400/30 dark:text-amber-100">
            {fragment.text}
          </mark>
        ) : (
          <span key={i}>{fragment.text}</span>
        ),
      )}
    </span>
  )
}
