//! `flowkeeper accounts …`, `flowkeeper audit verify` and
//! `flowkeeper security-report` (docs/security.md): the same runtime calls
//! as the admin API, on the database directly, recorded in the audit log
//! as the bootstrap account `admin` from `cli`.

use std::io::{BufRead, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use clap::{Args, Subcommand, ValueEnum};

use crate::accounts::{
    AccountChange, AccountDraft, AccountName, AccountPolicy, Password, PasswordHash, Role,
};
use crate::model::{Catalog, Duration};
use crate::runtime::{Principal, Runtime, RuntimeConfig, SystemClock, TokenGrant};
use crate::security_report::IsoWeek;
use crate::store::Store;

/// Where the database and the settings are, for every subcommand here.
#[derive(Debug, Clone, Args)]
pub struct Database {
    /// `sqlite://PATH` or `postgres://…`.
    #[arg(
        long,
        value_name = "URL",
        env = "FLOWKEEPER_DATABASE_URL",
        hide_env_values = true,
        default_value = "sqlite://flowkeeper.db",
        global = true
    )]
    pub database: String,
    /// The settings file with the `[accounts]` rules.
    #[arg(
        long,
        value_name = "FILE",
        env = "FLOWKEEPER_SETTINGS",
        default_value = "flowkeeper.toml",
        global = true
    )]
    pub settings: PathBuf,
}

/// `flowkeeper accounts …`
#[derive(Debug, Clone, Args)]
pub struct AccountsArgs {
    #[command(subcommand)]
    pub command: AccountsCommand,
    #[command(flatten)]
    pub database: Database,
}

#[derive(Debug, Clone, Subcommand)]
pub enum AccountsCommand {
    /// Creates an account; its password is read from stdin (one line),
    /// except for services, which sign in with tokens.
    Add(AddArgs),
    /// Lists every account.
    List {
        #[arg(long, value_enum, default_value_t = ListFormat::Table)]
        format: ListFormat,
    },
    /// Changes an account: only what is given.
    Set(SetArgs),
    /// Disables an account: its tokens and sessions stop working at once.
    Disable { name: String },
    /// Issues a token for an account and prints it once.
    Token(TokenArgs),
}

#[derive(Debug, Clone, Args)]
pub struct AddArgs {
    pub name: String,
    #[arg(long, value_enum)]
    pub role: RoleArg,
    /// Workflow role names it works for, comma-separated.
    #[arg(long, value_delimiter = ',')]
    pub teams: Vec<String>,
    /// Display name (default: the name).
    #[arg(long)]
    pub title: Option<String>,
    /// RFC 3339; vendors need one within `accounts.vendor_max`.
    #[arg(long, value_name = "TIME")]
    pub expires_at: Option<String>,
    /// Who approved a vendor account, and the reference.
    #[arg(long)]
    pub approval: Option<String>,
    /// A vendor account opened before its approval.
    #[arg(long)]
    pub emergency: bool,
    /// Create it without a password (it can use tokens only).
    #[arg(long)]
    pub no_password: bool,
}

#[derive(Debug, Clone, Args)]
pub struct SetArgs {
    pub name: String,
    #[arg(long, value_enum)]
    pub role: Option<RoleArg>,
    /// The new teams, comma-separated (replacing the old ones).
    #[arg(long, value_delimiter = ',')]
    pub teams: Option<Vec<String>>,
    #[arg(long)]
    pub title: Option<String>,
    #[arg(long, value_name = "TIME", conflicts_with = "no_expiry")]
    pub expires_at: Option<String>,
    /// Remove the expiry.
    #[arg(long)]
    pub no_expiry: bool,
    #[arg(long)]
    pub approval: Option<String>,
    /// A new password, read from stdin.
    #[arg(long)]
    pub password: bool,
    #[arg(long, conflicts_with = "disable")]
    pub enable: bool,
    #[arg(long)]
    pub disable: bool,
}

#[derive(Debug, Clone, Args)]
pub struct TokenArgs {
    /// The account.
    pub account: String,
    /// The token's name, e.g. `ci`.
    #[arg(long)]
    pub name: String,
    /// How long it lives, e.g. `30d`.
    #[arg(long, value_name = "DURATION")]
    pub expires_in: Option<String>,
}

/// The five roles, for clap.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RoleArg {
    Admin,
    Operator,
    Service,
    Viewer,
    Vendor,
}

