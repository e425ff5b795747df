// Search: ranked full-text results with highlighted snippets, the query language's examples at
// hand, the shared type/metadata filters and a time range. The URL holds it all.
import { useCallback, useId, useState, type FormEvent } from 'react'
import { useSearchParams } from 'react-router'
import type { Event, SearchHit } from '@/api/types'
import { describeError, toApiError } from '@/api/errors'
import { Button } from '@/components/ui/button'
import { EmptyState } from '@/components/ui/empty-state'
import { inputClass } from '@/components/ui/field'
import { SearchIcon } from '@/components/ui/icons'
import { SkeletonRows } from '@/components/ui/skeleton'
import { Spinner } from '@/components/ui/spinner'
import { TypeBadge } from '@/components/ui/type-badge'
import { EventDetailPanel } from '@/features/events/components/event-detail-panel'
import { FilterBar } from '@/features/filters/components/filter-bar'
import { useFilters } from '@/features/filters/hooks/use-filters'
import { cn } from '@/lib/cn'
import { formatDateTime, formatPercent, formatShortTime } from '@/lib/format'
import { useSearch } from '../api/search-events'
import { EXAMPLES, RANGES, readSearch, writeSearch, type RangeValue } from '../lib/search-state'
import { SnippetText } from './snippet-text'

