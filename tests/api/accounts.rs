//! Accounts (shared/spec/security.md): the admin API, the rules it
//! enforces with their 4xx answers, tokens that belong to accounts, vendor
//! expiry and the emergency grace on the real clock.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};

use crate::helpers::{ADMIN, Backend, HOUR, spawn};

on_both!(
    me_is_the_callers_account,
    admins_create_list_read_and_change_accounts,
    account_rules_are_422_with_the_rule,
    tokens_belong_to_accounts_and_have_exactly_their_rights,
    vendor_expiry_is_judged_on_the_real_clock,
    emergency_accounts_without_approval_are_disabled_after_the_grace,
    an_overdue_emergency_account_is_refused_before_the_upkeep_disables_it,
    only_admins_manage_accounts,
);

async fn me_is_the_callers_account(backend: Backend) {
    let app = spawn(&backend).await;
    let me = app.get("/v1/me").await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["name"], "admin");
    assert_eq!(me.body["role"], "admin");
    assert_eq!(me.body["created_by"], "engine");
    let token = app.account_token("vera", "viewer", &["desk"]).await;
    let me = app.send(Method::GET, "/v1/me", Some(&token), None).await;
    assert_eq!(me.status, StatusCode::OK);
    assert_eq!(me.body["name"], "vera");
    assert_eq!(me.body["teams"], json!(["desk"]));
    assert_eq!(me.body["has_password"], false);
    assert!(me.body.get("password").is_none() && me.body.get("password_hash").is_none());
}

