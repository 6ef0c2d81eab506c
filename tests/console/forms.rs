//! Working instances through the console's forms: events, refusals, CSRF,
//! admin actions and the stuck list's bulk actions all go through the
//! runtime like the API (same checks, history actor, audit entry).

use axum::http::StatusCode;
use serde_json::{Value, json};

use crate::helpers::{Backend, Options, TestApp, spawn, spawn_with};
use crate::user::{User, person, ticket};

on_both!(
    an_event_posted_through_its_form_moves_the_instance_as_the_account,
    a_refused_event_shows_why_and_changes_nothing,
    forms_without_the_csrf_token_are_refused,
    admin_actions_cancel_and_move_with_a_reason,
    stuck_instances_are_retried_or_cancelled_in_bulk,
);

async fn shipped(backend: &Backend) -> TestApp {
    spawn_with(
        backend,
        Options {
            shipped_workflows: true,
            ..Options::default()
        },
    )
    .await
}

async fn instance(app: &TestApp, id: &str) -> Value {
    app.get(&format!("/v1/instances/{id}")).await.body
}

async fn history(app: &TestApp, id: &str) -> Vec<Value> {
    app.get(&format!("/v1/instances/{id}/history"))
        .await
        .body
        .as_array()
        .unwrap()
        .clone()
}

