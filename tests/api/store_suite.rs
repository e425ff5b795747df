//! The store contract, written once and run against both stores: every case below becomes
//! `store_suite::sqlite::<case>` (a fresh SQLite file) and `store_suite::postgres::<case>` (a
//! fresh PostgreSQL database). The two stores must give identical answers, so a case never
//! branches on the backend.

use std::future::Future;
use std::path::PathBuf;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Map, Value, json};
use tributary::audit::{
    Actor, ActorFilter, ActorType, AuditCursor, AuditEntry, AuditFilter, EntriesOf,
};
use tributary::auth::{ApiKey, Scope};
use tributary::events::rollup::{self, UnitSpan};
use tributary::events::{Event, EventCursor, EventFilter, InsertOutcome, NewEvent, StatsInterval};
use tributary::store::{self, Backend, DynStore, Store, StoreError};
use tributary::tenants::{RateLimit, Tenant, TenantId, TenantStatus, TenantUpdate};
use uuid::Uuid;

use crate::pg::fresh_database;

// --- running a case against each store -----------------------------------------------------

/// A SQLite database file (and its WAL companions) removed when the test ends.
struct SqliteFile(PathBuf);

impl Drop for SqliteFile {
    fn drop(&mut self) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut path = self.0.clone().into_os_string();
            path.push(suffix);
            let _ = std::fs::remove_file(path);
        }
    }
}

async fn with_sqlite<F, Fut>(case: F)
where
    F: FnOnce(DynStore) -> Fut,
    Fut: Future<Output = ()>,
{
    let path = std::env::temp_dir().join(format!("tributary-store-{}.db", Uuid::new_v4().simple()));
    let _file = SqliteFile(path.clone());
    let store = store::connect(&format!("sqlite://{}", path.display()), 4, None)
        .await
        .expect("open the SQLite store");
    assert_eq!(store.backend(), Backend::Sqlite);
    case(store).await;
}

async fn with_postgres<F, Fut>(case: F)
where
    F: FnOnce(DynStore) -> Fut,
    Fut: Future<Output = ()>,
{
    let Some(database) = fresh_database().await else {
        return;
    };
    let store = store::connect(&database.url, 8, None)
        .await
        .expect("open the PostgreSQL store");
    assert_eq!(store.backend(), Backend::Postgres);
    case(store).await;
    drop(database);
}

/// Generates `sqlite::<case>` and `postgres::<case>` tests for each case function.
macro_rules! store_suite {
    ($($case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::with_sqlite(super::$case).await;
                }
            )*
        }

        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    super::with_postgres(super::$case).await;
                }
            )*
        }
    };
}

store_suite! {
    the_store_answers_a_ping,
    a_created_tenant_can_be_read_back_and_tenants_are_listed_oldest_first,
    creating_a_tenant_with_a_taken_name_is_a_conflict_and_stores_nothing,
    updating_a_tenant_changes_only_the_given_fields,
    renaming_a_tenant_to_a_taken_name_is_a_conflict,
    updating_an_unknown_tenant_returns_none,
    api_keys_are_listed_per_tenant_oldest_first_including_revoked_ones,
    an_api_key_is_found_by_hash_and_by_id_together_with_its_tenant,
    a_second_key_with_a_taken_secret_hash_is_rejected,
    revoking_a_key_with_another_tenants_id_does_nothing,
    revoking_a_key_twice_succeeds_and_keeps_the_first_revocation_time,
    touching_a_key_sets_its_last_used_time,
    the_admin_token_hash_is_stored_only_once,
    inserting_events_returns_one_outcome_per_event_in_input_order,
    inserting_no_events_returns_no_outcomes,
    a_repeated_event_id_returns_the_original_id_within_one_call_and_across_calls,
    a_large_group_stores_each_event_as_sent_and_finds_its_repeats_across_statements,
    the_same_event_id_in_two_tenants_is_not_a_duplicate,
    concurrent_inserts_of_one_event_id_store_it_exactly_once,
    concurrent_batches_naming_shared_ids_in_opposite_orders_all_succeed,
    events_are_listed_newest_first_by_timestamp_then_id,
    cursor_pagination_visits_every_event_exactly_once,
    events_are_filtered_by_type_and_by_a_time_range_with_inclusive_from_and_exclusive_to,
    events_are_filtered_by_metadata_paths_comparing_json_text,
    a_metadata_path_does_not_index_into_arrays,
    metadata_holding_a_nul_character_round_trips_and_does_not_break_filters,
    tenants_never_see_each_others_events,
    metadata_round_trips_exactly_with_key_order_unicode_and_nesting,
    times_round_trip_at_microsecond_precision,
    times_finer_than_a_microsecond_are_floored_alike_in_both_stores,
    counts_give_the_total_and_types_most_frequent_first_with_ties_bytewise,
    stats_buckets_are_aligned_to_utc_minutes_hours_and_days,
    buckets_before_1970_start_before_the_event,
    metadata_numbers_are_compared_by_their_json_text,
    counts_respect_the_filter_and_the_tenant,
    pruning_deletes_the_events_committed_before_the_cutoff_oldest_first,
    a_tenant_with_its_own_retention_is_pruned_only_on_its_own,
    the_stats_rollup_answers_as_the_scan_through_ingest_caching_and_pruning,
    audit_entries_round_trip_and_are_listed_newest_first_per_tenant_with_filters_and_cursor,
    audit_pruning_deletes_the_entries_recorded_before_the_cutoff_oldest_first,
}

// --- fixtures ------------------------------------------------------------------------------

/// Now, at the precision the stores keep.
fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_micros(Utc::now().timestamp_micros()).unwrap()
}

fn at(rfc3339: &str) -> DateTime<Utc> {
    DateTime::parse_from_rfc3339(rfc3339)
        .unwrap()
        .with_timezone(&Utc)
}

fn new_tenant(name: &str) -> Tenant {
    Tenant {
        id: TenantId(Uuid::now_v7()),
        name: name.to_owned(),
        status: TenantStatus::Active,
        created_at: now(),
        rate_limit: RateLimit {
            per_second: 500,
            burst: 1000,
        },
        retention_days: None,
    }
}

fn new_key(tenant: &Tenant, name: &str) -> ApiKey {
    let mut secret_hash = Uuid::new_v4().as_bytes().to_vec();
    secret_hash.extend_from_slice(Uuid::new_v4().as_bytes());
    ApiKey {
        id: Uuid::now_v7(),
        tenant_id: tenant.id,
        name: name.to_owned(),
        prefix: format!("trb_{}", &Uuid::new_v4().simple().to_string()[..8]),
        secret_hash,
        scopes: Scope::ALL.to_vec(),
        created_at: now(),
        last_used_at: None,
        revoked_at: None,
    }
}

/// A stored tenant with its first key.
async fn tenant_with_key(store: &dyn Store, name: &str) -> (Tenant, ApiKey) {
    let tenant = new_tenant(name);
    let key = new_key(&tenant, "first");
    store.create_tenant(&tenant, &key).await.unwrap();
    (tenant, key)
}

async fn tenant(store: &dyn Store, name: &str) -> Tenant {
    tenant_with_key(store, name).await.0
}

fn metadata(value: Value) -> Map<String, Value> {
    match value {
        Value::Object(map) => map,
        other => panic!("metadata must be an object, got {other}"),
    }
}

fn event(tenant: &Tenant, event_type: &str, timestamp: DateTime<Utc>, meta: Value) -> NewEvent {
    NewEvent {
        id: Uuid::now_v7(),
        tenant_id: tenant.id,
        event_type: event_type.to_owned(),
        timestamp,
        received_at: now(),
        metadata: metadata(meta),
        event_id: None,
        violations: Vec::new(),
    }
}

fn keyed(tenant: &Tenant, event_id: &str) -> NewEvent {
    NewEvent {
        event_id: Some(event_id.to_owned()),
        ..event(tenant, "keyed", now(), json!({}))
    }
}

async fn insert(store: &dyn Store, events: &[NewEvent]) -> Vec<InsertOutcome> {
    store
        .insert_events(std::sync::Arc::new(events.to_vec()))
        .await
        .unwrap()
}

fn inserted(events: &[NewEvent]) -> Vec<InsertOutcome> {
    events
        .iter()
        .map(|e| InsertOutcome {
            id: e.id,
            duplicate: false,
        })
        .collect()
}

async fn list(store: &dyn Store, tenant: &Tenant, filter: &EventFilter) -> Vec<Event> {
    store
        .list_events(tenant.id, filter, None, 1000)
        .await
        .unwrap()
}

fn ids(events: &[Event]) -> Vec<Uuid> {
    events.iter().map(|e| e.id).collect()
}

