//! Signing in and out with a name and password (docs/security.md). The
//! session is a bearer token like an API token, with a short lifetime; the
//! answer also sets it as the console's cookie.

use axum::Json;
use axum::extract::State;
use axum::http::header::{RETRY_AFTER, SET_COOKIE};
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::auth::{Caller, RemoteAddr, SESSION_COOKIE};
use super::extract::JsonBody;
use super::problem::{Problem, ProblemBody};
use super::state::AppState;
use super::wire::{AccountView, SessionView, SignInRequest, timestamp};
use crate::runtime::{Credential, NewSession, SignIn};

/// Signs in: a session token for a name and password. A wrong name and a
/// wrong password get the same answer after the same work; 5 failures for
/// a name within 15 minutes lock it for 15 minutes after the last one.
#[utoipa::path(post, path = "/v1/sessions", tag = "accounts",
    request_body = SignInRequest,
    responses(
        (status = 201, description = "Signed in; also sets the `flowkeeper_session` cookie (HttpOnly, SameSite=Strict)", body = SessionView),
        (status = 400, description = "Malformed JSON", body = ProblemBody, content_type = "application/problem+json"),
        (status = 401, description = "Wrong name or password, or the account is disabled or expired", body = ProblemBody, content_type = "application/problem+json"),
        (status = 429, description = "Too many failures for this name; `Retry-After` says how many seconds to wait", body = ProblemBody, content_type = "application/problem+json",
            headers(("Retry-After" = u64, description = "Seconds until the name is unlocked"))),
    ))]
pub async fn sign_in(
    State(state): State<AppState>,
    RemoteAddr(remote_addr): RemoteAddr,
    JsonBody(request): JsonBody<SignInRequest>,
) -> Result<Response, Problem> {
    let answer = state
        .runtime()
        .sign_in(&request.name, request.password, remote_addr.as_deref())
        .await?;
    match answer {
        SignIn::Granted(granted) => {
            let NewSession {
                secret,
                session,
                account,
            } = *granted;
            let lifetime_secs = (session.expires_at - session.created_at) / 1000;
            let cookie = format!(
                "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={lifetime_secs}",
                secret.expose()
            );
            let body = SessionView {
                token: secret.expose().to_owned(),
                expires_at: timestamp(session.expires_at),
                account: AccountView::from(&account),
            };
            let mut response = (StatusCode::CREATED, Json(body)).into_response();
            if let Ok(value) = HeaderValue::from_str(&cookie) {
                response.headers_mut().insert(SET_COOKIE, value);
            }
            Ok(response)
        }
        SignIn::Refused => Err(Problem::unauthorized("wrong name or password")),
        SignIn::Locked { retry_after_secs } => {
            let problem = Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-attempts",
                "Too many failed sign-ins",
                format!(
                    "this name had too many failed sign-ins; try again in {retry_after_secs} seconds"
                ),
            );
            let mut response = problem.into_response();
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(retry_after_secs));
            Ok(response)
        }
    }
}

/// Signs out: ends the session this request came with.
#[utoipa::path(delete, path = "/v1/sessions/current", tag = "accounts", security(("bearer" = [])),
    responses(
        (status = 204, description = "Signed out; the cookie is cleared"),
        (status = 404, description = "The request came with an API token, not a session", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn sign_out(State(state): State<AppState>, caller: Caller) -> Result<Response, Problem> {
    let Credential::Session(session) = caller.credential() else {
        return Err(Problem::not_found(
            "this request came with an API token, not a session; revoke tokens with DELETE /v1/admin/tokens/{id}",
        ));
    };
    state
        .runtime()
        .sign_out(session, caller.principal())
        .await?;
    let mut response = StatusCode::NO_CONTENT.into_response();
    let expired = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    if let Ok(value) = HeaderValue::from_str(&expired) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    Ok(response)
}
