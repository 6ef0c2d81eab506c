//! A store built by driving every shipped workflow, backed up and restored
//! between every pair of backends: every API answer about the stored data
//! is the same before and after (asked over HTTP through the real router),
//! every table reads back the same, the audit chain verifies with the
//! restore at its end, idempotent requests get their first answers again,
//! and pending timers fire after the restore exactly as they would have
//! without it.
//!
//! What legitimately differs after a restore, and nothing else: the audit
//! log has one more entry, the `backup.restore` at its end (and its head
//! row points at it).

use std::collections::BTreeMap;

use axum::http::Method;
use flowkeeper::backup::{self, Progress, RestoreOptions};
use flowkeeper::engine::{AccountName, Actor};
use serde_json::{Value as Json, json};

use crate::answers::{Answer, Api, answers, audit_entries, differences};
use crate::support::{Created, Db, Kind, REAL_START, drive_shipped, dump, flowkeeper, runtime};

const DAY: i64 = 86_400_000;

#[tokio::test]
async fn sqlite_to_sqlite() {
    round_trip(Kind::Sqlite, Kind::Sqlite).await;
}

#[tokio::test]
async fn sqlite_to_postgres() {
    round_trip(Kind::Sqlite, Kind::Postgres).await;
}

#[tokio::test]
async fn postgres_to_sqlite() {
    round_trip(Kind::Postgres, Kind::Sqlite).await;
}

#[tokio::test]
async fn postgres_to_postgres() {
    round_trip(Kind::Postgres, Kind::Postgres).await;
}

