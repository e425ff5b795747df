// Row heights (fixed, so the virtualized list never shifts) and the table's grid columns.

export type RowLayout = 'compact' | 'comfortable' | 'phone'

export const ROW_HEIGHTS: Record<RowLayout, number> = { compact: 34, comfortable: 44, phone: 56 }
/** The height of a compact row (the live feed's default). */
export const ROW_HEIGHT = ROW_HEIGHTS.compact

/**
 * Grid columns of the table layout: time, type, one per metadata column, the preview. The
 * metadata columns share the width with the preview (which gets twice a column's share), so a
 * narrow table (detail panel open) squeezes them all instead of pushing the preview out.
 */
export function gridTemplate(columns: readonly string[]): string {
  const type = columns.length ? 'minmax(0,9rem)' : 'minmax(0,10rem)'
  return ['5.5rem', type, ...columns.map(() => 'minmax(3rem,1fr)'), columns.length ? 'minmax(0,2fr)' : 'minmax(0,1fr)'].join(' ')
}
