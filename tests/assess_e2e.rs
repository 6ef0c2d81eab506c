//! The assessment end to end: a month of `service_desk` tickets driven
//! through the runtime on a manual clock (the shipped workflows and
//! `assessment.toml`), then October's report computed from the store and
//! checked number by number against values worked out by hand below; then
//! `flowkeeper assess` on the same SQLite file in its three formats.
//!
//! Runs on SQLite (a temporary file) and, when
//! `FLOWKEEPER_TEST_DATABASE_URL` is set, on PostgreSQL (a fresh schema).
//!
//! # The tickets (all UTC; level 3 = 12 h handling unless said otherwise)
//!
//! | ticket | group   | what happens | in October |
//! |--------|---------|--------------|------------|
//! | T11 | bss       | created 30 Sep, bounced, re-dispatched, resolved and replied in September; confirmed satisfied 1 Oct 01:00 | closed (its earlier bounce spoils first-time resolution) |
//! | T1  | bss       | the happy path, satisfied | |
//! | T2  | bss       | happy path, confirmed *not* satisfied | |
//! | T3  | net       | level 1; receive 10 s late; handled 90 min (> 1 h); complaint after closing (12 Oct) | response missed, handling missed |
//! | T4  | net       | held 1 h while handling | entered `on_hold` |
//! | T5  | bss → net | bounced by bss, re-dispatched to net | not first time |
//! | T6  | bss       | held once; replied, then reopened, handled again, replied again | two handling and two reply outcomes |
//! | T7  | net       | level 1, handled 2 h (missed); reply 15 min late (missed) | |
//! | T8  | bss       | level 1, handled 2 h (missed); a complaint and an escalated complaint while handling | |
//! | T9  | bss → net | accepted by bss, transferred to net, accepted, held, resolved | enters `handling` under both groups |
//! | T14 | —         | receive 6 s late, then cancelled | response missed; never closed |
//! | T10 | net       | created 31 Oct 20:00, still in handling at the month's end | its handling deadline is missed on 1 Nov |
//! | T12 | bss       | the happy path in November; T1 gets a complaint in November | nothing |
//!
//! # October by hand
//!
//! service_desk:
//! - 及時響應 timely_response: response outcomes in October: T1–T9, T10, T14
//!   = 11 decided (T11's was in September), missed by T3 and T14: 9/11 =
//!   81.8 % → [80 %, 90 %) → 4 points.
//! - 及時回覆 timely_reply: reply outcomes: T1, T2, T3, T4, T5, T6 ×2, T7,
//!   T8, T9 = 10, T7 missed: 9/10 = 90 % → [90 %, ∞) → 5.
//! - 一次解決 first_time_resolution: closed in October: T1–T9 and T11 = 10;
//!   satisfied without bounce or reopen: T1, T3, T4, T7, T8, T9 = 6 (T2 not
//!   satisfied, T5 bounced, T6 reopened, T11 bounced in September): 6/10 =
//!   60 % → [60 %, 70 %) → 8.
//! - 客戶投訴 complaint_rate: complaints in October: T8, T3 = 2 (T1's is in
//!   November); created in October: T1–T10, T14 = 11: 2/11 = 18.1 % →
//!   [10 %, ∞) → −3.
//! - 越級投訴 escalated_complaint_rate: T8 = 1 of 10 closed = exactly 10 %,
//!   the seed's hole, closed with the heavier deduction: [10 %, ∞) → −5.
//! - total 4 + 5 + 8 − 3 − 5 = 9.
//!
//! bss (the `default` selection):
//! - 及時處理 timely_handling: handling outcomes credited to bss: T1, T2,
//!   T6 ×2 met, T8 missed: 4/5 = 80 % → [80 %, 90 %) → 15.
//! - 掛單 hang_rate: entered handling while held by bss: T1, T2, T6, T8, T9
//!   = 5; entered on_hold under bss: T6 = 1: 1/5 = 20 % → [10 %, ∞) → −3.
//! - total 12.
//!
//! net:
//! - timely_handling: T4, T5, T9 met; T3, T7 missed: 3/5 = 60 % →
//!   [60 %, 70 %) → 5 (T10's miss falls in November).
//! - hang_rate: entered handling under net: T3, T4, T5, T7, T9, T10 = 6;
//!   entered on_hold: T4, T9 = 2: 2/6 = 33.3 % → [10 %, ∞) → −3.
//! - total 2.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use flowkeeper::assess::{self, AssessmentConfig, PeriodSpec, Report};
use flowkeeper::engine::{AccountName, Actor, HistoryData, HistoryEntry, Millis};
use flowkeeper::model::Catalog;
use flowkeeper::runtime::{ManualClock, Runtime, RuntimeConfig, Target};
use flowkeeper::store::{AssessmentRow, RowSelection, Store, StoreOptions, testing};
use futures_util::TryStreamExt as _;
use serde_json::{Map, Value as Json, json};
use tempfile::TempDir;
use uuid::Uuid;

