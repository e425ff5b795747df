// Search: ranked full-text results with highlighted snippets, the query language's examples at
// hand, the shared type/metadata filters and a time range. The URL holds it all.
import { useCallback, useId, useState, type FormEvent } from 'react'
import { PageHeader } from '@/components/layout/page-header'
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
import { EventDetailSheet } from '@/features/events/components/event-detail-panel'
import { usePhone } from '@/features/events/hooks/use-columns'
import { FilterBar } from '@/features/filters/components/filter-bar'
import { useFilters } from '@/features/filters/hooks/use-filters'
import { cn } from '@/lib/cn'
import { formatAbsoluteAndAge, formatCount, formatShortTime, metadataPreview } from '@/lib/format'
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
  const phone = usePhone()

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
    <div className="flex min-w-0 gap-4">
      <div className="min-w-0 flex-1 space-y-3">
        <PageHeader title="Search" description="Full-text search over event types and metadata, most relevant first." />
        <form role="search" onSubmit={submit} className="flex flex-wrap items-start gap-2">
          <div className="min-w-0 basis-full sm:basis-0 sm:flex-1">
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
            className="h-[38px] min-w-0 flex-1 rounded-md sm:flex-none border-0 bg-white px-2.5 text-sm text-gray-900 shadow-sm ring-1 ring-gray-300 ring-inset focus:ring-2 focus:ring-accent-500 focus:outline-none dark:bg-white/5 dark:text-white dark:ring-white/10 dark:[color-scheme:dark]"
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
        <details key={queryError ? 'error' : 'ok'} className="group rounded-lg text-sm text-gray-600 dark:text-gray-400" open={!search.q || Boolean(queryError) || undefined}>
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
              <p>{queryError ? 'Fix it using the examples under "Query language" above (opened for you), then search again.' : describeError(error).description}</p>
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
      {selected && <EventDetailSheet event={selected} error={null} onClose={close} phone={phone} />}
    </div>
  )
}

function Hits(props: { hits: SearchHit[]; selectedId: string | null; onSelect: (e: Event) => void; hasMore: boolean; loadingMore: boolean; onMore: () => void }) {
  const { hits } = props
  // Scores are comparable only within one query: each bar is relative to the best hit.
  const best = Math.max(...hits.map((h) => h.score), 0)
  if (hits.length === 0) {
    return (
      <EmptyState title="No events match">
        <p>Try fewer words, a prefix like <code className="font-mono">decl*</code>, or a wider time range.</p>
      </EmptyState>
    )
  }
  const count = `${formatCount(hits.length)}${props.hasMore ? '+' : ''} result${hits.length === 1 && !props.hasMore ? '' : 's'}`
  return (
    <div>
      <p className="border-b border-gray-200 px-3 py-2 text-xs text-gray-600 dark:border-white/10 dark:text-gray-400" data-testid="hit-count">
        {count}
        {props.hasMore ? ' so far, most relevant first; more load at the end' : ', most relevant first'}
      </p>
      <ol className="divide-y divide-gray-100 dark:divide-white/5" aria-label={count}>
        {hits.map((hit) => {
          const relative = best > 0 ? Math.max(0, Math.min(1, hit.score / best)) : 0
          const preview = metadataPreview(hit.event.metadata, 4)
          return (
            <li key={hit.event.id}>
              <button
                type="button"
                onClick={() => props.onSelect(hit.event)}
                aria-current={hit.event.id === props.selectedId || undefined}
                data-testid="search-hit"
                className={cn(
                  'grid w-full grid-cols-[auto_minmax(0,1fr)_3rem] items-baseline gap-x-3 gap-y-1 px-3 py-2.5 text-left text-[13px] hover:bg-gray-50 sm:grid-cols-[5.5rem_minmax(6rem,10rem)_minmax(0,1fr)_4rem] dark:hover:bg-white/5',
                  hit.event.id === props.selectedId && 'bg-accent-50 dark:bg-accent-500/10',
                )}
              >
                <time dateTime={hit.event.timestamp} title={formatAbsoluteAndAge(hit.event.timestamp)} className="font-mono text-xs text-gray-500 tabular-nums dark:text-gray-400">
                  {formatShortTime(hit.event.timestamp)}
                </time>
                <span className="min-w-0">
                  <TypeBadge type={hit.event.event_type} />
                </span>
                <span className="col-span-3 row-start-2 min-w-0 sm:col-span-1 sm:col-start-3 sm:row-start-1">
                  <span className="block truncate">
                    <span className="mr-2 font-mono text-xs text-gray-500 dark:text-gray-400">{hit.snippet.field}</span>
                    <SnippetText snippet={hit.snippet} />
                  </span>
                  {preview && <span className="mt-0.5 block truncate font-mono text-xs text-gray-500 dark:text-gray-400">{preview}</span>}
                </span>
                <span className="col-start-3 row-start-1 self-center sm:col-start-4" title={`Relevance ${hit.score.toPrecision(3)}: ${Math.round(relative * 100)}% of the best hit of this search`}>
                  <span className="sr-only">Relevance {Math.round(relative * 100)}% of the best hit</span>
                  <span aria-hidden="true" className="block h-1.5 w-full overflow-hidden rounded-full bg-gray-100 dark:bg-white/10" data-testid="relevance">
                    <span className="block h-full rounded-full bg-accent-500" style={{ width: `${Math.max(4, relative * 100)}%` }} />
                  </span>
                </span>
              </button>
            </li>
          )
        })}
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
            {hits.length} result{hits.length === 1 ? '' : 's'} · end
          </span>
        )}
      </div>
    </div>
  )
}
