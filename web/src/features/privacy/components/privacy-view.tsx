// Privacy (#19): what personal data a tenant never stores. The redaction policy (rules and
// detectors) with a live preview on a recent event. Reading needs `read`, changing `manage`.
import { describeError } from '@/api/errors'
import { PageHeader } from '@/components/layout/page-header'
import { Button } from '@/components/ui/button'
import { EmptyState } from '@/components/ui/empty-state'
import { LockIcon } from '@/components/ui/icons'
import { SkeletonRows } from '@/components/ui/skeleton'
import { isAdmin, useSession } from '@/features/auth/hooks/use-session'
import { usePrivacy } from '../api/privacy'
import { RedactionEditor } from './redaction-editor'

function useCanManage(): boolean {
  const session = useSession()
  return isAdmin(session) || Boolean(session?.scopes.includes('manage'))
}

export default function PrivacyView() {
  const canManage = useCanManage()
  const settings = usePrivacy()
  return (
    <div className="min-w-0 space-y-4">
      <PageHeader title="Privacy" description="Personal data this tenant never stores: redacted on the way in, before anything is written, streamed or sent to a webhook." />
      {settings.isPending ? (
        <div className="rounded-xl bg-white ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
          <SkeletonRows rows={6} label="Loading the privacy policy" />
        </div>
      ) : settings.isError ? (
        <div className="rounded-xl bg-white ring-1 ring-gray-200 dark:bg-gray-900 dark:ring-white/10">
          <EmptyState title={describeError(settings.error).title} icon={<LockIcon className="size-8" />}>
            <p>{describeError(settings.error).description ?? 'The privacy policy could not be loaded.'}</p>
            <Button className="mt-3" size="sm" onClick={() => void settings.refetch()}>
              Try again
            </Button>
          </EmptyState>
        </div>
      ) : (
        <RedactionEditor saved={settings.data} canManage={canManage} />
      )}
    </div>
  )
}
