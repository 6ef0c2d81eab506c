//! The audit log through the API (shared/spec/security.md): every change
//! of the list with its account, in order, filtered and paged; refusals
//! leave nothing; the chain is verified and a tampered entry is named; the
//! weekly report in its three formats.

use axum::http::{Method, StatusCode};
use flowkeeper::store::testing;
use serde_json::{Value, json};

use crate::helpers::{ADMIN, Backend, Options, TestApp, spawn, spawn_with};

on_both!(
    every_change_is_audited_with_its_account,
    the_log_filters_and_pages,
    refused_requests_change_and_record_nothing,
    the_chain_is_append_only_and_names_a_tampered_entry,
    the_weekly_report_in_three_formats,
    shipped_service_desk_authorization,
);

fn entries(answer: &Value) -> Vec<(String, String, String)> {
    answer["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            let text = |key: &str| entry[key].as_str().unwrap().to_owned();
            (text("actor"), text("action"), text("target"))
        })
        .collect()
}

async fn all_entries(app: &TestApp) -> Vec<(String, String, String)> {
    entries(&app.get("/v1/admin/audit?limit=500").await.body)
}

async fn every_change_is_audited_with_its_account(backend: Backend) {
    let app = spawn(&backend).await;
    let desk = app.account_token("olga", "operator", &["desk"]).await;
    let created = app
        .send(
            Method::POST,
            "/v1/instances",
            Some(&desk),
            Some(json!({"workflow": "ticket", "key": "A-1", "data": {"level": 1}})),
        )
        .await;
    let id = created.body["id"].as_str().unwrap().to_owned();
    let instance = format!("instance:{id}");
    let posted = app
        .send(
            Method::POST,
            &format!("/v1/instances/{id}/events"),
            Some(&desk),
            Some(json!({"event": "receive", "id": "ev-1"})),
        )
        .await;
    assert_eq!(posted.status, StatusCode::OK);
    let moved = app
        .post(
            &format!("/v1/instances/{id}/move"),
            json!({"to": "new", "reason": "again"}),
        )
        .await;
    assert_eq!(moved.status, StatusCode::OK);
    assert_eq!(
        app.post(&format!("/v1/instances/{id}/retry"), json!({}))
            .await
            .status,
        StatusCode::OK
    );
    let cancelled = app
        .post(
            &format!("/v1/instances/{id}/cancel"),
            json!({"reason": "duplicate"}),
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::OK);
    assert_eq!(
        app.post("/v1/admin/reload", json!({})).await.status,
        StatusCode::OK
    );
    assert_eq!(app.advance("1h").await.status, StatusCode::OK);

    let log = all_entries(&app).await;
    let expect = |actor: &str, action: &str, target: &str| {
        (actor.to_owned(), action.to_owned(), target.to_owned())
    };
    let tail = &log[log.len() - 7..];
    assert_eq!(
        tail,
        [
            expect("olga", "instance.create", &instance),
            expect("olga", "instance.event", &instance),
            expect("admin", "instance.move", &instance),
            expect("admin", "instance.retry", &instance),
            expect("admin", "instance.cancel", &instance),
            expect("admin", "workflows.reload", "workflows"),
            expect("admin", "clock.move", "clock"),
        ]
    );
    // The account's creation and its token came first, after the bootstrap.
    assert_eq!(
        &log[..4],
        [
            expect("engine", "account.create", "account:admin"),
            (
                "engine".to_owned(),
                "token.issue".to_owned(),
                log[1].2.clone()
            ),
            expect("admin", "account.create", "account:olga"),
            (
                "admin".to_owned(),
                "token.issue".to_owned(),
                log[3].2.clone()
            ),
        ]
    );
    let page = app.get(&format!("/v1/admin/audit?target={instance}")).await;
    let event = &page.body["items"][1];
    assert_eq!(
        event["detail"],
        json!({"workflow": "ticket", "key": "A-1", "event": "receive", "from": "new", "state": "received", "event_id": "ev-1"})
    );
    assert_eq!(event["at"], "2026-10-01T08:00:00.000Z");
    assert_eq!(event["hash"].as_str().unwrap().len(), 64);
    let clock = app.get("/v1/admin/audit?action=clock.move").await;
    assert_eq!(
        clock.body["items"][0]["detail"],
        json!({"from": "2026-10-01T08:00:00.000Z", "to": "2026-10-01T09:00:00.000Z", "jump": false})
    );
}

