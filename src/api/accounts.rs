//! Accounts and their tokens (docs/security.md): `GET /v1/me` for anyone,
//! the rest for admins. Every change goes through the runtime, which
//! records it in the audit log in the same transaction.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;

use super::auth::{Admin, Caller};
use super::extract::{JsonBody, PathParams, QueryParams};
use super::problem::{Problem, ProblemBody};
use super::state::AppState;
use super::wire::{
    AccountPatch, AccountRequest, AccountTokenRequest, AccountView, IssuedToken, TokenRequest,
    TokenView, parse_timestamp,
};
use crate::accounts::{AccountChange, AccountDraft, AccountName, Password, PasswordHash, Role};
use crate::model::Duration;
use crate::runtime::{NotFound, RuntimeError, TokenGrant};

/// The caller's own account.
#[utoipa::path(get, path = "/v1/me", tag = "accounts", security(("bearer" = [])),
    responses(
        (status = 200, description = "The caller's account", body = AccountView),
    ))]
pub async fn me(caller: Caller) -> Json<AccountView> {
    Json(AccountView::from(caller.account()))
}

/// Every account, by name.
#[utoipa::path(get, path = "/v1/admin/accounts", tag = "accounts", security(("bearer" = [])),
    responses(
        (status = 200, description = "Accounts", body = Vec<AccountView>),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _: Admin,
) -> Result<Json<Vec<AccountView>>, Problem> {
    let accounts = state.store().accounts().await?;
    Ok(Json(accounts.iter().map(AccountView::from).collect()))
}

