//! The audit log: who changed what, when, from where, and what it looked like before and
//! after. One [`AuditEntry`] per successful change made through `/api/v1` (tenants, keys,
//! webhooks, schemas, privacy rules, deletions, suppressions, settings), listed newest first by
//! `GET /api/v1/audit` ([`routes`]).
//!
//! Invariants:
//! - **Complete by construction.** [`record::middleware`] wraps every route of `/api/v1`: a
//!   POST, PUT, PATCH or DELETE answered 2xx is recorded unless [`action_for`] says its route
//!   changes nothing an operator configures (ingestion, the token exchange, previews and
//!   inference, which store nothing). A new route is recorded without code of its own; its
//!   handler may add a target and before/after with an [`AuditNote`] in its response.
//! - **After the change, never instead of it.** The entry is written once the handler has
//!   succeeded, in one insert, from a task of its own (a client that hangs up cannot cancel
//!   it). A failed write is logged at `warn` and counted in
//!   `tributary_audit_write_failures_total`; the change it records is done and stays answered
//!   as done.
//! - **Tenant-scoped.** An entry belongs to the tenant the change was made on: the one the
//!   handler resolved its call to, a tenant credential's own, the `{tenant_id}` of the path, or
//!   the tenant a change created; a change on no tenant belongs to none. A tenant credential
//!   lists its own tenant's entries only; the admin lists all (or one tenant's).
//! - **Secrets never.** `before` and `after` hold the API's views, which carry no secret, and
//!   [`strip_secrets`] removes any member named like one (`secret`, `key`, `hash_key`, …) that
//!   slips in. Only the route template is kept, never the raw URL, whose query may carry an
//!   `access_token`; the credential itself is named by key id and prefix, never by its text.
//! - **Kept as long as the delivery log**: entries older than `retention.deliveries_days` are
//!   pruned by [`crate::retention`].

pub mod record;
pub mod routes;

use std::borrow::Cow;

use chrono::{DateTime, Utc};
use serde::Serialize;
use serde_json::Value;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::auth::Principal;
use crate::auth::principal::Identity;
use crate::error::{DomainError, ValidationError};
use crate::events::EventCursor;
use crate::events::query::{decode_cursor, encode_cursor, pairs, unknown};
use crate::store::Store;
use crate::tenants::TenantId;

pub const DEFAULT_LIMIT: u32 = 50;
pub const MAX_LIMIT: u32 = 200;
/// Longest `action` and `target_id` a filter takes.
const MAX_FILTER_CHARS: usize = 200;

/// Who made a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = AuditActorType)]
pub enum ActorType {
    /// The admin token (or a JWT minted from it).
    Admin,
    /// A tenant's API key (or a JWT minted from it).
    Key,
}

impl ActorType {
    pub fn as_str(self) -> &'static str {
        match self {
            ActorType::Admin => "admin",
            ActorType::Key => "key",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        match text {
            "admin" => Some(ActorType::Admin),
            "key" => Some(ActorType::Key),
            _ => None,
        }
    }
}

/// The credential behind a change, named without its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[schema(as = AuditActor)]
pub struct Actor {
    #[serde(rename = "type")]
    pub kind: ActorType,
    /// The API key's id; null for the admin.
    pub key_id: Option<Uuid>,
    /// The API key's prefix, as listed with the tenant's keys; null for the admin.
    pub key_prefix: Option<String>,
    /// Whether the credential was a JWT minted from the key (or the admin token).
    pub via_jwt: bool,
}

impl Actor {
    pub fn of(principal: &Principal) -> Self {
        match &principal.identity {
            Identity::Admin => Actor {
                kind: ActorType::Admin,
                key_id: None,
                key_prefix: None,
                via_jwt: principal.via_jwt,
            },
            Identity::Key {
                key_id, key_prefix, ..
            } => Actor {
                kind: ActorType::Key,
                key_id: Some(*key_id),
                key_prefix: Some(key_prefix.clone()),
                via_jwt: principal.via_jwt,
            },
        }
    }
}

