// The data-contract API's shapes (issue #18, /api/v1/schemas, /schema-policy, /data-quality).
// Provisional: written from the contract until the server's OpenAPI document names them; then
// each becomes an alias of the generated type in src/api/types.ts.

export type SchemaMode = 'observe' | 'warn' | 'block'
export type UnplannedPolicy = 'allow' | 'warn' | 'block'

/** One failed check: a JSON Pointer into the event's metadata ("" is metadata itself). */
export interface Violation {
  path: string
  message: string
}

export interface Schema {
  /** An exact event type or a pattern: `order.*` (prefix), `*.failed` (suffix), `*` (all). */
  event_type: string
  mode: SchemaMode
  schema: unknown
  version: number
  created_at: string
  updated_at: string
}

export interface SchemaList {
  unplanned: UnplannedPolicy
  schemas: Schema[]
}

export interface SchemaPolicy {
  unplanned: UnplannedPolicy
}

export interface PutSchema {
  mode: SchemaMode
  schema: unknown
}

export interface InferredSchema {
  event_type: string
  sampled: number
  schema: unknown
}

export interface QualityTotals {
  checked: number
  violations: number
  blocked: number
}

export interface QualityBucket extends QualityTotals {
  start: string
}

export interface ViolationExample {
  at: string
  /** The stored event, or null when block mode refused it. */
  event_id?: string | null
  mode: SchemaMode
  violations: Violation[]
  metadata: Record<string, unknown>
}

export interface ViolationReport {
  event_type: string
  totals: QualityTotals
  /** Sparse: only buckets with counts. */
  buckets: QualityBucket[]
  /** Newest first, at most 20. */
  examples: ViolationExample[]
}

export interface QualityType {
  event_type: string
  /** The pattern that matched; null for an unplanned type. */
  schema?: string | null
  mode?: SchemaMode | null
  totals: QualityTotals
  buckets: QualityBucket[]
}

export interface DataQuality {
  types: QualityType[]
}