async fn the_log_filters_and_pages(backend: Backend) {
    let app = spawn(&backend).await;
    for n in 0..5 {
        app.create(&format!("P-{n}")).await;
    }
    let first = app
        .get("/v1/admin/audit?action=instance.create&limit=2")
        .await;
    assert_eq!(first.status, StatusCode::OK);
    let cursor = first.body["next_cursor"].as_str().unwrap().to_owned();
    let second = app
        .get(&format!(
            "/v1/admin/audit?action=instance.create&limit=2&cursor={cursor}"
        ))
        .await;
    let third_cursor = second.body["next_cursor"].as_str().unwrap().to_owned();
    let third = app
        .get(&format!(
            "/v1/admin/audit?action=instance.create&limit=2&cursor={third_cursor}"
        ))
        .await;
    assert_eq!(third.body["next_cursor"], Value::Null);
    let seqs: Vec<i64> = [&first, &second, &third]
        .iter()
        .flat_map(|page| page.body["items"].as_array().unwrap().clone())
        .map(|entry| entry["seq"].as_i64().unwrap())
        .collect();
    assert_eq!(seqs.len(), 5);
    assert!(
        seqs.windows(2).all(|pair| pair[0] < pair[1]),
        "oldest first: {seqs:?}"
    );
    let window = app
        .get("/v1/admin/audit?from=2026-10-01T08:00:00Z&to=2026-10-01T08:00:00.001Z&actor=admin")
        .await;
    assert_eq!(window.body["items"].as_array().unwrap().len(), 5);
    let later = app
        .get("/v1/admin/audit?from=2026-10-01T08:00:00.001Z")
        .await;
    assert!(later.body["items"].as_array().unwrap().is_empty());
    for bad in [
        "/v1/admin/audit?limit=0",
        "/v1/admin/audit?limit=501",
        "/v1/admin/audit?cursor=zzz",
        "/v1/admin/audit?from=yesterday",
        "/v1/admin/audit?sort=desc",
    ] {
        let answer = app.get(bad).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

async fn refused_requests_change_and_record_nothing(backend: Backend) {
    let app = spawn(&backend).await;
    let ticket = app.create("R-1").await;
    let id = ticket["id"].as_str().unwrap();
    let viewer = app.account_token("vera", "viewer", &["desk"]).await;
    let before = all_entries(&app).await.len();
    let history = app.get(&format!("/v1/instances/{id}/history")).await;
    let refused = app
        .send(
            Method::POST,
            &format!("/v1/instances/{id}/events"),
            Some(&viewer),
            Some(json!({"event": "receive"})),
        )
        .await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN);
    assert_eq!(
        refused.body["required"],
        json!(["admin", "service", "desk"])
    );
    let not_allowed = app.event(id, "accept", json!({})).await;
    assert_eq!(not_allowed.status, StatusCode::CONFLICT);
    let bad_data = app
        .post(
            "/v1/instances",
            json!({"workflow": "ticket", "key": "R-2", "data": {"level": 9}}),
        )
        .await;
    assert_eq!(bad_data.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(all_entries(&app).await.len(), before);
    assert_eq!(
        app.get(&format!("/v1/instances/{id}/history")).await.body,
        history.body
    );
    assert_eq!(
        app.get(&format!("/v1/instances/{id}")).await.body["state"],
        "new"
    );
}

async fn the_chain_is_append_only_and_names_a_tampered_entry(backend: Backend) {
    let app = spawn(&backend).await;
    for n in 0..3 {
        app.create(&format!("C-{n}")).await;
    }
    let report = || app.get("/v1/admin/security-report?week=2026-W40");
    let intact = report().await;
    assert_eq!(intact.status, StatusCode::OK, "{:?}", intact.body);
    assert_eq!(intact.body["audit_chain"]["ok"], true);
    assert_eq!(intact.body["audit_chain"]["first_bad_seq"], Value::Null);

    for refused in testing::try_rewrite_audit(&app.store, 3).await {
        let error = refused.expect_err("the audit log is append-only");
        assert!(error.to_string().contains("append-only"), "{error}");
    }
    testing::tamper_audit_actor(&app.store, 3, "someone-else")
        .await
        .unwrap();
    let tampered = report().await;
    assert_eq!(tampered.body["audit_chain"]["ok"], false);
    assert_eq!(tampered.body["audit_chain"]["first_bad_seq"], 3);
    let check = app.runtime.verify_audit().await.unwrap();
    assert_eq!((check.ok, check.first_bad_seq), (false, Some(3)));
}

async fn the_weekly_report_in_three_formats(backend: Backend) {
    let app = spawn(&backend).await;
    let created = app
        .post(
            "/v1/admin/accounts",
            json!({"name": "li.wei", "role": "operator", "password": "tea4two"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    for _ in 0..2 {
        let failed = app
            .send(
                Method::POST,
                "/v1/sessions",
                None,
                Some(json!({"name": "li.wei", "password": "wrong1"})),
            )
            .await;
        assert_eq!(failed.status, StatusCode::UNAUTHORIZED);
    }
    // 2026-10-01 is in ISO week 40.
    let json = app.get("/v1/admin/security-report?week=2026-W40").await;
    assert_eq!(json.status, StatusCode::OK, "{:?}", json.body);
    assert_eq!(json.body["week"], "2026-W40");
    assert_eq!(json.body["from"], "2026-09-28T00:00:00.000Z");
    assert_eq!(
        json.body["failed_sign_ins"],
        json!([{"account": "li.wei", "remote_addr": null, "count": 2}])
    );
    assert_eq!(json.body["accounts_created"][1]["account"], "li.wei");
    let csv = app
        .get("/v1/admin/security-report?week=2026-W40&format=csv")
        .await;
    assert!(csv.content_type().starts_with("text/csv"));
    let text = csv.body.as_str().unwrap();
    assert!(
        text.contains("2026-W40,failed_sign_ins,li.wei,,,,,,,2,,\n"),
        "{text}"
    );
    let table = app
        .get("/v1/admin/security-report?week=2026-W40&format=table")
        .await;
    assert!(table.content_type().starts_with("text/plain"));
    assert!(
        table
            .body
            .as_str()
            .unwrap()
            .contains("Failed sign-ins: 1\n")
    );
    let empty = app.get("/v1/admin/security-report?week=2026-W39").await;
    assert_eq!(empty.body["failed_sign_ins"], json!([]));
    for bad in [
        "week=2026-48",
        "week=2025-W53",
        "format=xml",
        "weeks=2026-W40",
    ] {
        let answer = app.get(&format!("/v1/admin/security-report?{bad}")).await;
        assert_eq!(answer.status, StatusCode::BAD_REQUEST, "{bad}");
    }
}

/// The shipped `service_desk`: complaints are the manager's, cancelling is
/// the desk's, and an ended ticket takes only complaints and notes.
async fn shipped_service_desk_authorization(backend: Backend) {
    let app = spawn_with(
        &backend,
        Options {
            shipped_workflows: true,
            ..Options::default()
        },
    )
    .await;
    let desk = app
        .account_token("olga", "operator", &["service_desk"])
        .await;
    let post = |token: &str, id: &str, event: &str, data: Value| {
        let (app, token, id, event) = (&app, token.to_owned(), id.to_owned(), event.to_owned());
        async move {
            app.send(
                Method::POST,
                &format!("/v1/instances/{id}/events"),
                Some(&token),
                Some(json!({"event": event, "data": data})),
            )
            .await
        }
    };
    let ticket = app
        .send(
            Method::POST,
            "/v1/instances",
            Some(&desk),
            Some(json!({"workflow": "service_desk", "key": "SD-1", "data": {"level": 2, "summary": "mail down"}})),
        )
        .await;
    assert_eq!(ticket.status, StatusCode::CREATED, "{:?}", ticket.body);
    let id = ticket.body["id"].as_str().unwrap().to_owned();
    let complain = post(&desk, &id, "complain", json!({"text": "rude"})).await;
    assert_eq!(complain.status, StatusCode::FORBIDDEN);
    assert_eq!(complain.body["required"], json!(["admin"]));
    assert_eq!(
        post(ADMIN, &id, "complain", json!({"text": "rude"}))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        post(&desk, &id, "cancel", json!({"reason": "dup"}))
            .await
            .status,
        StatusCode::OK
    );
    // Ended: notes and complaints still record; nothing else is accepted.
    assert_eq!(
        post(ADMIN, &id, "note", json!({"text": "merged"}))
            .await
            .status,
        StatusCode::OK
    );
    assert_eq!(
        post(ADMIN, &id, "complain", json!({"text": "late"}))
            .await
            .status,
        StatusCode::OK
    );
    let escalated = post(ADMIN, &id, "escalated_complaint", json!({"text": "boss"})).await;
    assert_eq!(escalated.status, StatusCode::CONFLICT);
    assert_eq!(escalated.problem(), "instance-ended");
    let view = app.get(&format!("/v1/instances/{id}")).await;
    assert_eq!(view.body["state"], "cancelled");
}