/// The ids of `events` in list order: timestamp descending, then id descending.
fn newest_first(events: &[&NewEvent]) -> Vec<Uuid> {
    let mut sorted: Vec<&NewEvent> = events.to_vec();
    sorted.sort_by_key(|e| std::cmp::Reverse((e.timestamp, e.id)));
    sorted.iter().map(|e| e.id).collect()
}

fn meta_filter(path: &str, value: &str) -> EventFilter {
    EventFilter {
        meta: vec![(
            path.split('.').map(str::to_owned).collect(),
            value.to_owned(),
        )],
        ..EventFilter::default()
    }
}

fn epoch(rfc3339: &str) -> i64 {
    at(rfc3339).timestamp()
}

// --- tenants -------------------------------------------------------------------------------

async fn the_store_answers_a_ping(store: DynStore) {
    store.ping().await.unwrap();
}

async fn a_created_tenant_can_be_read_back_and_tenants_are_listed_oldest_first(store: DynStore) {
    let base = now();
    let mut newest = new_tenant("newest");
    newest.created_at = base + Duration::seconds(2);
    let mut oldest = new_tenant("oldest");
    oldest.created_at = base;
    oldest.status = TenantStatus::Suspended;
    let mut middle = new_tenant("middle");
    middle.created_at = base + Duration::seconds(1);
    for tenant in [&newest, &oldest, &middle] {
        store
            .create_tenant(tenant, &new_key(tenant, "first"))
            .await
            .unwrap();
    }

    assert_eq!(
        store.get_tenant(oldest.id).await.unwrap(),
        Some(oldest.clone())
    );
    assert_eq!(
        store.list_tenants().await.unwrap(),
        vec![oldest, middle, newest]
    );
    assert_eq!(
        store.get_tenant(TenantId(Uuid::now_v7())).await.unwrap(),
        None
    );
}

async fn creating_a_tenant_with_a_taken_name_is_a_conflict_and_stores_nothing(store: DynStore) {
    let (first, _) = tenant_with_key(&*store, "acme").await;
    let second = new_tenant("acme");
    let second_key = new_key(&second, "first");

    let result = store.create_tenant(&second, &second_key).await;

    assert!(
        matches!(result, Err(StoreError::Conflict("tenant name"))),
        "{result:?}"
    );
    assert_eq!(store.list_tenants().await.unwrap(), vec![first]);
    assert_eq!(store.find_api_key_by_id(second_key.id).await.unwrap(), None);
}

async fn updating_a_tenant_changes_only_the_given_fields(store: DynStore) {
    let original = tenant(&*store, "acme").await;

    let renamed = store
        .update_tenant(
            original.id,
            &TenantUpdate {
                name: Some("acme-2".into()),
                ..TenantUpdate::default()
            },
        )
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        renamed,
        Tenant {
            name: "acme-2".into(),
            ..original.clone()
        }
    );

    let limits = RateLimit {
        per_second: 7,
        burst: 9,
    };
    let suspended = store
        .update_tenant(
            original.id,
            &TenantUpdate {
                name: None,
                rate_limit: Some(limits),
                status: Some(TenantStatus::Suspended),
                retention_days: Some(Some(30)),
            },
        )
        .await
        .unwrap()
        .unwrap();
    let expected = Tenant {
        name: "acme-2".into(),
        status: TenantStatus::Suspended,
        rate_limit: limits,
        retention_days: Some(30),
        ..original.clone()
    };
    assert_eq!(suspended, expected);
    assert_eq!(
        store.get_tenant(original.id).await.unwrap(),
        Some(expected.clone())
    );

    // Keeping one's own name is not a clash, and an empty update changes nothing.
    let same = TenantUpdate {
        name: Some("acme-2".into()),
        ..TenantUpdate::default()
    };
    assert_eq!(
        store.update_tenant(original.id, &same).await.unwrap(),
        Some(expected.clone())
    );
    let nothing = TenantUpdate::default();
    assert_eq!(
        store.update_tenant(original.id, &nothing).await.unwrap(),
        Some(expected.clone())
    );

    // Back to the server's retention.
    let reset = TenantUpdate {
        retention_days: Some(None),
        ..TenantUpdate::default()
    };
    assert_eq!(
        store.update_tenant(original.id, &reset).await.unwrap(),
        Some(Tenant {
            retention_days: None,
            ..expected
        })
    );
}

async fn renaming_a_tenant_to_a_taken_name_is_a_conflict(store: DynStore) {
    tenant(&*store, "taken").await;
    let other = tenant(&*store, "other").await;

    let update = TenantUpdate {
        name: Some("taken".into()),
        ..TenantUpdate::default()
    };
    let result = store.update_tenant(other.id, &update).await;

    assert!(
        matches!(result, Err(StoreError::Conflict("tenant name"))),
        "{result:?}"
    );
    assert_eq!(store.get_tenant(other.id).await.unwrap(), Some(other));
}

async fn updating_an_unknown_tenant_returns_none(store: DynStore) {
    let update = TenantUpdate {
        name: Some("ghost".into()),
        ..TenantUpdate::default()
    };
    assert_eq!(
        store
            .update_tenant(TenantId(Uuid::now_v7()), &update)
            .await
            .unwrap(),
        None
    );
    assert!(store.list_tenants().await.unwrap().is_empty());
}

// --- api keys ------------------------------------------------------------------------------

async fn api_keys_are_listed_per_tenant_oldest_first_including_revoked_ones(store: DynStore) {
    let (a, a_first) = tenant_with_key(&*store, "a").await;
    let (b, b_first) = tenant_with_key(&*store, "b").await;
    let mut a_second = new_key(&a, "second");
    a_second.created_at = a_first.created_at + Duration::seconds(1);
    a_second.scopes = vec![Scope::Ingest];
    let mut a_third = new_key(&a, "third");
    a_third.created_at = a_first.created_at + Duration::seconds(2);
    a_third.scopes = vec![Scope::Read, Scope::Manage];
    // Stored out of order: the list is ordered by creation time, not by insertion.
    store.create_api_key(&a_third).await.unwrap();
    store.create_api_key(&a_second).await.unwrap();

    let revoked_at = now();
    assert!(
        store
            .revoke_api_key(a.id, a_second.id, revoked_at)
            .await
            .unwrap()
    );
    let a_second = ApiKey {
        revoked_at: Some(revoked_at),
        ..a_second
    };

    assert_eq!(
        store.list_api_keys(a.id).await.unwrap(),
        vec![a_first, a_second, a_third]
    );
    assert_eq!(store.list_api_keys(b.id).await.unwrap(), vec![b_first]);
    assert!(
        store
            .list_api_keys(TenantId(Uuid::now_v7()))
            .await
            .unwrap()
            .is_empty()
    );
}

async fn an_api_key_is_found_by_hash_and_by_id_together_with_its_tenant(store: DynStore) {
    let (a, _) = tenant_with_key(&*store, "a").await;
    let (b, b_first) = tenant_with_key(&*store, "b").await;
    let mut key = new_key(&a, "ci");
    key.scopes = vec![Scope::Ingest, Scope::Read];
    store.create_api_key(&key).await.unwrap();

    let expected = Some((key.clone(), a.clone()));
    assert_eq!(
        store.find_api_key_by_hash(&key.secret_hash).await.unwrap(),
        expected
    );
    assert_eq!(store.find_api_key_by_id(key.id).await.unwrap(), expected);
    assert_eq!(
        store.find_api_key_by_id(b_first.id).await.unwrap(),
        Some((b_first, b))
    );
    assert_eq!(store.find_api_key_by_hash(&[0u8; 32]).await.unwrap(), None);
    assert_eq!(
        store.find_api_key_by_id(Uuid::now_v7()).await.unwrap(),
        None
    );

    // Revoked keys are still found: the caller decides what a revoked key means.
    let revoked_at = now();
    store
        .revoke_api_key(a.id, key.id, revoked_at)
        .await
        .unwrap();
    let (found, _) = store
        .find_api_key_by_hash(&key.secret_hash)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found.revoked_at, Some(revoked_at));
}

async fn a_second_key_with_a_taken_secret_hash_is_rejected(store: DynStore) {
    let (a, first) = tenant_with_key(&*store, "a").await;
    let clash = ApiKey {
        secret_hash: first.secret_hash.clone(),
        ..new_key(&a, "clash")
    };

    assert!(store.create_api_key(&clash).await.is_err());
    assert_eq!(store.list_api_keys(a.id).await.unwrap(), vec![first]);
}

