//! `flowkeeper serve`: open the store, load the workflows, start the
//! runtime's scheduler (timers, webhooks, upkeep) and answer HTTP until
//! SIGTERM or Ctrl-C.
//!
//! Shutdown order matters: the listener stops accepting, in-flight requests
//! finish, and only then are the background loops told to stop, so a request
//! never finds the runtime half gone.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context;
use axum::extract::ConnectInfo;
use axum::http::Request;
use hyper::body::Incoming;
use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
use hyper_util::server::conn::auto::Builder;
use hyper_util::server::graceful::GracefulShutdown;
use hyper_util::service::TowerToHyperService;
use tower::ServiceExt;

use super::auth::Secret;
use super::limits::Limits;
use super::state::AppState;
use crate::accounts::AccountPolicy;
use crate::model::Catalog;
use crate::runtime::{
    Clock, ManualClock, Runtime, RuntimeConfig, SchedulerConfig, SystemClock, Webhooks, WriteConfig,
};
use crate::store::Store;

/// The options of `flowkeeper serve` (also its clap arguments).
#[derive(Debug, Clone, clap::Args)]
pub struct ServeOptions {
    /// Address and port to listen on.
    #[arg(long, default_value = "127.0.0.1:8080")]
    pub listen: SocketAddr,
    /// `sqlite://PATH` (created if missing) or `postgres://…`.
    #[arg(
        long,
        env = "FLOWKEEPER_DATABASE_URL",
        hide_env_values = true,
        default_value = "sqlite://flowkeeper.db"
    )]
    pub database: String,
    /// The folder of workflow files.
    #[arg(long, env = "FLOWKEEPER_WORKFLOWS", default_value = "./workflows")]
    pub workflows: PathBuf,
    /// The settings file: where each named webhook goes
    /// (`[webhooks.<name>] url = "…"`; unnamed webhooks are logged) and the
    /// account rules (`[accounts] vendor_max`, `emergency_grace`, `idle_report`).
    #[arg(long, env = "FLOWKEEPER_SETTINGS", default_value = "flowkeeper.toml")]
    pub settings: PathBuf,
    /// Run on a clock that only moves through `POST /v1/admin/clock`.
    #[arg(long)]
    pub manual_clock: bool,
    /// Where the manual clock starts (RFC 3339), e.g. to go on with a
    /// simulation where an earlier run stopped; default: now.
    #[arg(long, requires = "manual_clock", value_name = "RFC3339")]
    pub clock_start: Option<jiff::Timestamp>,
    /// The largest request body accepted, e.g. `1MiB`, `512KiB`, `65536`.
    #[arg(long, default_value = "1MiB", value_parser = parse_size)]
    pub max_body: usize,
    /// A bootstrap admin token (at least 16 characters). Meant to come from
    /// the environment, so it is hidden from `--help` and never echoed.
    #[arg(
        long,
        env = "FLOWKEEPER_ADMIN_TOKEN",
        hide = true,
        hide_env_values = true
    )]
    pub admin_token: Option<String>,
}

/// Runs the server until SIGTERM or Ctrl-C; errors say what could not start.
pub async fn serve(options: ServeOptions) -> anyhow::Result<()> {
    let listener = tokio::net::TcpListener::bind(options.listen)
        .await
        .with_context(|| format!("while binding {}", options.listen))?;
    serve_with(options, listener, shutdown_signal()).await
}