/// One change, as recorded and as `GET /api/v1/audit` shows it.
#[derive(Debug, Clone, PartialEq, Serialize, ToSchema)]
pub struct AuditEntry {
    /// Time-ordered (UUIDv7).
    pub id: Uuid,
    /// The tenant the change belongs to; null for a change on no tenant.
    #[schema(value_type = Option<String>, format = Uuid)]
    pub tenant_id: Option<TenantId>,
    /// When the change was answered.
    pub at: DateTime<Utc>,
    pub actor: Actor,
    /// The address the request came from (the TCP peer); null when unknown.
    pub ip: Option<String>,
    /// What was done: `<thing>.<verb>`, such as `webhook.update` or `key.revoke`.
    pub action: String,
    /// The request's HTTP method.
    pub method: String,
    /// The request's route template (`/api/v1/webhooks/{id}`), never its raw URL.
    pub route: String,
    /// The HTTP status it was answered with.
    pub status: u16,
    /// What was changed: the id (or event type, for a schema) of the thing; null when the
    /// change has no single target.
    pub target_id: Option<String>,
    /// The thing before the change, where it existed and applies (never a secret).
    #[schema(value_type = Option<Object>)]
    pub before: Option<Value>,
    /// The thing after the change, where it still exists and applies (never a secret).
    #[schema(value_type = Option<Object>)]
    pub after: Option<Value>,
    /// The request's `X-Request-Id`, to find it in the logs.
    pub request_id: Option<String>,
}

/// What a handler adds to the entry of its change, by putting this in its response (see
/// [`record`]): the target, the state before and after, and the tenant when the middleware
/// cannot know it (a tenant that the change created).
#[derive(Debug, Clone, Default)]
pub struct AuditNote {
    pub tenant: Option<TenantId>,
    pub target_id: Option<String>,
    pub before: Option<Value>,
    pub after: Option<Value>,
}

impl AuditNote {
    pub fn target(id: impl ToString) -> Self {
        AuditNote {
            target_id: Some(id.to_string()),
            ..AuditNote::default()
        }
    }

    pub fn tenant(mut self, tenant: TenantId) -> Self {
        self.tenant = Some(tenant);
        self
    }

    /// The state before; `view` is what the API shows of the thing (never its secret).
    pub fn before(mut self, view: &impl Serialize) -> Self {
        self.before = snapshot(view);
        self
    }

    pub fn after(mut self, view: &impl Serialize) -> Self {
        self.after = snapshot(view);
        self
    }
}

fn snapshot(view: &impl Serialize) -> Option<Value> {
    match serde_json::to_value(view) {
        // A thing that did not exist (`None`) has no state to show.
        Ok(Value::Null) => None,
        Ok(mut value) => {
            strip_secrets(&mut value);
            Some(value)
        }
        Err(error) => {
            // Our views always serialize; should one not, the entry is still written.
            tracing::warn!(%error, "an audit snapshot could not be serialized");
            None
        }
    }
}

/// Member names that hold a secret wherever they appear in our views: a new key's `key`, a
/// webhook's `secret`, hashes and tokens.
const SECRET_MEMBERS: [&str; 10] = [
    "key",
    "secret",
    "secret_hash",
    "previous_secret",
    "hash_key",
    "token",
    "access_token",
    "admin_token",
    "jwt_secret",
    "password",
];

/// Removes every member named in [`SECRET_MEMBERS`] whose value is a string (or bytes, as an
/// array), at any depth. Objects under such names are kept: in a JSON Schema, `"token": {…}`
/// describes a property, it is not one.
pub fn strip_secrets(value: &mut Value) {
    match value {
        Value::Object(members) => {
            members.retain(|name, member| {
                !(SECRET_MEMBERS.contains(&name.as_str())
                    && matches!(member, Value::String(_) | Value::Array(_)))
            });
            members.values_mut().for_each(strip_secrets);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_secrets),
        _ => {}
    }
}

/// Routes whose successful POSTs change nothing an operator configures, or are not made by
/// operators: they are not recorded.
const NOT_RECORDED: [&str; 5] = [
    // Ingestion: events are the data, not a change of configuration (and far too many).
    "/api/v1/events",
    "/api/v1/events/batch",
    // Exchanges a credential for a JWT; nothing is stored.
    "/api/v1/auth/token",
    // Show what a policy or a schema would be; nothing is stored.
    "/api/v1/privacy/preview",
    "/api/v1/schemas/{event_type}/infer",
];

