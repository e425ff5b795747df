// The explorer's metadata columns (`cols=user.plan,page`), per tenant: the URL wins (a shared
// link shows what its sender saw), else the last choice saved in this browser for the tenant.
// Changing them writes both. The row density is a browser-wide preference.
import { useCallback, useMemo, useState, useSyncExternalStore } from 'react'
import { useSearchParams } from 'react-router'
import { useCurrentTenantId } from '@/features/tenants/hooks/use-current-tenant'

const MAX_COLUMNS = 6
const KEY_PATTERN = /^[^.\s"'\\][^\s"'\\]*$/

export function parseColumns(text: string | null): string[] {
  if (!text) return []
  const keys = text
    .split(',')
    .map((k) => k.trim())
    .filter((k) => KEY_PATTERN.test(k) && !k.endsWith('.') && !k.includes('..'))
  return [...new Set(keys)].slice(0, MAX_COLUMNS)
}

const storageKey = (tenantId: string) => `tributary.columns.${tenantId}`

function saved(tenantId: string): string | null {
  try {
    return localStorage.getItem(storageKey(tenantId))
  } catch {
    return null
  }
}

export function useColumns() {
  const tenantId = useCurrentTenantId()
  const [params, setParams] = useSearchParams()
  const fromUrl = params.get('cols')
  const text = fromUrl ?? saved(tenantId)
  const columns = useMemo(() => parseColumns(text), [text])

  const write = useCallback(
    (next: string[]) => {
      const value = next.join(',')
      try {
        localStorage.setItem(storageKey(tenantId), value)
      } catch {
        /* private mode: the URL still has it */
      }
      setParams(
        (prev) => {
          const p = new URLSearchParams(prev)
          if (value) p.set('cols', value)
          else p.delete('cols')
          return p
        },
        { replace: true },
      )
    },
    [setParams, tenantId],
  )

  const add = useCallback((key: string) => write(parseColumns([...columns, key].join(','))), [columns, write])
  const remove = useCallback((key: string) => write(columns.filter((c) => c !== key)), [columns, write])
  return { columns, add, remove, valid: (key: string) => parseColumns(key).length === 1, max: MAX_COLUMNS }
}

export type Density = 'compact' | 'comfortable'
const DENSITY_KEY = 'tributary.density'

export function useDensity(): [Density, (d: Density) => void] {
  const [density, setDensity] = useState<Density>(() => {
    try {
      return localStorage.getItem(DENSITY_KEY) === 'comfortable' ? 'comfortable' : 'compact'
    } catch {
      return 'compact'
    }
  })
  const set = useCallback((d: Density) => {
    setDensity(d)
    try {
      localStorage.setItem(DENSITY_KEY, d)
    } catch {
      /* ignore */
    }
  }, [])
  return [density, set]
}

const PHONE_QUERY = '(max-width: 640px)'

function subscribePhone(onChange: () => void) {
  if (typeof window.matchMedia !== 'function') return () => {}
  const list = window.matchMedia(PHONE_QUERY)
  list.addEventListener('change', onChange)
  return () => list.removeEventListener('change', onChange)
}

/** Phone width (≤ 640 px): rows take two lines, the detail panel a full-height sheet. */
export function usePhone(): boolean {
  return useSyncExternalStore(
    subscribePhone,
    () => typeof window.matchMedia === 'function' && window.matchMedia(PHONE_QUERY).matches,
    () => false,
  )
}
