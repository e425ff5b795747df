//! SQLite: full-text search over a tenant's events, through the FTS5 table `events_fts`
//! (written by [`super::search_index`]). Ranking looks at a window only: the tenant's most
//! recent matches, up to [`RANK_WINDOW`], scored by bm25 (doubled for a phrase of two
//! adjacent query words), then ordered by score, time and id; the cursor continues in that
//! order. A search first waits for the index to cover what was committed before it.

use sqlx::{QueryBuilder, Row, Sqlite};

use super::SqliteStore;
use super::events::{event_from_row, push_filter};
use super::micros;
use crate::events::EventFilter;
use crate::store::{SearchCursor, SearchHit, StoreError};
use crate::tenants::TenantId;
use crate::textquery::render::{fts5_filter, fts5_pairs};
use crate::textquery::{Query, RANK_WINDOW};

pub(super) async fn events(
    store: &SqliteStore,
    tenant: TenantId,
    query: &Query,
    filter: &EventFilter,
    after: Option<SearchCursor>,
    limit: u32,
) -> Result<Vec<SearchHit>, StoreError> {
    store.index_caught_up(true).await;
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
    // and stopping after RANK_WINDOW; bm25 is computed for those only.
    let mut sql = QueryBuilder::<Sqlite>::new(
        "WITH c AS MATERIALIZED (SELECT events.*, events_fts.rowid AS fts_rowid, \
         -bm25(events_fts) AS relevance FROM events_fts CROSS JOIN events \
         ON events.rowid = events_fts.rowid WHERE events_fts MATCH ",
    );
    sql.push_bind(fts5_filter(&query))
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
            .push_bind(pairs)
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