const SECOND: Millis = 1_000;
const MINUTE: Millis = 60 * SECOND;
const HOUR: Millis = 60 * MINUTE;

fn at(text: &str) -> Millis {
    text.parse::<jiff::Timestamp>()
        .expect("a timestamp")
        .as_millisecond()
}

fn workflows_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows")
}

fn catalog() -> Catalog {
    Catalog::load(&[workflows_dir()]).unwrap_or_else(|problems| panic!("{problems}"))
}

fn config() -> AssessmentConfig {
    assess::load_file(&workflows_dir().join("assessment.toml"))
        .unwrap_or_else(|problems| panic!("{problems}"))
}

fn object(value: Json) -> Map<String, Json> {
    match value {
        Json::Object(map) => map,
        other => panic!("not an object: {other}"),
    }
}

/// The service desk on a manual clock.
struct Desk {
    runtime: Runtime,
    actor: Actor,
}

impl Desk {
    async fn open(store: Store) -> Self {
        let clock = ManualClock::new(at("2026-09-30T00:00:00Z"));
        let runtime =
            Runtime::with_config(store, catalog(), Arc::new(clock), RuntimeConfig::default())
                .await
                .expect("start the runtime");
        let actor = Actor::Account(AccountName::parse("desk").expect("a valid name"));
        Self { runtime, actor }
    }

    /// Moves time to `when`, firing every SLA deadline due on the way.
    async fn at(&self, when: &str) {
        self.runtime.advance_to(at(when)).await.expect("advance");
    }

    async fn wait(&self, by: Millis) {
        self.runtime.advance(by).await.expect("advance");
    }

    async fn create(&self, key: &str, level: i64) -> Uuid {
        let data = object(json!({"level": level, "summary": format!("ticket {key}")}));
        let instance = self
            .runtime
            .create("service_desk", key, data, &self.actor, None)
            .await
            .unwrap_or_else(|error| panic!("create {key}: {error}"));
        instance.id
    }

    async fn post(&self, ticket: Uuid, event: &str, data: Json) {
        self.runtime
            .post_event(&Target::Id(ticket), event, object(data), &self.actor, None)
            .await
            .unwrap_or_else(|error| panic!("{event} on {ticket}: {error}"));
    }

    /// Created now, received 2 s later (in time), dispatched and accepted.
    async fn open_in_handling(&self, key: &str, level: i64, group: &str) -> Uuid {
        let ticket = self.create(key, level).await;
        self.wait(2 * SECOND).await;
        self.post(ticket, "receive", json!({})).await;
        self.dispatch_and_accept(ticket, group).await;
        ticket
    }

    async fn dispatch_and_accept(&self, ticket: Uuid, group: &str) {
        self.wait(MINUTE).await;
        self.post(ticket, "dispatch", json!({"group": group})).await;
        self.wait(MINUTE).await;
        self.post(ticket, "accept", json!({})).await;
    }

    /// Resolved after `handled`, replied 2 min later (in time).
    async fn resolve_and_reply(&self, ticket: Uuid, handled: Millis) {
        self.wait(handled).await;
        self.post(ticket, "resolve", json!({"solution": "fixed"}))
            .await;
        self.wait(2 * MINUTE).await;
        self.post(ticket, "reply", json!({"message": "fixed"}))
            .await;
    }

    async fn confirm(&self, ticket: Uuid, satisfied: bool) {
        self.wait(HOUR).await;
        self.post(ticket, "confirm", json!({"satisfied": satisfied}))
            .await;
    }

    async fn happy(&self, key: &str, group: &str, satisfied: bool) -> Uuid {
        let ticket = self.open_in_handling(key, 3, group).await;
        self.resolve_and_reply(ticket, HOUR).await;
        self.confirm(ticket, satisfied).await;
        ticket
    }

    async fn hold(&self, ticket: Uuid, after: Millis, held: Millis) {
        self.wait(after).await;
        self.post(ticket, "hold", json!({"reason": "parts"})).await;
        self.wait(held).await;
        self.post(ticket, "resume", json!({})).await;
    }
}

