import { lazy, type ReactNode } from 'react'
import { Link, Navigate, createBrowserRouter, useLocation, useParams } from 'react-router'
import { AppShell } from '@/components/layout/app-shell'
import { EmptyState } from '@/components/ui/empty-state'
import { SkeletonRows } from '@/components/ui/skeleton'
import { SignInForm } from '@/features/auth/components/sign-in-form'
import { useSession } from '@/features/auth/hooks/use-session'
import { Explorer } from '@/features/events/components/explorer'
import { LiveStreamProvider } from '@/features/feed/hooks/use-live-stream'
import { useTenants } from '@/features/tenants/api/get-tenants'
import { TenantsView } from '@/features/tenants/components/tenants-view'

// The charts library is the heaviest dependency: load it with the stats view only.
const StatsView = lazy(() => import('@/features/stats/components/stats-view'))
// The management views are visited less often than the feed: each loads on first visit.
const SearchView = lazy(() => import('@/features/search/components/search-view'))
const KeysView = lazy(() => import('@/features/keys/components/keys-view'))
const WebhooksView = lazy(() => import('@/features/webhooks/components/webhooks-view'))
const SettingsView = lazy(() => import('@/features/settings/components/settings-view'))
const QualityView = lazy(() => import('@/features/quality/components/quality-view'))
const PrivacyView = lazy(() => import('@/features/privacy/components/privacy-view'))
const AuditView = lazy(() => import('@/features/audit/components/audit-view'))

const LAST_TENANT_KEY = 'tributary.lastTenant'

function RequireSession({ children }: { children: ReactNode }) {
  const session = useSession()
  const location = useLocation()
  if (!session) return <Navigate to="/sign-in" replace state={{ from: location.pathname + location.search }} />
  return children
}

function RedirectIfSignedIn({ children }: { children: ReactNode }) {
  return useSession() ? <Navigate to="/" replace /> : children
}

/** `/`: the tenant looked at last, else the first one, else the tenant list (to create one). */
function Home() {
  const tenants = useTenants()
  if (tenants.isPending) {
    return (
      <div className="p-6">
        <SkeletonRows rows={6} />
      </div>
    )
  }
  const list = tenants.data ?? []
  let last: string | null = null
  try {
    last = localStorage.getItem(LAST_TENANT_KEY)
  } catch {
    /* ignore */
  }
  const target = list.find((t) => t.id === last) ?? list.find((t) => t.name === 'demo') ?? list[0]
  return <Navigate to={target ? `/t/${target.id}/live` : '/tenants'} replace />
}

function TenantLayout() {
  const { tenantId = '' } = useParams()
  const tenants = useTenants()
  if (tenants.data && !tenants.data.some((t) => t.id === tenantId)) {
    return (
      <main className="p-10">
        <EmptyState title="This tenant does not exist, or your credential cannot see it">
          <Link className="text-accent-700 underline dark:text-accent-300" to="/">
            Go to your tenants
          </Link>
        </EmptyState>
      </main>
    )
  }
  try {
    localStorage.setItem(LAST_TENANT_KEY, tenantId)
  } catch {
    /* ignore */
  }
  return (
    <LiveStreamProvider key={tenantId} tenantId={tenantId}>
      <AppShell tenantId={tenantId} />
    </LiveStreamProvider>
  )
}

/** The tenant list keeps the last tenant in the top bar and navigation, so the way back is one click. */
function TenantsLayout() {
  const tenants = useTenants()
  let last: string | null = null
  try {
    last = localStorage.getItem(LAST_TENANT_KEY)
  } catch {
    /* ignore */
  }
  const known = tenants.data?.some((t) => t.id === last) ? (last ?? undefined) : undefined
  return <AppShell tenantId={known} />
}

function NotFound() {
  return (
    <main className="p-10">
      <EmptyState title="Page not found">
        <a className="text-accent-700 underline dark:text-accent-300" href="/">
          Go to the dashboard
        </a>
      </EmptyState>
    </main>
  )
}

export const router = createBrowserRouter([
  {
    path: '/sign-in',
    element: (
      <RedirectIfSignedIn>
        <SignInForm />
      </RedirectIfSignedIn>
    ),
  },
  {
    path: '/',
    element: (
      <RequireSession>
        <Home />
      </RequireSession>
    ),
  },
  {
    path: '/t/:tenantId',
    element: (
      <RequireSession>
        <TenantLayout />
      </RequireSession>
    ),
    children: [
      { index: true, element: <Navigate to="live" replace /> },
      { path: 'live', element: <Explorer key="live" view="Live" /> },
      { path: 'events', element: <Explorer key="events" view="Events" /> },
      { path: 'stats', element: <StatsView /> },
      { path: 'search', element: <SearchView /> },
      { path: 'quality', element: <QualityView /> },
      { path: 'privacy', element: <PrivacyView /> },
      { path: 'keys', element: <KeysView /> },
      { path: 'webhooks', element: <WebhooksView /> },
      { path: 'settings', element: <SettingsView /> },
      { path: 'audit', element: <AuditView /> },
    ],
  },
  {
    path: '/tenants',
    element: (
      <RequireSession>
        <TenantsLayout />
      </RequireSession>
    ),
    children: [{ index: true, element: <TenantsView /> }],
  },
  { path: '*', element: <NotFound /> },
])
