//! Bearer tokens: 401 without or with a bad token, 403 for a role that may
//! not, and the token name recorded as the actor.

use axum::http::{Method, StatusCode};
use serde_json::json;

use crate::helpers::{ADMIN, Backend, spawn};

on_both!(
    no_or_bad_token_is_401_everywhere_but_health,
    roles_are_checked_per_route,
    revoked_and_expired_tokens_stop_working,
    tokens_are_stored_only_as_hashes
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
    let viewer = app.token("vera", "viewer").await;
    let operator = app.token("olga", "operator").await;
    let vendor = app.token("acme", "vendor").await;
    let service = app.token("portal", "service").await;
    let create = json!({"workflow": "ticket", "key": "T-1", "data": {"level": 1}});

    for token in [&viewer, &operator, &vendor] {
        let answer = app
            .send(
                Method::POST,
                "/v1/instances",
                Some(token),
                Some(create.clone()),
            )
            .await;
        assert_eq!(answer.status, StatusCode::FORBIDDEN, "{:?}", answer.body);
    }
    let created = app
        .send(Method::POST, "/v1/instances", Some(&service), Some(create))
        .await;
    assert_eq!(created.status, StatusCode::CREATED);
    let id = created.body["id"].as_str().unwrap().to_owned();
    let events = format!("/v1/instances/{id}/events");

    let answer = app
        .send(
            Method::POST,
            &events,
            Some(&viewer),
            Some(json!({"event": "receive"})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::FORBIDDEN);
    let answer = app
        .send(
            Method::POST,
            &events,
            Some(&operator),
            Some(json!({"event": "receive"})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    let answer = app
        .send(
            Method::POST,
            &events,
            Some(&vendor),
            Some(json!({"event": "dispatch", "data": {"group": "net"}})),
        )
        .await;
    assert_eq!(answer.status, StatusCode::OK, "{:?}", answer.body);
    for token in [&viewer, &operator, &vendor, &service] {
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
        .map(|line| line["actor"].as_str().unwrap())
        .collect();
    assert_eq!(&actors[..3], ["portal", "olga", "acme"]);
}

async fn revoked_and_expired_tokens_stop_working(backend: Backend) {
    let app = spawn(&backend).await;
    let issued = app
        .post(
            "/v1/admin/tokens",
            json!({"name": "temp", "role": "vendor", "expires_in": "1h"}),
        )
        .await;
    assert_eq!(issued.status, StatusCode::CREATED);
    assert_eq!(issued.body["approved_by"], "root");
    let token = issued.body["token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.send(Method::GET, "/v1/workflows", Some(&token), None)
            .await
            .status,
        StatusCode::OK
    );
    app.advance("2h").await;
    assert_eq!(
        app.send(Method::GET, "/v1/workflows", Some(&token), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );

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
    let revoked = app
        .send(
            Method::DELETE,
            &format!("/v1/admin/tokens/{id}"),
            Some(ADMIN),
            None,
        )
        .await;
    assert_eq!(revoked.status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.send(Method::GET, "/v1/workflows", Some(&other), None)
            .await
            .status,
        StatusCode::UNAUTHORIZED
    );
    let again = app
        .send(
            Method::DELETE,
            &format!("/v1/admin/tokens/{id}"),
            Some(ADMIN),
            None,
        )
        .await;
    assert_eq!(again.status, StatusCode::NOT_FOUND);
}

async fn tokens_are_stored_only_as_hashes(backend: Backend) {
    let app = spawn(&backend).await;
    let secret = app.token("hashed", "viewer").await;
    let rows = app.store.list_tokens().await.unwrap();
    let row = rows.iter().find(|row| row.name == "hashed").unwrap();
    assert_eq!(row.hash.len(), 64);
    assert_ne!(row.hash, secret);
    assert!(
        rows.iter()
            .all(|row| row.hash != secret && row.hash != crate::helpers::ADMIN)
    );
}