export default function SearchView() {
  const [params, setParams] = useSearchParams()
  const search = readSearch(params)
  const { filters } = useFilters()
  const [draft, setDraft] = useState(search.q)
  const [selected, setSelected] = useState<Event | null>(null)
  const close = useCallback(() => setSelected(null), [])
  const ids = { input: useId(), error: useId(), help: useId(), range: useId() }
  const results = useSearch(search, filters)

  // Back/forward (or a shared link) changes the URL: the box follows.
  const [shownQ, setShownQ] = useState(search.q)
  if (shownQ !== search.q) {
    setShownQ(search.q)
    setDraft(search.q)
  }

  const run = (q: string) => setParams((prev) => writeSearch(prev, { q }))
  const submit = (event: FormEvent) => {
    event.preventDefault()
    run(draft)
  }
  const error = results.isError ? toApiError(results.error) : null
  const queryError = error?.field === 'q' ? error.message : null

  return (
    <div className="flex gap-4">
      <div className="min-w-0 flex-1 space-y-3">
        <form role="search" onSubmit={submit} className="flex items-start gap-2">
          <div className="min-w-0 flex-1">
            <label htmlFor={ids.input} className="sr-only">
              Search events
            </label>
            <div className="relative">
              <SearchIcon className="pointer-events-none absolute top-2.5 left-3 size-4 text-gray-400" />
              <input
                id={ids.input}
                type="search"
                value={draft}
                onChange={(e) => setDraft(e.target.value)}
                placeholder='Search events: card declined, "exact phrase", plan:pro, type:signup'
                className={cn(inputClass, 'pl-9 font-mono aria-invalid:ring-red-500 dark:aria-invalid:ring-red-400')}
                aria-invalid={queryError ? true : undefined}
                aria-describedby={queryError ? ids.error : ids.help}
                autoComplete="off"
                spellCheck={false}
                maxLength={1000}
              />
            </div>
            {queryError && (
              <p id={ids.error} role="alert" className="mt-1 text-xs text-red-600 dark:text-red-400">
                {queryError}
              </p>
            )}
          </div>
          <label htmlFor={ids.range} className="sr-only">
            Time range
          </label>
          <select
            id={ids.range}
            value={search.range}
            onChange={(e) => setParams((prev) => writeSearch(prev, { range: e.target.value as RangeValue }))}
            className="h-[38px] shrink-0 rounded-md border-0 bg-white px-2.5 text-sm text-gray-900 shadow-sm ring-1 ring-gray-300 ring-inset focus:ring-2 focus:ring-accent-500 focus:outline-none dark:bg-white/5 dark:text-white dark:ring-white/10 dark:[color-scheme:dark]"
          >
            {RANGES.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
          <Button type="submit" variant="primary" className="h-[38px]">
            Search
          </Button>
        </form>
        <FilterBar />
        <details className="group rounded-lg text-sm text-gray-600 dark:text-gray-400" open={!search.q || undefined}>
          <summary id={ids.help} className="cursor-pointer text-xs font-medium text-gray-700 select-none dark:text-gray-300">
            Query language
          </summary>
          <ul className="mt-2 flex flex-wrap gap-2" aria-label="Example queries">
            {EXAMPLES.map((example) => (
              <li key={example.query}>
                <button
                  type="button"
                  onClick={() => {
                    setDraft(example.query)
                    run(example.query)
                  }}
                  className="inline-flex items-center gap-2 rounded-md bg-white px-2 py-1 text-xs ring-1 ring-gray-200 hover:bg-gray-50 dark:bg-white/5 dark:ring-white/10 dark:hover:bg-white/10"
                >
                  <code className="font-mono text-gray-900 dark:text-gray-100">{example.query}</code>
                  <span className="text-gray-500 dark:text-gray-400">{example.what}</span>
                </button>
              </li>
            ))}
          </ul>
        </details>
        <section aria-label="Search results" className="overflow-hidden rounded-xl bg-white ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
          {!search.q ? (
            <EmptyState title="Search this tenant's events" icon={<SearchIcon className="size-8" />}>
              <p>Type words from an event's type or metadata, or click an example above.</p>
            </EmptyState>
          ) : results.isPending ? (
            <SkeletonRows rows={6} label="Searching" />
          ) : error ? (
            <EmptyState title={queryError ? 'The query could not be read' : describeError(error).title}>
              <p>{queryError ? 'Fix it using the examples above, then search again.' : describeError(error).description}</p>
              {!queryError && (
                <Button className="mt-3" size="sm" onClick={() => void results.refetch()}>
                  Try again
                </Button>
              )}
            </EmptyState>
          ) : (
            <Hits
              hits={results.data?.pages.flatMap((p) => p.hits) ?? []}
              selectedId={selected?.id ?? null}
              onSelect={setSelected}
              hasMore={results.hasNextPage}
              loadingMore={results.isFetchingNextPage}
              onMore={() => void results.fetchNextPage()}
            />
          )}
        </section>
      </div>
      {selected && (
        <div className="sticky top-[4.5rem] hidden h-[calc(100vh-6rem)] lg:flex">
          <EventDetailPanel event={selected} onClose={close} />
        </div>
      )}
      {selected && (
        <div className="fixed inset-x-0 bottom-0 z-30 flex max-h-[70vh] p-2 lg:hidden">
          <EventDetailPanel event={selected} onClose={close} />
        </div>
      )}
    </div>
  )
}

function Hits(props: { hits: SearchHit[]; selectedId: string | null; onSelect: (e: Event) => void; hasMore: boolean; loadingMore: boolean; onMore: () => void }) {
  const { hits } = props
  // Scores are comparable only within one query: show each relative to the best hit.
  const best = Math.max(...hits.map((h) => h.score), 0)
  if (hits.length === 0) {
    return (
      <EmptyState title="No events match">
        <p>Try fewer words, a prefix like <code className="font-mono">decl*</code>, or a wider time range.</p>
      </EmptyState>
    )
  }
  return (
    <div>
      <ol className="divide-y divide-gray-100 dark:divide-white/5" aria-label={`${hits.length} results`}>
        {hits.map((hit) => (
          <li key={hit.event.id}>
            <button
              type="button"
              onClick={() => props.onSelect(hit.event)}
              aria-current={hit.event.id === props.selectedId || undefined}
              data-testid="search-hit"
              className={cn(
                'grid w-full grid-cols-[5.5rem_minmax(6rem,10rem)_1fr_auto] items-baseline gap-3 px-3 py-2.5 text-left text-[13px] hover:bg-gray-50 dark:hover:bg-white/5',
                hit.event.id === props.selectedId && 'bg-accent-50 dark:bg-accent-500/10',
              )}
            >
              <time dateTime={hit.event.timestamp} title={formatDateTime(hit.event.timestamp)} className="font-mono text-xs text-gray-500 tabular-nums dark:text-gray-400">
                {formatShortTime(hit.event.timestamp)}
              </time>
              <span className="min-w-0">
                <TypeBadge type={hit.event.event_type} />
              </span>
              <span className="min-w-0 truncate">
                <span className="mr-2 font-mono text-xs text-gray-500 dark:text-gray-400">{hit.snippet.field}</span>
                <SnippetText snippet={hit.snippet} />
              </span>
              <span className="w-10 text-right font-mono text-xs text-gray-500 tabular-nums dark:text-gray-400" title={`Relevance ${hit.score.toPrecision(3)}, shown relative to the best hit of this search`}>
                <span className="sr-only">Relevance </span>
                {best > 0 ? formatPercent(hit.score, best) : '—'}
              </span>
            </button>
          </li>
        ))}
      </ol>
      <div className="flex h-12 items-center justify-center text-xs text-gray-500 dark:text-gray-400">
        {props.loadingMore ? (
          <Spinner label="Loading more results" />
        ) : props.hasMore ? (
          <Button size="sm" variant="ghost" onClick={props.onMore}>
            Load more
          </Button>
        ) : (
          <span>
            {hits.length} result{hits.length === 1 ? '' : 's'}
          </span>
        )}
      </div>
    </div>
  )
}
