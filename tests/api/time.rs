//! Time through the API, on the shipped workflows and their calendars: due
//! instants in UTC and in the zone they follow, and the manual clock's
//! `jump` (downtime: recurring timers catch up once) beside `advance`
//! (every slot at its own time).

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, Options, TestApp, spawn_with};

on_both!(
    due_instants_are_shown_in_utc_and_in_the_calendars_zone,
    a_jump_fires_a_recurring_timer_once_and_an_advance_fires_every_slot,
    the_clock_takes_exactly_one_of_advance_set_and_jump
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
    assert_eq!(dispatch["zone"], "UTC", "the configured zone of assessment.toml");
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
    assert_eq!(fired[0]["at"], "2026-10-31T08:00:00.000Z", "the real instant");
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
