//! SQLite: the audit log's table (`audit_entries`; migration 0011). A listing is scoped by
//! tenant unless the caller asks for every tenant's (the admin's view); times are
//! microseconds, ids hyphenated text (which sorts like the UUIDs).

use chrono::{DateTime, Utc};
use sqlx::sqlite::{SqlitePool, SqliteRow};
use sqlx::{QueryBuilder, Row, Sqlite};

use super::{from_micros, micros, parse_uuid};
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

fn json_column(row: &SqliteRow, column: &str) -> Result<Option<serde_json::Value>, StoreError> {
    row.try_get::<Option<String>, _>(column)?
        .map(|text| serde_json::from_str(&text).map_err(|error| invalid(column, error)))
        .transpose()
}

fn entry_from_row(row: &SqliteRow) -> Result<AuditEntry, StoreError> {
    let kind: String = row.try_get("actor_type")?;
    let status: i64 = row.try_get("status")?;
    Ok(AuditEntry {
        id: parse_uuid(row.try_get("id")?)?,
        tenant_id: row
            .try_get::<Option<&str>, _>("tenant_id")?
            .map(parse_uuid)
            .transpose()?
            .map(TenantId),
        at: from_micros(row.try_get("at")?)?,
        actor: Actor {
            kind: ActorType::parse(&kind).ok_or_else(|| invalid("actor_type", &kind))?,
            key_id: row
                .try_get::<Option<&str>, _>("actor_key_id")?
                .map(parse_uuid)
                .transpose()?,
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

pub(super) async fn insert(pool: &SqlitePool, entry: &AuditEntry) -> Result<(), StoreError> {
    sqlx::query(
        "INSERT INTO audit_entries (id, tenant_id, at, actor_type, actor_key_id, \
         actor_key_prefix, via_jwt, ip, action, method, route, status, target_id, before, after, \
         request_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
    )
    .bind(entry.id.to_string())
    .bind(entry.tenant_id.map(|tenant| tenant.0.to_string()))
    .bind(micros(entry.at))
    .bind(entry.actor.kind.as_str())
    .bind(entry.actor.key_id.map(|id| id.to_string()))
    .bind(&entry.actor.key_prefix)
    .bind(entry.actor.via_jwt)
    .bind(&entry.ip)
    .bind(&entry.action)
    .bind(&entry.method)
    .bind(&entry.route)
    .bind(i64::from(entry.status))
    .bind(&entry.target_id)
    .bind(json_text(&entry.before))
    .bind(json_text(&entry.after))
    .bind(&entry.request_id)
    .execute(pool)
    .await?;
    Ok(())
}

pub(super) async fn list(
    pool: &SqlitePool,
    of: EntriesOf,
    filter: &AuditFilter,
    after: Option<AuditCursor>,
    limit: u32,
) -> Result<Vec<AuditEntry>, StoreError> {
    let mut query = QueryBuilder::<Sqlite>::new("SELECT * FROM audit_entries WHERE 1 = 1");
    if let EntriesOf::Tenant(tenant) = of {
        query
            .push(" AND tenant_id = ")
            .push_bind(tenant.0.to_string());
    }
    if let Some(action) = &filter.action {
        query.push(" AND action = ").push_bind(action.clone());
    }
    match filter.actor {
        Some(ActorFilter::Admin) => {
            query.push(" AND actor_type = 'admin'");
        }
        Some(ActorFilter::Key(key_id)) => {
            query
                .push(" AND actor_key_id = ")
                .push_bind(key_id.to_string());
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
            .push(" AND (at < ")
            .push_bind(micros(cursor.at))
            .push(" OR (at = ")
            .push_bind(micros(cursor.at))
            .push(" AND id < ")
            .push_bind(cursor.id.to_string())
            .push("))");
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
    pool: &SqlitePool,
    before: DateTime<Utc>,
    limit: u32,
) -> Result<u64, StoreError> {
    let deleted = sqlx::query(
        "DELETE FROM audit_entries WHERE id IN \
         (SELECT id FROM audit_entries WHERE at < ? ORDER BY at, id LIMIT ?)",
    )
    .bind(micros(before))
    .bind(i64::from(limit))
    .execute(pool)
    .await?;
    Ok(deleted.rows_affected())
}
