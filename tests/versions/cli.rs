//! `flowkeeper diff`, `flowkeeper migrate` and plans in `flowkeeper
//! validate`, run as the binary a process owner runs.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use flowkeeper::model::Catalog;
use flowkeeper::runtime::{Principal, Runtime, SystemClock, Target};
use flowkeeper::store::Store;
use serde_json::{Map, json};

use crate::support::fixture;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Runs the binary; (exit code, stdout).
fn flowkeeper(args: &[&str]) -> (i32, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_flowkeeper"))
        .args(args)
        .env_remove("FLOWKEEPER_DATABASE_URL")
        .env_remove("FLOWKEEPER_WORKFLOWS")
        .output()
        .expect("the binary runs");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&output.stderr);
    (
        output.status.code().unwrap_or(-1),
        format!("{stdout}{stderr}"),
    )
}

#[test]
fn diff_reports_in_words_and_fails_only_on_an_invalid_file() {
    let old = root().join("workflows/service_desk.toml");
    let new = root().join("docs/examples/service_desk-v2/service_desk.toml");
    let (code, out) = flowkeeper(&["diff", old.to_str().unwrap(), new.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("removed state `on_hold`"), "{out}");
    assert!(
        out.contains("Data fields:\n  added field `priority`"),
        "{out}"
    );

    let (same, out) = flowkeeper(&["diff", old.to_str().unwrap(), old.to_str().unwrap()]);
    assert_eq!(same, 0, "{out}");
    assert!(out.contains("No differences"), "{out}");

    let folder = tempfile::tempdir().unwrap();
    let broken = folder.path().join("broken.toml");
    std::fs::write(
        &broken,
        "id = \"x\"\nversion = 1\nstart = \"a\"\n[states.a]\non.go = \"b\"\n",
    )
    .unwrap();
    let (code, out) = flowkeeper(&["diff", old.to_str().unwrap(), broken.to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    assert!(out.contains("broken.toml:5:"), "{out}");
}

#[tokio::test]
async fn migrate_dry_runs_then_moves_and_reports_refusals() {
    let folder = tempfile::tempdir().unwrap();
    let workflows = folder.path().join("workflows");
    std::fs::create_dir(&workflows).unwrap();
    std::fs::copy(
        root().join("tests/api/ticket.toml"),
        workflows.join("ticket.toml"),
    )
    .unwrap();
    let url = format!("sqlite://{}", folder.path().join("cli.db").display());
    let store = Store::connect(&url).await.unwrap();
    let catalog = Catalog::load(std::slice::from_ref(&workflows)).unwrap();
    let runtime = Runtime::new(store.clone(), catalog, Arc::new(SystemClock))
        .await
        .unwrap();
    let by = || Principal::Trusted(flowkeeper::engine::Actor::Engine);
    let level = |n: i64| Map::from_iter([("level".to_owned(), json!(n))]);
    let good = runtime
        .create("ticket", "T-1", level(1), by(), None)
        .await
        .unwrap();
    runtime
        .post_event(&Target::Id(good.id), "receive", Map::new(), by(), None)
        .await
        .unwrap();
    let bad = runtime
        .create("ticket", "T-2", level(3), by(), None)
        .await
        .unwrap();
    store.close().await;
    std::fs::copy(fixture("ticket_v2.toml"), workflows.join("ticket.toml")).unwrap();
    let plan = fixture("ticket-1-to-2.toml");
    let args = |extra: &[&str]| {
        let mut args = vec![
            "migrate".to_owned(),
            plan.display().to_string(),
            "--database".to_owned(),
            url.clone(),
            "--workflows".to_owned(),
            workflows.display().to_string(),
        ];
        args.extend(extra.iter().map(|arg| (*arg).to_owned()));
        args
    };
    let run = |extra: &[&str]| {
        let args = args(extra);
        flowkeeper(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };

    let (code, out) = run(&["--dry-run"]);
    assert_eq!(code, 1, "a refusal fails the run: {out}");
    assert!(
        out.contains(&format!(
            "{} T-1: would move from `received` (version 1) to `triage` (version 2)",
            good.id
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!("{}: refused, left as it was:", bad.id)),
        "{out}"
    );
    assert!(
        out.contains("1 would migrate, 1 would be refused; nothing changed"),
        "{out}"
    );
    let store = Store::connect(&url).await.unwrap();
    assert_eq!(
        store.get_instance(good.id).await.unwrap().unwrap().version,
        1
    );
    store.close().await;

    let (code, out) = run(&["--key", "T-1"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.ends_with("1 migrated, 0 refused\n"), "{out}");
    let store = Store::connect(&url).await.unwrap();
    let moved = store.get_instance(good.id).await.unwrap().unwrap();
    assert_eq!((moved.version, moved.state.as_str()), (2, "triage"));
    assert_eq!(
        store.get_instance(bad.id).await.unwrap().unwrap().version,
        1
    );
}

#[test]
fn validate_checks_the_plans_of_a_folder() {
    let example = root().join("docs/examples/service_desk-v2");
    let (code, out) = flowkeeper(&["validate", example.to_str().unwrap()]);
    assert_eq!(code, 0, "{out}");
    // Version 1 is not in that folder: said, not failed.
    assert!(out.contains("service_desk-1-to-2.toml:3:8: warning: version 1 of `service_desk` is not in the folder"), "{out}");
    assert!(
        out.contains("1 migration plan valid, with 1 warning"),
        "{out}"
    );

    let folder = tempfile::tempdir().unwrap();
    for name in ["service_desk.toml", "calendars.toml"] {
        let from = if name == "calendars.toml" {
            root().join("workflows").join(name)
        } else {
            example.join(name)
        };
        std::fs::copy(from, folder.path().join(name)).unwrap();
    }
    std::fs::create_dir(folder.path().join("migrations")).unwrap();
    std::fs::write(
        folder.path().join("migrations/bad.toml"),
        "workflow = \"service_desk\"\nfrom = 2\nto = 2\n[states]\nnope = \"handling\"\n",
    )
    .unwrap();
    let (code, out) = flowkeeper(&["validate", folder.path().to_str().unwrap()]);
    assert_eq!(code, 1, "{out}");
    let bad = Path::new("migrations").join("bad.toml");
    assert!(
        out.contains(&format!(
            "{}:3:6: `to` is the same version as `from`",
            bad.display()
        )),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "{}:5:1: version 2 has no state `nope`",
            bad.display()
        )),
        "{out}"
    );
}
