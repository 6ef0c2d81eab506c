//! The accounts page's forms (`/ui/accounts`): creating an account,
//! changing its teams, disabling and enabling it, issuing a token (shown
//! once) and revoking it. Each goes through the runtime like
//! `/v1/admin/accounts` (same rules, same audit entry, the admin as actor);
//! bad input shows its message in the page and changes nothing; a form
//! without the CSRF token, or from someone not an admin, is refused.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{Backend, TestApp, spawn};
use crate::user::{PASSWORD, Page, User, person, sign_in_form};

on_both!(
    accounts_are_created_regrouped_disabled_and_enabled,
    a_token_is_shown_once_works_and_is_revoked,
    bad_input_shows_a_message_and_changes_nothing,
    account_forms_need_the_csrf_token_and_an_admin,
);

/// A form's fields, as name/value pairs.
type Form<'a> = Vec<(&'a str, &'a str)>;

async fn account(app: &TestApp, name: &str) -> Value {
    let answer = app.get(&format!("/v1/admin/accounts/{name}")).await;
    assert_eq!(answer.status, StatusCode::OK, "{name}: {:?}", answer.body);
    answer.body
}

/// Everything the forms could change: the accounts and the tokens.
async fn everything(app: &TestApp) -> (Value, Value) {
    (
        app.get("/v1/admin/accounts").await.body,
        app.get("/v1/admin/tokens").await.body,
    )
}

/// The audit entries with `action` whose actor is `actor`.
async fn audited(app: &TestApp, actor: &str, action: &str) -> usize {
    let audit = app
        .get(&format!("/v1/admin/audit?actor={actor}&action={action}"))
        .await;
    assert_eq!(audit.status, StatusCode::OK, "{:?}", audit.body);
    audit.body["items"].as_array().unwrap().len()
}