async fn round_trip(from: Kind, to: Kind) {
    let folder = tempfile::tempdir().unwrap();
    let Some(source) = Db::fresh(from, folder.path(), "source").await else {
        return;
    };
    let Some(target) = Db::fresh(to, folder.path(), "target").await else {
        source.drop().await;
        return;
    };
    let created = drive_shipped(&source.store).await;
    // The API's view of the store, on a clock past every scenario.
    let answers_at = REAL_START + 30 * DAY;
    let source_api = Api::on(&source.store, answers_at).await;
    let posted = idempotent_posts(&source_api, &created[0]).await;
    let answers_before = answers(&source_api).await;
    let audit_before = audit_entries(&source_api).await;
    let before = dump(&source.store).await;
    assert_rich(&before);
    assert_answers_cover(&answers_before, &before);

    let file = folder.path().join("store.fkb");
    let taken = backup::take(&source.store, &file, REAL_START, &Progress::hidden())
        .await
        .expect("the backup");
    let rows: usize = before.values().map(Vec::len).sum();
    assert_eq!(taken.manifest.total_rows(), rows as u64);
    assert_eq!(
        backup::verify(&file, &Progress::hidden()).unwrap(),
        taken.manifest
    );

    let options = RestoreOptions {
        force: false,
        actor: "admin".into(),
        remote_addr: Some("cli".into()),
        now: REAL_START + 1,
    };
    let restored = backup::restore(
        &target.store,
        &file,
        backup::verify(&file, &Progress::hidden()).unwrap(),
        &options,
        &Progress::hidden(),
    )
    .await
    .expect("the restore");
    assert!(!restored.replaced);

    // Every table as it was; the audit log one entry longer: the restore.
    let mut after = dump(&target.store).await;
    let entry = after
        .get_mut("audit")
        .unwrap()
        .pop()
        .expect("the restore's entry");
    assert_eq!(entry[3], "backup.restore");
    assert_eq!(entry[2], "admin");
    let head = after.remove("audit_head").unwrap();
    let mut expected = before.clone();
    expected.remove("audit_head");
    assert_eq!(after, expected);
    assert_eq!(
        head[0][1], entry[0],
        "the chain's head is the restore entry"
    );
    let check = target.store.verify_audit().await.unwrap();
    assert_eq!(check.first_bad_seq, None);
    assert_eq!(check.entries, before["audit"].len() as u64 + 1);
    let (verified, stdout, stderr) = flowkeeper(&["audit", "verify", "--database", &target.url]);
    assert!(verified, "audit verify on the target: {stdout}{stderr}");

    // Over HTTP: every answer the same, the audit log but for the restore.
    let target_api = Api::on(&target.store, answers_at).await;
    let answers_after = answers(&target_api).await;
    let differ = differences(&answers_before, &answers_after);
    assert!(
        differ.is_empty(),
        "{} of {} answers differ after the restore:\n{}",
        differ.len(),
        answers_before.len(),
        differ.join("\n")
    );
    let mut audit_after = audit_entries(&target_api).await;
    let restores: Vec<usize> = (0..audit_after.len())
        .filter(|&index| audit_after[index]["action"] == "backup.restore")
        .collect();
    assert_eq!(restores.len(), 1, "one backup.restore entry");
    let restore_entry = audit_after.remove(restores[0]);
    assert_eq!(restore_entry["detail"]["source"], json!(backend_name(from)));
    assert_eq!(audit_after, audit_before);
    // A retried request gets its first answer, on both sides.
    for api in [&source_api, &target_api] {
        let replayed = replay(api, &created[0], &posted).await;
        assert_eq!(replayed.event, posted.event, "the event's first answer");
        assert_eq!(replayed.create.status, posted.create.status);
        assert_eq!(replayed.create.body["id"], posted.create.body["id"]);
    }
    assert_eq!(
        replay(&source_api, &created[0], &posted).await,
        replay(&target_api, &created[0], &posted).await
    );

    // Later: the same answers from both stores.
    let later = flowkeeper::scenario::format::DEFAULT_START + 400 * DAY;
    let source_runtime = runtime(&source.store, later).await;
    let target_runtime = runtime(&target.store, later).await;
    let actor = Actor::Account(AccountName::parse("tester").unwrap());
    // An idempotent create answers with the instance it made the first time.
    let made = created.first().expect("an idempotent create");
    for runtime in [&source_runtime, &target_runtime] {
        let replayed = runtime
            .create(
                &made.workflow,
                &made.key,
                made.data.clone(),
                &actor,
                Some(&made.idempotency_key),
            )
            .await
            .expect("the replay");
        assert_eq!(replayed.id, made.id);
    }
    // Timers pending in the backup fire after the restore as they would have.
    let fired_source = source_runtime.advance(0).await.unwrap();
    let fired_target = target_runtime.advance(0).await.unwrap();
    assert!(fired_source > 0, "timers were pending");
    assert_eq!(fired_source, fired_target);
    assert_eq!(
        progress_of(&dump(&source.store).await, &before),
        progress_of(&dump(&target.store).await, &before)
    );
    source.drop().await;
    target.drop().await;
}

fn backend_name(kind: Kind) -> &'static str {
    match kind {
        Kind::Sqlite => "sqlite",
        Kind::Postgres => "postgres",
    }
}

/// A create and an event posted with idempotency keys, and their answers.
#[derive(Debug, PartialEq)]
struct Posted {
    event_name: String,
    create: Answer,
    event: Answer,
}

const REPLAY_KEY: &str = "answers-replay";

/// Creates an instance over HTTP with an `Idempotency-Key`, then posts the
/// first event it accepts (with empty data) with another.
async fn idempotent_posts(api: &Api, like: &Created) -> Posted {
    let create = create(api, like).await;
    assert_eq!(create.status, 201, "{:?}", create.body);
    let id = create.body["id"].as_str().expect("an id").to_owned();
    for event in create.body["allowed_events"].as_array().expect("events") {
        let event = event.as_str().expect("an event name");
        let answer = post_event(api, &id, event).await;
        if answer.status == 200 {
            return Posted {
                event_name: event.to_owned(),
                create,
                event: answer,
            };
        }
    }
    panic!("no event of {} takes empty data", like.workflow);
}

