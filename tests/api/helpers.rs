//! `spawn_app()`: the real server on a random port with a fresh database, and typed helpers
//! per endpoint. The backend is SQLite unless `TRIBUTARY_TEST_BACKEND=postgres`, in which case
//! each app gets its own fresh PostgreSQL database.

use std::path::PathBuf;
use std::sync::Arc;

use reqwest::{RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;
use tributary::clock::{Clock, SystemClock};
use tributary::config::Config;
use tributary::startup::Application;

use crate::pg::{TestDatabase, fresh_database};

pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789";
pub const JWT_SECRET: &str = "test-jwt-secret-0123456789abcdef0123456789";

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub admin_token: String,
    shutdown: CancellationToken,
    _server: JoinHandle<anyhow::Result<()>>,
    /// Where the SQLite file lives, when the backend is SQLite; removed on drop.
    _data_dir: Option<tempfile::TempDir>,
    _postgres: Option<TestDatabase>,
    database_url: String,
}

/// A tenant created through the API, with its first (all-scopes) key.
#[derive(Debug, Clone)]
pub struct TestTenant {
    pub id: String,
    pub key: String,
    pub key_id: String,
}

pub fn postgres_backend() -> bool {
    std::env::var("TRIBUTARY_TEST_BACKEND").is_ok_and(|b| b == "postgres")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app after `configure` has adjusted the test configuration.
pub async fn spawn_app_with(configure: impl FnOnce(&mut Config)) -> TestApp {
    spawn_app_with_clock(configure, Arc::new(SystemClock)).await
}

/// [`spawn_app_with`], with time from `clock` (a [`tributary::clock::ManualClock`], say).
pub async fn spawn_app_with_clock(
    configure: impl FnOnce(&mut Config),
    clock: Arc<dyn Clock>,
) -> TestApp {
    let (database_url, data_dir, postgres) = if postgres_backend() {
        let db = fresh_database()
            .await
            .expect("PostgreSQL is required for TRIBUTARY_TEST_BACKEND=postgres");
        (db.url.clone(), None, Some(db))
    } else {
        let dir = tempfile::tempdir().expect("temp dir");
        let path: PathBuf = dir.path().join("tributary.db");
        (format!("sqlite://{}", path.display()), Some(dir), None)
    };
    let mut app = start(&database_url, configure, clock).await;
    app._data_dir = data_dir;
    app._postgres = postgres;
    app
}

/// Starts an app on an existing database (several instances can share one); the caller keeps
/// the database alive.
pub async fn spawn_app_on(database_url: &str, configure: impl FnOnce(&mut Config)) -> TestApp {
    start(database_url, configure, Arc::new(SystemClock)).await
}

async fn start(
    database_url: &str,
    configure: impl FnOnce(&mut Config),
    clock: Arc<dyn Clock>,
) -> TestApp {
    let mut config = test_config(database_url);
    configure(&mut config);
    let app = Application::build_with_clock(config, clock)
        .await
        .expect("the app builds");
    let address = format!("http://{}", app.address());
    let shutdown = CancellationToken::new();
    let stop = shutdown.clone();
    let server = tokio::spawn(app.run_until_stopped(async move { stop.cancelled().await }));
    TestApp {
        address,
        client: reqwest::Client::new(),
        admin_token: ADMIN_TOKEN.to_owned(),
        shutdown,
        _server: server,
        _data_dir: None,
        _postgres: None,
        database_url: database_url.to_owned(),
    }
}

pub fn test_config(database_url: &str) -> Config {
    let mut config = Config::default();
    config.http.port = 0;
    config.database.url = database_url.to_owned();
    config.database.max_connections = 8;
    config.auth.admin_token = Some(ADMIN_TOKEN.to_owned());
    config.auth.jwt_secret = Some(JWT_SECRET.to_owned());
    config
}

impl TestApp {
    /// Everything the database holds, as text, to look for what must not be stored: the
    /// SQLite file with its WAL as bytes (the search index included), or every row of every
    /// PostgreSQL table rendered as JSON.
    pub async fn database_text(&self) -> String {
        if let Some(path) = self.database_url.strip_prefix("sqlite://") {
            let mut text = String::new();
            for suffix in ["", "-wal"] {
                if let Ok(bytes) = std::fs::read(format!("{path}{suffix}")) {
                    text.push_str(&String::from_utf8_lossy(&bytes));
                }
            }
            return text;
        }
        let pool = sqlx::PgPool::connect(&self.database_url).await.unwrap();
        let tables: Vec<String> = sqlx::query_scalar(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()",
        )
        .fetch_all(&pool)
        .await
        .unwrap();
        let mut text = String::new();
        for table in tables {
            let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
                "SELECT row_to_json(t)::text FROM \"{table}\" t"
            )))
            .fetch_all(&pool)
            .await
            .unwrap();
            text.push_str(&rows.join("\n"));
        }
        pool.close().await;
        text
    }
}

