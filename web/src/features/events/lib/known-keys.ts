import { flatten } from '@/lib/flatten'
import type { ExplorerItem } from './merge'

/** Keys of the loaded events, most common first (the first 300 events are enough to tell). */
export function knownKeys(items: readonly ExplorerItem[]): string[] {
  const counts = new Map<string, number>()
  for (const item of items.slice(0, 300)) for (const p of flatten(item.event.metadata)) counts.set(p.key, (counts.get(p.key) ?? 0) + 1)
  return [...counts.entries()].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0])).map(([k]) => k)
}