/// The `data-<attribute>="…"` value right after `marker` in the page.
fn attribute_after(page: &Page, marker: &str, attribute: &str) -> String {
    let start = page
        .html
        .find(marker)
        .unwrap_or_else(|| panic!("no `{marker}` in {}", page.html));
    let prefix = format!(r#"{attribute}=""#);
    let rest = &page.html[start..];
    let at = rest.find(&prefix).expect("the attribute") + prefix.len();
    rest[at..at + rest[at..].find('"').unwrap()].to_owned()
}

async fn accounts_are_created_regrouped_disabled_and_enabled(backend: Backend) {
    let app = spawn(&backend).await;
    person(&app, "ada", "admin", &[]).await;
    let ada = User::sign_in(&app, "ada").await;
    let page = ada.get("/ui/accounts").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.html.contains(r#"data-action="create""#));
    let csrf = page.csrf();

    let created = ada
        .post(
            "/ui/accounts",
            &[
                ("_csrf", &csrf),
                ("name", "mei"),
                ("role", "operator"),
                ("title", "Mei Lin"),
                ("teams", "service_desk, network"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::OK, "{}", created.html);
    assert!(created.html.contains(r#"role="status""#));
    assert!(created.html.contains(r#"data-account="mei""#));
    let mei = account(&app, "mei").await;
    assert_eq!(mei["role"], "operator");
    assert_eq!(mei["title"], "Mei Lin");
    assert_eq!(mei["teams"], json!(["service_desk", "network"]));
    assert_eq!(mei["created_by"], "ada");
    assert_eq!(audited(&app, "ada", "account.create").await, 1);
    // The password given works at the sign-in form.
    User::sign_in(&app, "mei").await;

    let regrouped = ada
        .post(
            "/ui/accounts/mei",
            &[("_csrf", &csrf), ("teams", "hardware")],
        )
        .await;
    assert_eq!(regrouped.status, StatusCode::OK, "{}", regrouped.html);
    assert_eq!(account(&app, "mei").await["teams"], json!(["hardware"]));

    let disabled = ada
        .post(
            "/ui/accounts/mei",
            &[("_csrf", &csrf), ("disabled", "true")],
        )
        .await;
    assert_eq!(disabled.status, StatusCode::OK, "{}", disabled.html);
    assert!(account(&app, "mei").await["disabled_at"].is_string());
    assert_eq!(audited(&app, "ada", "account.disable").await, 1);
    let refused = sign_in_form(&app, "mei", PASSWORD).await;
    assert_ne!(refused.status, StatusCode::SEE_OTHER, "a disabled account");
    assert!(refused.html.contains(r#"role="alert""#));
    // Its row now offers to enable it again.
    let row = &disabled.html[disabled.html.find(r#"data-account="mei""#).unwrap()..];
    assert!(row.contains(r#"name="disabled" value="false""#));

    let enabled = ada
        .post(
            "/ui/accounts/mei",
            &[("_csrf", &csrf), ("disabled", "false")],
        )
        .await;
    assert_eq!(enabled.status, StatusCode::OK, "{}", enabled.html);
    assert!(account(&app, "mei").await["disabled_at"].is_null());
    User::sign_in(&app, "mei").await;
}

async fn a_token_is_shown_once_works_and_is_revoked(backend: Backend) {
    let app = spawn(&backend).await;
    person(&app, "ada", "admin", &[]).await;
    let created = app
        .post(
            "/v1/admin/accounts",
            json!({"name": "ci-bot", "role": "service"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let ada = User::sign_in(&app, "ada").await;
    let csrf = ada.get("/ui/accounts").await.csrf();

    let issued = ada
        .post(
            "/ui/accounts/ci-bot/tokens",
            &[("_csrf", &csrf), ("name", "deploy"), ("expires_in", "30d")],
        )
        .await;
    assert_eq!(issued.status, StatusCode::OK, "{}", issued.html);
    let start = issued.html.find("<code data-token>").expect("the secret") + 17;
    let secret = issued.html[start..start + issued.html[start..].find('<').unwrap()].to_owned();
    let listing = app
        .send(Method::GET, "/v1/instances", Some(&secret), None)
        .await;
    assert_eq!(listing.status, StatusCode::OK, "the token works");
    assert_eq!(audited(&app, "ada", "token.issue").await, 1);
    // Listed under its account, with a form to revoke it; the secret is
    // not shown again.
    let page = ada.get("/ui/accounts").await;
    assert!(!page.html.contains(&secret), "shown once");
    let row = &page.html[page.html.find(r#"data-account="ci-bot""#).unwrap()..];
    assert!(row.contains("<code>deploy</code>"));
    let token_id = attribute_after(&page, r#"data-account="ci-bot""#, "data-token-id");

    // Another account's path does not revoke it.
    let elsewhere = ada
        .post(
            &format!("/ui/accounts/ada/tokens/{token_id}/revoke"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(
        elsewhere.status,
        StatusCode::NOT_FOUND,
        "{}",
        elsewhere.html
    );
    assert!(elsewhere.html.contains(r#"role="alert""#));
    let still = app
        .send(Method::GET, "/v1/instances", Some(&secret), None)
        .await;
    assert_eq!(still.status, StatusCode::OK);

    let revoked = ada
        .post(
            &format!("/ui/accounts/ci-bot/tokens/{token_id}/revoke"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.html);
    assert!(revoked.html.contains(r#"role="status""#));
    assert!(
        !revoked
            .html
            .contains(&format!(r#"data-token-id="{token_id}""#))
    );
    let refused = app
        .send(Method::GET, "/v1/instances", Some(&secret), None)
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(audited(&app, "ada", "token.revoke").await, 1);

    // Revoking it again: not a live token any more.
    let again = ada
        .post(
            &format!("/ui/accounts/ci-bot/tokens/{token_id}/revoke"),
            &[("_csrf", &csrf)],
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND, "{}", again.html);
    assert!(again.html.contains(r#"role="alert""#));
    assert_eq!(audited(&app, "ada", "token.revoke").await, 1);
}

async fn bad_input_shows_a_message_and_changes_nothing(backend: Backend) {
    let app = spawn(&backend).await;
    person(&app, "ada", "admin", &[]).await;
    let ada = User::sign_in(&app, "ada").await;
    let csrf = ada.get("/ui/accounts").await.csrf();
    let before = everything(&app).await;
    let audit_before = app.get("/v1/admin/audit").await.body["items"]
        .as_array()
        .unwrap()
        .len();

    let cases: Vec<(&str, Form, StatusCode)> = vec![
        (
            "/ui/accounts",
            vec![("name", "Not A Name"), ("role", "operator")],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/ui/accounts",
            vec![("name", "eve"), ("role", "superuser")],
            StatusCode::BAD_REQUEST,
        ),
        (
            "/ui/accounts",
            vec![("name", "ada"), ("role", "operator")],
            StatusCode::CONFLICT,
        ),
        (
            "/ui/accounts",
            vec![("name", "eve"), ("role", "operator"), ("password", "short")],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/ui/accounts",
            vec![("name", "vic"), ("role", "vendor"), ("password", PASSWORD)],
            StatusCode::UNPROCESSABLE_ENTITY,
        ),
        (
            "/ui/accounts",
            vec![("name", "eve"), ("expires_at", "next tuesday")],
            StatusCode::BAD_REQUEST,
        ),
        (
            "/ui/accounts/nobody",
            vec![("teams", "network")],
            StatusCode::NOT_FOUND,
        ),
        (
            "/ui/accounts/nobody/tokens",
            vec![("name", "deploy")],
            StatusCode::NOT_FOUND,
        ),
        (
            "/ui/accounts/ada/tokens",
            vec![("name", "deploy"), ("expires_in", "soon")],
            StatusCode::BAD_REQUEST,
        ),
        (
            "/ui/accounts/ada/tokens/not-a-token/revoke",
            vec![],
            StatusCode::NOT_FOUND,
        ),
    ];
    for (path, fields, status) in cases {
        let mut form = vec![("_csrf", csrf.as_str())];
        form.extend(fields.iter().copied());
        let page = ada.post(path, &form).await;
        assert_eq!(page.status, status, "{path} {fields:?}: {}", page.html);
        assert!(
            page.html.contains(r#"role="alert""#),
            "{path} {fields:?}: the message is in the page"
        );
        // The page is the accounts page again, to correct and resend.
        assert!(page.html.contains(r#"data-action="create""#));
        assert_eq!(
            everything(&app).await,
            before,
            "{path} {fields:?} changed something"
        );
    }
    let audit_after = app.get("/v1/admin/audit").await.body["items"]
        .as_array()
        .unwrap()
        .len();
    assert_eq!(audit_after, audit_before, "no audit entry for a refusal");
}

async fn account_forms_need_the_csrf_token_and_an_admin(backend: Backend) {
    let app = spawn(&backend).await;
    person(&app, "ada", "admin", &[]).await;
    person(&app, "mei", "operator", &["service_desk"]).await;
    let issued = app
        .post("/v1/admin/accounts/mei/tokens", json!({"name": "laptop"}))
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{:?}", issued.body);
    let token_id = issued.body["id"]
        .as_str()
        .expect("the token's id")
        .to_owned();

    let forms: Vec<(String, Form)> = vec![
        (
            "/ui/accounts".to_owned(),
            vec![("name", "eve"), ("role", "admin"), ("password", PASSWORD)],
        ),
        ("/ui/accounts/mei".to_owned(), vec![("teams", "network")]),
        ("/ui/accounts/mei".to_owned(), vec![("disabled", "true")]),
        (
            "/ui/accounts/mei/tokens".to_owned(),
            vec![("name", "stolen")],
        ),
        (format!("/ui/accounts/mei/tokens/{token_id}/revoke"), vec![]),
    ];
    let ada = User::sign_in(&app, "ada").await;
    let mei = User::sign_in(&app, "mei").await;
    let mei_csrf = mei.get("/ui/").await.csrf();
    ada.get("/ui/").await;
    let before = everything(&app).await;
    for (path, fields) in &forms {
        // An admin's browser tricked into posting: no token, or a wrong one.
        for csrf in [None, Some("0".repeat(64))] {
            let mut form = fields.clone();
            if let Some(csrf) = &csrf {
                form.push(("_csrf", csrf));
            }
            let page = ada.post(path, &form).await;
            assert_eq!(page.status, StatusCode::FORBIDDEN, "{path} csrf {csrf:?}");
            assert!(page.html.contains(r#"role="alert""#));
        }
        // An operator with a valid token of her own session.
        let mut form = fields.clone();
        form.push(("_csrf", &mei_csrf));
        let page = mei.post(path, &form).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{path} as an operator");
        assert!(page.html.contains(r#"role="alert""#));
        assert!(
            !page.html.contains(r#"data-action="create""#),
            "no accounts shown"
        );
    }
    assert_eq!(everything(&app).await, before, "nothing changed");
    assert_eq!(account(&app, "mei").await["teams"], json!(["service_desk"]));
}