async fn an_event_posted_through_its_form_moves_the_instance_as_the_account(backend: Backend) {
    let app = shipped(&backend).await;
    person(&app, "mei", "operator", &["service_desk"]).await;
    let id = ticket(&app, "T-10", "郵件收不到").await;
    let mei = User::sign_in(&app, "mei").await;
    let page = mei.get(&format!("/ui/instances/{id}")).await;
    let event_id = page.value_after(r#"data-event="receive""#, "_event_id");
    let form = [("_csrf", page.csrf()), ("_event_id", event_id)];
    let form: Vec<(&str, &str)> = form
        .iter()
        .map(|(name, value)| (*name, value.as_str()))
        .collect();
    let posted = mei
        .post(&format!("/ui/instances/{id}/events/receive"), &form)
        .await;
    assert_eq!(posted.status, StatusCode::SEE_OTHER, "{}", posted.html);
    assert_eq!(posted.location, Some(format!("/ui/instances/{id}")));
    assert_eq!(instance(&app, &id).await["state"], "received");
    let lines = history(&app, &id).await;
    assert!(
        lines
            .iter()
            .any(|line| line["event"] == "receive" && line["actor"] == "mei"),
        "{lines:?}"
    );
    // Sending the same form again (a double click) applies nothing more.
    let again = mei
        .post(&format!("/ui/instances/{id}/events/receive"), &form)
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    assert_eq!(history(&app, &id).await.len(), lines.len());

    // The highlight moved, and the typed field of the next event is there.
    let page = mei.get(&format!("/ui/instances/{id}")).await;
    assert!(
        page.html
            .contains(r#"<g class="state current" data-state="received">"#),
        "{}",
        page.html
    );
    assert!(page.html.contains(r#"name="group" required"#));
    let csrf = page.csrf();
    let dispatched = mei
        .post(
            &format!("/ui/instances/{id}/events/dispatch"),
            &[("_csrf", &csrf), ("group", "network")],
        )
        .await;
    assert_eq!(
        dispatched.status,
        StatusCode::SEE_OTHER,
        "{}",
        dispatched.html
    );
    let now = instance(&app, &id).await;
    assert_eq!(now["state"], "dispatched");
    assert_eq!(now["data"]["group"], "network");
    // The audit log names the account for the change.
    let audit = app.get("/v1/admin/audit?actor=mei").await;
    assert!(
        audit.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|entry| entry["action"] == "session.create")
    );
}

async fn a_refused_event_shows_why_and_changes_nothing(backend: Backend) {
    let app = shipped(&backend).await;
    person(&app, "ada", "admin", &[]).await;
    let id = ticket(&app, "T-11", "磁碟滿了").await;
    let admin = User::sign_in(&app, "ada").await;
    let csrf = admin.get(&format!("/ui/instances/{id}")).await.csrf();
    let before = history(&app, &id).await.len();

    let refused = admin
        .post(
            &format!("/ui/instances/{id}/events/confirm"),
            &[("_csrf", &csrf), ("satisfied", "true")],
        )
        .await;
    assert_eq!(refused.status, StatusCode::CONFLICT, "{}", refused.html);
    assert!(refused.html.contains(r#"role="alert""#));
    assert!(
        refused.html.contains("<code>receive</code>"),
        "the allowed events are listed"
    );
    assert_eq!(
        history(&app, &id).await.len(),
        before,
        "the refusal changed nothing"
    );

    // A required field left empty: the runtime's message, nothing changed.
    admin
        .post(
            &format!("/ui/instances/{id}/events/receive"),
            &[("_csrf", &csrf)],
        )
        .await;
    let before = history(&app, &id).await.len();
    let missing = admin
        .post(
            &format!("/ui/instances/{id}/events/dispatch"),
            &[("_csrf", &csrf), ("group", "")],
        )
        .await;
    assert_eq!(
        missing.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        missing.html
    );
    assert!(missing.html.contains("group"), "{}", missing.html);
    // A value of the wrong type is named before anything is sent.
    let typed = admin
        .post(
            &format!("/ui/instances/{id}/events/note"),
            &[("_csrf", &csrf), ("text", "ok")],
        )
        .await;
    assert_eq!(typed.status, StatusCode::SEE_OTHER);
    let lines = history(&app, &id).await;
    assert_eq!(lines.len(), before + 1, "only the note was recorded");
    assert_eq!(instance(&app, &id).await["state"], "received");
}

async fn forms_without_the_csrf_token_are_refused(backend: Backend) {
    let app = shipped(&backend).await;
    person(&app, "ada", "admin", &[]).await;
    let id = ticket(&app, "T-12", "網路慢").await;
    let admin = User::sign_in(&app, "ada").await;
    let before = history(&app, &id).await.len();
    for (path, form) in [
        (format!("/ui/instances/{id}/events/receive"), vec![]),
        (
            format!("/ui/instances/{id}/events/receive"),
            vec![("_csrf", "0".repeat(64))],
        ),
        (
            format!("/ui/instances/{id}/cancel"),
            vec![("reason", "x".to_owned())],
        ),
        (
            "/ui/stuck".to_owned(),
            vec![("action", "cancel".to_owned()), ("instance", id.clone())],
        ),
    ] {
        let form: Vec<(&str, &str)> = form
            .iter()
            .map(|(name, value)| (*name, value.as_str()))
            .collect();
        let page = admin.post(&path, &form).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path}");
        assert!(page.html.contains(r#"role="alert""#));
    }
    assert_eq!(history(&app, &id).await.len(), before);
    assert_eq!(instance(&app, &id).await["status"], "active");
}

async fn admin_actions_cancel_and_move_with_a_reason(backend: Backend) {
    let app = shipped(&backend).await;
    person(&app, "ada", "admin", &[]).await;
    let moved = ticket(&app, "T-13", "螢幕閃爍").await;
    let cancelled = ticket(&app, "T-14", "重複的工單").await;
    let admin = User::sign_in(&app, "ada").await;
    let csrf = admin.get("/ui/").await.csrf();

    let page = admin
        .post(
            &format!("/ui/instances/{moved}/move"),
            &[
                ("_csrf", &csrf),
                ("to", "handling"),
                ("reason", "already triaged"),
            ],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
    assert_eq!(instance(&app, &moved).await["state"], "handling");
    let bad = admin
        .post(
            &format!("/ui/instances/{moved}/move"),
            &[("_csrf", &csrf), ("to", "nowhere"), ("reason", "x")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.html.contains(r#"role="alert""#));

    let page = admin
        .post(
            &format!("/ui/instances/{cancelled}/cancel"),
            &[("_csrf", &csrf), ("reason", "duplicate of T-13")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(instance(&app, &cancelled).await["status"], "cancelled");
    let lines = history(&app, &cancelled).await;
    assert_eq!(lines.last().unwrap()["actor"], "ada");
    let audit = app
        .get(&format!("/v1/admin/audit?target=instance:{cancelled}"))
        .await;
    let entries = audit.body["items"].as_array().unwrap();
    assert!(
        entries
            .iter()
            .any(|entry| entry["actor"] == "ada" && entry["action"] == "instance.cancel"),
        "{entries:?}"
    );
    // An ended instance offers no cancel or move.
    let page = admin.get(&format!("/ui/instances/{cancelled}")).await;
    assert!(!page.html.contains(r#"data-action="cancel""#));
    assert!(page.html.contains(r#"<g class="state current"#));
}

async fn stuck_instances_are_retried_or_cancelled_in_bulk(backend: Backend) {
    let app = spawn(&backend).await;
    person(&app, "ada", "admin", &[]).await;
    let mut ids = Vec::new();
    for key in ["S-1", "S-2", "S-3"] {
        let id = app.create(key).await["id"].as_str().unwrap().to_owned();
        assert_eq!(
            app.event(&id, "receive", json!({})).await.status,
            StatusCode::OK
        );
        ids.push(id);
    }
    app.advance("2d").await;
    let admin = User::sign_in(&app, "ada").await;
    let page = admin.get("/ui/stuck").await;
    assert_eq!(page.status, StatusCode::OK);
    for id in &ids {
        assert!(
            page.html.contains(&format!(r#"data-instance="{id}""#)),
            "{id} listed"
        );
    }
    let csrf = page.csrf();

    let nothing = admin
        .post("/ui/stuck", &[("_csrf", &csrf), ("action", "retry")])
        .await;
    assert_eq!(nothing.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(nothing.html.contains(r#"role="alert""#));
    let no_reason = admin
        .post(
            "/ui/stuck",
            &[
                ("_csrf", &csrf),
                ("action", "cancel"),
                ("instance", &ids[0]),
            ],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(instance(&app, &ids[0]).await["status"], "active");

    let retried = admin
        .post(
            "/ui/stuck",
            &[("_csrf", &csrf), ("action", "retry"), ("instance", &ids[2])],
        )
        .await;
    assert_eq!(retried.status, StatusCode::OK, "{}", retried.html);
    assert!(retried.html.contains(r#"role="status""#));

    let done = admin
        .post(
            "/ui/stuck",
            &[
                ("_csrf", &csrf),
                ("action", "cancel"),
                ("reason", "customer gone"),
                ("instance", &ids[0]),
                ("instance", &ids[1]),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::OK, "{}", done.html);
    for id in &ids[..2] {
        assert_eq!(instance(&app, id).await["status"], "cancelled");
        assert!(
            !done.html.contains(&format!(r#"data-instance="{id}""#)),
            "{id} left the list"
        );
        assert_eq!(history(&app, id).await.last().unwrap()["actor"], "ada");
    }
    assert!(
        done.html
            .contains(&format!(r#"data-instance="{}""#, ids[2]))
    );
}
