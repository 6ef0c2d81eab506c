//! `flowkeeper backup --out FILE`, `flowkeeper backup --verify FILE` and
//! `flowkeeper restore FILE` (docs/backups.md). Each failure is one line
//! on stderr and exit 1, with nothing written.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use clap::Args;

use super::security::redacted;
use crate::backup::{self, Manifest, Progress, RestoreOptions};
use crate::runtime::{Clock as _, SystemClock};
use crate::store::Store;

/// The account a command-line backup or restore is recorded under, as
/// for every other command run on the database directly.
const CLI_ACTOR: &str = "admin";
const CLI_ADDRESS: &str = "cli";

/// `flowkeeper backup (--out FILE | --verify FILE)`
#[derive(Debug, Clone, Args)]
#[command(group(clap::ArgGroup::new("what").required(true).args(["out", "verify"])))]
pub struct BackupArgs {
    /// `sqlite://PATH` or `postgres://…`: the store to back up.
    #[arg(
        long,
        value_name = "URL",
        env = "FLOWKEEPER_DATABASE_URL",
        hide_env_values = true,
        default_value = "sqlite://flowkeeper.db"
    )]
    pub database: String,
    /// Write a backup to FILE (replaced if it exists, once the new one is
    /// complete).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Check FILE (every checksum, the manifest) without a database.
    #[arg(long, value_name = "FILE", conflicts_with = "out")]
    pub verify: Option<PathBuf>,
}

/// `flowkeeper restore FILE`
#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    /// The backup to restore.
    pub file: PathBuf,
    /// `sqlite://PATH` (a file that does not exist yet is fine) or
    /// `postgres://…`: an empty database to fill.
    #[arg(
        long,
        value_name = "URL",
        env = "FLOWKEEPER_DATABASE_URL",
        hide_env_values = true,
        default_value = "sqlite://flowkeeper.db"
    )]
    pub database: String,
    /// Replace everything the target database holds.
    #[arg(long)]
    pub force: bool,
}

/// Runs `flowkeeper backup`.
pub async fn backup(args: &BackupArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    if let Some(file) = &args.verify {
        let manifest = backup::verify(file, &Progress::on_terminal("verifying"))?;
        write!(out, "{}", describe(file, &manifest))?;
        writeln!(
            out,
            "ok: {} rows in {} tables, every checksum matches",
            manifest.total_rows(),
            manifest.tables.len()
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let file = args
        .out
        .as_ref()
        .context("give --out FILE or --verify FILE")?;
    let store = open_existing(&args.database).await?;
    let started = Instant::now();
    let taken = backup::take(
        &store,
        file,
        SystemClock.now(),
        &Progress::on_terminal("backing up"),
    )
    .await;
    let recorded = backup::record(
        &store,
        file,
        &taken,
        CLI_ACTOR,
        Some(CLI_ADDRESS),
        SystemClock.now(),
    )
    .await;
    let summary = taken?;
    recorded.context("the backup is written, but recording it in the audit log failed")?;
    writeln!(
        out,
        "wrote {}: {} rows in {} tables, {}, in {:.1} s",
        summary.path.display(),
        summary.manifest.total_rows(),
        summary.manifest.tables.len(),
        human_bytes(summary.bytes),
        started.elapsed().as_secs_f64()
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Runs `flowkeeper restore`.
pub async fn restore(args: &RestoreArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    // Checked before the target is opened, so that a bad file does not
    // even create an empty SQLite database.
    let manifest = backup::verify(&args.file, &Progress::on_terminal("verifying"))?;
    let store = open(&args.database).await?;
    let started = Instant::now();
    let options = RestoreOptions {
        force: args.force,
        actor: CLI_ACTOR.to_owned(),
        remote_addr: Some(CLI_ADDRESS.to_owned()),
        now: SystemClock.now(),
    };
    let restored = backup::restore(
        &store,
        &args.file,
        manifest,
        &options,
        &Progress::on_terminal("restoring"),
    )
    .await;
    store.close().await;
    let summary = restored?;
    writeln!(
        out,
        "restored {} rows in {} tables from {} (taken {} from {}) into {}{}, in {:.1} s",
        summary.manifest.total_rows(),
        summary.manifest.tables.len(),
        args.file.display(),
        summary.manifest.source.taken_at,
        summary.manifest.source.backend,
        redacted(&args.database),
        if summary.replaced {
            ", replacing what it held"
        } else {
            ""
        },
        started.elapsed().as_secs_f64()
    )?;
    Ok(ExitCode::SUCCESS)
}

/// Opens the database to back up; a SQLite file that does not exist is an
/// error here (opening would create an empty one).
async fn open_existing(url: &str) -> anyhow::Result<Store> {
    if let Some(path) = sqlite_path(url) {
        anyhow::ensure!(
            path.exists(),
            "there is no SQLite database at {}",
            path.display()
        );
    }
    open(url).await
}

/// Opens a store, failing at once with the reason when PostgreSQL cannot
/// be reached (the URL's password is never shown).
async fn open(url: &str) -> anyhow::Result<Store> {
    let context = || format!("cannot open the database {}", redacted(url));
    crate::store::probe(url).await.with_context(context)?;
    Store::connect(url).await.with_context(context)
}

/// The file of a `sqlite://PATH` or `sqlite:PATH` URL (not `:memory:`).
fn sqlite_path(url: &str) -> Option<PathBuf> {
    let rest = url
        .strip_prefix("sqlite://")
        .or_else(|| url.strip_prefix("sqlite:"))?;
    let path = rest.split('?').next().unwrap_or(rest);
    (!path.is_empty() && path != ":memory:").then(|| PathBuf::from(path))
}

/// The header and the table of a manifest, as `backup --verify` prints it.
fn describe(file: &Path, manifest: &Manifest) -> String {
    let source = &manifest.source;
    let mut text = format!(
        "{}: backup format {}, from {} (schema {}), taken {} by flowkeeper {}\n",
        file.display(),
        manifest.format_version,
        source.backend,
        source.schema_version,
        source.taken_at,
        source.flowkeeper
    );
    let width = manifest
        .tables
        .iter()
        .map(|table| table.name.len())
        .max()
        .unwrap_or(5)
        .max(5);
    let rows_width = manifest
        .tables
        .iter()
        .map(|table| table.rows.to_string().len())
        .max()
        .unwrap_or(4)
        .max(4);
    text.push_str(&format!(
        "{:width$}  {:>rows_width$}  SHA-256\n",
        "TABLE", "ROWS"
    ));
    for table in &manifest.tables {
        text.push_str(&format!(
            "{:width$}  {:>rows_width$}  {}\n",
            table.name, table.rows, table.sha256
        ));
    }
    text
}

/// `812 B`, `4.2 KiB`, `31.0 MiB`, `1.2 GiB`.
fn human_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_urls_name_their_file() {
        assert_eq!(
            sqlite_path("sqlite://data/fk.db"),
            Some(PathBuf::from("data/fk.db"))
        );
        assert_eq!(
            sqlite_path("sqlite:fk.db?mode=rwc"),
            Some(PathBuf::from("fk.db"))
        );
        assert_eq!(sqlite_path("sqlite::memory:"), None);
        assert_eq!(sqlite_path("postgres://localhost/fk"), None);
    }

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(human_bytes(812), "812 B");
        assert_eq!(human_bytes(4_300), "4.2 KiB");
        assert_eq!(human_bytes(32_505_856), "31.0 MiB");
    }
}