/// Drives the tickets of the table in the module comment, in time order.
async fn drive_a_month(desk: &Desk) {
    // T11: September, except its confirmation.
    desk.at("2026-09-30T22:00:00Z").await;
    let t11 = desk.create("T11", 3).await;
    desk.wait(2 * SECOND).await;
    desk.post(t11, "receive", json!({})).await;
    desk.wait(MINUTE).await;
    desk.post(t11, "dispatch", json!({"group": "bss"})).await;
    desk.wait(MINUTE).await;
    desk.post(t11, "bounce", json!({"reason": "not ours"}))
        .await;
    desk.dispatch_and_accept(t11, "bss").await;
    desk.resolve_and_reply(t11, 20 * MINUTE).await;
    desk.at("2026-10-01T01:00:00Z").await;
    desk.post(t11, "confirm", json!({"satisfied": true})).await;

    desk.at("2026-10-02T09:00:00Z").await;
    let t1 = desk.happy("T1", "bss", true).await;

    desk.at("2026-10-03T09:00:00Z").await;
    desk.happy("T2", "bss", false).await;

    desk.at("2026-10-04T09:00:00Z").await;
    let t3 = desk.create("T3", 1).await;
    desk.wait(10 * SECOND).await; // the 5 s response deadline passes
    desk.post(t3, "receive", json!({})).await;
    desk.dispatch_and_accept(t3, "net").await;
    desk.resolve_and_reply(t3, 90 * MINUTE).await; // level 1: 1 h
    desk.confirm(t3, true).await;

    desk.at("2026-10-05T09:00:00Z").await;
    let t4 = desk.open_in_handling("T4", 3, "net").await;
    desk.hold(t4, 30 * MINUTE, HOUR).await;
    desk.resolve_and_reply(t4, HOUR).await;
    desk.confirm(t4, true).await;

    desk.at("2026-10-06T09:00:00Z").await;
    let t5 = desk.create("T5", 3).await;
    desk.wait(2 * SECOND).await;
    desk.post(t5, "receive", json!({})).await;
    desk.wait(MINUTE).await;
    desk.post(t5, "dispatch", json!({"group": "bss"})).await;
    desk.wait(MINUTE).await;
    desk.post(t5, "bounce", json!({"reason": "network"})).await;
    desk.dispatch_and_accept(t5, "net").await;
    desk.resolve_and_reply(t5, HOUR).await;
    desk.confirm(t5, true).await;

    desk.at("2026-10-07T09:00:00Z").await;
    let t6 = desk.open_in_handling("T6", 3, "bss").await;
    desk.hold(t6, 10 * MINUTE, 20 * MINUTE).await;
    desk.resolve_and_reply(t6, HOUR).await;
    desk.wait(HOUR).await;
    desk.post(t6, "reopen", json!({"reason": "still broken"}))
        .await;
    desk.resolve_and_reply(t6, 2 * HOUR).await;
    desk.confirm(t6, true).await;

    desk.at("2026-10-08T09:00:00Z").await;
    let t7 = desk.open_in_handling("T7", 1, "net").await;
    desk.wait(2 * HOUR).await; // level 1: 1 h
    desk.post(t7, "resolve", json!({})).await;
    desk.wait(15 * MINUTE).await; // the reply is due within 10 min
    desk.post(t7, "reply", json!({"message": "sorry"})).await;
    desk.confirm(t7, true).await;

    desk.at("2026-10-09T09:00:00Z").await;
    let t8 = desk.open_in_handling("T8", 1, "bss").await;
    desk.wait(10 * MINUTE).await;
    desk.post(t8, "complain", json!({"text": "slow"})).await;
    desk.post(
        t8,
        "escalated_complaint",
        json!({"text": "to the director"}),
    )
    .await;
    desk.resolve_and_reply(t8, 2 * HOUR).await;
    desk.confirm(t8, true).await;

    desk.at("2026-10-10T09:00:00Z").await;
    let t9 = desk.open_in_handling("T9", 3, "bss").await;
    desk.wait(20 * MINUTE).await;
    desk.post(t9, "transfer", json!({"group": "net"})).await;
    desk.wait(MINUTE).await;
    desk.post(t9, "accept", json!({})).await;
    desk.hold(t9, 10 * MINUTE, 30 * MINUTE).await;
    desk.resolve_and_reply(t9, HOUR).await;
    desk.confirm(t9, true).await;

    desk.at("2026-10-11T09:00:00Z").await;
    let t14 = desk.create("T14", 3).await;
    desk.wait(6 * SECOND).await;
    desk.post(t14, "receive", json!({})).await;
    desk.wait(MINUTE).await;
    desk.post(t14, "cancel", json!({"reason": "duplicate"}))
        .await;

    desk.at("2026-10-12T09:00:00Z").await;
    desk.post(t3, "complain", json!({"text": "fixed too late"}))
        .await;

    desk.at("2026-10-31T20:00:00Z").await;
    desk.open_in_handling("T10", 3, "net").await;

    desk.at("2026-11-02T09:00:00Z").await;
    desk.happy("T12", "bss", true).await;
    desk.at("2026-11-03T09:00:00Z").await;
    desk.post(t1, "complain", json!({"text": "late"})).await;
}

/// One indicator as the report must show it.
fn indicator(
    id: &str,
    (title, title_en): (&str, &str),
    (numerator, denominator): (u64, u64),
    (rate_percent, band, points): (&str, &str, i64),
    max_points: i64,
) -> Json {
    json!({
        "id": id,
        "title": title,
        "title_en": title_en,
        "numerator": numerator,
        "denominator": denominator,
        "rate": numerator as f64 / denominator as f64,
        "rate_percent": rate_percent,
        "band": band,
        "points": points,
        "max_points": max_points,
    })
}

