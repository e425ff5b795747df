//! PostgreSQL: the audit log's table (`audit_entries`; migration 0011). A listing is scoped by
//! tenant unless the caller asks for every tenant's (the admin's view). `before` and `after`
//! are `json`, bound as text and read back as text, so they come back as written, as on
//! SQLite.

use chrono::{DateTime, Utc};
use sqlx::postgres::{PgPool, PgRow};
use sqlx::{Postgres, QueryBuilder, Row};
use uuid::Uuid;

use super::micros;
use crate::audit::{
    Actor, ActorFilter, ActorType, AuditCursor, AuditEntry, AuditFilter, EntriesOf,
};
use crate::store::StoreError;
use crate::tenants::TenantId;

fn invalid(what: &str, error: impl std::fmt::Display) -> StoreError {
    StoreError::Invalid(format!("audit entry {what}: {error}"))
}

fn json_text(value: &Option<serde_json::Value>) -> Option<String> {
    value.as_ref().map(serde_json::Value::to_string)
}

fn json_column(row: &PgRow, column: &str) -> Result<Option<serde_json::Value>, StoreError> {
    row.try_get::<Option<String>, _>(column)?
        .map(|text| serde_json::from_str(&text).map_err(|error| invalid(column, error)))
        .transpose()
}

fn entry_from_row(row: &PgRow) -> Result<AuditEntry, StoreError> {
    let kind: String = row.try_get("actor_type")?;
    let status: i32 = row.try_get("status")?;
    Ok(AuditEntry {
        id: row.try_get("id")?,
        tenant_id: row.try_get::<Option<Uuid>, _>("tenant_id")?.map(TenantId),
        at: row.try_get("at")?,
        actor: Actor {
            kind: ActorType::parse(&kind).ok_or_else(|| invalid("actor_type", &kind))?,
            key_id: row.try_get("actor_key_id")?,
            key_prefix: row.try_get("actor_key_prefix")?,
            via_jwt: row.try_get("via_jwt")?,
        },
        ip: row.try_get("ip")?,
        action: row.try_get("action")?,
        method: row.try_get("method")?,
        route: row.try_get("route")?,
        status: u16::try_from(status).map_err(|error| invalid("status", error))?,
        target_id: row.try_get("target_id")?,
        before: json_column(row, "before")?,
        after: json_column(row, "after")?,
        request_id: row.try_get("request_id")?,
    })
}

pub(super) async fn insert(pool: &PgPool, entry: &AuditEntry) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_entries (id, tenant_id, at, actor_type, actor_key_id, \
         actor_key_prefix, via_jwt, ip, action, method, route, status, target_id, before, after, \
         request_id) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, \
         $14::json, $15::json, $16)",
    )
    .bind(entry.id)
    .bind(entry.tenant_id.map(|tenant| tenant.0))
    .bind(micros(entry.at))
    .bind(entry.actor.kind.as_str())
    .bind(entry.actor.key_id)
    .bind(&entry.actor.key_prefix)
    .bind(entry.actor.via_jwt)
    .bind(&entry.ip)
    .bind(&entry.action)
    .bind(&entry.method)
    .bind(&entry.route)
    .bind(i32::from(entry.status))
    .bind(&entry.target_id)
    .bind(json_text(&entry.before))
    .bind(json_text(&entry.after))
    .bind(&entry.request_id)
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn list(
    pool: &PgPool,
    of: EntriesOf,
    filter: &AuditFilter,
    after: Option<AuditCursor>,
    limit: u32,
) -> Result<Vec<AuditEntry>, StoreError> {
    let mut query = QueryBuilder::<Postgres>::new(
        "SELECT id, tenant_id, at, actor_type, actor_key_id, actor_key_prefix, via_jwt, ip, \
         action, method, route, status, target_id, before::text AS before, \
         after::text AS after, request_id FROM audit_entries WHERE TRUE",
    );
    if let EntriesOf::Tenant(tenant) = of {
        query.push(" AND tenant_id = ").push_bind(tenant.0);
    }
    if let Some(action) = &filter.action {
        query.push(" AND action = ").push_bind(action.clone());
    }
    match filter.actor {
        Some(ActorFilter::Admin) => {
            query.push(" AND actor_type = 'admin'");
        }
        Some(ActorFilter::Key(key_id)) => {
            query.push(" AND actor_key_id = ").push_bind(key_id);
        }
        None => {}
    }
    if let Some(target) = &filter.target_id {
        query.push(" AND target_id = ").push_bind(target.clone());
    }
    if let Some(from) = filter.from {
        query.push(" AND at >= ").push_bind(micros(from));
    }
    if let Some(to) = filter.to {
        query.push(" AND at < ").push_bind(micros(to));
    }
    if let Some(cursor) = after {
        query
            .push(" AND (at, id) < (")
            .push_bind(micros(cursor.at))
            .push(", ")
            .push_bind(cursor.id)
            .push(")");
    }
    query
        .push(" ORDER BY at DESC, id DESC LIMIT ")
        .push_bind(i64::from(limit));
    query
        .build()
        .fetch_all(pool)
        .await?
        .iter()
        .map(entry_from_row)
        .collect()
}

pub(super) async fn prune(
    pool: &PgPool,
    before: DateTime<Utc>,
    limit: u32,
) -> Result<u64, StoreError> {
    let deleted = sqlx::query(
        "DELETE FROM audit_entries WHERE id IN \
         (SELECT id FROM audit_entries WHERE at < $1 ORDER BY at, id LIMIT $2)",
    )
    .bind(micros(before))
    .bind(i64::from(limit))
    .execute(pool)
    .await?;
    Ok(deleted.rows_affected())
}
