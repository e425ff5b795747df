//! The `tributary` command line: parse the arguments, load the configuration, start logging,
//! and run the server (or a one-off command: migrations, a backup, the OpenAPI document, a health
//! probe). The binary (src/main.rs) only hands over the dashboard's files.

use std::io::Write;
use std::path::PathBuf;

use crate::config::{Config, Environment};
use crate::http::dashboard::{self, AssetLookup};
use crate::startup::Application;
use crate::{store, telemetry};
use anyhow::Context;
use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "tributary",
    version,
    about = "Multi-tenant event ingestion server"
)]
struct Cli {
    /// Configuration file (default: ./tributary.toml when it exists).
    #[arg(long, short, global = true, env = "TRIBUTARY_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the server (the default).
    Serve {
        /// Create a `demo` tenant and stream realistic events into it.
        #[arg(long)]
        demo: bool,
    },
    /// Print the OpenAPI document of the HTTP API and exit.
    Openapi,
    /// Check that a local server answers `/health` (for container health checks); exits 0 if so.
    Health {
        /// Defaults to the configured port on 127.0.0.1.
        #[arg(long)]
        url: Option<String>,
    },
    /// Apply database migrations and exit.
    Migrate,
    /// Copy the SQLite database to a new file, safely while the server runs (PostgreSQL: use
    /// pg_dump).
    Backup {
        /// Where to write the copy; must not exist yet.
        path: PathBuf,
    },
}

/// Runs the command that the process's arguments name, to the end (for `serve`, until SIGINT
/// or SIGTERM). `assets` finds the dashboard's files, which the binary embeds.
///
/// The whole command line lives here rather than in the binary's `main.rs` because the binary's
/// crate is recompiled for every new dashboard build: code there (the runtime, the server's
/// futures) would be compiled again each time, here it is compiled once.
pub fn run(assets: AssetLookup) -> anyhow::Result<()> {
    let cli = Cli::parse();
    dashboard::install(assets);
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("cannot start the async runtime")?
        .block_on(execute(cli))
}

async fn execute(cli: Cli) -> anyhow::Result<()> {
    let config = Config::load(cli.config.as_deref()).context("invalid configuration")?;
    telemetry::init_logs(&config.log);
    // The whole of it, for when a setting does not do what was expected; `serve` prints a
    // short summary for people.
    tracing::debug!(config = %config.redacted(), "effective configuration");

    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Health { url } => {
            let url =
                url.unwrap_or_else(|| format!("http://127.0.0.1:{}/health", config.http.port));
            if !probe(&url) {
                anyhow::bail!("{url} did not answer 200");
            }
        }
        Command::Openapi => {
            println!("{}", crate::http::openapi::document_json()?);
        }
        Command::Backup { path } => {
            let bytes = store::backup::backup(&config.database.url, &path).await?;
            writeln!(
                std::io::stdout(),
                "backed up to {} ({bytes} bytes)",
                path.display()
            )?;
        }
        Command::Migrate => {
            store::connect(&config.database.url, 1, None).await?;
            tracing::info!("migrations applied");
        }
        Command::Serve { demo } => {
            let app = Application::build(config).await?;
            if let Err(error) = write!(std::io::stdout(), "{}", app.summary())
                && app.generated_admin_token.is_some()
            {
                // Shown once: a token nobody saw would lock the admin out, so a failed write
                // stops the server (with ADMIN_TOKEN set, the next start uses that instead).
                return Err(error).context(
                    "could not print the generated admin token; set ADMIN_TOKEN to choose one",
                );
            }
            if app.config().webhooks.allow_private_targets {
                tracing::warn!(
                    "webhooks may target private and loopback addresses ({}); set \
                     TRIBUTARY_WEBHOOKS__ALLOW_PRIVATE_TARGETS=false to refuse them",
                    match app.config().env {
                        Environment::Development => "the default in development mode",
                        Environment::Production => "webhooks.allow_private_targets is on",
                    }
                );
            }
            if demo {
                app.start_demo().await?;
            }
            let config = app.config();
            tracing::info!(
                address = %app.address(),
                env = ?config.env,
                redis = config.redis.url.is_some(),
                "listening"
            );
            app.run_until_stopped(shutdown_signal()).await?;
        }
    }
    Ok(())
}

/// Resolves on SIGINT (Ctrl-C) or SIGTERM.
async fn shutdown_signal() {
    let interrupt = async {
        if let Err(error) = tokio::signal::ctrl_c().await {
            tracing::error!(%error, "cannot listen for Ctrl-C");
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(error) => {
                tracing::error!(%error, "cannot listen for SIGTERM");
                std::future::pending::<()>().await;
            }
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = interrupt => {},
        () = terminate => {},
    }
    tracing::info!("shutdown signal received: draining");
}

/// A minimal HTTP/1.0 GET over a plain TCP socket: the runtime image has no curl.
fn probe(url: &str) -> bool {
    use std::io::{Read, Write};
    let Some(rest) = url.strip_prefix("http://") else {
        return false;
    };
    let (authority, path) = rest.split_once('/').map_or((rest, "/"), |(a, p)| (a, p));
    let path = if path.starts_with('/') {
        path.to_owned()
    } else {
        format!("/{path}")
    };
    let Ok(mut stream) = std::net::TcpStream::connect(authority) else {
        return false;
    };
    let _ = stream.set_read_timeout(Some(std::time::Duration::from_secs(2)));
    let request = format!("GET {path} HTTP/1.0\r\nHost: {authority}\r\n\r\n");
    let mut answer = [0u8; 12];
    stream.write_all(request.as_bytes()).is_ok()
        && stream.read_exact(&mut answer).is_ok()
        && answer.starts_with(b"HTTP/1.")
        && &answer[9..12] == b"200"
}