async fn revoking_a_key_with_another_tenants_id_does_nothing(store: DynStore) {
    let (_, a_key) = tenant_with_key(&*store, "a").await;
    let b = tenant(&*store, "b").await;

    assert!(!store.revoke_api_key(b.id, a_key.id, now()).await.unwrap());

    let (found, _) = store.find_api_key_by_id(a_key.id).await.unwrap().unwrap();
    assert_eq!(found.revoked_at, None);
    assert_eq!(found, a_key);
}

async fn revoking_a_key_twice_succeeds_and_keeps_the_first_revocation_time(store: DynStore) {
    let (a, key) = tenant_with_key(&*store, "a").await;
    let first = now();
    let second = first + Duration::minutes(5);

    assert!(store.revoke_api_key(a.id, key.id, first).await.unwrap());
    assert!(store.revoke_api_key(a.id, key.id, second).await.unwrap());
    assert!(
        !store
            .revoke_api_key(a.id, Uuid::now_v7(), second)
            .await
            .unwrap()
    );

    let (found, _) = store.find_api_key_by_id(key.id).await.unwrap().unwrap();
    assert_eq!(found.revoked_at, Some(first));
}

async fn touching_a_key_sets_its_last_used_time(store: DynStore) {
    let (a, key) = tenant_with_key(&*store, "a").await;
    let first = now();
    let later = first + Duration::milliseconds(1500);

    store.touch_api_key(key.id, first).await.unwrap();
    assert_eq!(
        store.list_api_keys(a.id).await.unwrap()[0].last_used_at,
        Some(first)
    );
    store.touch_api_key(key.id, later).await.unwrap();
    let (found, _) = store.find_api_key_by_id(key.id).await.unwrap().unwrap();
    assert_eq!(
        found,
        ApiKey {
            last_used_at: Some(later),
            ..key
        }
    );
    // Touching a key that does not exist is not an error.
    store.touch_api_key(Uuid::now_v7(), later).await.unwrap();
}

// --- the admin token -----------------------------------------------------------------------

async fn the_admin_token_hash_is_stored_only_once(store: DynStore) {
    assert_eq!(store.admin_token_hash().await.unwrap(), None);

    assert!(store.init_admin_token_hash(&[1u8; 32]).await.unwrap());
    assert!(!store.init_admin_token_hash(&[2u8; 32]).await.unwrap());

    assert_eq!(store.admin_token_hash().await.unwrap(), Some(vec![1u8; 32]));
}

// --- inserting events ----------------------------------------------------------------------

async fn inserting_events_returns_one_outcome_per_event_in_input_order(store: DynStore) {
    let a = tenant(&*store, "a").await;
    let b = tenant(&*store, "b").await;
    let events = vec![
        event(&a, "signup", now(), json!({"plan": "pro"})),
        keyed(&b, "b-1"),
        event(&a, "page_view", now() - Duration::hours(1), json!({})),
        keyed(&a, "a-1"),
    ];

    assert_eq!(insert(&*store, &events).await, inserted(&events));

    for sent in events {
        let stored = store.get_event(sent.tenant_id, sent.id).await.unwrap();
        assert_eq!(stored, Some(sent.into_event()));
    }
}

/// 150 events in one call: SQLite writes them in multi-row statements of several sizes (64,
/// 64, 16, 4, 2), so repeats of an `event_id` fall inside one statement and across them, and
/// every column of every row has to land in its own place.
async fn a_large_group_stores_each_event_as_sent_and_finds_its_repeats_across_statements(
    store: DynStore,
) {
    let a = tenant(&*store, "a").await;
    let b = tenant(&*store, "b").await;
    let events: Vec<NewEvent> = (0..150)
        .map(|i| {
            let owner = if i % 3 == 0 { &b } else { &a };
            let mut sent = event(
                owner,
                &format!("type_{}", i % 11),
                at("2026-11-30T12:00:00Z") + chrono::Duration::seconds(i),
                json!({"i": i, "text": format!("event number {i}")}),
            );
            if i % 4 == 0 {
                sent.event_id = Some(format!("k{}", i % 48));
            }
            if i % 10 == 0 {
                sent.violations = vec![tributary::events::Violation {
                    path: "/i".into(),
                    message: format!("violation {i}"),
                }];
            }
            sent
        })
        .collect();
    let mut first_of = std::collections::HashMap::new();
    let expected: Vec<InsertOutcome> = events
        .iter()
        .map(|sent| match &sent.event_id {
            Some(key) => match first_of.entry((sent.tenant_id, key.clone())) {
                std::collections::hash_map::Entry::Occupied(first) => InsertOutcome {
                    id: *first.get(),
                    duplicate: true,
                },
                std::collections::hash_map::Entry::Vacant(slot) => {
                    slot.insert(sent.id);
                    InsertOutcome {
                        id: sent.id,
                        duplicate: false,
                    }
                }
            },
            None => InsertOutcome {
                id: sent.id,
                duplicate: false,
            },
        })
        .collect();
    assert!(expected.iter().filter(|o| o.duplicate).count() >= 10);

    assert_eq!(insert(&*store, &events).await, expected);
    for (sent, outcome) in events.iter().zip(&expected) {
        let stored = store.get_event(sent.tenant_id, sent.id).await.unwrap();
        if outcome.duplicate {
            assert_eq!(stored, None, "a repeat is not stored");
        } else {
            assert_eq!(stored, Some(sent.clone().into_event()));
        }
    }
}

async fn inserting_no_events_returns_no_outcomes(store: DynStore) {
    assert!(insert(&*store, &[]).await.is_empty());
}

async fn a_repeated_event_id_returns_the_original_id_within_one_call_and_across_calls(
    store: DynStore,
) {
    let a = tenant(&*store, "a").await;
    let x1 = NewEvent {
        metadata: metadata(json!({"copy": 1})),
        ..keyed(&a, "x")
    };
    let plain = event(&a, "plain", now(), json!({}));
    let x2 = NewEvent {
        metadata: metadata(json!({"copy": 2})),
        ..keyed(&a, "x")
    };
    let y1 = keyed(&a, "y");

    let first = insert(
        &*store,
        &[x1.clone(), plain.clone(), x2.clone(), y1.clone()],
    )
    .await;
    assert_eq!(
        first,
        vec![
            InsertOutcome {
                id: x1.id,
                duplicate: false
            },
            InsertOutcome {
                id: plain.id,
                duplicate: false
            },
            InsertOutcome {
                id: x1.id,
                duplicate: true
            },
            InsertOutcome {
                id: y1.id,
                duplicate: false
            },
        ]
    );

    let y2 = keyed(&a, "y");
    let x3 = keyed(&a, "x");
    let z1 = keyed(&a, "z");
    let z2 = keyed(&a, "z");
    let y3 = keyed(&a, "y");
    let second = insert(&*store, &[y2, x3, z1.clone(), z2.clone(), y3]).await;
    assert_eq!(
        second,
        vec![
            InsertOutcome {
                id: y1.id,
                duplicate: true
            },
            InsertOutcome {
                id: x1.id,
                duplicate: true
            },
            InsertOutcome {
                id: z1.id,
                duplicate: false
            },
            InsertOutcome {
                id: z1.id,
                duplicate: true
            },
            InsertOutcome {
                id: y1.id,
                duplicate: true
            },
        ]
    );

    // Nothing new was stored for the repeats; the first copy is the one kept.
    let mut stored = ids(&list(&*store, &a, &EventFilter::default()).await);
    stored.sort();
    let mut expected = vec![x1.id, plain.id, y1.id, z1.id];
    expected.sort();
    assert_eq!(stored, expected);
    assert_eq!(store.get_event(a.id, x2.id).await.unwrap(), None);
    assert_eq!(store.get_event(a.id, z2.id).await.unwrap(), None);
    assert_eq!(
        store.get_event(a.id, x1.id).await.unwrap(),
        Some(x1.into_event())
    );
}

async fn the_same_event_id_in_two_tenants_is_not_a_duplicate(store: DynStore) {
    let a = tenant(&*store, "a").await;
    let b = tenant(&*store, "b").await;

    let together = [keyed(&a, "shared"), keyed(&b, "shared")];
    assert_eq!(insert(&*store, &together).await, inserted(&together));

    let c = tenant(&*store, "c").await;
    let later = [keyed(&c, "shared")];
    assert_eq!(insert(&*store, &later).await, inserted(&later));

    for (tenant, sent) in [(&a, &together[0]), (&b, &together[1]), (&c, &later[0])] {
        assert_eq!(
            ids(&list(&*store, tenant, &EventFilter::default()).await),
            vec![sent.id]
        );
    }
}

