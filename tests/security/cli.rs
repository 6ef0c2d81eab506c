//! `flowkeeper accounts`, `flowkeeper audit verify` and `flowkeeper
//! security-report` as a user runs them, on SQLite and (when configured)
//! PostgreSQL.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Output, Stdio};

use flowkeeper::security_report::IsoWeek;
use flowkeeper::store::{Store, testing};
use jiff::tz::TimeZone;

fn flowkeeper(args: &[&str], database: &str, dir: &Path, stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_flowkeeper"))
        .args(args)
        .args(["--database", database])
        .current_dir(dir)
        .env_remove("FLOWKEEPER_DATABASE_URL")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test]
async fn on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("cli.db").display());
    the_commands(&url, dir.path()).await;
}

#[tokio::test]
async fn on_postgres() {
    let Some(url) = testing::postgres_url() else {
        return;
    };
    let (store, schema) = testing::fresh_schema(&url, "cli", 2)
        .await
        .expect("connect to FLOWKEEPER_TEST_DATABASE_URL");
    let dir = tempfile::tempdir().unwrap();
    the_commands(&testing::url_with_schema(&url, &schema), dir.path()).await;
    testing::drop_schema(&store, &schema).await.unwrap();
}

async fn the_commands(url: &str, dir: &Path) {
    let run = |args: &[&str], stdin: &str| flowkeeper(args, url, dir, stdin);

    let added = run(
        &[
            "accounts",
            "add",
            "li.wei",
            "--role",
            "operator",
            "--teams",
            "bss,network",
        ],
        "tea4two\n",
    );
    assert_eq!(added.status.code(), Some(0), "{}", text(&added.stderr));
    assert_eq!(text(&added.stdout), "created li.wei (operator)\n");

    let weak = run(&["accounts", "add", "pat", "--role", "viewer"], "abcdef\n");
    assert_eq!(weak.status.code(), Some(1));
    let message = text(&weak.stderr);
    assert_eq!(message.lines().count(), 1, "{message}");
    assert!(
        message.contains("at least 6 characters, from at least two of the classes"),
        "{message}"
    );

    let vendor = run(
        &[
            "accounts",
            "add",
            "acme",
            "--role",
            "vendor",
            "--no-password",
        ],
        "",
    );
    assert_eq!(vendor.status.code(), Some(1));
    assert!(text(&vendor.stderr).contains("vendor account is temporary"));

    let listed = run(&["accounts", "list"], "");
    let table = text(&listed.stdout);
    assert!(table.starts_with("NAME"), "{table}");
    assert!(
        table.contains("li.wei  operator  bss,network  enabled"),
        "{table}"
    );
    assert!(table.contains("admin"), "{table}");

    let token = run(&["accounts", "token", "li.wei", "--name", "ci"], "");
    assert_eq!(token.status.code(), Some(0), "{}", text(&token.stderr));
    assert_eq!(text(&token.stdout).trim().len(), 64);
    assert_eq!(
        run(&["accounts", "disable", "li.wei"], "").status.code(),
        Some(0)
    );
    let refused = run(&["accounts", "token", "li.wei", "--name", "again"], "");
    assert_eq!(refused.status.code(), Some(1));
    assert!(text(&refused.stderr).contains("disabled or expired"));

    let verified = run(&["audit", "verify"], "");
    assert_eq!(
        verified.status.code(),
        Some(0),
        "{}",
        text(&verified.stderr)
    );
    // admin created, li.wei created, a token issued, li.wei disabled.
    assert_eq!(text(&verified.stdout), "audit chain ok: 4 entries\n");

    let week = IsoWeek::containing(jiff::Timestamp::now().as_millisecond(), &TimeZone::UTC)
        .unwrap()
        .to_string();
    let report = |format: &str| {
        let output = run(
            &["security-report", "--week", &week, "--format", format],
            "",
        );
        assert_eq!(output.status.code(), Some(0), "{}", text(&output.stderr));
        text(&output.stdout)
    };
    let json: serde_json::Value = serde_json::from_str(&report("json")).unwrap();
    let created: Vec<&str> = json["accounts_created"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["account"].as_str().unwrap())
        .collect();
    assert_eq!(created, ["admin", "li.wei"]);
    assert_eq!(json["accounts_disabled"][0]["by"], "admin");
    assert_eq!(json["tokens_issued"][0]["account"], "li.wei");
    let csv = report("csv");
    assert_eq!(
        csv.lines()
            .filter(|line| line.contains(",accounts_created,"))
            .count(),
        2
    );
    assert!(report("table").contains("\nAccounts created: 2\n"));

    let store = Store::connect(url).await.unwrap();
    testing::tamper_audit_actor(&store, 2, "somebody")
        .await
        .unwrap();
    store.close().await;
    let broken = run(&["audit", "verify"], "");
    assert_eq!(broken.status.code(), Some(1));
    assert_eq!(
        text(&broken.stdout),
        "audit chain broken at entry 2: it does not match the entries before it\n"
    );
    let after = serde_json::from_str::<serde_json::Value>(&report("json")).unwrap();
    assert_eq!(after["audit_chain"]["first_bad_seq"], 2);
}

/// A password in `FLOWKEEPER_DATABASE_URL` (or a token in the environment)
/// never shows in any command's `--help`: clap prints an argument's
/// environment value there unless told not to, and `backup`, `restore`,
/// `migrate` and `validate` once printed the whole URL.
#[test]
fn no_help_shows_the_environments_secrets() {
    const SECRET: &str = "s3cret-in-the-environment";
    let commands = [
        "validate",
        "graph",
        "schema",
        "serve",
        "test",
        "assess",
        "accounts",
        "audit",
        "security-report",
        "backup",
        "restore",
        "diff",
        "migrate",
    ];
    for command in commands {
        let output = Command::new(env!("CARGO_BIN_EXE_flowkeeper"))
            .args([command, "--help"])
            .env(
                "FLOWKEEPER_DATABASE_URL",
                format!("postgres://ada:{SECRET}@db.example/flowkeeper"),
            )
            .env("FLOWKEEPER_ADMIN_TOKEN", SECRET)
            .output()
            .unwrap();
        let help = text(&output.stdout);
        assert!(output.status.success(), "{command} --help failed");
        assert!(help.contains("Usage:"), "{command} --help printed {help}");
        assert!(
            !help.contains(SECRET),
            "{command} --help shows the secret:\n{help}"
        );
    }
}
