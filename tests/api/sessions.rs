//! Signing in and out (shared/spec/security.md): sessions as bearer tokens
//! and cookies, one answer for a wrong name or password, the lock-out after
//! 5 failures, and what the audit log keeps of it all.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};

use crate::helpers::{ADMIN, Backend, HOUR, TestApp, spawn};

on_both!(
    a_session_signs_in_works_like_a_token_and_signs_out,
    a_wrong_name_and_a_wrong_password_answer_alike,
    five_failures_lock_the_name_for_15_minutes_after_the_last,
    disabled_expired_and_service_accounts_cannot_sign_in,
    sessions_last_12_hours_of_real_time,
);

const MINUTE: i64 = 60_000;

/// An operator `li.wei` with password `tea4two`.
async fn with_person(backend: &Backend) -> TestApp {
    let app = spawn(backend).await;
    let created = app
        .post(
            "/v1/admin/accounts",
            json!({"name": "li.wei", "role": "operator", "teams": ["desk"], "password": "tea4two"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    app
}

async fn sign_in(app: &TestApp, name: &str, password: &str) -> crate::helpers::Answer {
    app.send(
        Method::POST,
        "/v1/sessions",
        None,
        Some(json!({"name": name, "password": password})),
    )
    .await
}

fn actions(app_audit: &Value) -> Vec<(String, String)> {
    app_audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| {
            (
                entry["action"].as_str().unwrap().to_owned(),
                entry["actor"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

async fn a_session_signs_in_works_like_a_token_and_signs_out(backend: Backend) {
    let app = with_person(&backend).await;
    let session = sign_in(&app, "li.wei", "tea4two").await;
    assert_eq!(session.status, StatusCode::CREATED, "{:?}", session.body);
    assert_eq!(session.body["account"]["name"], "li.wei");
    assert_eq!(session.body["expires_at"], "2026-10-01T20:00:00.000Z");
    let token = session.body["token"].as_str().unwrap().to_owned();
    let cookie = session.headers[header::SET_COOKIE]
        .to_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        cookie,
        format!("flowkeeper_session={token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200")
    );

    let me = app.send(Method::GET, "/v1/me", Some(&token), None).await;
    assert_eq!(me.body["name"], "li.wei");
    assert!(me.body["last_seen_at"].is_string());
    // The console sends the cookie instead of the header.
    let request = Request::get("/v1/me")
        .header(
            header::COOKIE,
            format!("theme=dark; flowkeeper_session={token}"),
        )
        .body(Body::empty())
        .unwrap();
    assert_eq!(app.raw(request).await.body["name"], "li.wei");

    let out = app
        .send(Method::DELETE, "/v1/sessions/current", Some(&token), None)
        .await;
    assert_eq!(out.status, StatusCode::NO_CONTENT);
    assert!(
        out.headers[header::SET_COOKIE]
            .to_str()
            .unwrap()
            .contains("Max-Age=0")
    );
    let after = app.send(Method::GET, "/v1/me", Some(&token), None).await;
    assert_eq!(after.status, StatusCode::UNAUTHORIZED);
    // An API token is not a session: nothing to sign out of.
    let api = app
        .send(Method::DELETE, "/v1/sessions/current", Some(ADMIN), None)
        .await;
    assert_eq!(api.status, StatusCode::NOT_FOUND);

    let audit = app.get("/v1/admin/audit?target=").await;
    assert_eq!(audit.status, StatusCode::OK);
    let sessions = app.get("/v1/admin/audit?actor=li.wei").await;
    assert_eq!(
        actions(&sessions.body),
        [
            ("session.create".to_owned(), "li.wei".to_owned()),
            ("session.delete".to_owned(), "li.wei".to_owned()),
        ]
    );
}

async fn a_wrong_name_and_a_wrong_password_answer_alike(backend: Backend) {
    let app = with_person(&backend).await;
    let wrong_password = sign_in(&app, "li.wei", "tea4three").await;
    let wrong_name = sign_in(&app, "li.wie", "tea4two").await;
    assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password.status, wrong_name.status);
    assert_eq!(wrong_password.body, wrong_name.body);
    assert_eq!(wrong_password.body["detail"], "wrong name or password");
    // Both are recorded, under the name that was tried.
    let failed = app.get("/v1/admin/audit?action=session.fail").await;
    let tried: Vec<&str> = failed.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["actor"].as_str().unwrap())
        .collect();
    assert_eq!(tried, ["li.wei", "li.wie"]);
}

async fn five_failures_lock_the_name_for_15_minutes_after_the_last(backend: Backend) {
    let app = with_person(&backend).await;
    for _ in 0..4 {
        assert_eq!(
            sign_in(&app, "li.wei", "nope12").await.status,
            StatusCode::UNAUTHORIZED
        );
        app.real_clock.advance(MINUTE);
    }
    // The fifth failure is still a plain 401; it locks the name.
    assert_eq!(
        sign_in(&app, "li.wei", "nope12").await.status,
        StatusCode::UNAUTHORIZED
    );
    let locked = sign_in(&app, "li.wei", "tea4two").await;
    assert_eq!(
        locked.status,
        StatusCode::TOO_MANY_REQUESTS,
        "{:?}",
        locked.body
    );
    assert_eq!(locked.problem(), "too-many-attempts");
    assert_eq!(locked.headers[header::RETRY_AFTER], "900");
    app.real_clock.advance(15 * MINUTE - 1_000);
    let still = sign_in(&app, "li.wei", "tea4two").await;
    assert_eq!(still.status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(still.headers[header::RETRY_AFTER], "1");
    // Other names are not locked; an unknown name locks the same way.
    assert_eq!(
        sign_in(&app, "admin", "whatever1").await.status,
        StatusCode::UNAUTHORIZED
    );
    app.real_clock.advance(1_000);
    let open = sign_in(&app, "li.wei", "tea4two").await;
    assert_eq!(open.status, StatusCode::CREATED, "{:?}", open.body);

    for _ in 0..5 {
        assert_eq!(
            sign_in(&app, "ghost", "nope12").await.status,
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        sign_in(&app, "ghost", "nope12").await.status,
        StatusCode::TOO_MANY_REQUESTS
    );

    let locks = app.get("/v1/admin/audit?action=session.lock").await;
    let locked: Vec<&str> = locks.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["actor"].as_str().unwrap())
        .collect();
    assert_eq!(locked, ["li.wei", "ghost"], "one lock entry per lock-out");
    let failures = app
        .get("/v1/admin/audit?action=session.fail&actor=li.wei")
        .await;
    assert_eq!(
        failures.body["items"].as_array().unwrap().len(),
        5,
        "locked attempts are not failures"
    );
}

async fn disabled_expired_and_service_accounts_cannot_sign_in(backend: Backend) {
    let app = with_person(&backend).await;
    let refused = sign_in(&app, "li.wei", "tea4three").await;
    for (name, body) in [
        (
            "temp",
            json!({"name": "temp", "role": "viewer", "password": "tea4two", "expires_at": "2026-10-01T09:00:00Z"}),
        ),
        (
            "gone",
            json!({"name": "gone", "role": "viewer", "password": "tea4two"}),
        ),
        ("svc", json!({"name": "svc", "role": "service"})),
    ] {
        assert_eq!(
            app.post("/v1/admin/accounts", body).await.status,
            StatusCode::CREATED,
            "{name}"
        );
    }
    let disabled = app
        .send(
            Method::PATCH,
            "/v1/admin/accounts/gone",
            Some(ADMIN),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(disabled.status, StatusCode::OK);
    assert_eq!(
        sign_in(&app, "temp", "tea4two").await.status,
        StatusCode::CREATED
    );
    app.real_clock.advance(HOUR);
    for name in ["temp", "gone", "svc"] {
        let answer = sign_in(&app, name, "tea4two").await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{name}");
        assert_eq!(
            answer.body, refused.body,
            "{name}: the same answer as a wrong password"
        );
    }
}

async fn sessions_last_12_hours_of_real_time(backend: Backend) {
    let app = with_person(&backend).await;
    let token = sign_in(&app, "li.wei", "tea4two").await.body["token"]
        .as_str()
        .unwrap()
        .to_owned();
    let me = || app.send(Method::GET, "/v1/me", Some(&token), None);
    app.real_clock.advance(12 * HOUR - 1);
    assert_eq!(me().await.status, StatusCode::OK);
    app.real_clock.advance(1);
    let expired = me().await;
    assert_eq!(expired.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        expired.body["detail"],
        "the session has ended or expired; sign in again"
    );
}
