//! RFC 9457 problem details: the one shape of every error the API returns.
//!
//! Every error kind maps to one problem type and status here, so handlers
//! only ever return `Result<_, Problem>` and never pick a status by hand.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value as Json_};
use utoipa::ToSchema;

use crate::engine::Rejection;
use crate::runtime::RuntimeError;
use crate::store::{Fault, StoreError};

/// A problem+json body. Boxed so that `Result<_, Problem>` stays one
/// pointer wide on the happy path.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem(Box<Details>);

#[derive(Debug, Clone, PartialEq)]
struct Details {
    status: StatusCode,
    slug: &'static str,
    title: &'static str,
    detail: String,
    extra: Map<String, Json_>,
    /// Seconds for the `Retry-After` header.
    retry_after: Option<u32>,
}

/// The wire form of [`Problem`], for the OpenAPI document.
#[derive(Debug, serde::Serialize, ToSchema)]
pub struct ProblemBody {
    /// A URI reference naming the kind of problem, e.g. `/problems/event-not-allowed`.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// For `event-not-allowed`: the events that are allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub allowed: Option<Vec<String>>,
    /// For `invalid-data`: the fields that failed, with their paths.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub errors: Option<Vec<Json_>>,
    /// For `forbidden`: the account roles and teams any one of which would
    /// have been allowed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub required: Option<Vec<String>>,
}

impl Problem {
    pub fn new(
        status: StatusCode,
        slug: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self(Box::new(Details {
            status,
            slug,
            title,
            detail: detail.into(),
            extra: Map::new(),
            retry_after: None,
        }))
    }

    /// Tells the client when to try again (the `Retry-After` header).
    pub fn retry_after(mut self, seconds: u32) -> Self {
        self.0.retry_after = Some(seconds);
        self
    }

    /// The answer to a request the store could not serve, in plain words
    /// and with a time to retry; what the database said goes to the log
    /// only (it may name tables, files, or hosts).
    pub fn store_fault(fault: Fault) -> Self {
        match fault {
            Fault::Full => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "storage-full",
                "Storage is full",
                "storage is full: the change was not saved; retry once an operator has made room",
            )
            .retry_after(30),
            Fault::Unavailable => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                "database unavailable: retry the request (with the same idempotency key, \
                 it is applied at most once)",
            )
            .retry_after(2),
            Fault::Busy => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "Service unavailable",
                "the database is busy: retry the request",
            )
            .retry_after(1),
            Fault::Other => Self::internal("a database error occurred; the server log has it"),
        }
    }

    /// Adds an extension member (`allowed`, `errors`, …).
    pub fn with(mut self, name: &str, value: impl Into<Json_>) -> Self {
        self.0.extra.insert(name.to_owned(), value.into());
        self
    }

    pub fn status(&self) -> StatusCode {
        self.0.status
    }

    pub fn bad_request(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::BAD_REQUEST,
            "bad-request",
            "Bad request",
            detail,
        )
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    pub fn unauthorized(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "Unauthorized",
            detail,
        )
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", "Forbidden", detail)
    }

    pub fn conflict(slug: &'static str, title: &'static str, detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, slug, title, detail)
    }

    pub fn unprocessable(
        slug: &'static str,
        title: &'static str,
        detail: impl Into<String>,
    ) -> Self {
        Self::new(StatusCode::UNPROCESSABLE_ENTITY, slug, title, detail)
    }

    /// The database (or another dependency) cannot answer now; the client may retry.
    pub fn unavailable(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            detail,
        )
    }

    pub fn internal(detail: impl Into<String>) -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            detail,
        )
    }

    /// The sentence for people (the console shows it in the page).
    pub fn detail(&self) -> &str {
        &self.0.detail
    }

    pub fn title(&self) -> &str {
        self.0.title
    }

    /// The `allowed` member: the events allowed now, when it was refused.
    pub fn allowed(&self) -> Option<Vec<String>> {
        self.strings("allowed")
    }

    /// The `required` member: roles and teams any one of which may.
    pub fn required(&self) -> Option<Vec<String>> {
        self.strings("required")
    }

    /// The `errors` member as lines (`path: message` for field errors).
    pub fn errors(&self) -> Vec<String> {
        let Some(Json_::Array(errors)) = self.0.extra.get("errors") else {
            return Vec::new();
        };
        errors
            .iter()
            .map(|error| match error {
                Json_::String(text) => text.clone(),
                Json_::Object(fields) => match (fields.get("path"), fields.get("message")) {
                    (Some(Json_::String(path)), Some(Json_::String(message))) => {
                        format!("{path}: {message}")
                    }
                    _ => error.to_string(),
                },
                other => other.to_string(),
            })
            .collect()
    }

    fn strings(&self, name: &str) -> Option<Vec<String>> {
        let Json_::Array(values) = self.0.extra.get(name)? else {
            return None;
        };
        Some(
            values
                .iter()
                .map(|value| {
                    value
                        .as_str()
                        .map_or_else(|| value.to_string(), str::to_owned)
                })
                .collect(),
        )
    }

    fn body(&self) -> Json_ {
        let mut body = Map::new();
        let details = &self.0;
        body.insert("type".into(), format!("/problems/{}", details.slug).into());
        body.insert("title".into(), details.title.into());
        body.insert("status".into(), details.status.as_u16().into());
        body.insert("detail".into(), details.detail.clone().into());
        body.extend(details.extra.clone());
        Json_::Object(body)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let mut response = (self.0.status, Json(self.body())).into_response();
        response.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        );
        if let Some(seconds) = self.0.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}