async fn concurrent_inserts_of_one_event_id_store_it_exactly_once(store: DynStore) {
    let a = tenant(&*store, "a").await;
    let mut tasks = Vec::new();
    for task in 0..20 {
        let store = store.clone();
        // Half the calls name the shared ids in the opposite order: no order may deadlock.
        let own = keyed(&a, &format!("own-{task}"));
        let batch = if task % 2 == 0 {
            vec![own, keyed(&a, "same"), keyed(&a, "other")]
        } else {
            vec![keyed(&a, "other"), keyed(&a, "same"), own]
        };
        tasks.push(tokio::spawn(async move {
            let outcomes = store
                .insert_events(std::sync::Arc::new(batch.clone()))
                .await
                .unwrap();
            (batch, outcomes)
        }));
    }

    let mut same = Vec::new();
    let mut other = Vec::new();
    for task in tasks {
        let (batch, outcomes) = task.await.unwrap();
        assert_eq!(outcomes.len(), 3);
        for (sent, outcome) in batch.iter().zip(outcomes) {
            match sent.event_id.as_deref() {
                Some("same") => same.push(outcome),
                Some("other") => other.push(outcome),
                _ => assert_eq!(
                    outcome,
                    InsertOutcome {
                        id: sent.id,
                        duplicate: false
                    }
                ),
            }
        }
    }

    for outcomes in [same, other] {
        assert_eq!(outcomes.len(), 20);
        assert!(
            outcomes.iter().all(|o| o.id == outcomes[0].id),
            "{outcomes:?}"
        );
        assert_eq!(
            outcomes.iter().filter(|o| !o.duplicate).count(),
            1,
            "{outcomes:?}"
        );
        assert!(
            store
                .get_event(a.id, outcomes[0].id)
                .await
                .unwrap()
                .is_some()
        );
    }
    assert_eq!(list(&*store, &a, &EventFilter::default()).await.len(), 22);
}

async fn concurrent_batches_naming_shared_ids_in_opposite_orders_all_succeed(store: DynStore) {
    // Scaled mode runs several committers against one database: whatever order their batches
    // name the same event ids in, none may fail (for example on a deadlock).
    let a = tenant(&*store, "a").await;
    let names: Vec<String> = (0..1000).map(|i| format!("shared-{i:04}")).collect();
    let mut tasks = Vec::new();
    for task in 0..8 {
        let store = store.clone();
        let mut batch: Vec<NewEvent> = names.iter().map(|name| keyed(&a, name)).collect();
        if task % 2 == 1 {
            batch.reverse();
        }
        tasks.push(tokio::spawn(async move {
            let outcomes = store
                .insert_events(std::sync::Arc::new(batch.clone()))
                .await
                .unwrap();
            batch
                .iter()
                .map(|e| e.event_id.clone().unwrap())
                .zip(outcomes)
                .collect::<Vec<_>>()
        }));
    }

    let mut by_name: std::collections::HashMap<String, Vec<InsertOutcome>> = Default::default();
    for task in tasks {
        for (name, outcome) in task.await.unwrap() {
            by_name.entry(name).or_default().push(outcome);
        }
    }
    assert_eq!(by_name.len(), names.len());
    for (name, outcomes) in &by_name {
        assert!(
            outcomes.iter().all(|o| o.id == outcomes[0].id),
            "{name}: {outcomes:?}"
        );
        assert_eq!(
            outcomes.iter().filter(|o| !o.duplicate).count(),
            1,
            "{name}: {outcomes:?}"
        );
    }
    assert_eq!(
        list(&*store, &a, &EventFilter::default()).await.len(),
        names.len()
    );
}

// --- listing -------------------------------------------------------------------------------

async fn events_are_listed_newest_first_by_timestamp_then_id(store: DynStore) {
    let a = tenant(&*store, "a").await;
    let t = at("2024-01-15T10:30:00.000001Z");
    // Ids are not in timestamp order: the newest event has the smallest id.
    let newer = event(&a, "x", t + Duration::microseconds(1), json!({}));
    let older = event(&a, "x", t - Duration::microseconds(1), json!({}));
    let tied_low = event(&a, "x", t, json!({}));
    let tied_high = event(&a, "x", t, json!({}));
    assert!(newer.id < older.id && older.id < tied_low.id && tied_low.id < tied_high.id);
    insert(
        &*store,
        &[
            tied_low.clone(),
            newer.clone(),
            older.clone(),
            tied_high.clone(),
        ],
    )
    .await;

    let listed = list(&*store, &a, &EventFilter::default()).await;
    assert_eq!(
        ids(&listed),
        vec![newer.id, tied_high.id, tied_low.id, older.id]
    );

    let limited = store
        .list_events(a.id, &EventFilter::default(), None, 2)
        .await
        .unwrap();
    assert_eq!(ids(&limited), ids(&listed[..2]));
}

async fn cursor_pagination_visits_every_event_exactly_once(store: DynStore) {
    let a = tenant(&*store, "a").await;
    let base = at("2024-03-01T00:00:00Z");
    let mut events = Vec::new();
    for i in 0..25i64 {
        // Groups of three share a timestamp, so pages break inside ties.
        let ts = base + Duration::seconds(i / 3);
        let event_type = if i % 2 == 0 { "even" } else { "odd" };
        events.push(event(&a, event_type, ts, json!({"i": i})));
    }
    insert(&*store, &events).await;

    for (filter, wanted) in [
        (EventFilter::default(), events.iter().collect::<Vec<_>>()),
        (
            EventFilter {
                event_types: vec!["even".into()],
                ..EventFilter::default()
            },
            events.iter().filter(|e| e.event_type == "even").collect(),
        ),
    ] {
        for page_size in [1, 4, 7] {
            let mut seen = Vec::new();
            let mut cursor = None;
            loop {
                let page = store
                    .list_events(a.id, &filter, cursor, page_size)
                    .await
                    .unwrap();
                assert!(page.len() <= page_size as usize);
                let Some(last) = page.last() else { break };
                cursor = Some(EventCursor {
                    timestamp: last.timestamp,
                    id: last.id,
                });
                seen.extend(ids(&page));
            }
            assert_eq!(seen, newest_first(&wanted), "page size {page_size}");
        }
    }
}

async fn events_are_filtered_by_type_and_by_a_time_range_with_inclusive_from_and_exclusive_to(
    store: DynStore,
) {
    let a = tenant(&*store, "a").await;
    let from = at("2024-01-15T10:00:00Z");
    let to = at("2024-01-15T11:00:00Z");
    let before = event(&a, "view", from - Duration::microseconds(1), json!({}));
    let at_from = event(&a, "view", from, json!({}));
    let inside = event(&a, "click", from + Duration::minutes(30), json!({}));
    let signup = event(&a, "signup", from + Duration::minutes(31), json!({}));
    let last_inside = event(&a, "view", to - Duration::microseconds(1), json!({}));
    let at_to = event(&a, "view", to, json!({}));
    let events = [&before, &at_from, &inside, &signup, &last_inside, &at_to];
    insert(&*store, &events.map(|e| e.clone())).await;

    let range = EventFilter {
        from: Some(from),
        to: Some(to),
        ..EventFilter::default()
    };
    assert_eq!(
        ids(&list(&*store, &a, &range).await),
        newest_first(&[&at_from, &inside, &signup, &last_inside])
    );

    let types = EventFilter {
        event_types: vec!["view".into(), "click".into()],
        ..EventFilter::default()
    };
    assert_eq!(
        ids(&list(&*store, &a, &types).await),
        newest_first(&[&before, &at_from, &inside, &last_inside, &at_to])
    );

    let only_from = EventFilter {
        from: Some(to),
        ..EventFilter::default()
    };
    assert_eq!(ids(&list(&*store, &a, &only_from).await), vec![at_to.id]);
    let only_to = EventFilter {
        to: Some(from),
        ..EventFilter::default()
    };
    assert_eq!(ids(&list(&*store, &a, &only_to).await), vec![before.id]);

    let both = EventFilter {
        event_types: vec!["view".into()],
        ..range
    };
    assert_eq!(
        ids(&list(&*store, &a, &both).await),
        newest_first(&[&at_from, &last_inside])
    );

    let unknown = EventFilter {
        event_types: vec!["nope".into()],
        ..EventFilter::default()
    };
    assert!(list(&*store, &a, &unknown).await.is_empty());
}

