//! The `tributary` binary: parse the command line, load the configuration, start logging,
//! and run the server (or just the migrations) until SIGINT or SIGTERM.

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand};
use tributary::config::Config;
use tributary::startup::Application;
use tributary::{store, telemetry};

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
    /// Apply database migrations and exit.
    Migrate,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let cli = Cli::parse();
    let config = Config::load(cli.config.as_deref()).context("invalid configuration")?;
    telemetry::init_logs(&config.log);
    tracing::info!(config = %config.redacted(), "effective configuration");

    match cli.command.unwrap_or(Command::Serve { demo: false }) {
        Command::Openapi => {
            println!("{}", tributary::http::openapi::document_json()?);
        }
        Command::Migrate => {
            store::connect(&config.database.url, 1).await?;
            tracing::info!("migrations applied");
        }
        Command::Serve { demo } => {
            let app = Application::build(config).await?;
            if demo {
                app.start_demo().await?;
            }
            if let Some(token) = &app.generated_admin_token {
                println!(
                    "\n  Admin token (shown once; set ADMIN_TOKEN to choose your own):\n\n    {token}\n"
                );
            }
            tracing::info!(address = %app.address(), "listening");
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
