//! A fresh PostgreSQL database per test, dropped when the test ends (even when it panics).
//!
//! The admin URL is `postgres://postgres@127.0.0.1:5432/postgres` unless
//! `TRIBUTARY_TEST_POSTGRES_URL` names another. Without a reachable server the PostgreSQL tests
//! are skipped with a note, except under CI (`CI=true`), where they fail: a CI run must never
//! pass by skipping the backend it is meant to cover.

use std::time::Duration;

use sqlx::{Connection, PgConnection};
use uuid::Uuid;

const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// A database that exists until this value is dropped.
pub struct TestDatabase {
    /// Connection URL of the fresh database.
    pub url: String,
    name: String,
    admin_url: String,
}

fn admin_url() -> String {
    std::env::var("TRIBUTARY_TEST_POSTGRES_URL").unwrap_or_else(|_| DEFAULT_ADMIN_URL.to_owned())
}

fn under_ci() -> bool {
    std::env::var("CI").is_ok_and(|value| value == "true")
}

/// The admin URL with its database name replaced, keeping credentials and query options.
fn with_database(admin_url: &str, database: &str) -> String {
    let (base, query) = match admin_url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (admin_url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let server = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{server}/{database}?{query}"),
        None => format!("{server}/{database}"),
    }
}

/// The URL without its password, for messages.
fn redacted(url: &str) -> String {
    let authority_start = url.find("://").map_or(0, |i| i + 3);
    let authority_end = url[authority_start..]
        .find('/')
        .map_or(url.len(), |i| authority_start + i);
    match url[authority_start..authority_end].rfind('@') {
        Some(at) => {
            let userinfo = &url[authority_start..authority_start + at];
            match userinfo.split_once(':') {
                Some((user, _)) => format!(
                    "{}{user}:***{}",
                    &url[..authority_start],
                    &url[authority_start + at..]
                ),
                None => url.to_owned(),
            }
        }
        None => url.to_owned(),
    }
}

async fn connect_admin(url: &str) -> Result<PgConnection, String> {
    match tokio::time::timeout(Duration::from_secs(5), PgConnection::connect(url)).await {
        Ok(Ok(connection)) => Ok(connection),
        Ok(Err(error)) => Err(error.to_string()),
        Err(_) => Err("timed out after 5 s".to_owned()),
    }
}

/// Creates an empty database and returns it, or `None` (outside CI) when PostgreSQL is not
/// reachable.
pub async fn fresh_database() -> Option<TestDatabase> {
    let admin_url = admin_url();
    let shown = redacted(&admin_url);
    let mut admin = match connect_admin(&admin_url).await {
        Ok(connection) => connection,
        Err(error) if under_ci() => panic!(
            "PostgreSQL is not reachable at {shown} ({error}); CI must run the PostgreSQL \
             tests: start it or set TRIBUTARY_TEST_POSTGRES_URL"
        ),
        Err(error) => {
            eprintln!(
                "note: skipping a PostgreSQL test: {shown} is not reachable ({error}); \
                 set TRIBUTARY_TEST_POSTGRES_URL to run it"
            );
            return None;
        }
    };
    // The name is ours (hex digits only), so it is safe to put in the statement.
    let name = format!("tributary_test_{}", Uuid::new_v4().simple());
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE \"{name}\"")))
        .execute(&mut admin)
        .await
        .unwrap_or_else(|error| panic!("creating test database {name}: {error}"));
    let _ = admin.close().await;
    Some(TestDatabase {
        url: with_database(&admin_url, &name),
        name,
        admin_url,
    })
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        // Drop cannot await, and the test's runtime may be a current-thread one that is busy
        // running this very drop: use a runtime of our own on a thread of our own.
        let name = self.name.clone();
        let admin_url = self.admin_url.clone();
        let dropped = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            runtime
                .block_on(async move {
                    let mut admin = connect_admin(&admin_url).await?;
                    // FORCE ends the connections that the test's pool still holds.
                    sqlx::query(sqlx::AssertSqlSafe(format!(
                        "DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"
                    )))
                    .execute(&mut admin)
                    .await
                    .map_err(|error| error.to_string())?;
                    let _ = admin.close().await;
                    Ok::<(), String>(())
                })
                .map_err(std::io::Error::other)
        })
        .join();
        match dropped {
            Ok(Ok(())) => {}
            Ok(Err(error)) => eprintln!(
                "warning: could not drop test database {}: {error}",
                self.name
            ),
            Err(_) => eprintln!("warning: dropping test database {} panicked", self.name),
        }
    }
}

#[test]
fn the_test_database_url_keeps_the_admin_urls_server_and_options() {
    assert_eq!(
        with_database("postgres://postgres@127.0.0.1:5432/postgres", "t1"),
        "postgres://postgres@127.0.0.1:5432/t1"
    );
    assert_eq!(
        with_database("postgres://u:p@db:5432/admin?sslmode=disable", "t1"),
        "postgres://u:p@db:5432/t1?sslmode=disable"
    );
    assert_eq!(
        with_database("postgres://db:5432", "t1"),
        "postgres://db:5432/t1"
    );
}

#[test]
fn messages_show_the_admin_url_without_its_password() {
    assert_eq!(
        redacted("postgres://u:secret@db:5432/admin"),
        "postgres://u:***@db:5432/admin"
    );
    assert_eq!(redacted("postgres://u@db/admin"), "postgres://u@db/admin");
}
