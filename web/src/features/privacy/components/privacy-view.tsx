// Privacy (#19): what a tenant keeps about people. Three tabs, the current one in the URL
// (`?tab=redaction|deletion|suppression`): the redaction policy (rules and detectors) with a live
// preview on a recent event; deleting a subject's events (dry run, progress, past jobs); and the
// suppressed subjects. Reading the policy needs `read`; everything else `manage` (deletions and
// suppressions name people, so even their lists do).
import { useId, useRef, type KeyboardEvent, type ReactNode } from 'react'
import { useSearchParams } from 'react-router'
import { describeError } from '@/api/errors'
import { PageHeader } from '@/components/layout/page-header'
import { Button } from '@/components/ui/button'
import { EmptyState } from '@/components/ui/empty-state'
import { LockIcon } from '@/components/ui/icons'
import { SkeletonRows } from '@/components/ui/skeleton'
import { isAdmin, useSession } from '@/features/auth/hooks/use-session'
import { cn } from '@/lib/cn'
import { usePrivacy } from '../api/privacy'
import { DeletionPanel } from './deletion-panel'
import { RedactionEditor } from './redaction-editor'
import { SuppressionPanel } from './suppression-panel'

const TABS = [
  { key: 'redaction', label: 'Redaction' },
  { key: 'deletion', label: 'Deletion' },
  { key: 'suppression', label: 'Suppression' },
] as const
type Tab = (typeof TABS)[number]['key']

function useCanManage(): boolean {
  const session = useSession()
  return isAdmin(session) || Boolean(session?.scopes.includes('manage'))
}

export default function PrivacyView() {
  const canManage = useCanManage()
  const [params, setParams] = useSearchParams()
  const raw = params.get('tab')
  const tab: Tab = TABS.some((t) => t.key === raw) ? (raw as Tab) : 'redaction'
  const id = useId()
  const tabRefs = useRef(new Map<Tab, HTMLButtonElement>())

  function choose(next: Tab, focus = false) {
    setParams(
      (prev) => {
        // The deletion tab's job stays behind; the event the preview tries stays with the editor.
        const p = new URLSearchParams()
        if (next !== 'redaction') p.set('tab', next)
        const preview = prev.get('preview')
        if (preview) p.set('preview', preview)
        return p
      },
      { replace: true },
    )
    if (focus) tabRefs.current.get(next)?.focus()
  }

  // Arrow keys move between tabs, Home and End to the ends (the WAI-ARIA tabs pattern).
  function onKeyDown(event: KeyboardEvent) {
    const index = TABS.findIndex((t) => t.key === tab)
    const to = { ArrowRight: index + 1, ArrowLeft: index - 1, Home: 0, End: TABS.length - 1 }[event.key]
    if (to === undefined) return
    event.preventDefault()
    const next = TABS[(to + TABS.length) % TABS.length]
    if (next) choose(next.key, true)
  }

  return (
    <div className="min-w-0 space-y-4">
      <PageHeader title="Privacy" description="What this tenant keeps about people: personal data redacted on the way in, a subject's events deleted on request, and subjects whose events are never stored." />
      <div role="tablist" aria-label="Privacy" className="flex gap-1 overflow-x-auto border-b border-gray-200 dark:border-white/10" onKeyDown={onKeyDown}>
        {TABS.map((t) => (
          <button
            key={t.key}
            ref={(el) => {
              if (el) tabRefs.current.set(t.key, el)
            }}
            type="button"
            role="tab"
            id={`${id}-${t.key}`}
            aria-selected={tab === t.key}
            aria-controls={`${id}-panel`}
            tabIndex={tab === t.key ? 0 : -1}
            onClick={() => choose(t.key)}
            className={cn(
              '-mb-px shrink-0 border-b-2 px-3 py-2 text-sm font-medium',
              tab === t.key ? 'border-accent-600 text-gray-900 dark:border-accent-400 dark:text-white' : 'border-transparent text-gray-600 hover:text-gray-900 dark:text-gray-400 dark:hover:text-white',
            )}
          >
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`${id}-panel`} aria-labelledby={`${id}-${tab}`} className="min-w-0">
        {/* The editor stays mounted behind the other tabs, so unsaved rules survive a look at them. */}
        <div hidden={tab !== 'redaction'}>
          <RedactionTab canManage={canManage} />
        </div>
        {tab !== 'redaction' && (!canManage ? <NeedsManage what={tab === 'deletion' ? 'Deleting events' : 'Suppressing subjects'} /> : tab === 'deletion' ? <DeletionPanel /> : <SuppressionPanel />)}
      </div>
    </div>
  )
}

function Card({ children }: { children: ReactNode }) {
  return <div className="rounded-xl bg-white ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">{children}</div>
}

function NeedsManage({ what }: { what: string }) {
  return (
    <Card>
      <EmptyState title={`${what} needs the manage scope`} icon={<LockIcon className="size-8" />}>
        <p>These name people, so even their lists are for the admin token or a key with the manage scope.</p>
      </EmptyState>
    </Card>
  )
}

function RedactionTab({ canManage }: { canManage: boolean }) {
  const settings = usePrivacy()
  if (settings.isPending) {
    return (
      <Card>
        <SkeletonRows rows={6} label="Loading the privacy policy" />
      </Card>
    )
  }
  if (settings.isError) {
    return (
      <Card>
        <EmptyState title={describeError(settings.error).title} icon={<LockIcon className="size-8" />}>
          <p>{describeError(settings.error).description ?? 'The privacy policy could not be loaded.'}</p>
          <Button className="mt-3" size="sm" onClick={() => void settings.refetch()}>
            Try again
          </Button>
        </EmptyState>
      </Card>
    )
  }
  return <RedactionEditor saved={settings.data} canManage={canManage} />
}
