//! The REST API v1 of `docs/api.md` (contract: `shared/spec/api.md`).
//!
//! Handlers extract and authenticate, call the runtime, and map errors to
//! problem+json in one place ([`problem`]). Only this module knows HTTP and
//! wire types; the OpenAPI document is generated from the same handler
//! annotations that build the router, so the two cannot drift apart.

pub(crate) mod accounts;
mod admin;
pub(crate) mod assessment;
pub(crate) mod audit;
pub mod auth;
mod common_answers;
pub(crate) mod cookies;
mod extract;
pub(crate) mod instances;
pub mod limits;
pub mod metrics;
mod migrations;
mod ops;
pub mod problem;
mod serve;
mod sessions;
pub(crate) mod state;
pub(crate) mod views;
pub mod wire;
mod workflows;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use utoipa::openapi::security::{Http, HttpAuthScheme, SecurityScheme};
use utoipa::{Modify, OpenApi};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

pub use serve::{ServeOptions, serve, serve_with};
pub use state::AppState;

use problem::Problem;

/// The default request body limit: 1 MiB.
pub const DEFAULT_MAX_BODY: usize = 1024 * 1024;

#[derive(OpenApi)]
#[openapi(
    info(title = "flowkeeper", description = "Workflow engine REST API v1"),
    modifiers(&BearerAuth),
    tags(
        (name = "workflows", description = "Loaded workflow definitions"),
        (name = "instances", description = "Instances, events and history"),
        (name = "admin", description = "Administration (admin role)"),
        (name = "accounts", description = "Accounts, tokens, signing in and out"),
        (name = "audit", description = "The audit log and the weekly security report (admin role)"),
        (name = "operations", description = "Health, metrics, this document"),
    )
)]
struct ApiDoc;

/// Declares the `bearer` security scheme the paths refer to.
struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(Http::new(HttpAuthScheme::Bearer)),
        );
    }
}

/// Every route with its OpenAPI description.
fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .routes(routes!(workflows::list))
        .routes(routes!(workflows::get))
        .routes(routes!(workflows::graph))
        .routes(routes!(workflows::versions))
        .routes(routes!(instances::create, instances::list))
        .routes(routes!(instances::get))
        .routes(routes!(instances::get_by_key))
        .routes(routes!(instances::post_event))
        .routes(routes!(instances::post_event_by_key))
        .routes(routes!(instances::history))
        .routes(routes!(admin::cancel))
        .routes(routes!(admin::move_to))
        .routes(routes!(admin::retry))
        .routes(routes!(admin::stuck))
        .routes(routes!(admin::reload))
        .routes(routes!(migrations::migrate))
        .routes(routes!(migrations::batch))
        .routes(routes!(admin::clock, admin::set_clock))
        .routes(routes!(accounts::tokens, accounts::issue))
        .routes(routes!(accounts::revoke))
        .routes(routes!(accounts::me))
        .routes(routes!(accounts::list, accounts::create))
        .routes(routes!(accounts::get, accounts::update))
        .routes(routes!(accounts::issue_for_account))
        .routes(routes!(sessions::sign_in))
        .routes(routes!(sessions::sign_out))
        .routes(routes!(audit::audit))
        .routes(routes!(audit::security_report))
        .routes(routes!(assessment::assessment))
        .routes(routes!(ops::healthz))
        .routes(routes!(ops::readyz))
        .routes(routes!(ops::metrics))
        .routes(routes!(ops::openapi))
}

/// The OpenAPI 3.1 document of every route.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut document = routes().into_openapi();
    common_answers::add(&mut document);
    document
}

/// The whole application: routes, body limit, metrics and tracing, and
/// problem+json for unknown paths and methods. `max_body` is in bytes.
/// The limits are the defaults (see [`router_with`]).
pub fn router(state: AppState, max_body: usize) -> Router {
    router_with(state, max_body, &limits::Limits::default())
}

/// [`router`] under the given [`limits::Limits`] (request deadline,
/// concurrent requests, sign-in rate) and a catch-panic layer.
pub fn router_with(state: AppState, max_body: usize, limits: &limits::Limits) -> Router {
    let (router, mut document) = routes().split_for_parts();
    common_answers::add(&mut document);
    state.set_openapi(&document);
    let router = router
        .merge(crate::console::router())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(max_body))
        .with_state(state);
    limits::apply(router, limits, |router| {
        router.layer(axum::middleware::from_fn(metrics::observe))
    })
}

async fn not_found() -> Problem {
    Problem::not_found("no such endpoint; see /openapi.json")
}

async fn method_not_allowed() -> Problem {
    Problem::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "method-not-allowed",
        "Method not allowed",
        "this endpoint does not accept this method; see /openapi.json",
    )
}