const RESPONSE: (&str, &str) = ("及時響應率", "Timely response rate");
const REPLY: (&str, &str) = ("及時回覆率", "Timely reply rate");
const FIRST_TIME: (&str, &str) = ("一次解決率", "First-time resolution rate");
const COMPLAINT: (&str, &str) = ("客戶投訴率", "Customer complaint rate");
const ESCALATED: (&str, &str) = ("越級投訴率", "Escalated complaint rate");
const HANDLING: (&str, &str) = ("及時處理率", "Timely handling rate");
const HANG: (&str, &str) = ("掛單率", "On-hold rate");

/// October as worked out in the module comment.
fn october_by_hand() -> Json {
    json!({
        "from": "2026-10-01T00:00:00.000Z",
        "to": "2026-11-01T00:00:00.000Z",
        "time_zone": "UTC",
        "roles": [
            {
                "role": "service_desk",
                "total": 9,
                "indicators": [
                    indicator("timely_response", RESPONSE, (9, 11), ("81.8", "[80 %, 90 %)", 4), 5),
                    indicator("timely_reply", REPLY, (9, 10), ("90.0", "[90 %, ∞)", 5), 5),
                    indicator("first_time_resolution", FIRST_TIME, (6, 10), ("60.0", "[60 %, 70 %)", 8), 10),
                    indicator("complaint_rate", COMPLAINT, (2, 11), ("18.1", "[10 %, ∞)", -3), -3),
                    indicator("escalated_complaint_rate", ESCALATED, (1, 10), ("10.0", "[10 %, ∞)", -5), -5),
                ],
            },
            {
                "role": "bss",
                "total": 12,
                "indicators": [
                    indicator("timely_handling", HANDLING, (4, 5), ("80.0", "[80 %, 90 %)", 15), 20),
                    indicator("hang_rate", HANG, (1, 5), ("20.0", "[10 %, ∞)", -3), -3),
                ],
            },
            {
                "role": "net",
                "total": 2,
                "indicators": [
                    indicator("timely_handling", HANDLING, (3, 5), ("60.0", "[60 %, 70 %)", 5), 20),
                    indicator("hang_rate", HANG, (2, 6), ("33.3", "[10 %, ∞)", -3), -3),
                ],
            },
        ],
    })
}

fn october() -> PeriodSpec {
    PeriodSpec::parse(Some("2026-10"), None, None, None).expect("a month")
}

async fn assess_october(store: &Store, role: Option<&str>) -> Report {
    assess_store(store, october(), role).await
}

/// What `Runtime::assess` and `flowkeeper assess` do: the plan, the store's
/// rows for it, the tally.
async fn assess_store(store: &Store, spec: PeriodSpec, role: Option<&str>) -> Report {
    let (config, catalog) = (config(), catalog());
    let plan = assess::Plan::new(&config, &catalog, spec).expect("the names exist");
    let period = plan.period();
    let instances = store.assessment_instances(plan.selection(), period.from(), period.to());
    plan.tally(instances, role)
        .await
        .unwrap_or_else(|error| panic!("assess: {error}"))
}

