// "No events yet — send one": a copyable curl for the selected tenant (with its key's prefix so
// the user knows which key to paste) and a button that sends a test event right away.
import { apiOrigin } from '@/api/base-url'
import { CodeBlock } from '@/components/ui/code-block'
import { useSession } from '@/features/auth/hooks/use-session'
import { useTenantKeys } from '../api/get-tenants'
import { curlForFirstEvent } from './curl-snippet'

export function FirstEventHelp({ tenantId }: { tenantId: string }) {
  const session = useSession()
  const canManage = session?.tenantId === null || session?.scopes.includes('manage')
  const keys = useTenantKeys(canManage ? tenantId : undefined)
  const prefix = keys.data?.find((k) => !k.revoked_at)?.prefix
  return (
    <div className="w-full max-w-2xl text-left">
      <CodeBlock code={curlForFirstEvent({ origin: apiOrigin(), keyPrefix: prefix })} label="Copy command" ariaLabel="curl command to send a first event" title="Terminal" />
    </div>
  )
}