/// The actions of the routes we know; others get a name from their path ([`derived_action`]).
const ACTIONS: [(&str, &str, &str); 21] = [
    ("POST", "/api/v1/tenants", "tenant.create"),
    ("PATCH", "/api/v1/tenants/{tenant_id}", "tenant.update"),
    ("POST", "/api/v1/tenants/{tenant_id}/keys", "key.create"),
    (
        "DELETE",
        "/api/v1/tenants/{tenant_id}/keys/{key_id}",
        "key.revoke",
    ),
    ("POST", "/api/v1/webhooks", "webhook.create"),
    ("PATCH", "/api/v1/webhooks/{id}", "webhook.update"),
    ("DELETE", "/api/v1/webhooks/{id}", "webhook.delete"),
    (
        "POST",
        "/api/v1/webhooks/{id}/rotate-secret",
        "webhook.rotate_secret",
    ),
    ("POST", "/api/v1/webhooks/{id}/test", "webhook.test"),
    (
        "POST",
        "/api/v1/webhooks/{id}/deliveries/{delivery_id}/retry",
        "delivery.retry",
    ),
    ("POST", "/api/v1/webhooks/{id}/replay", "replay.create"),
    (
        "POST",
        "/api/v1/webhooks/{id}/replays/{replay_id}/cancel",
        "replay.cancel",
    ),
    ("PUT", "/api/v1/schemas/{event_type}", "schema.put"),
    ("DELETE", "/api/v1/schemas/{event_type}", "schema.delete"),
    ("PUT", "/api/v1/schema-policy", "schema_policy.update"),
    ("PUT", "/api/v1/privacy", "privacy.update"),
    ("POST", "/api/v1/deletions", "deletion.create"),
    ("POST", "/api/v1/deletions/{id}/cancel", "deletion.cancel"),
    ("POST", "/api/v1/suppressions", "suppression.create"),
    ("DELETE", "/api/v1/suppressions/{id}", "suppression.delete"),
    ("DELETE", "/api/v1/suppressions", "suppression.delete"),
];

/// Whether a request with this method can change something.
pub fn is_change(method: &str) -> bool {
    matches!(method, "POST" | "PUT" | "PATCH" | "DELETE")
}

/// The action a change through `route` (a template such as `/api/v1/webhooks/{id}`) records,
/// or `None` when the route is not recorded ([`NOT_RECORDED`]).
pub fn action_for(method: &str, route: &str) -> Option<Cow<'static, str>> {
    if NOT_RECORDED.contains(&route) {
        return None;
    }
    Some(
        ACTIONS
            .iter()
            .find(|(m, r, _)| *m == method && *r == route)
            .map(|(_, _, action)| Cow::Borrowed(*action))
            .unwrap_or_else(|| Cow::Owned(derived_action(method, route))),
    )
}

/// A name for a route [`ACTIONS`] does not know: its fixed segments after `/api/v1`, dotted,
/// then a verb from the method (`PUT /api/v1/alerts/{id}` → `alerts.put`); a POST to a fixed
/// segment after a parameter is that segment's action (`POST /api/v1/jobs/{id}/pause` →
/// `jobs.pause`).
fn derived_action(method: &str, route: &str) -> String {
    let segments: Vec<&str> = route
        .trim_start_matches("/api/v1")
        .split('/')
        .filter(|s| !s.is_empty())
        .collect();
    let fixed: Vec<String> = segments
        .iter()
        .filter(|s| !s.starts_with('{'))
        .map(|s| s.replace('-', "_"))
        .collect();
    let after_parameter = segments.len() >= 2
        && segments[segments.len() - 2].starts_with('{')
        && !segments[segments.len() - 1].starts_with('{');
    let thing = if fixed.is_empty() {
        "api".to_owned()
    } else {
        fixed.join(".")
    };
    if method == "POST" && after_parameter && fixed.len() >= 2 {
        return thing;
    }
    let verb = match method {
        "POST" => "create",
        "PUT" => "put",
        "PATCH" => "update",
        "DELETE" => "delete",
        other => return format!("{thing}.{}", other.to_ascii_lowercase()),
    };
    format!("{thing}.{verb}")
}