impl From<RoleArg> for Role {
    fn from(role: RoleArg) -> Self {
        match role {
            RoleArg::Admin => Role::Admin,
            RoleArg::Operator => Role::Operator,
            RoleArg::Service => Role::Service,
            RoleArg::Viewer => Role::Viewer,
            RoleArg::Vendor => Role::Vendor,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ListFormat {
    Table,
    Json,
}

/// `flowkeeper audit …`
#[derive(Debug, Clone, Args)]
pub struct AuditArgs {
    #[command(subcommand)]
    pub command: AuditCommand,
    #[command(flatten)]
    pub database: Database,
}

#[derive(Debug, Clone, Subcommand)]
pub enum AuditCommand {
    /// Recomputes the hash chain; exit 1 naming the first entry that does
    /// not match.
    Verify,
}

/// `flowkeeper security-report [--week 2026-W48] [--format table|json|csv]`
#[derive(Debug, Clone, Args)]
pub struct ReportArgs {
    /// An ISO week; default: the last complete week.
    #[arg(long, value_name = "YYYY-Www")]
    pub week: Option<String>,
    #[arg(long, value_enum, default_value_t = ReportFormat::Table)]
    pub format: ReportFormat,
    /// Where `assessment.toml` (whose time zone the weeks use) is read from.
    #[arg(
        long,
        value_name = "DIR",
        env = "FLOWKEEPER_WORKFLOWS",
        default_value = "workflows"
    )]
    pub workflows: PathBuf,
    #[command(flatten)]
    pub database: Database,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    Table,
    Json,
    Csv,
}

/// The CLI's changes are the bootstrap admin's, made locally.
fn principal(account: crate::accounts::Account) -> Principal {
    Principal::Account {
        account: Arc::new(account),
        remote_addr: Some("cli".to_owned()),
    }
}

impl Database {
    async fn runtime(&self) -> anyhow::Result<Runtime> {
        let accounts = match std::fs::read_to_string(&self.settings) {
            Ok(text) => AccountPolicy::from_settings(&text).with_context(|| {
                format!("while reading [accounts] in {}", self.settings.display())
            })?,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => AccountPolicy::default(),
            Err(error) => {
                return Err(error)
                    .with_context(|| format!("while reading {}", self.settings.display()));
            }
        };
        let store = Store::connect(&self.database)
            .await
            .with_context(|| format!("while opening the database {}", redacted(&self.database)))?;
        let config = RuntimeConfig {
            accounts,
            ..RuntimeConfig::default()
        };
        Ok(Runtime::with_config(store, Catalog::default(), Arc::new(SystemClock), config).await?)
    }
}

/// The database URL without its password, for messages.
pub fn redacted(url: &str) -> String {
    crate::accounts::redact::database_url(url)
}

/// Runs `flowkeeper accounts …`.
pub async fn accounts(
    args: &AccountsArgs,
    input: &mut dyn BufRead,
    out: &mut dyn Write,
) -> anyhow::Result<ExitCode> {
    let runtime = args.database.runtime().await?;
    let by = principal(runtime.admin_account().await?);
    match &args.command {
        AccountsCommand::Add(add) => {
            let name = AccountName::parse(&add.name)?;
            let role = Role::from(add.role);
            let password = if role == Role::Service || add.no_password {
                None
            } else {
                Some(read_password(input)?)
            };
            let draft = AccountDraft {
                title: add.title.clone().unwrap_or_else(|| name.to_string()),
                name,
                role,
                teams: add.teams.clone(),
                password,
                expires_at: add.expires_at.as_deref().map(instant).transpose()?,
                approval: add.approval.clone(),
                emergency: add.emergency,
            };
            let account = runtime.create_account(draft, &by).await?;
            writeln!(out, "created {} ({})", account.name, account.role)?;
        }
        AccountsCommand::List { format } => {
            let accounts = runtime.store().accounts().await?;
            match format {
                ListFormat::Json => {
                    let views: Vec<_> = accounts
                        .iter()
                        .map(crate::api::wire::AccountView::from)
                        .collect();
                    writeln!(out, "{}", serde_json::to_string_pretty(&views)?)?;
                }
                ListFormat::Table => write!(out, "{}", account_table(&accounts))?,
            }
        }
        AccountsCommand::Set(set) => {
            let change = AccountChange {
                role: set.role.map(Role::from),
                teams: set.teams.clone(),
                title: set.title.clone(),
                password: if set.password {
                    Some(read_password(input)?)
                } else {
                    None
                },
                expires_at: if set.no_expiry {
                    Some(None)
                } else {
                    set.expires_at
                        .as_deref()
                        .map(instant)
                        .transpose()?
                        .map(Some)
                },
                approval: set.approval.clone().map(Some),
                disabled: match (set.enable, set.disable) {
                    (true, _) => Some(false),
                    (_, true) => Some(true),
                    _ => None,
                },
            };
            let account = runtime.update_account(&set.name, change, &by).await?;
            writeln!(out, "changed {}", account.name)?;
        }
        AccountsCommand::Disable { name } => {
            let change = AccountChange {
                disabled: Some(true),
                ..AccountChange::default()
            };
            runtime.update_account(name, change, &by).await?;
            writeln!(out, "disabled {name}")?;
        }
        AccountsCommand::Token(token) => {
            let grant = TokenGrant {
                account: AccountName::parse(&token.account)?,
                name: token.name.clone(),
                role: None,
                expires_in: token
                    .expires_in
                    .as_deref()
                    .map(Duration::parse)
                    .transpose()?,
            };
            let (secret, _) = runtime.issue_token(grant, &by).await?;
            writeln!(out, "{}", secret.expose())?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// Runs `flowkeeper audit verify`: 0 when the chain holds, 1 otherwise.
pub async fn audit(args: &AuditArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let store = Store::connect(&args.database.database)
        .await
        .with_context(|| {
            format!(
                "while opening the database {}",
                redacted(&args.database.database)
            )
        })?;
    match args.command {
        AuditCommand::Verify => {
            let check = store.verify_audit().await?;
            match check.first_bad_seq {
                None => {
                    writeln!(out, "audit chain ok: {} entries", check.entries)?;
                    Ok(ExitCode::SUCCESS)
                }
                Some(seq) => {
                    writeln!(
                        out,
                        "audit chain broken at entry {seq}: it does not match the entries before it"
                    )?;
                    Ok(ExitCode::FAILURE)
                }
            }
        }
    }
}

/// Runs `flowkeeper security-report`.
pub async fn report(args: &ReportArgs, out: &mut dyn Write) -> anyhow::Result<ExitCode> {
    let zone = crate::assess::time_zone_in(&args.workflows)
        .map_err(|diagnostics| anyhow::anyhow!("{diagnostics}"))?;
    let runtime = args.database.runtime().await?;
    let week = match &args.week {
        Some(text) => text.parse::<IsoWeek>()?,
        None => IsoWeek::containing(runtime.real_now(), &zone)?.previous()?,
    };
    let report = runtime.security_report(week, &zone).await?;
    let text = match args.format {
        ReportFormat::Table => report.to_table(),
        ReportFormat::Json => report.to_json() + "\n",
        ReportFormat::Csv => report.to_csv(),
    };
    out.write_all(text.as_bytes())?;
    Ok(ExitCode::SUCCESS)
}

/// One line of stdin, checked against the password rule and hashed.
fn read_password(input: &mut dyn BufRead) -> anyhow::Result<PasswordHash> {
    let mut line = String::new();
    input
        .read_line(&mut line)
        .context("while reading the password from stdin")?;
    let text = line.trim_end_matches(['\n', '\r']);
    anyhow::ensure!(!text.is_empty(), "give the password on stdin (one line)");
    let password = Password::parse(text)?;
    Ok(PasswordHash::create(&password))
}

fn instant(text: &str) -> anyhow::Result<i64> {
    crate::api::wire::parse_timestamp(text)
        .with_context(|| format!("`{text}` is not an RFC 3339 time"))
}

fn account_table(accounts: &[crate::accounts::Account]) -> String {
    let rows: Vec<[String; 5]> = accounts
        .iter()
        .map(|account| {
            let state = match (account.disabled_at, account.expires_at) {
                (Some(_), _) => "disabled".to_owned(),
                (None, Some(at)) => format!("until {}", crate::audit::rfc3339(at)),
                (None, None) => "enabled".to_owned(),
            };
            [
                account.name.to_string(),
                account.role.to_string(),
                account.teams.join(","),
                state,
                account.title.clone(),
            ]
        })
        .collect();
    let header = ["NAME", "ROLE", "TEAMS", "STATE", "TITLE"].map(str::to_owned);
    let mut widths = [0usize; 5];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.chars().count());
        }
    }
    let mut text = String::new();
    for row in std::iter::once(&header).chain(&rows) {
        let cells: Vec<String> = row
            .iter()
            .zip(widths)
            .map(|(cell, width)| format!("{cell:width$}"))
            .collect();
        text.push_str(cells.join("  ").trim_end());
        text.push('\n');
    }
    text
}
