// The browser tab's title: "<view> · <tenant> — Tributary".
import { useEffect } from 'react'
import { useParams } from 'react-router'
import { useTenants } from '@/features/tenants/api/get-tenants'

export function documentTitle(view: string, tenantName?: string): string {
  return tenantName ? `${view} · ${tenantName} — Tributary` : `${view} — Tributary`
}

/** Sets the browser tab's title for as long as the view is shown. */
export function usePageTitle(view: string) {
  const { tenantId } = useParams()
  const tenants = useTenants()
  const name = tenantId ? tenants.data?.find((t) => t.id === tenantId)?.name : undefined
  useEffect(() => {
    document.title = documentTitle(view, name)
  }, [view, name])
}
