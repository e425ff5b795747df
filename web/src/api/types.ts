// Names for the generated OpenAPI types, so features never spell `components['schemas'][…]`.
import type { components } from './schema'

type Schemas = components['schemas']

export type Event = Schemas['Event']
export type EventList = Schemas['EventList']
export type Stats = Schemas['Stats']
export type StatsInterval = Schemas['StatsInterval']
export type Tenant = Schemas['Tenant']
export type TenantList = Schemas['TenantList']
export type CreateTenant = Schemas['CreateTenant']
export type CreatedTenant = Schemas['CreatedTenant']
export type ApiKeyView = Schemas['ApiKeyView']
export type KeyList = Schemas['KeyList']
export type TokenResponse = Schemas['TokenResponse']
export type Scope = Schemas['Scope']
export type ErrorBody = Schemas['ErrorBody']
export type IngestRequest = Schemas['IngestRequest']
export type IngestResponse = Schemas['IngestResponse']
export type UpdateTenant = Schemas['UpdateTenant']
export type CreateKey = Schemas['CreateKey']
export type SearchResults = Schemas['SearchResults']
export type SearchHit = Schemas['Hit']
export type Snippet = Schemas['Snippet']
export type Fragment = Schemas['Fragment']
export type Webhook = Schemas['WebhookView']
export type WebhookWithSecret = Schemas['WebhookWithSecret']
export type WebhookList = Schemas['WebhookList']
export type CreateWebhook = Schemas['CreateWebhook']
export type UpdateWebhook = Schemas['UpdateWebhook']
export type Delivery = Schemas['Delivery']
export type DeliveryList = Schemas['DeliveryList']
export type DeliveryStatus = Schemas['DeliveryStatus']
export type Attempt = Schemas['Attempt']
export type EventDelivery = Schemas['EventDelivery']
export type EventDeliveryList = Schemas['EventDeliveryList']
export type TenantStatus = Schemas['TenantStatus']
export type Breakdown = Schemas['Breakdown']
export type TypeCount = Schemas['TypeCount']
export type Violation = Schemas['Violation']
export type SchemaMode = Schemas['Mode']
export type UnplannedPolicy = Schemas['Unplanned']
export type EventSchema = Schemas['Schema']
export type SchemaList = Schemas['SchemaList']
export type SchemaPolicy = Schemas['Policy']
export type PutSchema = Schemas['PutSchema']
export type InferredSchema = Schemas['Inferred']
export type QualityTotals = Schemas['Counts']
export type QualityBucket = Schemas['Bucket']
export type ViolationExample = Schemas['Example']
export type ViolationReport = Schemas['TypeViolations']
export type QualityType = Schemas['TypeQuality']
export type DataQuality = Schemas['DataQuality']
export type RedactionAction = Schemas['RedactionAction']
export type RedactionRule = Schemas['RedactionRule']
export type Detector = Schemas['Detector']
export type DetectorRule = Schemas['DetectorRule']
export type PrivacyPolicy = Schemas['PrivacyPolicy']
export type PrivacySettings = Schemas['PrivacySettings']
export type PutPrivacy = Schemas['PutPrivacy']
export type PrivacyPreviewRequest = Schemas['PreviewRequest']
export type PrivacyPreview = Schemas['Preview']
export type CreateDeletion = Schemas['CreateDeletion']
export type DeletionJob = Schemas['DeletionJob']
export type DeletionList = Schemas['DeletionList']
export type DeletionState = Schemas['DeletionState']
export type DeliveredTo = Schemas['DeliveredTo']
export type CreateSuppression = Schemas['CreateSuppression']
export type Suppression = Schemas['Suppression']
export type SuppressionList = Schemas['SuppressionList']
export type AuditEntry = Schemas['AuditEntry']
export type AuditPage = Schemas['AuditPage']
export type AuditActor = Schemas['AuditActor']
export type WebhookStats = Schemas['WebhookStats']
export type WebhookStatsBucket = Schemas['StatsBucket']

// Webhook replays: written from the API's contract (issue #17) until the server documents them;
// then these become names for the generated types like the rest.
export type ReplayState = 'pending' | 'running' | 'done' | 'cancelled' | 'failed'
export interface Replay {
  id: string
  endpoint_id: string
  state: ReplayState
  from: string
  to: string
  event_types: string[]
  only_failed: boolean
  /** Events the replay will deliver; null until counted. */
  total: number | null
  created: number
  delivered: number
  failed: number
  error: string | null
  created_at: string
  updated_at: string
  finished_at: string | null
}
export interface ReplayList {
  data: Replay[]
}
export interface CreateReplay {
  from?: string
  to?: string
  event_types?: string[]
  only_failed?: boolean
  since_delivery?: string
}
