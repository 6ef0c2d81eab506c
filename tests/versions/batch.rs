//! Batch operations: a thousand instances, a few refusals, a dry run.

use axum::http::StatusCode;
use flowkeeper::runtime::Target;
use serde_json::{Map, json};

use crate::helpers::{Backend, spawn};

on_both!(
    a_batch_over_a_thousand_reports_refusals_and_applies_the_rest,
    a_batch_needs_its_action_fields
);

async fn a_batch_over_a_thousand_reports_refusals_and_applies_the_rest(backend: Backend) {
    let app = spawn(&backend).await;
    let runtime = &app.runtime;
    let mut data = Map::new();
    data.insert("level".into(), json!(2));
    let mut early = Vec::new();
    for n in 0..1000 {
        let instance = runtime
            .create("ticket", &format!("T-{n}"), data.clone(), trusted(), None)
            .await
            .expect("created");
        // Five are received already: `receive` is refused for them.
        if n % 200 == 7 {
            runtime
                .post_event(
                    &Target::Id(instance.id),
                    "receive",
                    Map::new(),
                    trusted(),
                    None,
                )
                .await
                .expect("received");
            early.push(instance.id.to_string());
        }
    }
    let request = |dry_run: bool| {
        json!({
            "filter": {"workflow": "ticket"},
            "action": "event",
            "event": "receive",
            "reason": "morning sweep",
            "dry_run": dry_run,
        })
    };

    let dry = app.post("/v1/admin/batch", request(true)).await;
    assert_eq!(dry.status, StatusCode::OK, "{:?}", dry.body);
    assert_eq!(dry.body["matched"], 1000);
    assert_eq!(dry.body["done"], 0);
    assert_eq!(refused_ids(&dry.body), sorted(&early));
    let still_new = app
        .get("/v1/instances?workflow=ticket&state=new&limit=500")
        .await;
    assert_eq!(
        still_new.body["items"].as_array().map(Vec::len),
        Some(500),
        "a dry run changes nothing"
    );

    let real = app.post("/v1/admin/batch", request(false)).await;
    assert_eq!(real.status, StatusCode::OK, "{:?}", real.body);
    assert_eq!(real.body["matched"], 1000);
    assert_eq!(real.body["done"], 995);
    assert_eq!(refused_ids(&real.body), sorted(&early));
    let reason = real.body["refused"][0]["reason"].as_str().unwrap();
    assert!(reason.contains("not allowed"), "{reason}");
    let left = app.get("/v1/instances?workflow=ticket&state=new").await;
    assert_eq!(left.body["items"], json!([]));

    let cancel = app
        .post(
            "/v1/admin/batch",
            json!({"filter": {"workflow": "ticket", "key": "T-3"}, "action": "cancel", "reason": "duplicate"}),
        )
        .await;
    assert_eq!(cancel.body, json!({"matched": 1, "done": 1, "refused": []}));
}

async fn a_batch_needs_its_action_fields(backend: Backend) {
    let app = spawn(&backend).await;
    let answer = app
        .post("/v1/admin/batch", json!({"action": "move", "filter": {}}))
        .await;
    assert_eq!(
        answer.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{:?}",
        answer.body
    );
    assert_eq!(answer.problem(), "incomplete-action");
    assert!(answer.body["detail"].as_str().unwrap().contains("`to`"));
    let bad_status = app
        .post(
            "/v1/admin/batch",
            json!({"action": "cancel", "filter": {"status": "sleeping"}}),
        )
        .await;
    assert_eq!(
        bad_status.status,
        StatusCode::BAD_REQUEST,
        "{:?}",
        bad_status.body
    );
    let unknown = app
        .post("/v1/admin/batch", json!({"action": "explode"}))
        .await;
    assert!(unknown.status.is_client_error());
}

fn trusted() -> flowkeeper::runtime::Principal {
    flowkeeper::runtime::Principal::Trusted(flowkeeper::engine::Actor::Engine)
}

fn refused_ids(body: &serde_json::Value) -> Vec<String> {
    let ids: Vec<String> = body["refused"]
        .as_array()
        .unwrap()
        .iter()
        .map(|refused| refused["id"].as_str().unwrap().to_owned())
        .collect();
    sorted(&ids)
}

fn sorted(ids: &[String]) -> Vec<String> {
    let mut ids = ids.to_vec();
    ids.sort();
    ids
}
