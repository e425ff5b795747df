// Audit actions in words, and who made a change, for people.
import type { ApiKeyView, AuditActor } from '@/api/types'

/** The actions the server names (src/audit/mod.rs ACTIONS), grouped for the filter. */
export const ACTIONS: { group: string; actions: [string, string][] }[] = [
  { group: 'Tenants', actions: [['tenant.create', 'Tenant created'], ['tenant.update', 'Tenant updated']] },
  { group: 'API keys', actions: [['key.create', 'Key created'], ['key.revoke', 'Key revoked']] },
  {
    group: 'Webhooks',
    actions: [
      ['webhook.create', 'Endpoint created'],
      ['webhook.update', 'Endpoint updated'],
      ['webhook.delete', 'Endpoint deleted'],
      ['webhook.rotate_secret', 'Secret rotated'],
      ['webhook.test', 'Test event sent'],
      ['delivery.retry', 'Delivery retried'],
    ],
  },
  { group: 'Schemas', actions: [['schema.put', 'Schema saved'], ['schema.delete', 'Schema deleted'], ['schema_policy.update', 'Unplanned-type policy changed']] },
  {
    group: 'Privacy',
    actions: [
      ['privacy.update', 'Redaction policy saved'],
      ['deletion.create', 'Deletion started'],
      ['deletion.cancel', 'Deletion cancelled'],
      ['suppression.create', 'Subject suppressed'],
      ['suppression.delete', 'Suppression lifted'],
    ],
  },
]

const WORDS = new Map(ACTIONS.flatMap((g) => g.actions))

/** "Endpoint updated" for `webhook.update`; an action the dashboard does not know stays as named. */
export function actionWords(action: string): string {
  return WORDS.get(action) ?? action
}

/** "Admin", or the key's name and prefix when it is known ("ci-deploy · trb_abc123…"). */
export function actorWords(actor: AuditActor, keys: readonly ApiKeyView[] = []): { name: string; detail: string | null } {
  if (actor.type === 'admin') return { name: 'Admin', detail: actor.via_jwt ? 'admin token, signed in' : 'admin token' }
  const key = keys.find((k) => k.id === actor.key_id)
  const prefix = actor.key_prefix ? `${actor.key_prefix}…` : 'a key'
  return { name: key?.name ?? prefix, detail: [key ? prefix : null, actor.via_jwt ? 'signed in' : null].filter(Boolean).join(' · ') || null }
}
