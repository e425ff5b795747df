//! SQLite: full-text search over a tenant's events, through the FTS5 table `events_fts`
//! (written by [`super::search_index`]). Ranking looks at a window only: the tenant's most
//! recent matches, up to [`RANK_WINDOW`], scored by bm25 (doubled for a phrase of two
//! adjacent query words), then ordered by score, time and id; the cursor continues in that
//! order. A search first waits for the index to cover what was committed before it.
//!
//! The index is shared by the tenants, and the window is found one of two ways ([`Plan`]),
//! chosen by the tenant's size: both give the same hits with the same scores (the `tenant`
//! column, which holds the tenant's token, has the weight 0 in bm25).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::{QueryBuilder, Row, Sqlite};

use super::SqliteStore;
use super::events::{event_from_row, push_filter};
use super::micros;
use crate::events::EventFilter;
use crate::store::{SearchCursor, SearchHit, StoreError};
use crate::tenants::TenantId;
use crate::textquery::render::{fts5_filter, fts5_pairs, fts5_within_tenant};
use crate::textquery::{Query, RANK_WINDOW};

/// A tenant with fewer events than this is searched through its token ([`Plan::TenantToken`]).
/// bm25 then counts the token's documents on every search: about 35 ns each here, so at most
/// a few milliseconds, against a walk through other tenants' matches that can take 100 ms.
const TOKEN_PLAN_BELOW: i64 = 100_000;
/// How long the plan chosen for a tenant is kept before its events are counted again.
const PLAN_TTL: Duration = Duration::from_secs(60);

/// How a search finds the tenant's most recent matches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Plan {
    /// Walk the matches of every tenant newest first and keep the tenant's: quick when the
    /// tenant holds many of the events, since the window fills soon.
    SharedWalk,
    /// Let the index walk only the tenant's own matches, through its token: quick for a
    /// tenant with few events, whose window the shared walk might fill only after every other
    /// tenant's matches.
    TenantToken,
}

/// The plan of each tenant that searched lately (counting a large tenant's events costs a
/// few milliseconds, more than some searches).
#[derive(Default)]
pub(super) struct Plans(Mutex<HashMap<TenantId, (Instant, Plan)>>);

