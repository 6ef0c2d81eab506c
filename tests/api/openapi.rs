//! The OpenAPI document: valid 3.1, and it describes exactly the router.

use axum::http::{Method, StatusCode};
use serde_json::Value;

use crate::helpers::{Backend, spawn};

/// Every endpoint of the contract (shared/spec/api.md), as method and path.
const CONTRACT: [(&str, &str); 33] = [
    ("get", "/v1/workflows"),
    ("get", "/v1/workflows/{id}"),
    ("get", "/v1/workflows/{id}/graph"),
    ("post", "/v1/instances"),
    ("get", "/v1/instances"),
    ("get", "/v1/instances/{id}"),
    ("get", "/v1/workflows/{workflow}/instances/{key}"),
    ("post", "/v1/instances/{id}/events"),
    ("post", "/v1/workflows/{workflow}/instances/{key}/events"),
    ("get", "/v1/instances/{id}/history"),
    ("get", "/v1/admin/stuck"),
    ("post", "/v1/instances/{id}/cancel"),
    ("post", "/v1/instances/{id}/move"),
    ("post", "/v1/instances/{id}/retry"),
    ("post", "/v1/admin/reload"),
    ("get", "/v1/admin/clock"),
    ("post", "/v1/admin/clock"),
    ("get", "/v1/assessment"),
    ("get", "/healthz"),
    ("get", "/readyz"),
    ("get", "/metrics"),
    ("get", "/openapi.json"),
    ("get", "/v1/admin/tokens"),
    // shared/spec/security.md
    ("post", "/v1/sessions"),
    ("delete", "/v1/sessions/current"),
    ("get", "/v1/me"),
    ("get", "/v1/admin/accounts"),
    ("post", "/v1/admin/accounts"),
    ("get", "/v1/admin/accounts/{name}"),
    ("patch", "/v1/admin/accounts/{name}"),
    ("post", "/v1/admin/accounts/{name}/tokens"),
    ("get", "/v1/admin/audit"),
    ("get", "/v1/admin/security-report"),
];

/// The document is built from the router alone, whatever the store: these
/// tests run once, on SQLite.
async fn document() -> (crate::helpers::TestApp, Value) {
    let app = spawn(&Backend::Sqlite).await;
    let answer = app.get("/openapi.json").await;
    assert_eq!(answer.status, StatusCode::OK);
    (app, answer.body)
}

#[tokio::test]
async fn the_document_is_openapi_3_1_and_every_operation_has_responses() {
    let (_, document) = document().await;
    assert!(
        document["openapi"].as_str().unwrap().starts_with("3.1."),
        "{}",
        document["openapi"]
    );
    assert!(document["info"]["title"].is_string());
    let paths = document["paths"].as_object().unwrap();
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object();
            assert!(
                responses.is_some_and(|responses| !responses.is_empty()),
                "{method} {path}"
            );
        }
    }
    assert_eq!(
        document["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    assert!(
        document["components"]["schemas"]["InstanceView"]["properties"]["allowed_events"]
            .is_object()
    );
}

#[tokio::test]
async fn every_contract_endpoint_is_documented() {
    let (_, document) = document().await;
    for (method, path) in CONTRACT {
        assert!(
            document["paths"][path][method].is_object(),
            "{method} {path} is not documented"
        );
    }
}

#[tokio::test]
async fn every_documented_operation_is_routed() {
    let (app, document) = document().await;
    let paths = document["paths"].as_object().unwrap();
    for (path, item) in paths {
        let concrete = path
            .replace("{id}", "0195f0e0-0000-7000-8000-000000000000")
            .replace("{workflow}", "ticket")
            .replace("{key}", "K")
            .replace("{name}", "someone");
        for method in item.as_object().unwrap().keys() {
            let method: Method = method.to_uppercase().parse().unwrap();
            // Without a token a routed endpoint answers 401 (or 200 for the
            // health checks, 415 for signing in without a JSON body); an
            // unrouted one would answer 404 or 405.
            let answer = app.send(method.clone(), &concrete, None, None).await;
            let needs_no_token = path == "/v1/sessions";
            assert!(
                matches!(answer.status, StatusCode::UNAUTHORIZED | StatusCode::OK)
                    || needs_no_token && answer.status == StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "{method} {path}: {}",
                answer.status
            );
        }
    }
}

#[tokio::test]
async fn path_parameters_are_exactly_those_of_the_path_template() {
    let (_, document) = document().await;
    for (path, item) in document["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            let parameters = operation["parameters"]
                .as_array()
                .cloned()
                .unwrap_or_default();
            for parameter in parameters {
                let name = parameter["name"].as_str().unwrap();
                let in_template = path.contains(&format!("{{{name}}}"));
                assert_eq!(
                    parameter["in"] == "path",
                    in_template,
                    "{method} {path}: {parameter}"
                );
            }
        }
    }
}
