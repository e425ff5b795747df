// Events: the stored history on its own page, with the shared filters and the detail panel.
import { useCallback, useState } from 'react'
import type { Event } from '@/api/types'
import { FilterBar } from '@/features/filters/components/filter-bar'
import { useFilters } from '@/features/filters/hooks/use-filters'
import { ColumnHeader } from '@/features/feed/components/live-view'
import { EventDetailPanel } from './event-detail-panel'
import { HistoryList } from './history-list'

export function EventsView() {
  const { filters } = useFilters()
  const [selected, setSelected] = useState<Event | null>(null)
  const close = useCallback(() => setSelected(null), [])
  return (
    <div className="flex gap-4">
      <div className="min-w-0 flex-1 space-y-3">
        <FilterBar />
        <section aria-label="Stored events" className="overflow-hidden rounded-xl bg-white ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
          <ColumnHeader />
          <HistoryList filters={filters} selectedId={selected?.id ?? null} onSelect={setSelected} />
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
