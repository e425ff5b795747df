// Top bar (mark, tenant selector, connection status, theme, sign out), left navigation, content.
// Navigation links keep the tenant and the filters, so moving between views keeps the context.
import { Suspense, type ReactNode } from 'react'
import { NavLink, Outlet, useLocation } from 'react-router'
import { ActivityIcon, BuildingIcon, ChartIcon, HistoryIcon, KeyIcon, ListIcon, LockIcon, LogOutIcon, LogoMark, SearchIcon, SettingsIcon, ShieldCheckIcon, WebhookIcon } from '@/components/ui/icons'
import { Spinner } from '@/components/ui/spinner'
import { sessionStore, isAdmin, useSession } from '@/features/auth/hooks/use-session'
import { ConnectionStatus } from '@/features/feed/components/connection-status'
import { useOptionalLiveStream } from '@/features/feed/hooks/use-live-stream'
import { FILTER_PARAMS } from '@/features/filters/hooks/use-filters'
import { TenantSelector } from '@/features/tenants/components/tenant-selector'
import { ThemeToggle } from '@/features/theme/components/theme-toggle'
import { cn } from '@/lib/cn'
import { notifySuccess } from '@/lib/notify'

export function AppShell({ tenantId }: { tenantId?: string }) {
  const location = useLocation()
  const session = useSession()
  const search = new URLSearchParams(location.search)
  const carried = new URLSearchParams()
  for (const key of [...FILTER_PARAMS]) for (const value of search.getAll(key)) carried.append(key, value)
  const query = carried.toString() ? `?${carried.toString()}` : ''
  const base = tenantId ? `/t/${tenantId}` : null
  const admin = isAdmin(session)
  const live = useOptionalLiveStream() !== null

  return (
    <div className="min-h-screen">
      <a href="#main" className="sr-only z-50 rounded-md bg-white px-3 py-2 focus:not-sr-only focus:fixed focus:top-2 focus:left-2 dark:bg-gray-900">
        Skip to content
      </a>
      <header className="sticky top-0 z-30 flex h-14 items-center gap-2 border-b border-gray-200 bg-white/90 px-3 backdrop-blur sm:gap-3 sm:px-4 dark:border-white/10 dark:bg-gray-950/85">
        <div className="flex shrink-0 items-center gap-2 sm:pr-2 lg:w-44">
          <LogoMark className="size-6" />
          <span className="hidden text-sm font-semibold tracking-tight sm:inline">Tributary</span>
        </div>
        <TenantSelector tenantId={tenantId} />
        <div className="flex-1" />
        <ConnectionStatus />
        {live && <div className="mx-1 hidden h-5 w-px bg-gray-200 sm:block dark:bg-white/10" aria-hidden="true" />}
        <span className="hidden text-xs text-gray-500 md:inline dark:text-gray-400">{isAdmin(session) ? 'Admin' : 'Tenant key'}</span>
        <ThemeToggle />
        <button
          type="button"
          onClick={() => {
            sessionStore.end()
            notifySuccess('Signed out')
          }}
          aria-label="Sign out"
          title="Sign out"
          className="rounded-md p-2 text-gray-600 hover:bg-gray-100 hover:text-gray-900 dark:text-gray-400 dark:hover:bg-white/10 dark:hover:text-white"
        >
          <LogOutIcon className="size-4.5" />
        </button>
      </header>
      <div className="flex min-w-0">
        <nav aria-label="Sections" className="sticky top-14 hidden h-[calc(100vh-3.5rem)] w-48 shrink-0 border-r border-gray-200 px-3 py-4 md:block dark:border-white/10">
          <ul className="space-y-0.5">
            {base && (
              <>
                <NavItem to={`${base}/live${query}`} icon={<ActivityIcon className="size-4" />}>Live</NavItem>
                <NavItem to={`${base}/events${query}`} icon={<ListIcon className="size-4" />}>Events</NavItem>
                <NavItem to={`${base}/stats${query}`} icon={<ChartIcon className="size-4" />}>Stats</NavItem>
                <NavItem to={`${base}/search${query}`} icon={<SearchIcon className="size-4" />}>Search</NavItem>
                <NavItem to={`${base}/quality`} icon={<ShieldCheckIcon className="size-4" />}>Data quality</NavItem>
                <NavItem to={`${base}/privacy`} icon={<LockIcon className="size-4" />}>Privacy</NavItem>
                <NavItem to={`${base}/webhooks`} icon={<WebhookIcon className="size-4" />}>Webhooks</NavItem>
                <NavItem to={`${base}/keys`} icon={<KeyIcon className="size-4" />}>API keys</NavItem>
                {admin && <NavItem to={`${base}/settings`} icon={<SettingsIcon className="size-4" />}>Settings</NavItem>}
                <NavItem to={`${base}/audit`} icon={<HistoryIcon className="size-4" />}>Audit log</NavItem>
              </>
            )}
            <NavItem to="/tenants" icon={<BuildingIcon className="size-4" />}>Tenants</NavItem>
          </ul>
        </nav>
        <main id="main" className="min-w-0 flex-1 p-3 sm:p-4 lg:p-6">
          {/* A bar that scrolls sideways on narrow screens: every section stays one swipe away. */}
          <nav aria-label="Sections (compact)" className="-mx-3 mb-3 overflow-x-auto px-3 [scrollbar-width:none] sm:-mx-4 sm:px-4 md:hidden">
              <ul className="flex w-max gap-1 whitespace-nowrap">
                {base && (
                  <>
                    <NavItem to={`${base}/live${query}`}>Live</NavItem>
                    <NavItem to={`${base}/events${query}`}>Events</NavItem>
                    <NavItem to={`${base}/stats${query}`}>Stats</NavItem>
                    <NavItem to={`${base}/search${query}`}>Search</NavItem>
                    <NavItem to={`${base}/quality`}>Quality</NavItem>
                    <NavItem to={`${base}/privacy`}>Privacy</NavItem>
                    <NavItem to={`${base}/webhooks`}>Webhooks</NavItem>
                    <NavItem to={`${base}/keys`}>Keys</NavItem>
                    {admin && <NavItem to={`${base}/settings`}>Settings</NavItem>}
                    <NavItem to={`${base}/audit`}>Audit</NavItem>
                  </>
                )}
                <NavItem to="/tenants">Tenants</NavItem>
              </ul>
            </nav>
          <Suspense
            fallback={
              <div className="flex items-center gap-2 text-sm text-gray-500">
                <Spinner label="" /> Loading…
              </div>
            }
          >
            <Outlet />
          </Suspense>
        </main>
      </div>
    </div>
  )
}

function NavItem({ to, icon, children }: { to: string; icon?: ReactNode; children: ReactNode }) {
  return (
    <li className="list-none">
      <NavLink
        to={to}
        className={({ isActive }) =>
          cn(
            'flex items-center gap-2.5 rounded-md px-2.5 py-1.5 text-sm font-medium',
            isActive ? 'bg-gray-100 text-gray-900 dark:bg-white/10 dark:text-white' : 'text-gray-600 hover:bg-gray-50 hover:text-gray-900 dark:text-gray-400 dark:hover:bg-white/5 dark:hover:text-white',
          )
        }
      >
        {icon}
        {children}
      </NavLink>
    </li>
  )
}