/// One account.
#[utoipa::path(get, path = "/v1/admin/accounts/{name}", tag = "accounts", security(("bearer" = [])),
    params(("name" = String, Path, description = "Account name")),
    responses(
        (status = 200, description = "The account", body = AccountView),
        (status = 404, description = "No such account", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    _: Admin,
    PathParams(name): PathParams<String>,
) -> Result<Json<AccountView>, Problem> {
    let account = state
        .store()
        .account(&name)
        .await?
        .ok_or_else(|| RuntimeError::NotFound(NotFound::Account(name)))?;
    Ok(Json(AccountView::from(&account)))
}

/// Creates an account.
#[utoipa::path(post, path = "/v1/admin/accounts", tag = "accounts", security(("bearer" = [])),
    request_body = AccountRequest,
    responses(
        (status = 201, description = "Created", body = AccountView),
        (status = 400, description = "Malformed JSON or time", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "The name is taken", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "A rule is broken (name, password rule, vendor terms); `detail` says which", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    Admin(caller): Admin,
    JsonBody(request): JsonBody<AccountRequest>,
) -> Result<(StatusCode, Json<AccountView>), Problem> {
    let named = new_account(&request.name, request.title, request.role, request.teams)?;
    let draft = AccountDraft {
        password: hashed(request.password).await?,
        expires_at: request.expires_at.as_deref().map(instant).transpose()?,
        approval: request.approval,
        emergency: request.emergency,
        ..named
    };
    let account = state
        .runtime()
        .create_account(draft, caller.principal())
        .await?;
    Ok((StatusCode::CREATED, Json(AccountView::from(&account))))
}

/// Changes an account: only the fields given.
#[utoipa::path(patch, path = "/v1/admin/accounts/{name}", tag = "accounts", security(("bearer" = [])),
    request_body = AccountPatch,
    params(("name" = String, Path, description = "Account name")),
    responses(
        (status = 200, description = "The account as changed", body = AccountView),
        (status = 400, description = "Malformed JSON or time", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "A rule is broken (password rule, vendor terms, a vendor made admin)", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn update(
    State(state): State<AppState>,
    Admin(caller): Admin,
    PathParams(name): PathParams<String>,
    JsonBody(patch): JsonBody<AccountPatch>,
) -> Result<Json<AccountView>, Problem> {
    let change = AccountChange {
        role: patch.role,
        teams: patch.teams,
        title: patch.title,
        password: hashed(patch.password).await?,
        expires_at: patch
            .expires_at
            .map(|at| at.as_deref().map(instant).transpose())
            .transpose()?,
        approval: patch.approval,
        disabled: patch.disabled,
    };
    let account = state
        .runtime()
        .update_account(&name, change, caller.principal())
        .await?;
    Ok(Json(AccountView::from(&account)))
}

/// Issues a token for an account; its secret is in this answer only.
#[utoipa::path(post, path = "/v1/admin/accounts/{name}/tokens", tag = "accounts", security(("bearer" = [])),
    request_body = AccountTokenRequest,
    params(("name" = String, Path, description = "Account name")),
    responses(
        (status = 201, description = "Issued", body = IssuedToken),
        (status = 400, description = "Malformed JSON or duration", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Bad token name, or the account is disabled or expired", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn issue_for_account(
    State(state): State<AppState>,
    Admin(caller): Admin,
    PathParams(name): PathParams<String>,
    JsonBody(request): JsonBody<AccountTokenRequest>,
) -> Result<(StatusCode, Json<IssuedToken>), Problem> {
    let account = AccountName::parse(&name)
        .map_err(|_| RuntimeError::NotFound(NotFound::Account(name.clone())))?;
    let grant = TokenGrant {
        account,
        name: request.name,
        role: None,
        expires_in: lifetime(request.expires_in.as_deref())?,
    };
    let (secret, row) = state
        .runtime()
        .issue_token(grant, caller.principal())
        .await?;
    Ok((
        StatusCode::CREATED,
        Json(IssuedToken {
            token: secret.expose().to_owned(),
            info: TokenView::from(&row),
        }),
    ))
}

/// Filter of `GET /v1/admin/tokens`.
#[derive(Debug, Default, serde::Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct TokensQuery {
    /// Only this account's tokens.
    pub account: Option<String>,
}

/// Every token (without secrets), newest first.
#[utoipa::path(get, path = "/v1/admin/tokens", tag = "accounts", security(("bearer" = [])),
    params(TokensQuery),
    responses(
        (status = 200, description = "Tokens, newest first", body = Vec<TokenView>),
        (status = 400, description = "Unknown parameter", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn tokens(
    State(state): State<AppState>,
    _: Admin,
    QueryParams(query): QueryParams<TokensQuery>,
) -> Result<Json<Vec<TokenView>>, Problem> {
    let rows = state.store().list_tokens(query.account.as_deref()).await?;
    Ok(Json(rows.iter().map(TokenView::from).collect()))
}

/// Issues a token; its secret is in this answer only. Without `account`
/// the token belongs to the account named `name`, created with `role`
/// when it does not exist yet.
#[utoipa::path(post, path = "/v1/admin/tokens", tag = "accounts", security(("bearer" = [])),
    request_body = TokenRequest,
    responses(
        (status = 201, description = "Issued", body = IssuedToken),
        (status = 400, description = "Malformed JSON or duration", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "No such account", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "A rule is broken: a name, another role than the account's, vendor terms, a vendor made admin", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn issue(
    State(state): State<AppState>,
    Admin(caller): Admin,
    JsonBody(request): JsonBody<TokenRequest>,
) -> Result<(StatusCode, Json<IssuedToken>), Problem> {
    let expires_in = lifetime(request.expires_in.as_deref())?;
    let runtime = state.runtime();
    let (secret, row) = match request.account {
        Some(account) => {
            let grant = TokenGrant {
                account: AccountName::parse(&account)
                    .map_err(|_| RuntimeError::NotFound(NotFound::Account(account.clone())))?,
                name: request.name,
                role: Some(request.role),
                expires_in,
            };
            runtime.issue_token(grant, caller.principal()).await?
        }
        None => {
            let named = new_account(&request.name, request.title, request.role, request.teams)?;
            let draft = AccountDraft {
                expires_at: expires_in.map(|lifetime| runtime.real_now() + lifetime.as_millis()),
                approval: request.approval,
                ..named
            };
            runtime
                .issue_token_for(draft, expires_in, caller.principal())
                .await?
        }
    };
    Ok((
        StatusCode::CREATED,
        Json(IssuedToken {
            token: secret.expose().to_owned(),
            info: TokenView::from(&row),
        }),
    ))
}

/// Revokes a token at once.
#[utoipa::path(delete, path = "/v1/admin/tokens/{id}", tag = "accounts", security(("bearer" = [])),
    params(("id" = String, Path, description = "Token id")),
    responses(
        (status = 204, description = "Revoked"),
        (status = 404, description = "No live token with this id", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn revoke(
    State(state): State<AppState>,
    Admin(caller): Admin,
    PathParams(id): PathParams<String>,
) -> Result<StatusCode, Problem> {
    let token_id = uuid::Uuid::try_parse(&id)
        .map_err(|_| RuntimeError::NotFound(NotFound::Token(id.clone())))?;
    state
        .runtime()
        .revoke_token(token_id, caller.principal())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// An account as a request names it: the name checked, the title the name
/// unless one is given, and nothing else yet (no password, expiry or
/// approval) for the caller to add.
fn new_account(
    name: &str,
    title: Option<String>,
    role: Role,
    teams: Vec<String>,
) -> Result<AccountDraft, Problem> {
    let name = account_name(name)?;
    Ok(AccountDraft {
        title: title.unwrap_or_else(|| name.to_string()),
        name,
        role,
        teams,
        password: None,
        expires_at: None,
        approval: None,
        emergency: false,
    })
}

pub(crate) fn account_name(text: &str) -> Result<AccountName, Problem> {
    AccountName::parse(text).map_err(|error| {
        Problem::unprocessable(
            "invalid-account",
            "The account breaks a rule",
            error.to_string(),
        )
    })
}

/// Checks the password rule (422 with the rule) and hashes it off the
/// async threads.
pub(crate) async fn hashed(password: Option<String>) -> Result<Option<PasswordHash>, Problem> {
    let Some(text) = password else {
        return Ok(None);
    };
    let password = Password::parse(&text).map_err(|error| {
        Problem::unprocessable(
            "invalid-password",
            "The password breaks the rule",
            error.to_string(),
        )
    })?;
    tokio::task::spawn_blocking(move || PasswordHash::create(&password))
        .await
        .map(Some)
        .map_err(|error| Problem::internal(format!("hashing the password failed: {error}")))
}

pub(crate) fn instant(text: &str) -> Result<i64, Problem> {
    parse_timestamp(text)
        .ok_or_else(|| Problem::bad_request(format!("`{text}` is not an RFC 3339 time")))
}

pub(crate) fn lifetime(text: Option<&str>) -> Result<Option<Duration>, Problem> {
    text.map(|text| Duration::parse(text).map_err(|error| Problem::bad_request(error.to_string())))
        .transpose()
}
