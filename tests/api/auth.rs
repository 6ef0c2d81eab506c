//! Bearer tokens: 401 without or with a bad token, 403 (naming who may)
//! for an account that may not, and the account name recorded as the actor.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

use crate::helpers::{ADMIN, Backend, HOUR, spawn};

on_both!(
    no_or_bad_token_is_401_everywhere_but_health,
    roles_are_checked_per_route,
    another_role_is_refused_before_its_request_is_read,
    revoked_and_expired_tokens_stop_working,
    tokens_are_stored_only_as_hashes,
    a_cached_token_is_refused_on_the_next_request_once_revoked,
    a_cached_token_follows_its_account_at_once
);

async fn no_or_bad_token_is_401_everywhere_but_health(backend: Backend) {
    let app = spawn(&backend).await;
    for path in [
        "/v1/workflows",
        "/v1/instances",
        "/metrics",
        "/openapi.json",
        "/v1/admin/stuck",
    ] {
        let answer = app.send(Method::GET, path, None, None).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{path}");
        assert_eq!(answer.content_type(), "application/problem+json");
        let answer = app.send(Method::GET, path, Some("not-a-token"), None).await;
        assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{path}");
    }
    for path in ["/healthz", "/readyz"] {
        assert_eq!(
            app.send(Method::GET, path, None, None).await.status,
            StatusCode::OK,
            "{path}"
        );
    }
}

async fn roles_are_checked_per_route(backend: Backend) {
    let app = spawn(&backend).await;
    let viewer = app.account_token("vera", "viewer", &["desk"]).await;
    let desk = app.account_token("olga", "operator", &["desk"]).await;
    let network = app.account_token("nora", "operator", &["net"]).await;
    let vendor = app.account_token("acme", "vendor", &["net"]).await;
    let service = app.account_token("portal", "service", &[]).await;
    let create = |key: &str| json!({"workflow": "ticket", "key": key, "data": {"level": 1}});

    // Creating: services, and operators of the start state's role (`desk`).
    for token in [&viewer, &network, &vendor] {
        let answer = app
            .send(
                Method::POST,
                "/v1/instances",
                Some(token),
                Some(create("T-0")),
            )
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{:?}", answer.body);
        assert_eq!(answer.body["required"], json!(["admin", "service", "desk"]));
    }
    let by_desk = app
        .send(
            Method::POST,
            "/v1/instances",
            Some(&desk),
            Some(create("T-2")),
        )
        .await;
    assert_eq!(by_desk.status, StatusCode::CREATED, "{:?}", by_desk.body);
    let created = app
        .send(
            Method::POST,
            "/v1/instances",
            Some(&service),
            Some(create("T-1")),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let events = format!("/v1/instances/{id}/events");
    let post = |token: &str, body: serde_json::Value| {
        let token = token.to_owned();
        let events = events.clone();
        let app = &app;
        async move {
            app.send(Method::POST, &events, Some(&token), Some(body))
                .await
        }
    };

    // Posting: the team of the state the ticket is in.
    let answer = post(&viewer, json!({"event": "receive"})).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = post(&network, json!({"event": "receive"})).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    assert_eq!(answer.body["required"], json!(["admin", "service", "desk"]));
    assert_eq!(
        answer.body["detail"],
        "in state `new` team `desk` is responsible, which is not one of this account's teams"
    );
    let answer = post(&desk, json!({"event": "receive"})).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    let dispatch = json!({"event": "dispatch", "data": {"group": "net"}});
    let answer = post(&vendor, dispatch.clone()).await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN, "{:?}", answer.body);
    let answer = post(&desk, dispatch).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    // Dispatched to `net`: now the network team, vendors of it included.
    let answer = post(&desk, json!({"event": "accept"})).await;
    assert_eq!(answer.body["required"], json!(["admin", "service", "net"]));
    let answer = post(&vendor, json!({"event": "accept"})).await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);

    for token in [&viewer, &desk, &vendor, &service] {
        let read = app
            .send(
                Method::GET,
                &format!("/v1/instances/{id}"),
                Some(token),
                None,
            )
            .await;
        assert_eq!(read.status, StatusCode::OK);
        let admin = app
            .send(Method::GET, "/v1/admin/stuck", Some(token), None)
            .await;
        assert_eq!(admin.status, StatusCode::FORBIDDEN);
        assert_eq!(admin.body["required"], json!(["admin"]));
        let cancel = app
            .send(
                Method::POST,
                &format!("/v1/instances/{id}/cancel"),
                Some(token),
                Some(json!({"reason": "x"})),
            )
            .await;
        assert_eq!(cancel.status, StatusCode::FORBIDDEN);
    }

    let history = app.get(&format!("/v1/instances/{id}/history")).await;
    let actors: Vec<&str> = history
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|line| line["kind"] != "sla")
        .map(|line| line["actor"].as_str().unwrap())
        .collect();
    assert_eq!(actors, ["portal", "olga", "olga", "acme"]);
}

