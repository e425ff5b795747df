// Thin helpers over the real HTTP API, for arranging test data.
import type { CreatedTenant, Event, IngestResponse, TokenResponse } from '../../src/api/types'
import { ADMIN_TOKEN } from './server'

export class Api {
  constructor(readonly baseUrl: string) {}

  private async call<T>(method: string, path: string, init: { body?: unknown; key?: string } = {}): Promise<{ status: number; body: T; headers: Headers }> {
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { 'X-API-Key': init.key ?? ADMIN_TOKEN, ...(init.body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    })
    const text = await response.text()
    return { status: response.status, body: (text ? JSON.parse(text) : undefined) as T, headers: response.headers }
  }

  async createTenant(name: string, rateLimit?: { per_second: number; burst: number }): Promise<CreatedTenant> {
    const { status, body } = await this.call<CreatedTenant>('POST', '/api/v1/tenants', { body: { name, rate_limit: rateLimit } })
    if (status !== 201) throw new Error(`create tenant: ${status} ${JSON.stringify(body)}`)
    return body
  }

  async send(key: string, event: { event_type: string; metadata?: Record<string, unknown> }): Promise<string> {
    const { status, body } = await this.call<IngestResponse>('POST', '/api/v1/events', { key, body: event })
    if (status !== 202) throw new Error(`ingest: ${status} ${JSON.stringify(body)}`)
    return body.id
  }

  async sendBatch(key: string, events: { event_type: string; metadata?: Record<string, unknown> }[]): Promise<string[]> {
    const { status, body } = await this.call<{ results: { id?: string }[] }>('POST', '/api/v1/events/batch', { key, body: { events } })
    if (status !== 202) throw new Error(`batch: ${status} ${JSON.stringify(body)}`)
    return body.results.map((r) => r.id ?? '')
  }

  /** POST /api/v1/events, whatever it answers (block mode answers 422). */
  async sendRaw(key: string, event: { event_type: string; metadata?: Record<string, unknown> }): Promise<{ status: number; body: unknown }> {
    const { status, body } = await this.call<unknown>('POST', '/api/v1/events', { key, body: event })
    return { status, body }
  }

  async putSchema(tenantId: string, eventType: string, body: { mode: 'observe' | 'warn' | 'block'; schema: unknown }): Promise<void> {
    const { status, body: answer } = await this.call('PUT', `/api/v1/schemas/${encodeURIComponent(eventType)}?tenant_id=${tenantId}`, { body })
    if (status !== 200 && status !== 201) throw new Error(`put schema: ${status} ${JSON.stringify(answer)}`)
  }

  async createKey(tenantId: string, name: string, scopes: string[]): Promise<string> {
    const { status, body } = await this.call<{ key?: string }>('POST', `/api/v1/tenants/${tenantId}/keys`, { body: { name, scopes } })
    if (status !== 201 || !body.key) throw new Error(`create key: ${status} ${JSON.stringify(body)}`)
    return body.key
  }

  async createWebhook(tenantId: string, body: { url: string; description?: string; event_types?: string[] }): Promise<string> {
    const { status, body: answer } = await this.call<{ id: string }>('POST', `/api/v1/webhooks?tenant_id=${tenantId}`, { body })
    if (status !== 201) throw new Error(`create webhook: ${status} ${JSON.stringify(answer)}`)
    return answer.id
  }

  async listEvents(key: string, query = ''): Promise<Event[]> {
    const { body } = await this.call<{ events: Event[] }>('GET', `/api/v1/events?limit=1000${query}`, { key })
    return body.events
  }

  async revokeKey(tenantId: string, keyId: string): Promise<void> {
    const { status } = await this.call('DELETE', `/api/v1/tenants/${tenantId}/keys/${keyId}`)
    if (status !== 204) throw new Error(`revoke: ${status}`)
  }

  async token(key: string): Promise<TokenResponse> {
    return (await this.call<TokenResponse>('POST', '/api/v1/auth/token', { key })).body
  }

  async wsAvailable(): Promise<boolean> {
    // Without the upgrade headers a WebSocket route answers 4xx other than 404 (or 401 without a token).
    const response = await fetch(`${this.baseUrl}/api/v1/ws`)
    return response.status !== 404
  }
}
