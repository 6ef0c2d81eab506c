//! The web console (docs/console.md; contract `shared/spec/console.md`):
//! server-rendered pages under `/ui/` for administrators, staff and team
//! leads, served by `flowkeeper serve` itself.
//!
//! Pages read through the same store and views as the REST API and change
//! things only through the same runtime calls (`Runtime::post_event`,
//! `cancel`, `move_to`, `retry`, the account calls), so a form posted here
//! is checked, recorded in the history and audited exactly like the API
//! request it stands for, with the signed-in account as the actor.
//!
//! Nothing is fetched from outside: the stylesheet is compiled into the
//! binary, every page works without JavaScript, and the API reference at
//! `/ui/api` is the vendored Swagger UI.

mod accounts;
mod admin_action;
mod apidoc;
mod assessment;
mod audit;
mod chart;
mod document;
mod fields;
mod filters;
mod graph;
mod i18n;
mod instance;
mod instances;
mod layout;
mod login;
mod overview;
mod posted;
mod session;
mod stuck;
mod times;
mod workflows;

use axum::Router;
use axum::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};

use crate::api::state::AppState;

pub use session::CSRF_FIELD;

/// The stylesheet, compiled in: the console fetches nothing from outside.
const STYLESHEET: &str = include_str!("../../assets/console.css");

/// Every console route; `api::router` merges them in front of its fallback.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(|| async { Redirect::to("/ui/") }))
        .route("/ui", get(|| async { Redirect::to("/ui/") }))
        .route("/ui/", get(overview::page))
        .route("/ui/console.css", get(stylesheet))
        .route("/ui/login", get(login::form).post(login::submit))
        .route("/ui/logout", post(login::sign_out))
        .route("/ui/instances", get(instances::page))
        .route("/ui/instances/{id}", get(instance::page))
        .route(
            "/ui/instances/{id}/events/{event}",
            post(instance::post_event),
        )
        .route("/ui/instances/{id}/cancel", post(instance::cancel))
        .route("/ui/instances/{id}/move", post(instance::move_to))
        .route("/ui/instances/{id}/retry", post(instance::retry))
        .route("/ui/stuck", get(stuck::page).post(stuck::bulk))
        .route("/ui/workflows", get(workflows::list))
        .route("/ui/workflows/{id}", get(workflows::page))
        .route("/ui/assessment", get(assessment::page))
        .route("/ui/assessment/download", get(assessment::download))
        .route("/ui/audit", get(audit::page))
        .route("/ui/security", get(audit::security))
        .route("/ui/accounts", get(accounts::page).post(accounts::create))
        .route("/ui/accounts/{name}", post(accounts::update))
        .route("/ui/accounts/{name}/tokens", post(accounts::issue_token))
        .route(
            "/ui/accounts/{name}/tokens/{id}/revoke",
            post(accounts::revoke_token),
        )
        .route("/ui/api", get(apidoc::redirect))
        .route("/ui/api/", get(apidoc::index))
        .route("/ui/api/{*file}", get(apidoc::file))
}

async fn stylesheet() -> impl IntoResponse {
    (
        [
            (CONTENT_TYPE, "text/css; charset=utf-8"),
            (CACHE_CONTROL, "public, max-age=3600"),
        ],
        STYLESHEET,
    )
}
