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
