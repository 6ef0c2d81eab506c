//! `/ui/api`: the REST API reference, Swagger UI rendered from
//! `/openapi.json`. Swagger UI's files are vendored into the binary by
//! `utoipa-swagger-ui` (feature `vendored`: its build downloads nothing).
//! "Try it out" calls the API from this page, so the browser sends the
//! session cookie with it: the requests run as the signed-in account.

use std::sync::{Arc, LazyLock};

use axum::extract::Path;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Redirect, Response};
use utoipa_swagger_ui::Config;

use super::session::Viewer;

/// Swagger UI's settings: one document, the one the server publishes.
static CONFIG: LazyLock<Arc<Config<'static>>> =
    LazyLock::new(|| Arc::new(Config::from("/openapi.json").try_it_out_enabled(true)));

/// `GET /ui/api`: Swagger UI's relative links need the trailing slash.
pub async fn redirect(_viewer: Viewer) -> Redirect {
    Redirect::permanent("/ui/api/")
}

/// `GET /ui/api/`.
pub async fn index(_viewer: Viewer) -> Response {
    serve("")
}

/// `GET /ui/api/{file}`: Swagger UI's scripts, styles and settings.
pub async fn file(_viewer: Viewer, Path(file): Path<String>) -> Response {
    serve(&file)
}

fn serve(file: &str) -> Response {
    match utoipa_swagger_ui::serve(file, Arc::clone(&CONFIG)) {
        Ok(Some(found)) => (
            [(CONTENT_TYPE, found.content_type)],
            found.bytes.into_owned(),
        )
            .into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "no such file of the API reference").into_response(),
        Err(error) => (StatusCode::INTERNAL_SERVER_ERROR, error.to_string()).into_response(),
    }
}