impl TestApp {
    /// The first column of every row `sql` returns, as text, run straight on the database
    /// (`sqlite` on SQLite, `postgres` on PostgreSQL), for what the API never shows.
    pub async fn sql_strings(&self, sqlite: &str, postgres: &str) -> Vec<String> {
        if self.database_url.starts_with("sqlite://") {
            let pool = sqlx::SqlitePool::connect(&self.database_url).await.unwrap();
            let rows: Vec<Option<String>> =
                sqlx::query_scalar(sqlx::AssertSqlSafe(sqlite.to_owned()))
                    .fetch_all(&pool)
                    .await
                    .unwrap();
            pool.close().await;
            return rows.into_iter().flatten().collect();
        }
        let pool = sqlx::PgPool::connect(&self.database_url).await.unwrap();
        let rows: Vec<Option<String>> =
            sqlx::query_scalar(sqlx::AssertSqlSafe(postgres.to_owned()))
                .fetch_all(&pool)
                .await
                .unwrap();
        pool.close().await;
        rows.into_iter().flatten().collect()
    }

    /// Runs a statement straight on the database (the same text on both backends).
    pub async fn execute_sql(&self, sql: &str) {
        if self.database_url.starts_with("sqlite://") {
            let pool = sqlx::SqlitePool::connect(&self.database_url).await.unwrap();
            sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
                .execute(&pool)
                .await
                .unwrap();
            pool.close().await;
            return;
        }
        let pool = sqlx::PgPool::connect(&self.database_url).await.unwrap();
        sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_owned()))
            .execute(&pool)
            .await
            .unwrap();
        pool.close().await;
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        self.shutdown.cancel();
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.address, path)
    }

    pub fn get(&self, path: &str, credential: &str) -> RequestBuilder {
        self.client
            .get(self.url(path))
            .header("X-API-Key", credential)
    }

    pub fn post(&self, path: &str, credential: &str) -> RequestBuilder {
        self.client
            .post(self.url(path))
            .header("X-API-Key", credential)
    }

    pub async fn create_tenant(&self, name: &str) -> TestTenant {
        self.create_tenant_with(json!({ "name": name })).await
    }

    pub async fn create_tenant_with(&self, body: Value) -> TestTenant {
        let response = self
            .post("/api/v1/tenants", &self.admin_token)
            .json(&body)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED, "creating a tenant");
        let body: Value = response.json().await.unwrap();
        TestTenant {
            id: body["id"].as_str().unwrap().to_owned(),
            key: body["api_key"]["key"].as_str().unwrap().to_owned(),
            key_id: body["api_key"]["id"].as_str().unwrap().to_owned(),
        }
    }

    /// Issues a key with the given scopes for the tenant, as the admin; returns (secret, id).
    pub async fn create_key(&self, tenant: &TestTenant, scopes: &[&str]) -> (String, String) {
        let response = self
            .post(
                &format!("/api/v1/tenants/{}/keys", tenant.id),
                &self.admin_token,
            )
            .json(&json!({ "name": "test", "scopes": scopes }))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::CREATED);
        let body: Value = response.json().await.unwrap();
        (
            body["key"].as_str().unwrap().to_owned(),
            body["id"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn ingest(&self, credential: &str, event: Value) -> Response {
        self.post("/api/v1/events", credential)
            .json(&event)
            .send()
            .await
            .unwrap()
    }

    /// Ingests one event and returns its id, asserting a 202.
    pub async fn ingest_ok(&self, credential: &str, event: Value) -> String {
        let response = self.ingest(credential, event).await;
        assert_eq!(response.status(), StatusCode::ACCEPTED);
        let body: Value = response.json().await.unwrap();
        body["id"].as_str().unwrap().to_owned()
    }

    pub async fn ingest_batch(&self, credential: &str, body: Value) -> Response {
        self.post("/api/v1/events/batch", credential)
            .json(&body)
            .send()
            .await
            .unwrap()
    }

    /// GET a JSON endpoint; returns status and body.
    pub async fn get_json(&self, path: &str, credential: &str) -> (StatusCode, Value) {
        let response = self.get(path, credential).send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The `/metrics` text.
    pub async fn metrics(&self) -> String {
        let response = self.client.get(self.url("/metrics")).send().await.unwrap();
        response.text().await.unwrap()
    }

    /// Every event of the tenant, following cursors.
    pub async fn all_events(&self, credential: &str, query: &str) -> Vec<Value> {
        let mut events = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut path = format!("/api/v1/events?limit=1000{query}");
            if let Some(cursor) = &cursor {
                path.push_str(&format!("&cursor={cursor}"));
            }
            let (status, body) = self.get_json(&path, credential).await;
            assert_eq!(status, StatusCode::OK, "{body}");
            events.extend(body["events"].as_array().unwrap().iter().cloned());
            match body["next_cursor"].as_str() {
                Some(next) => cursor = Some(next.to_owned()),
                None => return events,
            }
        }
    }
}

/// Asserts the error body's code and field, returning the body.
pub async fn assert_error(
    response: Response,
    status: StatusCode,
    code: &str,
    field: Option<&str>,
) -> Value {
    assert_eq!(response.status(), status, "status");
    assert!(
        response.headers().contains_key("x-request-id"),
        "x-request-id on errors"
    );
    let body: Value = response.json().await.expect("a JSON error body");
    assert_eq!(body["error"]["code"], code, "{body}");
    if let Some(field) = field {
        assert_eq!(body["error"]["field"], field, "{body}");
    }
    assert!(body["error"]["request_id"].is_string(), "{body}");
    body
}

pub type Ws =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

impl TestApp {
    /// Starts shutting the server down without waiting for it.
    pub fn begin_shutdown(&self) {
        self.shutdown.cancel();
    }

    /// Opens the live stream with `?access_token=<credential>&<query>`; the HTTP status on
    /// refusal.
    pub async fn ws(&self, credential: &str, query: &str) -> Result<Ws, StatusCode> {
        let url = format!(
            "ws://{}/api/v1/ws?access_token={credential}{}{query}",
            self.address.trim_start_matches("http://"),
            if query.is_empty() { "" } else { "&" }
        );
        match tokio_tungstenite::connect_async(url).await {
            Ok((socket, _)) => Ok(socket),
            Err(tokio_tungstenite::tungstenite::Error::Http(response)) => {
                Err(StatusCode::from_u16(response.status().as_u16()).unwrap())
            }
            Err(error) => panic!("websocket connect failed: {error}"),
        }
    }

    /// Opens the live stream and waits for its `subscribed` message.
    pub async fn ws_ready(&self, credential: &str, query: &str) -> Ws {
        let mut socket = self.ws(credential, query).await.expect("the stream opens");
        let first = next_json(&mut socket).await.expect("a first message");
        assert_eq!(first["type"], "subscribed", "{first}");
        socket
    }
}

/// The next JSON text message (pings and pongs skipped); None when the socket closes or
/// nothing arrives within 5 s.
pub async fn next_json(socket: &mut Ws) -> Option<Value> {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let message = tokio::time::timeout(std::time::Duration::from_secs(5), socket.next())
            .await
            .ok()??;
        match message.ok()? {
            Message::Text(text) => return Some(serde_json::from_str(&text).expect("JSON message")),
            Message::Close(_) => return None,
            _ => continue,
        }
    }
}

/// Reads until the socket closes; returns the close code, if a close frame came.
pub async fn close_code(socket: &mut Ws) -> Option<u16> {
    use futures::StreamExt;
    use tokio_tungstenite::tungstenite::Message;
    loop {
        let message = tokio::time::timeout(std::time::Duration::from_secs(10), socket.next())
            .await
            .ok()??;
        match message {
            Ok(Message::Close(frame)) => return frame.map(|f| u16::from(f.code)),
            Ok(_) => continue,
            Err(_) => return None,
        }
    }
}