async fn admins_create_list_read_and_change_accounts(backend: Backend) {
    let app = spawn(&backend).await;
    let created = app
        .post(
            "/v1/admin/accounts",
            json!({"name": "li.wei", "role": "operator", "teams": ["bss"], "title": "李偉", "password": "tea4two"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    assert_eq!(created.body["has_password"], true);
    assert_eq!(created.body["created_by"], "admin");
    let again = app
        .post(
            "/v1/admin/accounts",
            json!({"name": "li.wei", "role": "viewer"}),
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert_eq!(again.problem(), "account-exists");

    let listed = app.get("/v1/admin/accounts").await;
    let names: Vec<&str> = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .map(|account| account["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["admin", "li.wei"]);
    assert_eq!(
        app.get("/v1/admin/accounts/li.wei").await.body["title"],
        "李偉"
    );
    assert_eq!(
        app.get("/v1/admin/accounts/nobody").await.status,
        StatusCode::NOT_FOUND
    );

    let changed = app
        .send(
            Method::PATCH,
            "/v1/admin/accounts/li.wei",
            Some(ADMIN),
            Some(json!({"teams": ["bss", "network"], "expires_at": "2026-12-31T00:00:00Z"})),
        )
        .await;
    assert_eq!(changed.status, StatusCode::OK, "{:?}", changed.body);
    assert_eq!(changed.body["teams"], json!(["bss", "network"]));
    assert_eq!(changed.body["expires_at"], "2026-12-31T00:00:00.000Z");
    let cleared = app
        .send(
            Method::PATCH,
            "/v1/admin/accounts/li.wei",
            Some(ADMIN),
            Some(json!({"expires_at": null, "disabled": true})),
        )
        .await;
    assert_eq!(cleared.body["expires_at"], Value::Null);
    assert_eq!(cleared.body["disabled_at"], "2026-10-01T08:00:00.000Z");

    let audit = app.get("/v1/admin/audit?target=account:li.wei").await;
    let entries: Vec<(&str, &Value)> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| (entry["action"].as_str().unwrap(), &entry["detail"]))
        .collect();
    assert_eq!(
        entries,
        [
            (
                "account.create",
                &json!({"role": "operator", "teams": ["bss"], "title": "李偉", "expires_at": null, "emergency": false})
            ),
            (
                "account.update",
                &json!({"fields": ["teams", "expires_at"]})
            ),
            (
                "account.disable",
                &json!({"fields": ["expires_at", "disabled"]})
            ),
        ]
    );
    assert!(
        audit.body["items"]
            .as_array()
            .unwrap()
            .iter()
            .all(|entry| entry["actor"] == "admin")
    );
}

async fn account_rules_are_422_with_the_rule(backend: Backend) {
    let app = spawn(&backend).await;
    let refused = |body: Value, rule: &'static str| {
        let app = &app;
        async move {
            let answer = app.post("/v1/admin/accounts", body.clone()).await;
            assert_eq!(
                answer.status,
                StatusCode::UNPROCESSABLE_ENTITY,
                "{body}: {:?}",
                answer.body
            );
            let detail = answer.body["detail"].as_str().unwrap().to_owned();
            assert!(detail.contains(rule), "{body}: {detail}");
        }
    };
    refused(
        json!({"name": "pat", "role": "operator", "password": "abcdef"}),
        "at least 6 characters, from at least two of the classes letters, digits and other characters",
    )
    .await;
    refused(
        json!({"name": "pat", "role": "operator", "password": "ab1"}),
        "has 3 characters",
    )
    .await;
    refused(
        json!({"name": "Pat", "role": "operator"}),
        "only lower-case letters",
    )
    .await;
    refused(json!({"name": "timer", "role": "operator"}), "system actor").await;
    refused(
        json!({"name": "ci", "role": "service", "password": "s3cret!"}),
        "no password",
    )
    .await;
    refused(
        json!({"name": "acme", "role": "vendor", "approval": "ref 1"}),
        "vendor account is temporary",
    )
    .await;
    refused(
        json!({"name": "acme", "role": "vendor", "approval": "ref 1", "expires_at": "2026-10-08T08:00:00.001Z"}),
        "lasts at most 7d",
    )
    .await;
    refused(
        json!({"name": "acme", "role": "vendor", "expires_at": "2026-10-02T08:00:00Z"}),
        "needs an `approval`",
    )
    .await;
    // Nothing of the refused requests was created.
    assert_eq!(
        app.get("/v1/admin/accounts")
            .await
            .body
            .as_array()
            .unwrap()
            .len(),
        1
    );

    let vendor = app
        .post(
            "/v1/admin/accounts",
            json!({"name": "acme", "role": "vendor", "approval": "ref 1", "expires_at": "2026-10-08T08:00:00Z"}),
        )
        .await;
    assert_eq!(vendor.status, StatusCode::CREATED, "{:?}", vendor.body);
    let admin = app
        .send(
            Method::PATCH,
            "/v1/admin/accounts/acme",
            Some(ADMIN),
            Some(json!({"role": "admin"})),
        )
        .await;
    assert_eq!(admin.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        admin.body["detail"],
        "a vendor account can never become admin"
    );
    let via_token = app
        .post(
            "/v1/admin/tokens",
            json!({"name": "root", "role": "admin", "account": "acme"}),
        )
        .await;
    assert_eq!(via_token.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        via_token.body["detail"],
        "a vendor account can never become admin"
    );
}

async fn tokens_belong_to_accounts_and_have_exactly_their_rights(backend: Backend) {
    let app = spawn(&backend).await;
    let created = app
        .post(
            "/v1/admin/accounts",
            json!({"name": "crm", "role": "service"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let issued = app
        .post(
            "/v1/admin/accounts/crm/tokens",
            json!({"name": "nightly", "expires_in": "30d"}),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{:?}", issued.body);
    assert_eq!(issued.body["account"], "crm");
    assert_eq!(issued.body["name"], "nightly");
    assert_eq!(issued.body["role"], "service");
    let token = issued.body["token"].as_str().unwrap().to_owned();

    // Another role than the account's: refused.
    let other = app
        .post(
            "/v1/admin/tokens",
            json!({"name": "x", "role": "admin", "account": "crm"}),
        )
        .await;
    assert_eq!(other.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The old endpoint creates the account it names.
    let legacy = app
        .post(
            "/v1/admin/tokens",
            json!({"name": "portal", "role": "service"}),
        )
        .await;
    assert_eq!(legacy.status, StatusCode::CREATED);
    assert_eq!(
        app.get("/v1/admin/accounts/portal").await.body["role"],
        "service"
    );
    let listed = app.get("/v1/admin/tokens?account=crm").await;
    assert_eq!(listed.body.as_array().unwrap().len(), 1);

    // The account's rights are the token's, as they are now.
    let me = || app.send(Method::GET, "/v1/me", Some(&token), None);
    assert_eq!(me().await.status, StatusCode::OK);
    let disabled = app
        .send(
            Method::PATCH,
            "/v1/admin/accounts/crm",
            Some(ADMIN),
            Some(json!({"disabled": true})),
        )
        .await;
    assert_eq!(disabled.status, StatusCode::OK);
    let refused = me().await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED);
    assert_eq!(refused.body["detail"], "the account is disabled or expired");
    let no_token = app
        .post("/v1/admin/accounts/crm/tokens", json!({"name": "again"}))
        .await;
    assert_eq!(no_token.status, StatusCode::UNPROCESSABLE_ENTITY);

    let audit = app.get("/v1/admin/audit?action=token.issue").await;
    let accounts: Vec<&str> = audit.body["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|entry| entry["detail"]["account"].as_str().unwrap())
        .collect();
    assert_eq!(accounts, ["admin", "crm", "portal"]);
}

async fn vendor_expiry_is_judged_on_the_real_clock(backend: Backend) {
    let app = spawn(&backend).await;
    let token = app.account_token("acme", "vendor", &["net"]).await;
    let me = || app.send(Method::GET, "/v1/me", Some(&token), None);
    assert_eq!(me().await.status, StatusCode::OK);
    // The manual clock moving three days ends nothing.
    assert_eq!(app.advance("3d").await.status, StatusCode::OK);
    assert_eq!(me().await.status, StatusCode::OK);
    // A day of real time does: the account expires at 2026-10-02T08:00Z.
    app.real_clock.advance(24 * HOUR - 1);
    assert_eq!(me().await.status, StatusCode::OK);
    app.real_clock.advance(1);
    assert_eq!(me().await.status, StatusCode::UNAUTHORIZED);
}

async fn emergency_accounts_without_approval_are_disabled_after_the_grace(backend: Backend) {
    let app = spawn(&backend).await;
    for name in ["night-fix", "approved-fix"] {
        let created = app
            .post(
                "/v1/admin/accounts",
                json!({"name": name, "role": "vendor", "emergency": true, "expires_at": "2026-10-03T08:00:00Z"}),
            )
            .await;
        assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
        assert_eq!(created.body["emergency"], true);
    }
    app.real_clock.advance(20 * HOUR);
    let approved = app
        .send(
            Method::PATCH,
            "/v1/admin/accounts/approved-fix",
            Some(ADMIN),
            Some(json!({"approval": "confirmed in writing by Zhang, ref SYS-7"})),
        )
        .await;
    assert_eq!(approved.status, StatusCode::OK);
    app.real_clock.advance(4 * HOUR - 1);
    assert!(
        app.runtime
            .disable_overdue_accounts()
            .await
            .unwrap()
            .is_empty()
    );
    app.real_clock.advance(1);
    let disabled = app.runtime.disable_overdue_accounts().await.unwrap();
    let disabled: Vec<&str> = disabled.iter().map(|name| name.as_str()).collect();
    assert_eq!(disabled, ["night-fix"]);
    let night = app.get("/v1/admin/accounts/night-fix").await;
    assert_eq!(night.body["disabled_at"], "2026-10-02T08:00:00.000Z");
    assert_eq!(
        app.get("/v1/admin/accounts/approved-fix").await.body["disabled_at"],
        Value::Null
    );
    let audit = app.get("/v1/admin/audit?action=account.disable").await;
    let entry = &audit.body["items"][0];
    assert_eq!(entry["actor"], "engine");
    assert_eq!(entry["target"], "account:night-fix");
    // Done once: a second round finds nothing left to disable.
    assert!(
        app.runtime
            .disable_overdue_accounts()
            .await
            .unwrap()
            .is_empty()
    );
}

async fn an_overdue_emergency_account_is_refused_before_the_upkeep_disables_it(backend: Backend) {
    let app = spawn(&backend).await;
    let created = app
        .post(
            "/v1/admin/accounts",
            json!({"name": "night-fix", "role": "vendor", "emergency": true,
                   "expires_at": "2026-10-03T08:00:00Z"}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    let issued = app
        .post(
            "/v1/admin/accounts/night-fix/tokens",
            json!({"name": "laptop"}),
        )
        .await;
    let token = issued.body["token"].as_str().unwrap().to_owned();
    let me = || app.send(Method::GET, "/v1/me", Some(&token), None);
    app.real_clock.advance(24 * HOUR - 1);
    assert_eq!(me().await.status, StatusCode::OK);
    app.real_clock.advance(1);
    // The grace is over; no upkeep round has run yet.
    assert_eq!(me().await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        app.get("/v1/admin/accounts/night-fix").await.body["disabled_at"],
        Value::Null
    );
}

async fn only_admins_manage_accounts(backend: Backend) {
    let app = spawn(&backend).await;
    let operator = app.account_token("olga", "operator", &["desk"]).await;
    for (method, path, body) in [
        (Method::GET, "/v1/admin/accounts", None),
        (Method::GET, "/v1/admin/accounts/olga", None),
        (
            Method::POST,
            "/v1/admin/accounts",
            Some(json!({"name": "evil", "role": "admin"})),
        ),
        (
            Method::PATCH,
            "/v1/admin/accounts/olga",
            Some(json!({"role": "admin"})),
        ),
        (
            Method::POST,
            "/v1/admin/accounts/olga/tokens",
            Some(json!({"name": "more"})),
        ),
        (Method::GET, "/v1/admin/audit", None),
        (Method::GET, "/v1/admin/security-report", None),
    ] {
        let answer = app.send(method.clone(), path, Some(&operator), body).await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{method} {path}");
        assert_eq!(answer.body["required"], json!(["admin"]));
    }
    assert_eq!(
        app.get("/v1/admin/accounts/olga").await.body["role"],
        "operator"
    );
}