impl Plans {
    async fn for_tenant(&self, store: &SqliteStore, tenant: TenantId) -> Result<Plan, StoreError> {
        let now = Instant::now();
        let known = self.lock().get(&tenant).copied();
        if let Some((at, plan)) = known
            && now.duration_since(at) < PLAN_TTL
        {
            return Ok(plan);
        }
        let plan = choose(store, tenant, TOKEN_PLAN_BELOW).await?;
        self.lock().insert(tenant, (now, plan));
        Ok(plan)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<TenantId, (Instant, Plan)>> {
        // The map holds no invariant a panic elsewhere could break.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// [`Plan::TenantToken`] for a tenant with fewer than `below` events (counted up to that).
async fn choose(store: &SqliteStore, tenant: TenantId, below: i64) -> Result<Plan, StoreError> {
    let counted: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM (SELECT 1 FROM events WHERE tenant_id = ? LIMIT ?)",
    )
    .bind(tenant.0.to_string())
    .bind(below)
    .fetch_one(&store.pool)
    .await?;
    Ok(if counted < below {
        Plan::TenantToken
    } else {
        Plan::SharedWalk
    })
}

pub(super) async fn events(
    store: &SqliteStore,
    tenant: TenantId,
    query: &Query,
    filter: &EventFilter,
    after: Option<SearchCursor>,
    limit: u32,
) -> Result<Vec<SearchHit>, StoreError> {
    store.index_caught_up(true).await;
    let plan = store.search_plans.for_tenant(store, tenant).await?;
    events_with_plan(store, plan, tenant, query, filter, after, limit).await
}

async fn events_with_plan(
    store: &SqliteStore,
    plan: Plan,
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
    // The window: the tenant's most recent matches (by rowid, which is commit order),
    // found by walking the full-text index backwards (CROSS JOIN keeps it the outer loop)
    // and stopping after RANK_WINDOW; bm25 is computed for those only. The tenant is checked
    // on the event in both plans.
    let mut sql = QueryBuilder::<Sqlite>::new(
        "WITH c AS MATERIALIZED (SELECT events.*, events_fts.rowid AS fts_rowid, \
         -bm25(events_fts, 1.0, 0.0) AS relevance FROM events_fts CROSS JOIN events \
         ON events.rowid = events_fts.rowid WHERE events_fts MATCH ",
    );
    let in_plan = |expression: String| match plan {
        Plan::SharedWalk => expression,
        Plan::TenantToken => fts5_within_tenant(tenant.0, &expression),
    };
    sql.push_bind(in_plan(fts5_filter(&query)))
        .push(" AND events.tenant_id = ")
        .push_bind(tenant.0.to_string());
    push_filter(&mut sql, &filter);
    sql.push(" ORDER BY events_fts.rowid DESC LIMIT ")
        .push_bind(i64::from(RANK_WINDOW))
        .push(")");
    // Events of the window holding two adjacent query words as a phrase score double.
    match fts5_pairs(&query) {
        Some(pairs) => {
            sql.push(
                ", p AS MATERIALIZED (SELECT rowid AS p_rowid FROM events_fts \
                 WHERE events_fts MATCH ",
            )
            .push_bind(in_plan(pairs))
            .push(
                " AND rowid >= (SELECT min(fts_rowid) FROM c)), \
                 s AS (SELECT c.*, c.relevance * (CASE WHEN p.p_rowid IS NULL THEN 1 ELSE 2 END) \
                 AS score FROM c LEFT JOIN p ON p.p_rowid = c.fts_rowid)",
            );
        }
        None => {
            sql.push(", s AS (SELECT c.*, c.relevance AS score FROM c)");
        }
    }
    sql.push(" SELECT * FROM s WHERE TRUE");
    if let Some(cursor) = after {
        let ts = micros(cursor.timestamp);
        sql.push(" AND (score < ")
            .push_bind(cursor.score)
            .push(" OR (score = ")
            .push_bind(cursor.score)
            .push(" AND (ts < ")
            .push_bind(ts)
            .push(" OR (ts = ")
            .push_bind(ts)
            .push(" AND id < ")
            .push_bind(cursor.id.to_string())
            .push("))))");
    }
    sql.push(" ORDER BY score DESC, ts DESC, id DESC LIMIT ")
        .push_bind(i64::from(limit));
    let mut read = store.interruptible().await?;
    let rows = sql.build().fetch_all(&mut *read.connection).await?;
    read.finish();
    rows.iter()
        .map(|row| {
            Ok(SearchHit {
                event: event_from_row(row)?,
                score: row.try_get("score")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use chrono::Utc;
    use serde_json::{Map, json};
    use uuid::Uuid;

    use super::super::test_support::add_tenant;
    use super::*;
    use crate::events::NewEvent;
    use crate::store::Store;

    /// `count` events of `tenant` whose messages mix the words of `words` in varying numbers
    /// and lengths, so that bm25 scores differ from event to event.
    fn events(tenant: TenantId, count: usize, words: &[&str]) -> Vec<NewEvent> {
        (0..count)
            .map(|n| {
                let message: Vec<&str> = (0..1 + n % 7)
                    .map(|k| words[(n * 3 + k * 5) % words.len()])
                    .collect();
                NewEvent {
                    id: Uuid::now_v7(),
                    tenant_id: tenant,
                    event_type: if n % 2 == 0 { "note" } else { "card" }.into(),
                    timestamp: Utc::now(),
                    received_at: Utc::now(),
                    metadata: Map::from_iter([("message".to_owned(), json!(message.join(" ")))]),
                    event_id: None,
                    violations: Vec::new(),
                }
            })
            .collect()
    }

    const WORDS: [&str; 8] = [
        "card", "declined", "timeout", "checkout", "visa", "retry", "page", "view",
    ];

    async fn two_tenants(dir: &tempfile::TempDir) -> (SqliteStore, TenantId, TenantId) {
        let url = format!("sqlite://{}", dir.path().join("t.db").display());
        let store = SqliteStore::connect(&url, 2, None).await.unwrap();
        let large = add_tenant(&store, "large").await;
        let small = add_tenant(&store, "small").await;
        // The small tenant's events sit among the large one's, as when both ingest at once.
        for _ in 0..4 {
            store
                .insert_events(Arc::new(events(large, 150, &WORDS)))
                .await
                .unwrap();
            store
                .insert_events(Arc::new(events(small, 10, &WORDS)))
                .await
                .unwrap();
        }
        store.index_caught_up(true).await;
        (store, large, small)
    }

    async fn search(store: &SqliteStore, plan: Plan, tenant: TenantId, q: &str) -> Vec<SearchHit> {
        let query = Query::parse(q).unwrap();
        let filter = EventFilter::default();
        events_with_plan(store, plan, tenant, &query, &filter, None, 1000)
            .await
            .unwrap()
    }

    #[tokio::test]
    async fn both_plans_find_the_same_hits_in_the_same_order_with_the_same_scores() {
        let dir = tempfile::tempdir().unwrap();
        let (store, large, small) = two_tenants(&dir).await;
        for q in [
            "declined",
            "card declined",
            // Adjacent in some messages (a word is followed by the one five places on):
            // a phrase, and the pair that doubles a score.
            "\"declined page\"",
            "declined page",
            "visa OR timeout",
            "retry -checkout",
            "page view",
            "decl*",
        ] {
            for tenant in [large, small] {
                let shared = search(&store, Plan::SharedWalk, tenant, q).await;
                let token = search(&store, Plan::TenantToken, tenant, q).await;
                assert!(!shared.is_empty(), "{q}: no hits");
                assert!(
                    shared.iter().all(|hit| hit.event.tenant_id == tenant),
                    "{q}: another tenant's event"
                );
                let key = |hits: &[SearchHit]| -> Vec<(Uuid, f64)> {
                    hits.iter().map(|hit| (hit.event.id, hit.score)).collect()
                };
                assert_eq!(key(&shared), key(&token), "{q}");
            }
        }
    }

    #[tokio::test]
    async fn a_tenant_with_few_events_is_searched_through_its_token() {
        let dir = tempfile::tempdir().unwrap();
        let (store, large, small) = two_tenants(&dir).await;
        assert_eq!(choose(&store, small, 41).await.unwrap(), Plan::TenantToken);
        assert_eq!(choose(&store, small, 40).await.unwrap(), Plan::SharedWalk);
        assert_eq!(choose(&store, large, 41).await.unwrap(), Plan::SharedWalk);
        assert_eq!(
            store.search_plans.for_tenant(&store, small).await.unwrap(),
            Plan::TenantToken
        );
    }

    /// Migration 0017 makes the index again with its `tenant` column: a database indexed
    /// before it is indexed again when the store opens, and found through either plan.
    #[tokio::test]
    async fn events_indexed_before_the_tenant_column_are_indexed_again() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.db");
        let url = format!("sqlite://{}", path.display());
        let before = dir.path().join("migrations");
        std::fs::create_dir(&before).unwrap();
        for entry in std::fs::read_dir("migrations/sqlite").unwrap() {
            let entry = entry.unwrap();
            let name = entry.file_name().into_string().unwrap();
            if name.as_str() < "0017" {
                std::fs::copy(entry.path(), before.join(&name)).unwrap();
            }
        }
        let options = sqlx::sqlite::SqliteConnectOptions::new()
            .filename(&path)
            .create_if_missing(true);
        let old = sqlx::SqlitePool::connect_with(options).await.unwrap();
        sqlx::migrate::Migrator::new(before.as_path())
            .await
            .unwrap()
            .run(&old)
            .await
            .unwrap();
        let tenant = Uuid::now_v7();
        sqlx::query(
            "INSERT INTO tenants (id, name, status, rate_per_second, rate_burst, created_at) \
             VALUES (?, 'old', 'active', 1, 1, 0)",
        )
        .bind(tenant.to_string())
        .execute(&old)
        .await
        .unwrap();
        for (n, word) in ["legacy", "words", "legacy"].iter().enumerate() {
            let rowid: i64 = sqlx::query_scalar(
                "INSERT INTO events (id, tenant_id, event_type, ts, received_at, metadata) \
                 VALUES (?, ?, 'note', ?, ?, ?) RETURNING rowid",
            )
            .bind(Uuid::now_v7().to_string())
            .bind(tenant.to_string())
            .bind(n as i64)
            .bind(n as i64)
            .bind(json!({ "message": word }).to_string())
            .fetch_one(&old)
            .await
            .unwrap();
            sqlx::query("INSERT INTO events_fts (rowid, body) VALUES (?, ?)")
                .bind(rowid)
                .bind(*word)
                .execute(&old)
                .await
                .unwrap();
            sqlx::query("UPDATE settings SET value = ? WHERE key = 'search_indexed'")
                .bind(rowid.to_string())
                .execute(&old)
                .await
                .unwrap();
        }
        old.close().await;

        let store = SqliteStore::connect(&url, 2, None).await.unwrap();
        store.index_caught_up(true).await;
        for plan in [Plan::SharedWalk, Plan::TenantToken] {
            let hits = search(&store, plan, TenantId(tenant), "legacy").await;
            assert_eq!(hits.len(), 2, "{plan:?}");
        }
    }
}