impl From<JsonRejection> for Problem {
    /// Malformed JSON and a body of the wrong shape are 400, a wrong content
    /// type 415, an over-size body 413.
    fn from(rejection: JsonRejection) -> Self {
        match rejection {
            JsonRejection::MissingJsonContentType(_) => Self::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported-media-type",
                "Unsupported media type",
                "send the body as application/json",
            ),
            JsonRejection::BytesRejection(error)
                if error.status() == StatusCode::PAYLOAD_TOO_LARGE =>
            {
                Self::new(
                    StatusCode::PAYLOAD_TOO_LARGE,
                    "payload-too-large",
                    "Payload too large",
                    error.body_text(),
                )
            }
            other => Self::bad_request(other.body_text()),
        }
    }
}

impl From<PathRejection> for Problem {
    fn from(rejection: PathRejection) -> Self {
        Self::bad_request(rejection.body_text())
    }
}

impl From<QueryRejection> for Problem {
    fn from(rejection: QueryRejection) -> Self {
        Self::bad_request(rejection.body_text())
    }
}

impl From<Rejection> for Problem {
    /// The engine's refusals: the client asked for something the workflow
    /// does not allow now (409) or sent data it does not accept (422).
    fn from(rejection: Rejection) -> Self {
        let detail = rejection.to_string();
        match rejection {
            Rejection::EventNotAllowed { allowed, .. } => {
                Self::conflict("event-not-allowed", "Event not allowed", detail)
                    .with("allowed", allowed)
            }
            Rejection::InstanceEnded { .. } => {
                Self::conflict("instance-ended", "Instance already ended", detail)
            }
            Rejection::NoSuchTimer { .. } => {
                Self::conflict("no-such-timer", "No such timer", detail)
            }
            Rejection::DataInvalid { errors } => {
                let errors: Vec<Json_> = errors
                    .iter()
                    .map(|error| serde_json::json!({"path": error.path, "message": error.message}))
                    .collect();
                Self::unprocessable("invalid-data", "Invalid data", detail).with("errors", errors)
            }
            Rejection::UnknownState { .. } => {
                Self::unprocessable("invalid-target", "Unknown target state", detail)
            }
            Rejection::NoGuardHolds { .. } => {
                Self::unprocessable("no-guard-holds", "No guard holds", detail)
            }
            Rejection::Expression(_) => Self::unprocessable(
                "expression-failed",
                "An expression of the workflow failed",
                detail,
            ),
            Rejection::EventlessLoop { .. } => Self::unprocessable(
                "eventless-loop",
                "Eventless transitions did not settle",
                detail,
            ),
        }
    }
}

impl From<StoreError> for Problem {
    /// Lost races are conflicts the client may retry; a full disk or an
    /// unreachable database is 503 with `Retry-After`; other database
    /// errors and unreadable stored data are server faults. The client
    /// reads a plain sentence; the database's own words go to the log.
    fn from(error: StoreError) -> Self {
        match error.fault() {
            None if matches!(
                error,
                StoreError::RevisionConflict { .. } | StoreError::Duplicate
            ) =>
            {
                Self::conflict(
                    "conflict",
                    "Concurrent change",
                    format!("{error}; retry the request"),
                )
            }
            None => {
                tracing::error!(%error, "stored data or settings are wrong");
                Self::internal("the server's stored data could not be used; the server log has why")
            }
            Some(fault) => {
                tracing::error!(%error, kind = fault.as_str(), "database error");
                Self::store_fault(fault)
            }
        }
    }
}

impl From<RuntimeError> for Problem {
    fn from(error: RuntimeError) -> Self {
        let detail = error.to_string();
        match error {
            RuntimeError::NotFound(_) => Self::not_found(detail),
            RuntimeError::Rejected(rejection) => rejection.into(),
            RuntimeError::KeyInUse { .. } => {
                Self::conflict("key-in-use", "Business key in use", detail)
            }
            RuntimeError::IdempotencyMismatch(_) => {
                Self::conflict("idempotency-mismatch", "Idempotency key reused", detail)
            }
            RuntimeError::Conflict => Self::conflict("conflict", "Concurrent change", detail),
            RuntimeError::Forbidden { required, .. } => {
                Self::forbidden(detail).with("required", required)
            }
            RuntimeError::Unauthenticated(_) => Self::unauthorized(detail),
            RuntimeError::Account(_) => {
                Self::unprocessable("invalid-account", "The account breaks a rule", detail)
            }
            RuntimeError::AccountExists(_) => {
                Self::conflict("account-exists", "Account name taken", detail)
            }
            RuntimeError::AccountUnusable(_)
            | RuntimeError::TokenRole { .. }
            | RuntimeError::TokenName(_) => {
                Self::unprocessable("invalid-token", "The token cannot be issued", detail)
            }
            RuntimeError::Week(_) => Self::unprocessable("invalid-week", "Invalid week", detail),
            // The API only moves the clock after checking it is manual.
            RuntimeError::NotManualClock => {
                Self::conflict("clock-not-manual", "The clock is not manual", detail)
            }
            // A stored version that no longer compiles is the server's fault, not the client's.
            RuntimeError::Definition { .. } => Self::internal(detail),
            RuntimeError::Store(error) => error.into(),
        }
    }
}
