//! `tributary backup <path>`: a consistent copy of a SQLite database while the server runs.
//!
//! `VACUUM INTO` reads the database in one read transaction and writes a compacted copy: in WAL
//! mode that reader never blocks the server's writers, and the copy holds every transaction
//! committed before it began (so every acknowledged event up to then), never half of one. The
//! copy is a plain SQLite file (no `-wal` beside it) that `tributary` can run on as it is.
//! PostgreSQL has its own tools for this (pg_dump), which this does not replace.

use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::Context;
use sqlx::ConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;

/// Copies the SQLite database at `database_url` to `target`, which must not exist yet; returns
/// the copy's size in bytes.
pub async fn backup(database_url: &str, target: &Path) -> anyhow::Result<u64> {
    if !database_url.starts_with("sqlite:") {
        anyhow::bail!(
            "tributary backup copies SQLite databases; for PostgreSQL use pg_dump, e.g. \
             `pg_dump --format=custom --file=tributary.dump \"$DATABASE_URL\"` \
             (restore with pg_restore)"
        );
    }
    if target.exists() {
        // VACUUM INTO refuses too, but with a message that does not say which file.
        anyhow::bail!("{} already exists: choose a new file", target.display());
    }
    let target_text = target
        .to_str()
        .with_context(|| format!("{} is not valid UTF-8", target.display()))?;
    // No migrations and no creating: a backup must not change the database it copies, nor
    // make an empty one when the URL points at the wrong place. (Not opened read-only: a
    // read-only connection cannot set up WAL's shared memory when the server is not running.)
    let mut connection = SqliteConnectOptions::from_str(database_url)
        .context("invalid database.url (DATABASE_URL)")?
        .create_if_missing(false)
        .busy_timeout(Duration::from_secs(30))
        .connect()
        .await
        .with_context(|| format!("cannot open the database ({database_url})"))?;
    sqlx::query("VACUUM INTO ?")
        .bind(target_text)
        .execute(&mut connection)
        .await
        .with_context(|| format!("could not write the backup to {}", target.display()))?;
    let size = std::fs::metadata(target)
        .with_context(|| format!("the backup at {} cannot be read", target.display()))?
        .len();
    Ok(size)
}