/// Runs the server on `listener` (its address wins over `options.listen`)
/// until `shutdown` resolves: then in-flight requests finish, the loops
/// stop, and this returns. Embedders and tests pick the port and the signal.
pub async fn serve_with(
    options: ServeOptions,
    listener: tokio::net::TcpListener,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> anyhow::Result<()> {
    let store = Store::connect(&options.database).await.with_context(|| {
        format!(
            "while opening the database {}",
            crate::accounts::redact::database_url(&options.database)
        )
    })?;
    let catalog = Catalog::load(std::slice::from_ref(&options.workflows))
        .map_err(|diagnostics| anyhow::anyhow!("{diagnostics}"))
        .with_context(|| format!("while loading {}", options.workflows.display()))?;
    refuse_reused_versions(&store, &catalog).await?;
    let clock: Arc<dyn Clock> = if options.manual_clock {
        let start = options
            .clock_start
            .map_or_else(|| SystemClock.now(), |start| start.as_millisecond());
        Arc::new(ManualClock::new(start))
    } else {
        Arc::new(SystemClock)
    };
    let webhooks = Webhooks::load(&options.settings)
        .with_context(|| format!("while reading {}", options.settings.display()))?;
    let accounts = account_policy(&options.settings)?;
    let backups = backup_schedule(&options.settings)?;
    let limits = limits(&options.settings)?;
    let write = write_config(&options.settings)?;
    let config = RuntimeConfig {
        webhooks,
        accounts,
        write,
        ..RuntimeConfig::default()
    };
    let runtime = Arc::new(
        Runtime::with_config(store.clone(), catalog, clock, config)
            .await
            .context("while saving the loaded workflow versions")?,
    );
    let state = AppState::new(
        Arc::clone(&runtime),
        options.manual_clock,
        options.workflows.clone(),
    );
    bootstrap_admin(&state, options.admin_token.as_deref()).await?;
    // Under the manual clock timers fire only when the clock is moved.
    let defaults = SchedulerConfig::default();
    let scheduler = runtime.start_scheduler(SchedulerConfig {
        timer_poll: defaults.timer_poll.filter(|_| !options.manual_clock),
        ..defaults
    });
    let backup_loop = backups.map(|schedule| {
        tracing::info!(every = %schedule.every, dir = %schedule.dir.display(), keep = schedule.keep, "scheduled backups");
        crate::backup::schedule::BackupLoop::start(
            Arc::clone(&runtime),
            schedule,
            crate::backup::schedule::status(),
        )
    });

    let watcher = tokio::spawn(super::admin::watch_workflows(state.clone()));

    let address = listener
        .local_addr()
        .context("while reading the bound address")?;
    tracing::info!(listen = %address, manual_clock = options.manual_clock, "serving");
    let app = super::router_with(state, options.max_body, &limits);
    accept(listener, app, limits.header_read_timeout(), shutdown).await;
    tracing::info!("requests drained; stopping background loops");
    watcher.abort();
    scheduler.stop().await;
    if let Some(backup_loop) = backup_loop {
        backup_loop.stop().await;
    }
    Ok(())
}

/// Makes sure an admin can get in: the account `admin` exists, the given
/// token (`FLOWKEEPER_ADMIN_TOKEN`) is one of its tokens, else a database
/// without a usable admin token gets a generated one, printed once.
async fn bootstrap_admin(state: &AppState, given: Option<&str>) -> anyhow::Result<()> {
    let given = given.map(|text| Secret::given(text.trim()));
    if let Some(secret) = &given {
        anyhow::ensure!(
            secret.expose().len() >= 16,
            "FLOWKEEPER_ADMIN_TOKEN must be at least 16 characters"
        );
    }
    let minted = state
        .runtime()
        .bootstrap_admin(given.as_ref())
        .await
        .context("while setting up the bootstrap admin")?;
    if let Some(secret) = minted {
        println!(
            "admin token (shown once, keep it safe): {}",
            secret.expose()
        );
    }
    Ok(())
}

/// Serves `app` on `listener` until `shutdown` resolves, then lets the
/// requests in flight finish. Unlike `axum::serve`, each connection gets a
/// header-read deadline: a client that trickles its headers (slowloris)
/// is cut off instead of holding a connection and a task forever.
async fn accept(
    listener: tokio::net::TcpListener,
    app: axum::Router,
    header_read_timeout: std::time::Duration,
    shutdown: impl Future<Output = ()> + Send + 'static,
) {
    let mut builder = Builder::new(TokioExecutor::new());
    builder
        .http1()
        .timer(TokioTimer::new())
        .header_read_timeout(header_read_timeout);
    let connections = GracefulShutdown::new();
    let mut shutdown = std::pin::pin!(shutdown);
    loop {
        let (stream, remote) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(accepted) => accepted,
                Err(error) => {
                    // Out of file descriptors and the like: wait, do not spin.
                    tracing::warn!(%error, "could not accept a connection");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            () = &mut shutdown => break,
        };
        let service = app.clone().map_request(move |request: Request<Incoming>| {
            let mut request = request.map(axum::body::Body::new);
            request.extensions_mut().insert(ConnectInfo(remote));
            request
        });
        let connection = builder
            .serve_connection_with_upgrades(TokioIo::new(stream), TowerToHyperService::new(service))
            .into_owned();
        let connection = connections.watch(connection);
        tokio::spawn(async move {
            if let Err(error) = connection.await {
                tracing::debug!(%error, "connection ended with an error");
            }
        });
    }
    drop(listener);
    connections.shutdown().await;
}

/// The `[limits]` section of the settings file (defaults without one).
fn limits(settings: &std::path::Path) -> anyhow::Result<Limits> {
    match std::fs::read_to_string(settings) {
        Ok(text) => Limits::from_settings(&text)
            .with_context(|| format!("while reading [limits] in {}", settings.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(Limits::default()),
        Err(error) => Err(error).with_context(|| format!("while reading {}", settings.display())),
    }
}

/// The `[write]` section of the settings file (defaults without one).
fn write_config(settings: &std::path::Path) -> anyhow::Result<WriteConfig> {
    match std::fs::read_to_string(settings) {
        Ok(text) => WriteConfig::from_settings(&text)
            .with_context(|| format!("while reading [write] in {}", settings.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(WriteConfig::default()),
        Err(error) => Err(error).with_context(|| format!("while reading {}", settings.display())),
    }
}

/// The `[accounts]` section of the settings file (defaults without one).
fn account_policy(settings: &std::path::Path) -> anyhow::Result<AccountPolicy> {
    match std::fs::read_to_string(settings) {
        Ok(text) => AccountPolicy::from_settings(&text)
            .with_context(|| format!("while reading [accounts] in {}", settings.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(AccountPolicy::default()),
        Err(error) => Err(error).with_context(|| format!("while reading {}", settings.display())),
    }
}

/// The `[backup]` table of the settings file, if any (docs/backups.md).
fn backup_schedule(
    settings: &std::path::Path,
) -> anyhow::Result<Option<crate::backup::schedule::BackupSchedule>> {
    match std::fs::read_to_string(settings) {
        Ok(text) => crate::backup::schedule::BackupSchedule::from_settings(&text)
            .with_context(|| format!("while reading [backup] in {}", settings.display())),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(error) => Err(error).with_context(|| format!("while reading {}", settings.display())),
    }
}

/// Resolves on Ctrl-C or SIGTERM.
async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let terminate = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut signal) => {
                signal.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let terminate = std::future::pending::<()>();
    tokio::select! {
        () = ctrl_c => {}
        () = terminate => {}
    }
    tracing::info!("shutdown signal received");
}

/// Parses `1MiB`, `512KiB`, `2MB`, `65536` into bytes.
pub fn parse_size(text: &str) -> Result<usize, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let number: usize = digits
        .parse()
        .map_err(|_| format!("`{text}` is not a size; write e.g. 1MiB, 512KiB or 65536"))?;
    let factor: usize = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "kib" => 1 << 10,
        "mib" => 1 << 20,
        "gib" => 1 << 30,
        "kb" => 1_000,
        "mb" => 1_000_000,
        "gb" => 1_000_000_000,
        _ => {
            return Err(format!(
                "`{text}` has an unknown unit; use B, KiB, MiB, GiB, kB, MB or GB"
            ));
        }
    };
    number
        .checked_mul(factor)
        .filter(|bytes| *bytes > 0)
        .ok_or_else(|| format!("`{text}` must be between 1 byte and the address space"))
}

/// Refuses to start on a workflow file whose content changed under a
/// `version` the store already keeps with other content, as a reload
/// refuses it: a version is immutable once instances may run it, and
/// migration plans name versions by number. A version stored under several
/// contents (kept from before this rule) accepts any one of them.
async fn refuse_reused_versions(store: &Store, catalog: &Catalog) -> anyhow::Result<()> {
    let stored = store
        .definition_versions(None)
        .await
        .context("while reading the stored workflow versions")?;
    let reused: Vec<String> = catalog
        .iter()
        .filter(|definition| {
            let same_number = stored.iter().filter(|kept| {
                kept.workflow == definition.id && kept.version == definition.version
            });
            let mut hashes = same_number.map(|kept| kept.hash.as_str()).peekable();
            hashes.peek().is_some() && !hashes.any(|hash| hash == definition.source.hash)
        })
        .map(|definition| {
            format!(
                "the content of `{}` changed but its `version` ({}) did not; versions are \
                 immutable, so raise `version` in its file",
                definition.id, definition.version
            )
        })
        .collect();
    if reused.is_empty() {
        Ok(())
    } else {
        Err(anyhow::anyhow!("{}", reused.join("\n")))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_and_decimal_units() {
        assert_eq!(parse_size("1MiB"), Ok(1_048_576));
        assert_eq!(parse_size("512KiB"), Ok(524_288));
        assert_eq!(parse_size("2MB"), Ok(2_000_000));
        assert_eq!(parse_size("65536"), Ok(65_536));
        assert!(parse_size("0").is_err());
        assert!(parse_size("lots").is_err());
        assert!(parse_size("5 parsecs").is_err());
    }
}
