//! Time through the API, on the shipped workflows and their calendars: due
//! instants in UTC and in the zone they follow, and the manual clock's
//! `jump` (downtime: recurring timers catch up once) beside `advance`
//! (every slot at its own time); and the real server stopped across three
//! daily slots and started again, which fires each of them once.

use std::time::Duration;

use axum::http::StatusCode;
use flowkeeper::api::{DEFAULT_MAX_BODY, ServeOptions, serve_with};
use serde_json::{Value, json};

use crate::helpers::{Backend, Options, TestApp, spawn_with};

on_both!(
    due_instants_are_shown_in_utc_and_in_the_calendars_zone,
    a_jump_fires_a_recurring_timer_once_and_an_advance_fires_every_slot,
    the_clock_takes_exactly_one_of_advance_set_and_jump,
    a_server_stopped_across_three_daily_slots_fires_once_when_it_starts
);

async fn shipped(backend: &Backend) -> TestApp {
    let options = Options {
        shipped_workflows: true,
        ..Options::default()
    };
    spawn_with(backend, options).await
}

async fn create(app: &TestApp, workflow: &str, key: &str, data: Value) -> String {
    let created = app
        .post(
            "/v1/instances",
            json!({"workflow": workflow, "key": key, "data": data}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    created.body["id"].as_str().unwrap().to_owned()
}

async fn post(app: &TestApp, id: &str, event: &str, data: Value) -> Value {
    let answer = app
        .post(
            &format!("/v1/instances/{id}/events"),
            json!({"event": event, "data": data}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    answer.body["instance"].clone()
}

fn named<'a>(list: &'a Value, name: &str) -> &'a Value {
    list.as_array()
        .and_then(|items| items.iter().find(|item| item["name"] == name))
        .unwrap_or_else(|| panic!("no `{name}` in {list}"))
}

async fn due_instants_are_shown_in_utc_and_in_the_calendars_zone(backend: Backend) {
    let app = shipped(&backend).await;
    // 1 October 16:00 in Shanghai: the National Day holiday week.
    let ticket = create(
        &app,
        "service_desk",
        "T-1",
        json!({"level": 3, "summary": "slow"}),
    )
    .await;
    post(&app, &ticket, "receive", json!({})).await;
    post(&app, &ticket, "dispatch", json!({"group": "eda"})).await;
    let handling = post(&app, &ticket, "accept", json!({})).await;
    let clock = named(&handling["slas"], "handling");
    // 7.5 h on Thursday 8 October, 4.5 h on Friday.
    assert_eq!(clock["due_at"], "2026-10-09T07:00:00.000Z");
    assert_eq!(clock["due_local"], "2026-10-09T15:00:00.000+08:00");
    assert_eq!(clock["zone"], "Asia/Shanghai");
    assert_eq!(clock["calendar"], "office");

    let urgent = create(
        &app,
        "service_desk",
        "T-2",
        json!({"level": 1, "summary": "down"}),
    )
    .await;
    let received = post(&app, &urgent, "receive", json!({})).await;
    let dispatch = named(&received["slas"], "dispatch");
    assert_eq!(dispatch["calendar"], Value::Null);
    assert_eq!(
        dispatch["zone"], "UTC",
        "the configured zone of assessment.toml"
    );
    assert_eq!(dispatch["due_local"], "2026-10-01T08:10:00.000+00:00");

    let customer = create(&app, "customer_tier", "c-1", json!({})).await;
    let shown = app.get(&format!("/v1/instances/{customer}")).await.body;
    let sms = named(&shown["timers"], "sms");
    assert_eq!(sms["due_at"], "2026-10-08T02:00:00.000Z");
    assert_eq!(sms["due_local"], "2026-10-08T10:00:00.000+08:00");
    assert_eq!(sms["zone"], "Asia/Shanghai");
}

async fn a_jump_fires_a_recurring_timer_once_and_an_advance_fires_every_slot(backend: Backend) {
    let app = shipped(&backend).await;
    let down = create(&app, "customer_tier", "c-down", json!({})).await;
    // Down from 1 to 31 October: the 8th, 15th and 22nd were missed.
    let jumped = app.post("/v1/admin/clock", json!({"jump": "30d"})).await;
    assert_eq!(jumped.status, StatusCode::OK, "{:?}", jumped.body);
    assert_eq!(jumped.body["now"], "2026-10-31T08:00:00.000Z");
    let after = app.get(&format!("/v1/instances/{down}")).await.body;
    assert_eq!(after["data"]["sms_sent"], 1, "one message for three dates");
    assert_eq!(
        named(&after["timers"], "sms")["due_local"],
        "2026-11-01T10:00:00.000+08:00"
    );
    let history = app.get(&format!("/v1/instances/{down}/history")).await.body;
    let fired: Vec<&Value> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|line| line["kind"] == "timer")
        .collect();
    assert_eq!(fired.len(), 1, "{history}");
    assert_eq!(
        fired[0]["at"], "2026-10-31T08:00:00.000Z",
        "the real instant"
    );
    assert_eq!(
        fired[0]["data"]["catch_up"],
        json!({"timer": "sms", "slot": "2026-10-08T02:00:00Z", "policy": "once", "next": "2026-11-01T02:00:00Z"})
    );

    let running = create(&app, "customer_tier", "c-running", json!({})).await;
    let advanced = app.post("/v1/admin/clock", json!({"advance": "30d"})).await;
    assert_eq!(advanced.status, StatusCode::OK, "{:?}", advanced.body);
    let after = app.get(&format!("/v1/instances/{running}")).await.body;
    // 1, 8, 15 and 22 November, each at its own 10:00.
    assert_eq!(after["data"]["sms_sent"], 4);
}

async fn the_clock_takes_exactly_one_of_advance_set_and_jump(backend: Backend) {
    let app = shipped(&backend).await;
    for bad in [
        json!({"jump": "1d", "advance": "1d"}),
        json!({"jump": "soon"}),
        json!({}),
    ] {
        let refused = app.post("/v1/admin/clock", bad.clone()).await;
        assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{bad}");
    }
    let now = app.get("/v1/admin/clock").await.body;
    assert_eq!(now["now"], "2026-10-01T08:00:00.000Z", "nothing moved");
}

const TOKEN: &str = "restart-test-admin-token";

/// A workflow with a daily slot six hours before `now` (UTC), under each
/// catch-up policy, so the next slot is far from the test's few seconds.
fn daily_workflow(now: jiff::Timestamp) -> String {
    let slot = now
        .checked_sub(jiff::SignedDuration::from_hours(6))
        .unwrap();
    let time = slot.to_zoned(jiff::tz::TimeZone::UTC);
    let pattern = format!("{} {} * * *", time.minute(), time.hour());
    let timer = |name: &str, event: &str, policy: &str| {
        format!(
            "[timers.{name}]\ncron = \"{pattern}\"\nzone = \"UTC\"\nevent = \"{event}\"\ncatch_up = \"{policy}\"\n"
        )
    };
    format!(
        r#"id = "daily"
version = 1
title = "Daily"
start = "running"
[data.calls]
type = "integer"
default = 0
[data.calls_all]
type = "integer"
default = 0
[data.calls_skipped]
type = "integer"
default = 0
[states.running]
on.call = {{ set = {{ calls = "data.calls + 1" }} }}
on.call_all = {{ set = {{ calls_all = "data.calls_all + 1" }} }}
on.call_skipped = {{ set = {{ calls_skipped = "data.calls_skipped + 1" }} }}
on.stop = "stopped"
[states.stopped]
terminal = true
[events.stop]
[events.call]
[events.call_all]
[events.call_skipped]
{}{}{}"#,
        timer("daily", "call", "once"),
        timer("daily_all", "call_all", "all"),
        timer("daily_skipped", "call_skipped", "skip"),
    )
}

/// Runs `serve` until the returned sender is used; answers its base URL.
async fn start_server(
    database: &str,
    workflows: &std::path::Path,
    clock_start: Option<jiff::Timestamp>,
) -> (
    String,
    tokio::sync::oneshot::Sender<()>,
    tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let options = ServeOptions {
        listen: listener.local_addr().unwrap(),
        database: database.to_owned(),
        workflows: workflows.to_path_buf(),
        settings: workflows.join("flowkeeper.toml"),
        manual_clock: clock_start.is_some(),
        clock_start,
        max_body: DEFAULT_MAX_BODY,
        admin_token: Some(TOKEN.to_owned()),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_with(options, listener, async {
        let _ = stopped.await;
    }));
    (base, stop, server)
}

async fn stop_server(
    stop: tokio::sync::oneshot::Sender<()>,
    server: tokio::task::JoinHandle<anyhow::Result<()>>,
) {
    stop.send(()).unwrap();
    let finished = tokio::time::timeout(Duration::from_secs(20), server).await;
    let result = finished.expect("serve stops").unwrap();
    assert!(result.is_ok(), "{result:?}");
}

/// The first server runs on a manual clock set three and a half days back
/// (a day slot, then three more until now: the last one six hours ago) and
/// creates the instance; it stops; the second runs on the system clock, as
/// a server restarted after downtime does, and its timer loop fires each
/// timer once: `once` once, `all` three times, `skip` not at all.
async fn a_server_stopped_across_three_daily_slots_fires_once_when_it_starts(backend: Backend) {
    let folder = tempfile::tempdir().unwrap();
    let workflows = folder.path().join("workflows");
    std::fs::create_dir(&workflows).unwrap();
    let now = jiff::Timestamp::now();
    std::fs::write(workflows.join("daily.toml"), daily_workflow(now)).unwrap();
    let database = backend.url(folder.path()).await;
    let six_hours_ago = now.as_millisecond() - 6 * 3_600_000;
    let latest_slot = six_hours_ago - six_hours_ago % 60_000;
    let first_missed = latest_slot - 2 * 86_400_000;
    let before = first_missed - 3_600_000;
    let start = jiff::Timestamp::from_millisecond(before).unwrap();

    let (base, stop, server) = start_server(&database, &workflows, Some(start)).await;
    let client = reqwest::Client::new();
    let created: Value = client
        .post(format!("{base}/v1/instances"))
        .bearer_auth(TOKEN)
        .json(&json!({"workflow": "daily", "key": "D-1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let id = created["id"].as_str().expect("created").to_owned();
    let slot = named(&created["timers"], "daily")["due_at"].clone();
    assert_eq!(
        slot,
        flowkeeper::api::wire::timestamp(first_missed),
        "{created}"
    );
    stop_server(stop, server).await;

    // Down across the slots of the next three days; started on the system clock.
    let (base, stop, server) = start_server(&database, &workflows, None).await;
    let mut instance = Value::Null;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        instance = client
            .get(format!("{base}/v1/instances/{id}"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        if instance["data"]["calls_all"] == 3 {
            break;
        }
    }
    assert_eq!(
        instance["data"],
        json!({"calls": 1, "calls_all": 3, "calls_skipped": 0}),
        "{instance}"
    );
    let next = flowkeeper::api::wire::timestamp(latest_slot + 86_400_000);
    for timer in ["daily", "daily_all", "daily_skipped"] {
        assert_eq!(named(&instance["timers"], timer)["due_at"], next.as_str());
    }
    let history: Value = client
        .get(format!("{base}/v1/instances/{id}/history"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let once: Vec<&Value> = history
        .as_array()
        .unwrap()
        .iter()
        .filter(|line| line["event"] == "call")
        .collect();
    assert_eq!(once.len(), 1, "{history}");
    let slot_text = jiff::Timestamp::from_millisecond(first_missed)
        .unwrap()
        .to_string();
    assert_eq!(once[0]["data"]["catch_up"]["slot"], slot_text.as_str());
    assert_eq!(once[0]["data"]["catch_up"]["policy"], "once");
    stop_server(stop, server).await;
}
