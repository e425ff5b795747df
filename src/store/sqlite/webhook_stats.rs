//! SQLite: an endpoint's webhook attempts counted per (time bucket, latency class) for
//! [`crate::webhooks::stats`]. The attempts are counted in SQL, never loaded: the answer has
//! at most `buckets × classes` rows whatever the endpoint's traffic. Scoped by tenant; read
//! through the `webhook_attempts_tenant_time` index (migration 0015) and joined to the
//! endpoint's deliveries by their primary key.

use chrono::{DateTime, Utc};
use sqlx::sqlite::SqlitePool;
use sqlx::{QueryBuilder, Row, Sqlite};
use uuid::Uuid;

use crate::store::StoreError;
use crate::tenants::TenantId;
use crate::webhooks::stats::AttemptCell;

/// Pushes `CASE WHEN a.latency_ms <= b0 THEN 0 … ELSE n END`. The bounds are the server's
/// constants, written as literals so that the column's type is an integer on every backend
/// (a bound parameter in `THEN` would have no type to infer).
fn push_latency_class(query: &mut QueryBuilder<Sqlite>, classes: &[u64]) {
    query.push("CASE");
    for (index, bound) in classes.iter().enumerate() {
        query.push(format!(" WHEN a.latency_ms <= {bound} THEN {index}"));
    }
    query.push(format!(" ELSE {} END", classes.len()));
}

pub(super) async fn cells(
    pool: &SqlitePool,
    tenant: TenantId,
    endpoint_id: Uuid,
    from: DateTime<Utc>,
    to: DateTime<Utc>,
    width: i64,
    classes: &[u64],
) -> Result<Vec<AttemptCell>, StoreError> {
    let from = from.timestamp_micros();
    // Attempts are at or after `from`, so the integer division floors.
    let mut query = QueryBuilder::<Sqlite>::new("SELECT (a.attempted_at - ");
    query
        .push_bind(from)
        .push(") / ")
        .push_bind(width.max(1) * 1_000_000)
        .push(" AS bucket, ");
    push_latency_class(&mut query, classes);
    query
        .push(
            " AS class, COUNT(*) AS attempts, \
             SUM(CASE WHEN a.status_code BETWEEN 200 AND 299 THEN 1 ELSE 0 END) AS succeeded, \
             MIN(a.latency_ms) AS min_latency, MAX(a.latency_ms) AS max_latency \
             FROM webhook_attempts a JOIN webhook_deliveries d ON d.id = a.delivery_id \
             WHERE a.tenant_id = ",
        )
        .push_bind(tenant.0.to_string())
        .push(" AND d.endpoint_id = ")
        .push_bind(endpoint_id.to_string())
        .push(" AND a.attempted_at >= ")
        .push_bind(from)
        .push(" AND a.attempted_at < ")
        .push_bind(to.timestamp_micros() + 1)
        .push(" GROUP BY bucket, class ORDER BY bucket, class");
    let rows = query.build().fetch_all(pool).await?;
    rows.iter()
        .map(|row| {
            let number = |name: &str| -> Result<i64, StoreError> { Ok(row.try_get(name)?) };
            Ok(AttemptCell {
                bucket: number("bucket")?,
                class: usize::try_from(number("class")?).unwrap_or(classes.len()),
                attempts: u64::try_from(number("attempts")?).unwrap_or(0),
                succeeded: u64::try_from(number("succeeded")?).unwrap_or(0),
                min_latency_ms: u64::try_from(number("min_latency")?).unwrap_or(0),
                max_latency_ms: u64::try_from(number("max_latency")?).unwrap_or(0),
            })
        })
        .collect()
}
