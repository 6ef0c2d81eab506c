//! `GET /v1/assessment` over the shipped `service_desk` and `assessment.toml`.

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, Options, TestApp, spawn, spawn_with};

on_both!(
    a_month_of_one_ticket_is_scored_per_role,
    a_bad_period_is_400_and_a_missing_configuration_404
);

/// Posts `event` to the service desk ticket `key`; panics unless 200.
async fn ticket_event(app: &TestApp, key: &str, event: &str, data: Value) {
    let answer = app
        .post(
            &format!("/v1/workflows/service_desk/instances/{key}/events"),
            json!({"event": event, "data": data}),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{event}: {:?}", answer.body);
}

fn indicator<'a>(report: &'a Value, role: &str, id: &str) -> &'a Value {
    let role = report["roles"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["role"] == role)
        .unwrap_or_else(|| panic!("role {role} in {report}"));
    role["indicators"]
        .as_array()
        .unwrap()
        .iter()
        .find(|entry| entry["id"] == id)
        .unwrap_or_else(|| panic!("{id} for {role}"))
}

async fn a_month_of_one_ticket_is_scored_per_role(backend: Backend) {
    let app = spawn_with(
        &backend,
        Options {
            shipped_workflows: true,
            ..Options::default()
        },
    )
    .await;
    let created = app
        .post(
            "/v1/instances",
            json!({"workflow": "service_desk", "key": "T-1",
                   "data": {"level": 2, "summary": "mail is down"}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    // Received at once (response met), handled by `bss` within its 4 h
    // (handling met), closed satisfied at the first attempt; a complaint.
    ticket_event(&app, "T-1", "receive", json!({})).await;
    ticket_event(&app, "T-1", "dispatch", json!({"group": "bss"})).await;
    ticket_event(&app, "T-1", "accept", json!({})).await;
    app.advance("1h").await;
    ticket_event(&app, "T-1", "resolve", json!({"solution": "restarted"})).await;
    ticket_event(&app, "T-1", "complain", json!({"text": "slow"})).await;
    ticket_event(&app, "T-1", "confirm", json!({"satisfied": true})).await;

    let answer = app.get("/v1/assessment?month=2026-10").await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    let report = &answer.body;
    assert_eq!(report["from"], "2026-10-01T00:00:00.000Z");
    assert_eq!(report["to"], "2026-11-01T00:00:00.000Z");

    let first_time = indicator(report, "service_desk", "first_time_resolution");
    assert_eq!(
        (
            first_time["numerator"].as_u64(),
            first_time["denominator"].as_u64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(first_time["points"], 10);
    // One complaint on one ticket: 100 %, the heaviest deduction.
    assert_eq!(
        indicator(report, "service_desk", "complaint_rate")["points"],
        -3
    );
    assert_eq!(
        indicator(report, "service_desk", "timely_response")["points"],
        5
    );
    // No reply was recorded, so the reply clock has no outcome: no data.
    let reply = indicator(report, "service_desk", "timely_reply");
    assert_eq!(
        (reply["rate"].clone(), reply["points"].clone()),
        (Value::Null, Value::Null)
    );
    assert_eq!(indicator(report, "bss", "timely_handling")["points"], 20);
    assert_eq!(indicator(report, "bss", "hang_rate")["points"], 0);
    let total = |role: &str| {
        report["roles"]
            .as_array()
            .unwrap()
            .iter()
            .find(|entry| entry["role"] == role)
            .map(|entry| entry["total"].clone())
    };
    // 10 + 5 − 3 + 0 (escalated complaints), reply left out.
    assert_eq!(total("service_desk"), Some(json!(12)));
    assert_eq!(total("bss"), Some(json!(20)));

    let only_bss = app.get("/v1/assessment?month=2026-10&role=bss").await;
    assert_eq!(only_bss.body["roles"].as_array().unwrap().len(), 1);
}

async fn a_bad_period_is_400_and_a_missing_configuration_404(backend: Backend) {
    let shipped = spawn_with(
        &backend,
        Options {
            shipped_workflows: true,
            ..Options::default()
        },
    )
    .await;
    for query in [
        "",
        "?month=2026-13",
        "?month=2026-10&year=2026",
        "?from=2026-10-05&to=2026-10-01",
        "?week=3",
    ] {
        let answer = shipped.get(&format!("/v1/assessment{query}")).await;
        assert_eq!(
            answer.status,
            StatusCode::BAD_REQUEST,
            "{query}: {:?}",
            answer.body
        );
        assert_eq!(answer.content_type(), "application/problem+json");
    }
    let without = spawn(&backend).await;
    let answer = without.get("/v1/assessment?month=2026-10").await;
    assert_eq!(answer.status, StatusCode::NOT_FOUND);
    assert!(
        answer.body["detail"]
            .as_str()
            .unwrap()
            .contains("assessment.toml")
    );
}