/// The report from the store equals the one worked out by hand; `--role`
/// picks one role's part of it, and an unknown role has no data.
async fn october_from_the_store(store: Store) {
    let desk = Desk::open(store.clone()).await;
    drive_a_month(&desk).await;

    let report = assess_october(&store, None).await;
    let expected = october_by_hand();
    assert_eq!(serde_json::to_value(&report).unwrap(), expected);

    let net = assess_october(&store, Some("net")).await;
    assert_eq!(
        serde_json::to_value(&net.roles).unwrap(),
        json!([expected["roles"][2]])
    );
    let nobody = assess_october(&store, Some("vendor_x")).await;
    assert_eq!(nobody.roles.len(), 1);
    assert_eq!(nobody.roles[0].total, 0);
    assert!(
        nobody.roles[0]
            .indicators
            .iter()
            .all(|indicator| indicator.denominator == 0 && indicator.points.is_none())
    );

    // What the store hands over: the instances with a row in October
    // (T1–T11, T14, not T12), all their rows before November (T11's
    // September ones too, T1's November complaint not).
    let period = october().resolve(config().time_zone()).unwrap();
    let selection = config().row_selection();
    let instances: Vec<Vec<AssessmentRow>> = store
        .assessment_instances(&selection, period.from(), period.to())
        .try_collect()
        .await
        .unwrap();
    // One item per instance, its rows in order.
    assert!(instances.iter().all(|rows| {
        rows.windows(2)
            .all(|pair| pair[0].instance_id == pair[1].instance_id && pair[0].seq < pair[1].seq)
    }));
    let rows: Vec<AssessmentRow> = instances.into_iter().flatten().collect();
    let ids: BTreeSet<Uuid> = rows.iter().map(|row| row.instance_id).collect();
    assert_eq!(ids.len(), 12);
    let id_of = |key: &'static str| {
        let store = store.clone();
        async move {
            let instance = store.find_by_key("service_desk", key).await.unwrap();
            instance.expect("the ticket exists").id
        }
    };
    assert!(!ids.contains(&id_of("T12").await));
    let t11 = id_of("T11").await;
    assert!(
        rows.iter()
            .any(|row| row.instance_id == t11 && row.seq == 1)
    );
    assert!(rows.iter().all(|row| row.at < period.to()));
    // Only what an indicator reads: no `receive` (no indicator names it),
    // and data only where a count or the holder looks into it.
    assert!(
        rows.iter()
            .all(|row| row.event.as_deref() != Some("receive"))
    );
    assert!(rows.iter().any(|row| {
        let data = row.data.as_ref().and_then(HistoryData::event_data);
        row.event.as_deref() == Some("dispatch")
            && data.is_some_and(|data| data.contains_key("group"))
    }));
    assert!(
        rows.iter()
            .any(|row| row.event.as_deref() == Some("accept") && row.data.is_none())
    );
    // An installation older than the facts table gets them from its
    // history when it migrates: the same rows as the live writer's.
    let sorted = |mut instances: Vec<Vec<AssessmentRow>>| {
        instances.sort_by_key(|rows| rows.first().map(|row| row.instance_id));
        instances
    };
    let everything = RowSelection {
        sla: true,
        created: true,
        events: [
            "accept", "bounce", "complain", "confirm", "dispatch", "receive", "reply",
        ]
        .map(str::to_owned)
        .to_vec(),
        states: ["closed", "handling", "on_hold"]
            .map(str::to_owned)
            .to_vec(),
        data_events: ["confirm", "dispatch"].map(str::to_owned).to_vec(),
        ..config().row_selection()
    };
    let year = (at("2026-01-01T00:00:00Z"), at("2027-01-01T00:00:00Z"));
    let live: Vec<Vec<AssessmentRow>> = store
        .assessment_instances(&everything, year.0, year.1)
        .try_collect()
        .await
        .unwrap();
    testing::refill_assessment_facts(&store).await.unwrap();
    let refilled: Vec<Vec<AssessmentRow>> = store
        .assessment_instances(&everything, year.0, year.1)
        .try_collect()
        .await
        .unwrap();
    assert_eq!(live.len(), 13);
    // T6 (reopened) has more lines than a chunk holds: its rows came from
    // two chunks, in order (checked above), and so do the refilled ones.
    let chunks = store.row_counts().await.unwrap()["assessment_facts"];
    assert!(chunks > 13, "{chunks} chunks for 13 instances");
    assert_eq!(sorted(refilled), sorted(live));
    assert_eq!(assess_october(&store, None).await, report);

    let presale = RowSelection {
        workflows: vec!["presale".to_owned()],
        ..config().row_selection()
    };
    let none: Vec<Vec<AssessmentRow>> = store
        .assessment_instances(&presale, period.from(), period.to())
        .try_collect()
        .await
        .unwrap();
    assert!(none.is_empty());

    // September holds only T11's first hours: one response met.
    let september = PeriodSpec::parse(Some("2026-09"), None, None, None).unwrap();
    let report = assess_store(&store, september, Some("service_desk")).await;
    let response = &report.roles[0].indicators[0];
    assert_eq!((response.numerator, response.denominator), (1, 1));
}

/// Runs the `flowkeeper assess` binary: its stdout when it succeeds, else
/// its stderr (after checking that it exits non-zero).
fn cli(database: &str, argv: &[&str]) -> Result<String, String> {
    cli_with(database, &workflows_dir(), argv)
}