/// The same two requests again, with the same keys.
async fn replay(api: &Api, like: &Created, posted: &Posted) -> Posted {
    let create = create(api, like).await;
    let id = create.body["id"].as_str().expect("an id").to_owned();
    let event = post_event(api, &id, &posted.event_name).await;
    Posted {
        event_name: posted.event_name.clone(),
        create,
        event,
    }
}

async fn create(api: &Api, like: &Created) -> Answer {
    let body = json!({"workflow": like.workflow, "key": REPLAY_KEY, "data": like.data});
    api.send(Method::POST, "/v1/instances", Some(body), Some(REPLAY_KEY))
        .await
}

async fn post_event(api: &Api, id: &str, event: &str) -> Answer {
    api.send(
        Method::POST,
        &format!("/v1/instances/{id}/events"),
        Some(json!({"event": event, "data": {}})),
        Some(&format!("{REPLAY_KEY}-event-{event}")),
    )
    .await
}

/// The answers asked about cover every stored instance, with its history,
/// timers and SLA clocks: a comparison of them means something.
fn assert_answers_cover(
    answers: &BTreeMap<String, Json>,
    tables: &BTreeMap<&'static str, Vec<Vec<Json>>>,
) {
    let mut timers = 0;
    let mut slas = 0;
    for row in &tables["instances"] {
        let id = row[0].as_str().expect("an instance id");
        let instance = &answers[&format!("/v1/instances/{id}")];
        assert_eq!(instance["status"], 200, "{instance}");
        timers += instance["body"]["timers"].as_array().map_or(0, Vec::len);
        slas += instance["body"]["slas"].as_array().map_or(0, Vec::len);
        let history = &answers[&format!("/v1/instances/{id}/history")];
        assert!(
            !history["body"]
                .as_array()
                .expect("history lines")
                .is_empty(),
            "{history}"
        );
    }
    assert!(timers > 0, "pending timers are shown");
    assert!(slas > 0, "running SLA clocks are shown");
    for path in [
        "/v1/admin/stuck",
        "/v1/assessment?month=2026-10",
        "/v1/admin/tokens",
    ] {
        assert_eq!(answers[path]["status"], 200, "{path}: {}", answers[path]);
    }
}

/// The store has every kind of row the round trip must carry.
fn assert_rich(tables: &BTreeMap<&'static str, Vec<Vec<Json>>>) {
    for table in [
        "definitions",
        "instances",
        "history",
        "timers",
        "sla_cycles",
        "outbox",
        "idempotency",
        "accounts",
        "tokens",
        "sessions",
        "audit",
    ] {
        assert!(!tables[table].is_empty(), "no rows in {table}");
    }
    // SLA cycles still running (no `stopped_at`, the last column).
    assert!(tables["sla_cycles"].iter().any(|row| row[8].is_null()));
    // Several versions of a definition would be listed by hash; every
    // shipped workflow is there.
    assert!(tables["definitions"].len() >= 6);
}

/// Where each instance of `before` stands: state, status and how many
/// history lines it has.
fn progress_of(
    tables: &BTreeMap<&'static str, Vec<Vec<Json>>>,
    before: &BTreeMap<&'static str, Vec<Vec<Json>>>,
) -> BTreeMap<String, (Json, Json, usize)> {
    let mut lines: BTreeMap<&str, usize> = BTreeMap::new();
    for row in &tables["history"] {
        *lines.entry(row[0].as_str().unwrap()).or_default() += 1;
    }
    before["instances"]
        .iter()
        .map(|old| {
            let id = old[0].as_str().unwrap();
            let row = tables["instances"].iter().find(|row| row[0] == id).unwrap();
            (
                id.to_owned(),
                (
                    row[5].clone(),
                    row[6].clone(),
                    lines.get(id).copied().unwrap_or(0),
                ),
            )
        })
        .collect()
}