async fn events_are_filtered_by_metadata_paths_comparing_json_text(store: DynStore) {
    let a = tenant(&*store, "a").await;
    let t = at("2024-01-15T10:30:00Z");
    let home = event(
        &a,
        "view",
        t,
        json!({
            "page": "/home",
            "user": {"plan": "pro", "age": 5, "address": {"city": "Zürich"}},
            "beta": true,
            "score": 2.5,
            "gone": null,
            "text_true": "true",
        }),
    );
    let pricing = event(
        &a,
        "view",
        t + Duration::seconds(1),
        json!({"page": "/pricing", "user": {"plan": "free", "age": 50}, "beta": false}),
    );
    let flat = event(&a, "view", t + Duration::seconds(2), json!({"user": "pro"}));
    insert(&*store, &[home.clone(), pricing.clone(), flat.clone()]).await;

    let matches =
        async |path: &str, value: &str| ids(&list(&*store, &a, &meta_filter(path, value)).await);
    assert_eq!(matches("page", "/home").await, vec![home.id]);
    assert_eq!(matches("page", "/pricing").await, vec![pricing.id]);
    assert_eq!(matches("page", "/nowhere").await, Vec::<Uuid>::new());
    assert_eq!(matches("user.plan", "pro").await, vec![home.id]);
    assert_eq!(matches("user.address.city", "Zürich").await, vec![home.id]);
    // Numbers and booleans compare by their JSON text.
    assert_eq!(matches("user.age", "5").await, vec![home.id]);
    assert_eq!(matches("user.age", "5.0").await, Vec::<Uuid>::new());
    assert_eq!(matches("user.age", "50").await, vec![pricing.id]);
    assert_eq!(matches("score", "2.5").await, vec![home.id]);
    assert_eq!(matches("beta", "true").await, vec![home.id]);
    assert_eq!(matches("beta", "false").await, vec![pricing.id]);
    assert_eq!(matches("beta", "1").await, Vec::<Uuid>::new());
    assert_eq!(matches("text_true", "true").await, vec![home.id]);
    // A null or missing value matches nothing, not even the text "null".
    assert_eq!(matches("gone", "null").await, Vec::<Uuid>::new());
    assert_eq!(matches("missing", "").await, Vec::<Uuid>::new());
    // A path through a string leads nowhere; a string at the top level still matches.
    assert_eq!(matches("user.plan.x", "pro").await, Vec::<Uuid>::new());
    assert_eq!(matches("user", "pro").await, vec![flat.id]);

    // Several conditions must all hold, together with the other filters.
    let both = EventFilter {
        meta: vec![
            (vec!["page".into()], "/home".into()),
            (vec!["beta".into()], "true".into()),
        ],
        ..EventFilter::default()
    };
    assert_eq!(ids(&list(&*store, &a, &both).await), vec![home.id]);
    let clash = EventFilter {
        meta: vec![
            (vec!["page".into()], "/home".into()),
            (vec!["beta".into()], "false".into()),
        ],
        ..EventFilter::default()
    };
    assert!(list(&*store, &a, &clash).await.is_empty());
    let with_time = EventFilter {
        from: Some(t + Duration::seconds(1)),
        ..meta_filter("beta", "true")
    };
    assert!(list(&*store, &a, &with_time).await.is_empty());
}

async fn a_metadata_path_does_not_index_into_arrays(store: DynStore) {
    let a = tenant(&*store, "a").await;
    let tagged = event(
        &a,
        "view",
        now(),
        json!({"tags": ["a", "b"], "obj": {"0": "a"}}),
    );
    insert(&*store, std::slice::from_ref(&tagged)).await;

    // Path segments name object keys only: "0" is a key, never an array position.
    assert!(
        list(&*store, &a, &meta_filter("tags.0", "a"))
            .await
            .is_empty()
    );
    assert_eq!(
        ids(&list(&*store, &a, &meta_filter("obj.0", "a")).await),
        vec![tagged.id]
    );
}

async fn metadata_holding_a_nul_character_round_trips_and_does_not_break_filters(store: DynStore) {
    // PostgreSQL text cannot hold NUL, and its JSON operators fail on a `\u0000` escape.
    let a = tenant(&*store, "a").await;
    let nul = event(
        &a,
        "view",
        now(),
        json!({"note": "a\u{0}b", "page": "/home", "literal": "\\u0000", "k\u{0}": 1}),
    );
    let plain = event(&a, "view", now(), json!({"page": "/home"}));
    insert(&*store, &[nul.clone(), plain.clone()]).await;

    let stored = store.get_event(a.id, nul.id).await.unwrap().unwrap();
    assert_eq!(stored.metadata, nul.metadata);
    let mut both = vec![nul.id, plain.id];
    both.sort();
    let mut found = ids(&list(&*store, &a, &meta_filter("page", "/home")).await);
    found.sort();
    assert_eq!(found, both);
    // A literal backslash followed by "u0000" is ordinary text.
    assert_eq!(
        ids(&list(&*store, &a, &meta_filter("literal", "\\u0000")).await),
        vec![nul.id]
    );
    assert!(
        list(&*store, &a, &meta_filter("note", "ab"))
            .await
            .is_empty()
    );
}

async fn tenants_never_see_each_others_events(store: DynStore) {
    let a = tenant(&*store, "a").await;
    let b = tenant(&*store, "b").await;
    let t = at("2024-01-15T10:30:00Z");
    let a_event = event(&a, "view", t, json!({"page": "/home"}));
    let b_event = event(
        &b,
        "view",
        t + Duration::seconds(1),
        json!({"page": "/home"}),
    );
    insert(&*store, &[a_event.clone(), b_event.clone()]).await;

    let filters = [
        EventFilter::default(),
        EventFilter {
            event_types: vec!["view".into()],
            ..EventFilter::default()
        },
        meta_filter("page", "/home"),
    ];
    for filter in &filters {
        assert_eq!(ids(&list(&*store, &a, filter).await), vec![a_event.id]);
        assert_eq!(ids(&list(&*store, &b, filter).await), vec![b_event.id]);
    }
    // A cursor from B's list does not open A's list to B's events either.
    let cursor = EventCursor {
        timestamp: t + Duration::days(1),
        id: b_event.id,
    };
    let page = store
        .list_events(a.id, &EventFilter::default(), Some(cursor), 10)
        .await
        .unwrap();
    assert_eq!(ids(&page), vec![a_event.id]);

    assert_eq!(store.get_event(a.id, b_event.id).await.unwrap(), None);
    assert_eq!(store.get_event(b.id, a_event.id).await.unwrap(), None);
    assert_eq!(
        store.get_event(b.id, b_event.id).await.unwrap(),
        Some(b_event.into_event())
    );

    let range = EventFilter {
        from: Some(t - Duration::days(1)),
        to: Some(t + Duration::days(1)),
        ..EventFilter::default()
    };
    let counts = store
        .count_events(a.id, &range, StatsInterval::Hour)
        .await
        .unwrap();
    assert_eq!(counts.total, 1);
}

// --- what is stored comes back unchanged ---------------------------------------------------

async fn metadata_round_trips_exactly_with_key_order_unicode_and_nesting(store: DynStore) {
    let a = tenant(&*store, "a").await;
    let sent_text = r#"{"z":1,"a":{"y":[1,2.5,{"q":null,"b":true}],"b":"ü漢字🎉"},"m":false,"neg":-3,"big":9007199254740993,"float":0.1,"escapes":"quote \" backslash \\ newline \n tab \t","empty":{},"list":[],"ключ":"значение"}"#;
    let sent: Map<String, Value> = serde_json::from_str(sent_text).unwrap();
    let new = NewEvent {
        metadata: sent.clone(),
        ..event(&a, "view", now(), json!({}))
    };
    insert(&*store, std::slice::from_ref(&new)).await;

    let stored = store.get_event(a.id, new.id).await.unwrap().unwrap();
    assert_eq!(stored.metadata, sent);
    assert_eq!(
        stored.metadata.keys().collect::<Vec<_>>(),
        [
            "z", "a", "m", "neg", "big", "float", "escapes", "empty", "list", "ключ"
        ]
    );
    assert_eq!(serde_json::to_string(&stored.metadata).unwrap(), sent_text);
    let listed = list(&*store, &a, &EventFilter::default()).await;
    assert_eq!(
        serde_json::to_string(&listed[0].metadata).unwrap(),
        sent_text
    );
}

async fn times_round_trip_at_microsecond_precision(store: DynStore) {
    let mut tenant = new_tenant("a");
    tenant.created_at = at("2024-01-15T10:30:00.123456Z");
    let mut key = new_key(&tenant, "first");
    key.created_at = at("1999-12-31T23:59:59.999999Z");
    key.last_used_at = Some(at("2024-02-29T23:59:59.000001Z"));
    key.revoked_at = Some(at("1970-01-01T00:00:00.000001Z"));
    store.create_tenant(&tenant, &key).await.unwrap();

    assert_eq!(
        store.get_tenant(tenant.id).await.unwrap(),
        Some(tenant.clone())
    );
    assert_eq!(
        store.find_api_key_by_id(key.id).await.unwrap(),
        Some((key, tenant.clone()))
    );

    let mut sent = event(
        &tenant,
        "view",
        at("2024-01-15T10:30:00.654321Z"),
        json!({}),
    );
    sent.received_at = at("2024-01-15T10:30:01.000007Z");
    insert(&*store, std::slice::from_ref(&sent)).await;
    let stored = store.get_event(tenant.id, sent.id).await.unwrap().unwrap();
    assert_eq!(stored, sent.into_event());
}