/// The role is the first thing an administration route checks: another
/// role gets 403 whatever its path, query or body, so that nothing of a
/// request it may not make is read (or answered on) first.
async fn another_role_is_refused_before_its_request_is_read(backend: Backend) {
    let app = spawn(&backend).await;
    let operator = app.account_token("olga", "operator", &["desk"]).await;
    let raw = |method: Method, path: &str, body: &'static str| {
        Request::builder()
            .method(method)
            .uri(path)
            .header(header::AUTHORIZATION, format!("Bearer {operator}"))
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body))
            .expect("a valid request")
    };
    for request in [
        raw(Method::POST, "/v1/admin/accounts", "{not json"),
        raw(Method::PATCH, "/v1/admin/accounts/olga", "[1, 2]"),
        raw(Method::GET, "/v1/admin/audit?limit=0&unknown=1", ""),
        raw(Method::POST, "/v1/instances/not-an-id/cancel", "{}"),
    ] {
        let path = request.uri().to_string();
        let answer = app.raw(request).await;
        assert_eq!(
            answer.status,
            StatusCode::FORBIDDEN,
            "{path}: {:?}",
            answer.body
        );
        assert_eq!(answer.body["required"], json!(["admin"]), "{path}");
    }
}

async fn revoked_and_expired_tokens_stop_working(backend: Backend) {
    let app = spawn(&backend).await;
    let issued = app
        .post(
            "/v1/admin/tokens",
            json!({"name": "temp", "role": "vendor", "expires_in": "1h", "approval": "ref 42"}),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED, "{:?}", issued.body);
    assert_eq!(issued.body["approved_by"], "admin");
    assert_eq!(issued.body["account"], "temp");
    let token = issued.body["token"].as_str().unwrap().to_owned();
    let workflows = || app.send(Method::GET, "/v1/workflows", Some(&token), None);
    assert_eq!(workflows().await.status, StatusCode::OK);
    // The manual clock moving does not expire anything: expiry is real time.
    app.advance("2h").await;
    assert_eq!(workflows().await.status, StatusCode::OK);
    app.real_clock.advance(HOUR);
    assert_eq!(workflows().await.status, StatusCode::UNAUTHORIZED);

    let other = app.token("short", "viewer").await;
    let listed = app.get("/v1/admin/tokens").await;
    let id = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["name"] == "short")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        listed
            .body
            .as_array()
            .unwrap()
            .iter()
            .all(|row| row.get("token").is_none() && row.get("hash").is_none())
    );
    let revoked = app.revoke_token(&id).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.send(Method::GET, "/v1/workflows", Some(&other), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let again = app.revoke_token(&id).await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

async fn tokens_are_stored_only_as_hashes(backend: Backend) {
    let app = spawn(&backend).await;
    let secret = app.token("hashed", "viewer").await;
    let rows = app.store.list_tokens(None).await.unwrap();
    let row = rows.iter().find(|row| row.name == "hashed").unwrap();
    assert_eq!(row.hash.len(), 64);
    assert_ne!(row.hash, secret);
    assert!(
        rows.iter()
            .all(|row| row.hash != secret && row.hash != crate::helpers::ADMIN)
    );
}

/// A token used before (so the server holds it in memory) is refused on
/// the very next request after its revocation.
async fn a_cached_token_is_refused_on_the_next_request_once_revoked(backend: Backend) {
    let app = spawn(&backend).await;
    let token = app.account_token("olga", "operator", &["desk"]).await;
    let workflows = || app.send(Method::GET, "/v1/workflows", Some(&token), None);
    for _ in 0..3 {
        assert_eq!(workflows().await.status, StatusCode::OK);
    }
    let listed = app.get("/v1/admin/tokens").await;
    let id = listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|row| row["account"] == "olga")
        .unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    let revoked = app.revoke_token(&id).await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    let answer = workflows().await;
    assert_eq!(answer.status, StatusCode::UNAUTHORIZED, "{:?}", answer.body);
}

/// A cached token has its account's rights as they are now: a role taken
/// away is refused at once, a disabled account's token is refused at once,
/// and enabling it again lets the token back in.
async fn a_cached_token_follows_its_account_at_once(backend: Backend) {
    let app = spawn(&backend).await;
    let token = app.account_token("vera", "admin", &[]).await;
    let stuck = || app.send(Method::GET, "/v1/admin/stuck", Some(&token), None);
    assert_eq!(stuck().await.status, StatusCode::OK);
    let change = |body: serde_json::Value| {
        app.send(
            Method::PATCH,
            "/v1/admin/accounts/vera",
            Some(ADMIN),
            Some(body),
        )
    };
    assert_eq!(
        change(json!({"role": "viewer"})).await.status,
        StatusCode::OK
    );
    assert_eq!(stuck().await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        change(json!({"disabled": true})).await.status,
        StatusCode::OK
    );
    let workflows = || app.send(Method::GET, "/v1/workflows", Some(&token), None);
    assert_eq!(workflows().await.status, StatusCode::UNAUTHORIZED);
    assert_eq!(
        change(json!({"disabled": false})).await.status,
        StatusCode::OK
    );
    assert_eq!(workflows().await.status, StatusCode::OK);
}