/// Whose entries a listing reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EntriesOf {
    Tenant(TenantId),
    /// The admin's view: every tenant's and those of no tenant.
    AllTenants,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ActorFilter {
    Admin,
    Key(Uuid),
}

/// The listing's filters; `None` filters nothing.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AuditFilter {
    pub action: Option<String>,
    pub actor: Option<ActorFilter>,
    pub target_id: Option<String>,
    /// Entries at or after this.
    pub from: Option<DateTime<Utc>>,
    /// Entries before this.
    pub to: Option<DateTime<Utc>>,
}

/// Where a page ends: entries strictly older, in (at, id) order, come next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditCursor {
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

#[derive(Debug, Default)]
pub struct AuditQuery {
    pub tenant_id: Option<TenantId>,
    pub filter: AuditFilter,
    pub limit: u32,
    pub cursor: Option<AuditCursor>,
}

/// Parses `GET /api/v1/audit`'s query: `tenant_id`, `action`, `actor` (`admin` or a key id),
/// `target_id`, `from`, `to`, `limit`, `cursor`. Unknown or repeated parameters are refused.
pub fn parse_audit_query(raw: Option<&str>) -> Result<AuditQuery, ValidationError> {
    let mut query = AuditQuery {
        limit: DEFAULT_LIMIT,
        ..AuditQuery::default()
    };
    let mut seen: Vec<String> = Vec::new();
    for (name, value) in pairs(raw)? {
        if name != "access_token" {
            if seen.contains(&name) {
                return Err(ValidationError::new(
                    name.clone(),
                    format!("`{name}` can be given once"),
                ));
            }
            seen.push(name.clone());
        }
        match name.as_str() {
            "tenant_id" => {
                let id = Uuid::parse_str(&value)
                    .map_err(|_| ValidationError::new("tenant_id", "tenant_id must be a UUID"))?;
                query.tenant_id = Some(TenantId(id));
            }
            "action" => {
                let valid = !value.is_empty()
                    && value.len() <= MAX_FILTER_CHARS
                    && value.bytes().all(|b| {
                        b.is_ascii_lowercase() || b.is_ascii_digit() || b"._".contains(&b)
                    });
                if !valid {
                    return Err(ValidationError::new(
                        "action",
                        "action must be 1-200 characters of [a-z0-9._], such as webhook.update",
                    ));
                }
                query.filter.action = Some(value);
            }
            "actor" => {
                query.filter.actor = Some(if value == "admin" {
                    ActorFilter::Admin
                } else {
                    ActorFilter::Key(Uuid::parse_str(&value).map_err(|_| {
                        ValidationError::new("actor", "actor must be `admin` or an API key's id")
                    })?)
                });
            }
            "target_id" => {
                if value.is_empty()
                    || value.chars().count() > MAX_FILTER_CHARS
                    || value.chars().any(char::is_control)
                {
                    return Err(ValidationError::new(
                        "target_id",
                        "target_id must be 1-200 characters without control characters",
                    ));
                }
                query.filter.target_id = Some(value);
            }
            "from" => query.filter.from = Some(time_param("from", &value)?),
            "to" => query.filter.to = Some(time_param("to", &value)?),
            "limit" => {
                query.limit = value
                    .parse()
                    .ok()
                    .filter(|n| (1..=MAX_LIMIT).contains(n))
                    .ok_or_else(|| {
                        ValidationError::new("limit", format!("limit must be 1-{MAX_LIMIT}"))
                    })?;
            }
            "cursor" => {
                let cursor = decode_cursor(&value)?;
                query.cursor = Some(AuditCursor {
                    at: cursor.timestamp,
                    id: cursor.id,
                });
            }
            "access_token" => {}
            _ => return Err(unknown(&name)),
        }
    }
    if let (Some(from), Some(to)) = (query.filter.from, query.filter.to)
        && from >= to
    {
        return Err(ValidationError::new("from", "from must be earlier than to"));
    }
    Ok(query)
}