fn cli_with(database: &str, workflows: &Path, argv: &[&str]) -> Result<String, String> {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_flowkeeper"))
        .arg("assess")
        .args(argv)
        .env("FLOWKEEPER_DATABASE_URL", database)
        .env("FLOWKEEPER_WORKFLOWS", workflows)
        .env("RUST_LOG", "error")
        .output()
        .expect("run flowkeeper");
    let text = |bytes: Vec<u8>| String::from_utf8(bytes).expect("UTF-8");
    if output.status.success() {
        Ok(text(output.stdout))
    } else {
        assert_eq!(output.status.code(), Some(1));
        assert!(output.stdout.is_empty());
        Err(text(output.stderr))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn october_on_sqlite_and_the_command_in_three_formats() {
    let dir = TempDir::new().unwrap();
    let database = format!("sqlite://{}", dir.path().join("flowkeeper.db").display());
    let store = Store::connect(&database).await.unwrap();
    october_from_the_store(store.clone()).await;
    // The command opens the file on its own.
    store.close().await;

    let expected = october_by_hand();
    let json_out = cli(&database, &["--month", "2026-10", "--format", "json"]).unwrap();
    assert_eq!(serde_json::from_str::<Json>(&json_out).unwrap(), expected);

    let csv = cli(&database, &["--month", "2026-10", "--format", "csv"]).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "from,to,role,role_total,indicator,title,title_en,numerator,denominator,rate,rate_percent,band,points,max_points"
    );
    let mut expected_lines = vec![lines[0].to_owned()];
    for role in expected["roles"].as_array().unwrap() {
        for indicator in role["indicators"].as_array().unwrap() {
            let band = indicator["band"].as_str().unwrap();
            expected_lines.push(format!(
                "2026-10-01T00:00:00.000Z,2026-11-01T00:00:00.000Z,{},{},{},{},{},{},{},{},{},\"{}\",{},{}",
                role["role"].as_str().unwrap(),
                role["total"],
                indicator["id"].as_str().unwrap(),
                indicator["title"].as_str().unwrap(),
                indicator["title_en"].as_str().unwrap(),
                indicator["numerator"],
                indicator["denominator"],
                indicator["rate"],
                indicator["rate_percent"].as_str().unwrap(),
                band,
                indicator["points"],
                indicator["max_points"],
            ));
        }
    }
    assert_eq!(lines, expected_lines);

    let table = cli(&database, &["--month", "2026-10"]).unwrap();
    for line in [
        "Assessment 考覈 2026-10-01 00:00 – 2026-11-01 00:00 (UTC; the end is excluded)",
        "service_desk: total 9 points",
        "bss: total 12 points",
        "net: total 2 points",
    ] {
        assert!(table.contains(line), "no `{line}` in\n{table}");
    }
    for (title, cells) in [
        (
            "及時響應率 Timely response rate",
            ["9", "11", "81.8 %", "[80 %, 90 %)", "4", "5"],
        ),
        (
            "及時回覆率 Timely reply rate",
            ["9", "10", "90.0 %", "[90 %, ∞)", "5", "5"],
        ),
        (
            "一次解決率 First-time resolution rate",
            ["6", "10", "60.0 %", "[60 %, 70 %)", "8", "10"],
        ),
        (
            "客戶投訴率 Customer complaint rate",
            ["2", "11", "18.1 %", "[10 %, ∞)", "-3", "-3"],
        ),
        (
            "越級投訴率 Escalated complaint rate",
            ["1", "10", "10.0 %", "[10 %, ∞)", "-5", "-5"],
        ),
    ] {
        let row = table_row(&table, title);
        assert_eq!(row, cells, "{title} in\n{table}");
    }
    let handling_rows: Vec<Vec<String>> = table
        .lines()
        .filter(|line| line.trim_start().starts_with("及時處理率"))
        .map(cells_after_title)
        .collect();
    assert_eq!(
        handling_rows,
        [
            ["4", "5", "80.0 %", "[80 %, 90 %)", "15", "20"],
            ["3", "5", "60.0 %", "[60 %, 70 %)", "5", "20"],
        ]
    );
    let hang_rows: Vec<Vec<String>> = table
        .lines()
        .filter(|line| line.trim_start().starts_with("掛單率"))
        .map(cells_after_title)
        .collect();
    assert_eq!(
        hang_rows,
        [
            ["1", "5", "20.0 %", "[10 %, ∞)", "-3", "-3"],
            ["2", "6", "33.3 %", "[10 %, ∞)", "-3", "-3"],
        ]
    );
}

/// The cells of the table line starting with `title`.
fn table_row(table: &str, title: &str) -> Vec<String> {
    let line = table
        .lines()
        .find(|line| line.trim_start().starts_with(title))
        .unwrap_or_else(|| panic!("no row `{title}` in\n{table}"));
    cells_after_title(line)
}

/// Splits a table line after its two-word-or-more title on runs of two
/// spaces (cells are separated by at least two).
fn cells_after_title(line: &str) -> Vec<String> {
    let cells: Vec<String> = line
        .trim()
        .split("  ")
        .map(str::trim)
        .filter(|cell| !cell.is_empty())
        .map(str::to_owned)
        .collect();
    cells[1..].to_vec()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn october_on_postgres() {
    let Some(url) = testing::postgres_url() else {
        return;
    };
    let (store, schema) = testing::fresh_schema(&url, "t", 8).await.expect("connect");
    october_from_the_store(store.clone()).await;
    // The command reads the same schema, read-only.
    let json_out = cli(
        &testing::url_with_schema(&url, &schema),
        &["--month", "2026-10", "--format", "json"],
    )
    .unwrap();
    assert_eq!(
        serde_json::from_str::<Json>(&json_out).unwrap(),
        october_by_hand()
    );
    schemas_not_this_builds_are_refused(
        &store,
        &StoreOptions {
            schema: Some(schema.clone()),
            ..StoreOptions::new(&url)
        },
    )
    .await;
    testing::drop_schema(&store, &schema)
        .await
        .expect("drop the test schema");
}

/// `assess` only reads: a missing SQLite file is an error and stays
/// missing, and a schema older or newer than this build's is refused and
/// left as it was, where opening for work would have migrated it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_reads_only() {
    let dir = TempDir::new().unwrap();
    let path = dir.path().join("flowkeeper.db");
    let database = format!("sqlite://{}", path.display());
    let missing = cli(&database, &["--month", "2026-10"]).unwrap_err();
    assert_eq!(
        missing,
        format!(
            "error: cannot open the database {database}: there is no SQLite database at {}\n",
            path.display()
        )
    );
    assert!(!path.exists(), "the command created {}", path.display());

    let store = Store::connect(&database).await.unwrap();
    schemas_not_this_builds_are_refused(&store, &StoreOptions::new(&database)).await;
    store.close().await;
}

/// Moves `store`'s migration record forward (as a newer flowkeeper would
/// leave it), then back past this build's last migration (as an older one
/// would), and checks each time that the read-only open refuses it and the
/// command says so in one line, leaving the record where it was.
async fn schemas_not_this_builds_are_refused(store: &Store, options: &StoreOptions) {
    let url = match &options.schema {
        Some(schema) => testing::url_with_schema(&options.url, schema),
        None => options.url.clone(),
    };
    for (shift, says) in [
        (-1, "newer than this flowkeeper's"),
        (2, "older than this flowkeeper's"),
    ] {
        testing::shift_migration_record(store, shift).await.unwrap();
        let error = Store::open_read_only(options).await.unwrap_err();
        assert!(error.to_string().contains(says), "{error}");
        let printed = cli(&url, &["--month", "2026-10"]).unwrap_err();
        assert!(
            printed.contains(says) && printed.lines().count() == 1,
            "{printed}"
        );
        // Still refused: nothing was migrated on the way.
        let again = Store::open_read_only(options).await.unwrap_err();
        assert_eq!(again.to_string(), error.to_string());
    }
}

/// Each mistake is one readable line on stderr and exit code 1, before
/// any database is touched where possible.
#[test]
fn command_errors_are_one_readable_line() {
    let dir = TempDir::new().unwrap();
    let database = format!("sqlite://{}", dir.path().join("flowkeeper.db").display());
    let bad_month = cli(&database, &["--month", "2026-13"]).unwrap_err();
    assert_eq!(
        bad_month,
        "error: `2026-13` is not a month: write YYYY-MM, e.g. 2026-10\n"
    );
    assert!(!dir.path().join("flowkeeper.db").exists());

    let started = std::time::Instant::now();
    let unreachable = cli("postgres://postgres@127.0.0.1:1/none", &["--year", "2026"]).unwrap_err();
    assert_eq!(
        unreachable,
        "error: cannot open the database postgres://postgres@127.0.0.1:1/none: no answer within 5 s\n"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(10));

    let missing =
        cli_with(&database, &dir.path().join("nowhere"), &["--year", "2026"]).unwrap_err();
    assert!(
        missing.starts_with("error: ")
            && missing.contains("nowhere/assessment.toml:1:1: cannot read"),
        "{missing}"
    );
    assert_eq!(missing.lines().count(), 1, "{missing}");
}

/// A name the workflows do not have is an error at its line and column,
/// with a suggestion, instead of an indicator that silently has no data.
#[tokio::test]
async fn a_typo_in_a_name_fails_at_its_line() {
    let shipped = std::fs::read_to_string(workflows_dir().join("assessment.toml")).unwrap();
    let typos = shipped
        .replace("satisfied = true", "satisfyed = true")
        .replacen(
            r#"clock = "handling", outcome = "met""#,
            r#"clock = "handlin", outcome = "met""#,
            1,
        )
        .replace(r#"reached = "on_hold""#, r#"reached = "on_hodl""#)
        .replace(
            r#"events = ["dispatch", "transfer"]"#,
            r#"events = ["dispatch", "transfr"]"#,
        )
        .replace(r#"events = "complain""#, r#"events = "complian""#);
    let config = assess::load_str(Path::new("assessment.toml"), &typos).expect("valid on its own");
    let problems = config.check_names(&catalog()).unwrap_err().to_string();
    assert_eq!(
        problems.lines().collect::<Vec<_>>(),
        [
            "assessment.toml:37:76: event `confirm` of workflow `service_desk` has no field `satisfyed` (hint: did you mean `satisfied`?)",
            "assessment.toml:57:31: workflow `service_desk` has no SLA clock `handlin` (hint: did you mean `handling`?)",
            "assessment.toml:75:39: workflow `service_desk` has no state `on_hodl` (hint: did you mean `on_hold`?)",
            "assessment.toml:77:50: workflow `service_desk` has no event `transfr` (hint: did you mean `transfer`?)",
            "assessment.toml:94:24: workflow `service_desk` has no event `complian` (hint: did you mean `complain`?)",
        ]
    );

    let other = shipped.replace(
        r#"workflow = "service_desk""#,
        r#"workflow = "servce_desk""#,
    );
    let config = assess::load_str(Path::new("assessment.toml"), &other).unwrap();
    let problems = config.check_names(&catalog()).unwrap_err();
    assert_eq!(
        problems.0.len(),
        7,
        "one per indicator, not one per name: {problems}"
    );
    assert_eq!(
        problems.0[0].to_string(),
        "assessment.toml:33:12: no workflow `servce_desk` is loaded (hint: did you mean `service_desk`?)"
    );

    let error = assess::Plan::new(&config, &catalog(), october()).unwrap_err();
    assert!(matches!(error, assess::PlanError::Config(_)), "{error:?}");
}

/// Histories longer than a chunk of the facts (16 lines) are read whole
/// and in order, whichever of their chunks the period falls in, also when
/// more of them are in the period than one statement reads (500).
async fn long_histories_are_read_whole(store: Store) {
    const DAY: Millis = 24 * HOUR;
    const INSTANCES: u128 = 501;
    let start = at("2026-01-01T00:00:00Z");
    let line = |n: i64, data: HistoryData| HistoryEntry {
        at: start + n * DAY,
        event: (n > 0).then(|| "dispatch".into()),
        from: (n > 0).then(|| "received".into()),
        to: Some("received".into()),
        actor: "desk".into(),
        data,
    };
    // Line `n + 1` recorded on day `n`; 40 lines: chunks 0, 1 and 2.
    let history: Vec<HistoryEntry> = std::iter::once(line(0, HistoryData::Created(Map::new())))
        .chain((1..40).map(|n| line(n, HistoryData::Event(object(json!({"group": n}))))))
        .collect();
    let ids: Vec<Uuid> = (1..=INSTANCES).map(Uuid::from_u128).collect();
    testing::insert_histories(
        &store,
        ids.iter()
            .map(|id| (*id, "service_desk", history.as_slice())),
    )
    .await
    .unwrap();
    let selection = RowSelection {
        workflows: vec!["service_desk".to_owned()],
        created: true,
        events: vec!["dispatch".to_owned()],
        data_events: vec!["dispatch".to_owned()],
        ..RowSelection::default()
    };
    let read = |from: Millis, to: Millis| {
        let (store, selection) = (store.clone(), selection.clone());
        async move {
            let mut instances: Vec<Vec<AssessmentRow>> = store
                .assessment_instances(&selection, from, to)
                .try_collect()
                .await
                .unwrap();
            instances.sort_by_key(|rows| rows[0].instance_id);
            instances
        }
    };
    // Days 32–34 are lines 33–35, in the third chunk: every line before
    // day 35 comes, the head's included, with its data.
    let instances = read(start + 32 * DAY, start + 35 * DAY).await;
    assert_eq!(instances.len(), ids.len());
    for (rows, id) in instances.iter().zip(&ids) {
        let seqs: Vec<i64> = rows.iter().map(|row| row.seq).collect();
        assert_eq!(seqs, (1..=35).collect::<Vec<i64>>());
        assert!(rows.iter().all(|row| row.instance_id == *id));
        let group = rows[34].data.as_ref().and_then(HistoryData::event_data);
        assert_eq!(group, Some(&object(json!({"group": 34}))));
    }
    // Within the head only, and after the last line: whole, then nothing.
    let early = read(start, start + 3 * DAY).await;
    assert_eq!(early[0].len(), 3);
    assert!(read(start + 40 * DAY, start + 50 * DAY).await.is_empty());
    // Made again from the history by migration 0013's statements: alike.
    let year = (start, at("2027-01-01T00:00:00Z"));
    let live = read(year.0, year.1).await;
    testing::refill_assessment_facts(&store).await.unwrap();
    assert_eq!(read(year.0, year.1).await, live);
    let chunks = store.row_counts().await.unwrap()["assessment_facts"];
    assert_eq!(chunks, 3 * INSTANCES as i64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_histories_on_sqlite() {
    let dir = TempDir::new().unwrap();
    let database = format!("sqlite://{}", dir.path().join("flowkeeper.db").display());
    long_histories_are_read_whole(Store::connect(&database).await.unwrap()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_histories_on_postgres() {
    let Some(url) = testing::postgres_url() else {
        return;
    };
    let (store, schema) = testing::fresh_schema(&url, "t", 4).await.expect("connect");
    long_histories_are_read_whole(store.clone()).await;
    testing::drop_schema(&store, &schema).await.unwrap();
}