async fn times_finer_than_a_microsecond_are_floored_alike_in_both_stores(store: DynStore) {
    let a = tenant(&*store, "a").await;
    let after_2000 = event(&a, "view", at("2024-01-15T10:30:00.123456789Z"), json!({}));
    let before_2000 = event(&a, "view", at("1999-12-31T23:59:59.999999999Z"), json!({}));
    insert(&*store, &[after_2000.clone(), before_2000.clone()]).await;

    let stored = store.get_event(a.id, after_2000.id).await.unwrap().unwrap();
    assert_eq!(stored.timestamp, at("2024-01-15T10:30:00.123456Z"));
    let stored = store
        .get_event(a.id, before_2000.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.timestamp, at("1999-12-31T23:59:59.999999Z"));
}

// --- counting ------------------------------------------------------------------------------

async fn counts_give_the_total_and_types_most_frequent_first_with_ties_bytewise(store: DynStore) {
    let a = tenant(&*store, "a").await;
    let t = at("2024-01-15T10:30:00Z");
    let mut events = Vec::new();
    for (event_type, n) in [
        ("b", 1),
        ("view", 3),
        ("a", 1),
        ("click", 2),
        ("Z", 1),
        ("_x", 1),
    ] {
        for _ in 0..n {
            events.push(event(&a, event_type, t, json!({})));
        }
    }
    insert(&*store, &events).await;

    let range = EventFilter {
        from: Some(t),
        to: Some(t + Duration::seconds(1)),
        ..EventFilter::default()
    };
    let counts = store
        .count_events(a.id, &range, StatsInterval::Minute)
        .await
        .unwrap();
    assert_eq!(counts.total, 9);
    let by_type: Vec<(&str, u64)> = counts
        .by_type
        .iter()
        .map(|(event_type, n)| (event_type.as_str(), *n))
        .collect();
    // Ties in byte order: upper case before "_" before lower case, whatever the locale.
    assert_eq!(
        by_type,
        vec![
            ("view", 3),
            ("click", 2),
            ("Z", 1),
            ("_x", 1),
            ("a", 1),
            ("b", 1)
        ]
    );
    assert_eq!(counts.buckets, vec![(t.timestamp(), 9)]);

    let nothing = EventFilter {
        to: Some(t),
        ..range
    };
    let empty = store
        .count_events(a.id, &nothing, StatsInterval::Day)
        .await
        .unwrap();
    assert_eq!(
        (empty.total, empty.by_type.len(), empty.buckets.len()),
        (0, 0, 0)
    );
}

async fn stats_buckets_are_aligned_to_utc_minutes_hours_and_days(store: DynStore) {
    let a = tenant(&*store, "a").await;
    let times = [
        "2024-01-15T10:30:00Z",
        "2024-01-15T10:30:59.999999Z",
        "2024-01-15T10:31:00Z",
        "2024-01-15T11:05:00Z",
        "2024-01-15T23:59:59.999999Z",
        "2024-01-16T00:00:00Z",
        "2024-01-16T00:00:30Z",
    ];
    let events: Vec<NewEvent> = times
        .iter()
        .map(|t| event(&a, "view", at(t), json!({})))
        .collect();
    insert(&*store, &events).await;
    let range = EventFilter {
        from: Some(at("2024-01-01T00:00:00Z")),
        to: Some(at("2024-02-01T00:00:00Z")),
        ..EventFilter::default()
    };
    let buckets = async |interval| {
        store
            .count_events(a.id, &range, interval)
            .await
            .unwrap()
            .buckets
    };

    assert_eq!(
        buckets(StatsInterval::Minute).await,
        vec![
            (epoch("2024-01-15T10:30:00Z"), 2),
            (epoch("2024-01-15T10:31:00Z"), 1),
            (epoch("2024-01-15T11:05:00Z"), 1),
            (epoch("2024-01-15T23:59:00Z"), 1),
            (epoch("2024-01-16T00:00:00Z"), 2),
        ]
    );
    assert_eq!(
        buckets(StatsInterval::Hour).await,
        vec![
            (epoch("2024-01-15T10:00:00Z"), 3),
            (epoch("2024-01-15T11:00:00Z"), 1),
            (epoch("2024-01-15T23:00:00Z"), 1),
            (epoch("2024-01-16T00:00:00Z"), 2),
        ]
    );
    assert_eq!(
        buckets(StatsInterval::Day).await,
        vec![
            (epoch("2024-01-15T00:00:00Z"), 5),
            (epoch("2024-01-16T00:00:00Z"), 2)
        ]
    );
}

async fn counts_respect_the_filter_and_the_tenant(store: DynStore) {
    let a = tenant(&*store, "a").await;
    let b = tenant(&*store, "b").await;
    let t = at("2024-01-15T10:00:00Z");
    let events = vec![
        event(&a, "view", t, json!({"page": "/home"})),
        event(
            &a,
            "view",
            t + Duration::minutes(10),
            json!({"page": "/pricing"}),
        ),
        event(
            &a,
            "click",
            t + Duration::minutes(20),
            json!({"page": "/home"}),
        ),
        event(&a, "view", t + Duration::hours(1), json!({"page": "/home"})),
        event(
            &b,
            "view",
            t + Duration::minutes(5),
            json!({"page": "/home"}),
        ),
        event(
            &b,
            "view",
            t + Duration::minutes(6),
            json!({"page": "/home"}),
        ),
    ];
    insert(&*store, &events).await;
    let hour = EventFilter {
        from: Some(t),
        to: Some(t + Duration::hours(1)),
        ..EventFilter::default()
    };

    let all = store
        .count_events(a.id, &hour, StatsInterval::Minute)
        .await
        .unwrap();
    assert_eq!(all.total, 3);
    assert_eq!(
        all.by_type,
        vec![("view".to_owned(), 2), ("click".to_owned(), 1)]
    );
    assert_eq!(
        all.buckets,
        vec![
            (t.timestamp(), 1),
            ((t + Duration::minutes(10)).timestamp(), 1),
            ((t + Duration::minutes(20)).timestamp(), 1),
        ]
    );

    let views = EventFilter {
        event_types: vec!["view".into()],
        ..hour.clone()
    };
    let counts = store
        .count_events(a.id, &views, StatsInterval::Hour)
        .await
        .unwrap();
    assert_eq!(counts.total, 2);
    assert_eq!(counts.buckets, vec![(t.timestamp(), 2)]);

    let home = EventFilter {
        meta: meta_filter("page", "/home").meta,
        ..hour.clone()
    };
    let counts = store
        .count_events(a.id, &home, StatsInterval::Hour)
        .await
        .unwrap();
    assert_eq!(counts.total, 2);
    assert_eq!(
        counts.by_type,
        vec![("click".to_owned(), 1), ("view".to_owned(), 1)]
    );

    let b_counts = store
        .count_events(b.id, &hour, StatsInterval::Hour)
        .await
        .unwrap();
    assert_eq!(b_counts.total, 2);
    assert_eq!(b_counts.by_type, vec![("view".to_owned(), 2)]);
    assert_eq!(b_counts.buckets, vec![(t.timestamp(), 2)]);
}

async fn buckets_before_1970_start_before_the_event(store: DynStore) {
    let a = tenant(&*store, "a").await;
    insert(
        &*store,
        &[event(&a, "old", at("1969-12-31T23:59:59.5Z"), json!({}))],
    )
    .await;
    let range = EventFilter {
        from: Some(at("1969-12-31T00:00:00Z")),
        to: Some(at("1970-01-02T00:00:00Z")),
        ..EventFilter::default()
    };
    let counts = store
        .count_events(a.id, &range, StatsInterval::Minute)
        .await
        .unwrap();
    assert_eq!(counts.buckets, vec![(-60, 1)]);
}

