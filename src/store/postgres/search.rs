//! PostgreSQL: full-text search over a tenant's events, through the `search` tsvector column
//! of `events` (migrations/postgres/0002_search.sql), written with the row
//! ([`search_vector`]) and, for events stored before search existed, at start
//! ([`backfill`]). Ranking looks at a window only: the tenant's most recent matches, up to
//! [`RANK_WINDOW`], scored by cover density and an idf measured among them, then
//! ordered by score, time and id; the cursor continues in that order.

use serde_json::{Map, Value};
use sqlx::postgres::PgPool;
use sqlx::{Postgres, QueryBuilder, Row};
use uuid::Uuid;

use super::events::{event_from_row, push_filter};
use super::micros;
use crate::events::EventFilter;
use crate::store::{SearchCursor, SearchHit, StoreError};
use crate::tenants::TenantId;
use crate::textquery::render::{tsquery_rank, tsquery_search, tsquery_terms, tsvector};
use crate::textquery::{Query, RANK_WINDOW, text};

/// The `tsvector` literal of an event (see migrations/postgres/0002_search.sql).
pub(super) fn search_vector(
    tenant: TenantId,
    event_type: &str,
    metadata: &Map<String, Value>,
) -> String {
    tsvector(tenant.0, &text::document(event_type, metadata))
}

pub(super) async fn events(
    pool: &PgPool,
    tenant: TenantId,
    query: &Query,
    filter: &EventFilter,
    after: Option<SearchCursor>,
    limit: u32,
) -> Result<Vec<SearchHit>, StoreError> {
    let query = match &filter.text {
        Some(text) => query.and(text),
        None => query.clone(),
    };
    let filter = EventFilter {
        text: None,
        ..filter.clone()
    };
    // PostgreSQL keeps no corpus statistics, so rarity is measured among the matches:
    // each term that an event matches multiplies in 1 + its BM25-style idf over the hits
    // (an AND-only query gives every hit the same weight, and cover density decides).
    let mut sql = QueryBuilder::<Postgres>::new(
        "WITH hits AS MATERIALIZED (\
           SELECT id, tenant_id, event_type, ts, received_at, metadata, event_id, violations, search \
           FROM events WHERE tenant_id = ",
    );
    sql.push_bind(tenant.0)
        .push(" AND search @@ ")
        .push_bind(tsquery_search(&query, tenant.0))
        .push("::text::tsquery");
    push_filter(&mut sql, &filter);
    // The window: the tenant's most recent matches by id (commit order), as on SQLite.
    sql.push(" ORDER BY id DESC LIMIT ")
        .push_bind(i64::from(RANK_WINDOW));
    sql.push(
        "), total AS (SELECT count(*)::float8 AS m FROM hits), \
         terms AS MATERIALIZED (\
           SELECT t.q, ln(1 + (total.m - t.df + 0.5) / (t.df + 0.5)) AS idf \
           FROM (SELECT q, (SELECT count(*) FROM hits WHERE hits.search @@ q)::float8 AS df \
                 FROM unnest(",
    )
    .push_bind(tsquery_terms(&query))
    .push(
        "::text[]::tsquery[]) AS q) AS t, total), \
         scored AS (\
           SELECT hits.*, ts_rank_cd(hits.search, ",
    )
    .push_bind(tsquery_rank(&query))
    .push(
        "::text::tsquery, 1)::float8 \
           * (1 + COALESCE((SELECT sum(terms.idf) FROM terms WHERE hits.search @@ terms.q), 0)) \
           AS score FROM hits) \
         SELECT id, tenant_id, event_type, ts, received_at, metadata::text AS metadata, \
                event_id, violations::text AS violations, score \
         FROM scored WHERE TRUE",
    );
    if let Some(cursor) = after {
        sql.push(" AND (score < ")
            .push_bind(cursor.score)
            .push(" OR (score = ")
            .push_bind(cursor.score)
            .push(" AND (ts, id) < (")
            .push_bind(micros(cursor.timestamp))
            .push(", ")
            .push_bind(cursor.id)
            .push(")))");
    }
    sql.push(" ORDER BY score DESC, ts DESC, id DESC LIMIT ")
        .push_bind(i64::from(limit));
    sql.build()
        .fetch_all(pool)
        .await?
        .iter()
        .map(|row| {
            Ok(SearchHit {
                event: event_from_row(row)?,
                score: row.try_get("score")?,
            })
        })
        .collect()
}

/// Indexes the events stored before the search migration (their `search` is NULL), in chunks.
/// Several instances starting together may index the same rows; the result is the same.
pub(super) async fn backfill(pool: &PgPool) -> Result<(), StoreError> {
    const CHUNK: i64 = 1000;
    let mut indexed = 0u64;
    loop {
        let rows: Vec<(Uuid, Uuid, String, String)> = sqlx::query_as(
            "SELECT id, tenant_id, event_type, metadata::text FROM events \
             WHERE search IS NULL ORDER BY id LIMIT $1",
        )
        .bind(CHUNK)
        .fetch_all(pool)
        .await?;
        let mut ids = Vec::with_capacity(rows.len());
        let mut vectors = Vec::with_capacity(rows.len());
        for (id, tenant, event_type, metadata) in &rows {
            // Unreadable metadata (never written by Tributary) is indexed as empty rather than
            // stopping the start.
            let metadata: Map<String, Value> = serde_json::from_str(metadata).unwrap_or_default();
            ids.push(*id);
            vectors.push(search_vector(TenantId(*tenant), event_type, &metadata));
        }
        if !ids.is_empty() {
            sqlx::query(
                "UPDATE events SET search = input.search::tsvector \
                 FROM unnest($1::uuid[], $2::text[]) AS input (id, search) \
                 WHERE events.id = input.id AND events.search IS NULL",
            )
            .bind(&ids)
            .bind(&vectors)
            .execute(pool)
            .await?;
        }
        indexed += rows.len() as u64;
        if (rows.len() as i64) < CHUNK {
            if indexed > 0 {
                tracing::info!(indexed, "indexed the events stored before search existed");
            }
            return Ok(());
        }
    }
}
