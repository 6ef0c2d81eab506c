//! The overview's cards say what an administrator needs at a glance: here,
//! whether database writes work (as `/readyz` judges it) and when one last
//! committed, and the stuck count against the stuck list.

use axum::http::StatusCode;
use flowkeeper::store::{self, testing};
use serde_json::json;

use crate::helpers::{Backend, TestApp, spawn};
use crate::user::{Page, User, person};

on_both!(
    the_writes_card_shows_failing_writes_and_the_last_one_that_worked,
    the_stuck_count_is_the_length_of_the_stuck_list,
);

/// Makes every write fail, or lifts that: SQLite refuses writes as a file
/// system remounted read-only; PostgreSQL's commits fail as on a full disk.
async fn refuse_writes(app: &TestApp, refuse: bool) {
    match app.store.backend() {
        store::Backend::Sqlite => testing::refuse_sqlite_writes(&app.store, refuse).await,
        store::Backend::Postgres => testing::fail_commits(&app.store, refuse).await,
    }
    .expect("the fault is set");
}

/// The value of `data-<name>="…"` in the page.
fn data(page: &Page, name: &str) -> String {
    let prefix = format!(r#"data-{name}=""#);
    let start = page
        .html
        .find(&prefix)
        .unwrap_or_else(|| panic!("no data-{name} in {}", page.html))
        + prefix.len();
    page.html[start..start + page.html[start..].find('"').unwrap()].to_owned()
}

/// When the newest audit entry was written, as the API reports it.
async fn newest_audit_at(app: &TestApp) -> i64 {
    let audit = app.get("/v1/admin/audit").await;
    let items = audit.body["items"].as_array().unwrap();
    items
        .iter()
        .map(|entry| {
            entry["at"]
                .as_str()
                .unwrap()
                .parse::<jiff::Timestamp>()
                .unwrap()
                .as_millisecond()
        })
        .max()
        .expect("an audit entry")
}

async fn the_writes_card_shows_failing_writes_and_the_last_one_that_worked(backend: Backend) {
    let app = spawn(&backend).await;
    person(&app, "ada", "admin", &[]).await;
    let ada = User::sign_in(&app, "ada").await;
    let id = app.create("W-1").await["id"].as_str().unwrap().to_owned();

    let working = ada.get("/ui/").await;
    assert_eq!(working.status, StatusCode::OK);
    assert_eq!(data(&working, "writes"), "ok");
    let last = newest_audit_at(&app).await;
    assert_eq!(data(&working, "last-write"), last.to_string());

    refuse_writes(&app, true).await;
    let refused = app.event(&id, "receive", json!({})).await;
    assert_eq!(
        refused.status,
        StatusCode::SERVICE_UNAVAILABLE,
        "{:?}",
        refused.body
    );
    let failing = ada.get("/ui/").await;
    assert_eq!(failing.status, StatusCode::OK, "{}", failing.html);
    let expected = match app.store.backend() {
        store::Backend::Sqlite => "unavailable",
        store::Backend::Postgres => "full",
    };
    assert_eq!(data(&failing, "writes"), expected);
    assert!(failing.html.contains("stat bad"), "shown as trouble");
    // The last write that worked is still the one before the fault.
    assert_eq!(data(&failing, "last-write"), last.to_string());

    refuse_writes(&app, false).await;
    let received = app.event(&id, "receive", json!({})).await;
    assert_eq!(received.status, StatusCode::OK, "{:?}", received.body);
    let back = ada.get("/ui/").await;
    assert_eq!(data(&back, "writes"), "ok");
    assert_eq!(
        data(&back, "last-write"),
        newest_audit_at(&app).await.to_string(),
        "the event's write"
    );
}

async fn the_stuck_count_is_the_length_of_the_stuck_list(backend: Backend) {
    let app = spawn(&backend).await;
    person(&app, "ada", "admin", &[]).await;
    for key in ["K-1", "K-2", "K-3", "K-4"] {
        let id = app.create(key).await["id"].as_str().unwrap().to_owned();
        if key != "K-4" {
            let received = app.event(&id, "receive", json!({})).await;
            assert_eq!(received.status, StatusCode::OK);
        }
    }
    app.advance("2d").await;
    let ada = User::sign_in(&app, "ada").await;
    let listed = app.get("/v1/admin/stuck").await.body;
    let listed = listed.as_array().unwrap();
    assert!(!listed.is_empty(), "something is stuck two days on");
    let overview = ada.get("/ui/").await;
    assert_eq!(data(&overview, "stuck"), listed.len().to_string());
    let stuck = ada.get("/ui/stuck").await;
    assert_eq!(data(&stuck, "total"), listed.len().to_string());
    for entry in listed {
        let id = entry["instance"]["id"].as_str().unwrap();
        assert!(stuck.html.contains(&format!(r#"data-instance="{id}""#)));
    }
}