async fn metadata_numbers_are_compared_by_their_json_text(store: DynStore) {
    let a = tenant(&*store, "a").await;
    let t = at("2024-01-15T10:30:00Z");
    insert(
        &*store,
        &[event(
            &a,
            "n",
            t,
            json!({"ratio": 2.5, "int": 42, "neg": -7, "yes": false}),
        )],
    )
    .await;
    for (path, value) in [
        ("ratio", "2.5"),
        ("int", "42"),
        ("neg", "-7"),
        ("yes", "false"),
    ] {
        let found = store
            .list_events(a.id, &meta_filter(path, value), None, 10)
            .await
            .unwrap();
        assert_eq!(found.len(), 1, "{path}={value}");
    }
    let none = store
        .list_events(a.id, &meta_filter("int", "42.0"), None, 10)
        .await
        .unwrap();
    assert!(none.is_empty());
}

// --- retention -----------------------------------------------------------------------------

/// An event committed at `at`: its id carries that time, as the committer's ids do.
fn committed_at(tenant: &Tenant, at: DateTime<Utc>) -> NewEvent {
    let random: [u8; 10] = Uuid::new_v4().as_bytes()[..10].try_into().unwrap();
    let millis = u64::try_from(at.timestamp_millis()).unwrap();
    NewEvent {
        id: uuid::Builder::from_unix_timestamp_millis(millis, &random).into_uuid(),
        ..event(tenant, "retained", at, json!({}))
    }
}

async fn pruning_deletes_the_events_committed_before_the_cutoff_oldest_first(store: DynStore) {
    let (a, b) = (tenant(&*store, "a").await, tenant(&*store, "b").await);
    let cutoff = now() - Duration::days(1);
    let old: Vec<NewEvent> = (0..5)
        .map(|i| {
            committed_at(
                if i % 2 == 0 { &a } else { &b },
                cutoff - Duration::minutes(10 - i),
            )
        })
        .collect();
    let recent = [
        committed_at(&a, cutoff + Duration::seconds(1)),
        committed_at(&b, now()),
    ];
    insert(&*store, &old).await;
    insert(&*store, &recent).await;
    let before = uuid::Builder::from_unix_timestamp_millis(
        u64::try_from(cutoff.timestamp_millis()).unwrap(),
        &[0; 10],
    )
    .into_uuid();
    let stored = async |events: &[NewEvent]| {
        let mut found = Vec::new();
        for e in events {
            found.push(store.get_event(e.tenant_id, e.id).await.unwrap().is_some());
        }
        found
    };

    assert_eq!(store.prune_events(None, before, 3).await.unwrap(), 3);
    assert_eq!(
        stored(&old).await,
        [false, false, false, true, true],
        "oldest first"
    );
    assert_eq!(store.prune_events(None, before, 3).await.unwrap(), 2);
    assert_eq!(store.prune_events(None, before, 3).await.unwrap(), 0);
    assert_eq!(stored(&recent).await, [true, true]);
    assert_eq!(
        ids(&list(&*store, &a, &EventFilter::default()).await),
        [recent[0].id]
    );
    assert_eq!(
        ids(&list(&*store, &b, &EventFilter::default()).await),
        [recent[1].id]
    );
    // An event_id of a pruned event is free again.
    let reused = NewEvent {
        event_id: Some("again".into()),
        ..committed_at(&a, now())
    };
    let first = NewEvent {
        event_id: Some("again".into()),
        ..committed_at(&a, cutoff - Duration::hours(1))
    };
    insert(&*store, std::slice::from_ref(&first)).await;
    assert_eq!(store.prune_events(None, before, 10).await.unwrap(), 1);
    assert_eq!(
        insert(&*store, std::slice::from_ref(&reused)).await,
        inserted(std::slice::from_ref(&reused))
    );
}

async fn a_tenant_with_its_own_retention_is_pruned_only_on_its_own(store: DynStore) {
    let (follows, own) = (
        tenant(&*store, "follows").await,
        tenant(&*store, "own").await,
    );
    let keep_forever = TenantUpdate {
        retention_days: Some(Some(0)),
        ..TenantUpdate::default()
    };
    store.update_tenant(own.id, &keep_forever).await.unwrap();
    let cutoff = now() - Duration::days(1);
    let old = [
        committed_at(&follows, cutoff - Duration::hours(1)),
        committed_at(&own, cutoff - Duration::hours(1)),
    ];
    insert(&*store, &old).await;
    let before = uuid::Builder::from_unix_timestamp_millis(
        u64::try_from(cutoff.timestamp_millis()).unwrap(),
        &[0; 10],
    )
    .into_uuid();

    // The server-wide pass leaves the tenant with a retention of its own alone.
    assert_eq!(store.prune_events(None, before, 10).await.unwrap(), 1);
    assert!(
        store
            .get_event(follows.id, old[0].id)
            .await
            .unwrap()
            .is_none()
    );
    assert!(store.get_event(own.id, old[1].id).await.unwrap().is_some());
    // Its own pass takes only its events.
    let later = committed_at(&follows, cutoff - Duration::minutes(1));
    insert(&*store, std::slice::from_ref(&later)).await;
    assert_eq!(
        store.prune_events(Some(own.id), before, 10).await.unwrap(),
        1
    );
    assert!(store.get_event(own.id, old[1].id).await.unwrap().is_none());
    assert!(
        store
            .get_event(follows.id, later.id)
            .await
            .unwrap()
            .is_some()
    );
}

// --- the stats rollup ----------------------------------------------------------------------

/// Varied events over 30 hours: flat, nested and deep keys, numbers (1e20, 1.5), booleans,
/// nulls, arrays, a unique id per event, and a burst of 1,100 distinct ids in one hour of one
/// type (more than a cached unit keeps).
fn rollup_corpus(
    a: &Tenant,
    b: &Tenant,
    base: DateTime<Utc>,
    seed: u64,
    count: usize,
) -> Vec<NewEvent> {
    let mut state = seed;
    let mut next = move |n: u64| {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state % n
    };
    (0..count)
        .map(|i| {
            let tenant = if next(5) == 0 { b } else { a };
            let event_type = ["view", "click", "buy"][next(3) as usize];
            let at = base + Duration::milliseconds(i64::try_from(next(30 * 3_600_000)).unwrap());
            let amount = match next(4) {
                0 => json!(1e20),
                1 => json!(1.5),
                2 => json!(7),
                _ => json!("7"),
            };
            let plan = ["free", "pro", "team"][next(3) as usize];
            let mut meta = json!({
                "page": format!("/p{}", next(15)),
                "user": {"plan": plan, "amount": amount},
                "flag": next(2) == 0,
                "nested": {"deep": {"x": format!("x{}", next(4))}},
                "id": format!("{seed}-{i}"),
            });
            if next(3) == 0 {
                meta["maybe"] = Value::Null;
                meta["tags"] = json!([1, 2]);
            }
            event(tenant, event_type, at, meta)
        })
        .collect()
}