fn time_param(name: &'static str, value: &str) -> Result<DateTime<Utc>, ValidationError> {
    crate::events::ingest::parse_timestamp(value).ok_or_else(|| {
        ValidationError::new(
            name,
            format!("{name} {}", crate::events::ingest::TIMESTAMP_RULE),
        )
    })
}

/// The cursor is opaque to clients; it has the listing's own shape (time and id).
pub fn encode_audit_cursor(cursor: AuditCursor) -> String {
    encode_cursor(EventCursor {
        timestamp: cursor.at,
        id: cursor.id,
    })
}

/// One page of entries, newest first, and the cursor of the next (`None` on the last).
pub async fn list(
    store: &dyn Store,
    of: EntriesOf,
    query: &AuditQuery,
) -> Result<(Vec<AuditEntry>, Option<String>), DomainError> {
    let mut entries = store
        .list_audit_entries(of, &query.filter, query.cursor, query.limit + 1)
        .await?;
    let next = if entries.len() > query.limit as usize {
        entries.truncate(query.limit as usize);
        entries.last().map(|last| {
            encode_audit_cursor(AuditCursor {
                at: last.at,
                id: last.id,
            })
        })
    } else {
        None
    };
    Ok((entries, next))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn known_routes_have_their_names_and_unknown_ones_get_one_from_their_path() {
        assert_eq!(
            action_for("PATCH", "/api/v1/webhooks/{id}").as_deref(),
            Some("webhook.update")
        );
        assert_eq!(
            action_for("DELETE", "/api/v1/tenants/{tenant_id}/keys/{key_id}").as_deref(),
            Some("key.revoke")
        );
        assert_eq!(
            action_for("PUT", "/api/v1/alert-rules/{id}").as_deref(),
            Some("alert_rules.put")
        );
        assert_eq!(
            action_for("POST", "/api/v1/jobs/{id}/pause").as_deref(),
            Some("jobs.pause")
        );
        assert_eq!(
            action_for("DELETE", "/api/v1/things").as_deref(),
            Some("things.delete")
        );
    }

    #[test]
    fn ingestion_token_exchange_and_previews_are_not_recorded() {
        for route in NOT_RECORDED {
            assert_eq!(action_for("POST", route), None, "{route}");
        }
    }

    #[test]
    fn secrets_are_stripped_at_any_depth_but_schema_properties_stay() {
        let mut value = json!({
            "id": "k1", "key": "trb_secret", "prefix": "trb_abc",
            "api_key": {"key": "trb_nested", "id": "k2"},
            "schema": {"properties": {"token": {"type": "string"}}},
            "list": [{"secret": "whsec_x", "url": "https://x"}],
        });
        strip_secrets(&mut value);
        assert_eq!(
            value,
            json!({
                "id": "k1", "prefix": "trb_abc",
                "api_key": {"id": "k2"},
                "schema": {"properties": {"token": {"type": "string"}}},
                "list": [{"url": "https://x"}],
            })
        );
    }

    #[test]
    fn bad_filters_name_their_field() {
        for (raw, field) in [
            ("limit=0", "limit"),
            ("limit=201", "limit"),
            ("actor=someone", "actor"),
            ("action=Webhook%20Update", "action"),
            ("target_id=", "target_id"),
            ("from=yesterday", "from"),
            ("to=2024-01-01", "to"),
            ("tenant_id=acme", "tenant_id"),
            ("cursor=!!", "cursor"),
            ("from=2024-01-02T00:00:00Z&to=2024-01-01T00:00:00Z", "from"),
            ("action=a&action=b", "action"),
            ("who=me", "who"),
        ] {
            assert_eq!(
                parse_audit_query(Some(raw)).unwrap_err().field(),
                field,
                "{raw}"
            );
        }
        let query = parse_audit_query(Some("actor=admin&limit=200&action=key.revoke")).unwrap();
        assert_eq!(query.filter.actor, Some(ActorFilter::Admin));
        assert_eq!(query.limit, 200);
        assert_eq!(parse_audit_query(None).unwrap().limit, DEFAULT_LIMIT);
    }
}