async fn the_stats_rollup_answers_as_the_scan_through_ingest_caching_and_pruning(store: DynStore) {
    let (a, b) = (tenant(&*store, "a").await, tenant(&*store, "b").await);
    let base = at("2026-03-01T00:00:00Z");
    let first = rollup_corpus(&a, &b, base, 7, 1_500);
    for chunk in first.chunks(250) {
        insert(&*store, chunk).await;
    }
    let burst: Vec<NewEvent> = (0..1_100)
        .map(|i| {
            let at = base + Duration::hours(5) + Duration::seconds(i);
            event(
                &a,
                "burst",
                at,
                json!({"id": format!("burst-{i}"), "page": "/p1"}),
            )
        })
        .collect();
    insert(&*store, &burst).await;
    let cut = Uuid::now_v7();

    let minutes = |m: i64| base + Duration::minutes(m);
    let ranges = [
        (base - Duration::hours(1), base + Duration::hours(40)),
        (minutes(17) + Duration::seconds(23), minutes(29 * 60 + 1)),
        (
            minutes(59) + Duration::milliseconds(59_500),
            minutes(120) + Duration::milliseconds(250),
        ),
        (minutes(180), minutes(180) + Duration::seconds(45)),
        (minutes(4 * 60 + 55), minutes(6 * 60 + 7)),
    ];
    let type_filters: [&[&str]; 3] = [&[], &["view"], &["click", "buy", "burst"]];
    let keys = [
        "page",
        "user.plan",
        "user.amount",
        "flag",
        "tags",
        "nested.deep.x",
        "maybe",
        "id",
        "absent",
    ];
    let check = async |stage: &str| {
        for tenant in [&a, &b] {
            for (from, to) in ranges {
                for types in type_filters {
                    let filter = EventFilter {
                        event_types: types.iter().map(|t| (*t).to_owned()).collect(),
                        from: Some(from),
                        to: Some(to),
                        ..EventFilter::default()
                    };
                    let context = format!("{stage}: {} {from}..{to} {types:?}", tenant.name);
                    for interval in [
                        StatsInterval::Minute,
                        StatsInterval::Hour,
                        StatsInterval::Day,
                    ] {
                        assert_eq!(
                            rollup::counts(&store, tenant.id, &filter, interval)
                                .await
                                .unwrap(),
                            store
                                .count_events(tenant.id, &filter, interval)
                                .await
                                .unwrap(),
                            "{context} {interval:?}"
                        );
                    }
                    for key in keys {
                        let path: Vec<String> = key.split('.').map(str::to_owned).collect();
                        let scanned = store
                            .top_values(tenant.id, &filter, &path, 10)
                            .await
                            .unwrap();
                        // Twice: computed (and cached), then from the cache.
                        for pass in ["computed", "cached"] {
                            assert_eq!(
                                rollup::top_values(&store, tenant.id, &filter, &path, 10)
                                    .await
                                    .unwrap(),
                                scanned,
                                "{context} {key} {pass}"
                            );
                        }
                    }
                }
            }
        }
    };
    check("first ingest").await;
    // The hours of the whole range are cached now, stamped.
    let path = vec!["page".to_owned()];
    let hours = UnitSpan {
        width: 3_600,
        from: base.timestamp(),
        to: (base + Duration::hours(30)).timestamp(),
    };
    let cached = store
        .breakdown_units(a.id, &path, &[hours], &[])
        .await
        .unwrap();
    assert!(cached.len() >= 30 * 3, "{}", cached.len());
    assert!(cached.iter().all(|unit| unit.stamp > 0));
    assert!(
        store
            .breakdown_units(b.id, &["id".to_owned()], &[hours], &["burst".to_owned()])
            .await
            .unwrap()
            .is_empty()
    );

    // Late events land in minutes that are cached: the cache must not answer for them.
    let late = rollup_corpus(&a, &b, base, 11, 400);
    insert(&*store, &late).await;
    check("late events").await;

    // Pruning takes events (of one tenant, then of all) back out of the rollup.
    store.prune_events(Some(a.id), cut, 300).await.unwrap();
    check("a pruned in part").await;
    store.prune_events(None, cut, 100_000).await.unwrap();
    check("all pruned before the cut").await;
    store
        .prune_events(None, Uuid::now_v7(), 100_000)
        .await
        .unwrap();
    let empty = EventFilter {
        from: Some(base - Duration::hours(1)),
        to: Some(base + Duration::hours(40)),
        ..EventFilter::default()
    };
    let counts = rollup::counts(&store, a.id, &empty, StatsInterval::Hour)
        .await
        .unwrap();
    assert_eq!(counts.total, 0, "{counts:?}");
    check("everything pruned").await;
}

// --- the audit log -------------------------------------------------------------------------

fn audit_entry(
    tenant: Option<&Tenant>,
    at: DateTime<Utc>,
    action: &str,
    key: Option<&ApiKey>,
) -> AuditEntry {
    AuditEntry {
        id: Uuid::now_v7(),
        tenant_id: tenant.map(|t| t.id),
        at,
        actor: Actor {
            kind: if key.is_some() {
                ActorType::Key
            } else {
                ActorType::Admin
            },
            key_id: key.map(|k| k.id),
            key_prefix: key.map(|k| k.prefix.clone()),
            via_jwt: key.is_none(),
        },
        ip: Some("192.0.2.7".into()),
        action: action.to_owned(),
        method: "PATCH".into(),
        route: "/api/v1/webhooks/{id}".into(),
        status: 200,
        target_id: Some(format!("target-{action}")),
        // Key order, unicode and nesting come back as written.
        before: Some(json!({"z": 1, "a": {"ü": [1, "два"]}, "m": null})),
        after: (action != "thing.delete").then(|| json!({"url": "https://x.example/ö"})),
        request_id: Some("req-1".into()),
    }
}

async fn audit_list(store: &dyn Store, of: EntriesOf, filter: AuditFilter) -> Vec<AuditEntry> {
    store
        .list_audit_entries(of, &filter, None, 1000)
        .await
        .unwrap()
}

async fn audit_entries_round_trip_and_are_listed_newest_first_per_tenant_with_filters_and_cursor(
    store: DynStore,
) {
    let (acme, acme_key) = tenant_with_key(&*store, "acme").await;
    let globex = tenant(&*store, "globex").await;
    let t0 = at("2026-11-30T10:00:00.000001Z");
    let t1 = t0 + Duration::seconds(1);
    let t2 = t0 + Duration::seconds(2);
    // Written out of order; two share a time (then the id decides).
    let entries = [
        audit_entry(Some(&acme), t1, "thing.update", Some(&acme_key)),
        audit_entry(Some(&acme), t0, "thing.create", None),
        audit_entry(Some(&acme), t2, "thing.delete", Some(&acme_key)),
        audit_entry(Some(&acme), t1, "thing.update", None),
        audit_entry(Some(&globex), t1, "thing.update", None),
        audit_entry(None, t2, "global.change", None),
    ];
    for entry in &entries {
        store.insert_audit_entry(entry).await.unwrap();
    }
    let newest_first = |mut list: Vec<AuditEntry>| {
        list.sort_by_key(|entry| std::cmp::Reverse((entry.at, entry.id)));
        list
    };

    let of_acme = audit_list(&*store, EntriesOf::Tenant(acme.id), AuditFilter::default()).await;
    assert_eq!(of_acme, newest_first(entries[..4].to_vec()));
    let of_globex = audit_list(
        &*store,
        EntriesOf::Tenant(globex.id),
        AuditFilter::default(),
    )
    .await;
    assert_eq!(of_globex, vec![entries[4].clone()]);
    let all = audit_list(&*store, EntriesOf::AllTenants, AuditFilter::default()).await;
    assert_eq!(all, newest_first(entries.to_vec()));

    // The cursor: pages of one visit every entry once, in order.
    let mut paged = Vec::new();
    let mut after: Option<AuditCursor> = None;
    loop {
        let page = store
            .list_audit_entries(EntriesOf::AllTenants, &AuditFilter::default(), after, 1)
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        after = Some(AuditCursor {
            at: last.at,
            id: last.id,
        });
        paged.extend(page);
    }
    assert_eq!(paged, all);

    let filtered = |filter: AuditFilter| audit_list(&*store, EntriesOf::Tenant(acme.id), filter);
    let updates = filtered(AuditFilter {
        action: Some("thing.update".into()),
        ..AuditFilter::default()
    })
    .await;
    assert_eq!(
        updates,
        newest_first(vec![entries[0].clone(), entries[3].clone()])
    );
    let by_key = filtered(AuditFilter {
        actor: Some(ActorFilter::Key(acme_key.id)),
        ..AuditFilter::default()
    })
    .await;
    assert_eq!(by_key, vec![entries[2].clone(), entries[0].clone()]);
    let by_admin = filtered(AuditFilter {
        actor: Some(ActorFilter::Admin),
        ..AuditFilter::default()
    })
    .await;
    assert_eq!(by_admin, vec![entries[3].clone(), entries[1].clone()]);
    let of_target = filtered(AuditFilter {
        target_id: Some("target-thing.create".into()),
        ..AuditFilter::default()
    })
    .await;
    assert_eq!(of_target, vec![entries[1].clone()]);
    // `from` inclusive, `to` exclusive.
    let window = filtered(AuditFilter {
        from: Some(t1),
        to: Some(t2),
        ..AuditFilter::default()
    })
    .await;
    assert_eq!(
        window,
        newest_first(vec![entries[0].clone(), entries[3].clone()])
    );
}

async fn audit_pruning_deletes_the_entries_recorded_before_the_cutoff_oldest_first(
    store: DynStore,
) {
    let acme = tenant(&*store, "acme").await;
    let t0 = at("2026-11-01T00:00:00Z");
    let entries: Vec<AuditEntry> = (0..5)
        .map(|n| audit_entry(Some(&acme), t0 + Duration::hours(n), "thing.update", None))
        .collect();
    for entry in &entries {
        store.insert_audit_entry(entry).await.unwrap();
    }
    let cutoff = t0 + Duration::hours(3);
    assert_eq!(store.prune_audit_entries(cutoff, 2).await.unwrap(), 2);
    let left = audit_list(&*store, EntriesOf::AllTenants, AuditFilter::default()).await;
    let mut expected = entries[2..].to_vec();
    expected.reverse();
    assert_eq!(left, expected, "the oldest two went first");
    assert_eq!(store.prune_audit_entries(cutoff, 1000).await.unwrap(), 1);
    assert_eq!(store.prune_audit_entries(cutoff, 1000).await.unwrap(), 0);
    let left = audit_list(&*store, EntriesOf::AllTenants, AuditFilter::default()).await;
    assert_eq!(left, vec![entries[4].clone(), entries[3].clone()]);
}
