//! Who is looking at a page: the signed-in account behind the
//! `flowkeeper_session` cookie (or a bearer token), the page's language,
//! the time zone times are shown in, and the CSRF token its forms carry.
//!
//! A page asked for without a usable session redirects to
//! `/ui/login?next=…`. The CSRF token is derived from the session secret
//! (SHA-256 with a fixed label), so it needs no table and dies with the
//! session; a cross-site page can neither read the HttpOnly cookie nor
//! the token, and SameSite=Strict keeps the cookie off its requests anyway.

use axum::extract::FromRequestParts;
use axum::http::StatusCode;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use sha2::{Digest, Sha256};

use super::document;
use super::i18n::Lang;
use super::times::Times;
use crate::accounts::Role;
use crate::api::auth::{Caller, SESSION_COOKIE};
use crate::api::cookies::cookie;
use crate::api::state::AppState;

/// The name of the hidden CSRF input of every form that changes something.
pub const CSRF_FIELD: &str = "_csrf";

/// The signed-in account and how to show it pages.
pub struct Viewer {
    pub caller: Caller,
    pub lang: Lang,
    /// Whether `?lang=` chose the language (the page then sets the cookie).
    pub lang_chosen: bool,
    pub times: Times,
    /// The path and query asked for, for the language switch.
    pub path: String,
    csrf: String,
}

impl Viewer {
    pub fn is_admin(&self) -> bool {
        self.caller.role() == Role::Admin
    }

    /// The token this viewer's forms carry.
    pub fn csrf(&self) -> &str {
        &self.csrf
    }

    /// Whether a posted form carries this viewer's token.
    pub fn check_csrf(&self, form: &[(String, String)]) -> Result<(), Refused> {
        let sent = form
            .iter()
            .find(|(name, _)| name == CSRF_FIELD)
            .map(|(_, value)| value.as_str());
        match sent {
            Some(token) if same(token.as_bytes(), self.csrf.as_bytes()) => Ok(()),
            _ => Err(Refused {
                lang: self.lang,
                message: self
                    .lang
                    .t(
                        "表單已失效 (缺少或錯誤的 CSRF 權杖)。請重新載入頁面再送出。",
                        "This form is stale (its CSRF token is missing or wrong). Reload the page and send it again.",
                    )
                    .to_owned(),
            }),
        }
    }

    /// 403 with a readable page unless the viewer is an admin.
    pub fn require_admin(&self) -> Result<(), Refused> {
        if self.is_admin() {
            return Ok(());
        }
        Err(Refused {
            lang: self.lang,
            message: format!(
                "{} `{}` {}",
                self.lang
                    .t("此頁面需要管理員帳號;", "This page needs an admin account;"),
                self.caller.name(),
                self.lang.t("不是管理員。", "is not an admin."),
            ),
        })
    }
}

/// A request this viewer may not make (a stale form, a page for admins
/// only): answered `403` with a page that says why. Kept small until it is
/// answered, so the checks return it cheaply.
#[derive(Debug)]
pub struct Refused {
    lang: Lang,
    message: String,
}

impl IntoResponse for Refused {
    fn into_response(self) -> Response {
        document::refusal(self.lang, StatusCode::FORBIDDEN, &self.message)
    }
}

/// Compares without stopping at the first difference.
fn same(left: &[u8], right: &[u8]) -> bool {
    left.len() == right.len()
        && left
            .iter()
            .zip(right)
            .fold(0u8, |acc, (a, b)| acc | (a ^ b))
            == 0
}

/// The CSRF token of a session secret.
pub fn csrf_token(secret: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(b"flowkeeper console csrf v1\0");
    hasher.update(secret.as_bytes());
    hex::encode(hasher.finalize())
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let (lang, lang_chosen) = Lang::of(parts);
        let path = parts
            .uri
            .path_and_query()
            .map_or_else(|| "/ui/".to_owned(), |path| path.as_str().to_owned());
        let Some(secret) = presented_secret(parts) else {
            return Err(to_login(&path));
        };
        let caller = match Caller::from_request_parts(parts, state).await {
            Ok(caller) => caller,
            Err(problem) if problem.status() == StatusCode::UNAUTHORIZED => {
                return Err(to_login(&path));
            }
            Err(problem) => return Err(document::problem_page(lang, &problem)),
        };
        Ok(Viewer {
            caller,
            lang,
            lang_chosen,
            times: Times::of(state),
            path,
            csrf: csrf_token(&secret),
        })
    }
}

/// A viewer with the admin role: what the admin pages take, so that anyone
/// else is refused (403, with a page that says why) before the page is
/// built.
pub struct AdminViewer(pub Viewer);

impl FromRequestParts<AppState> for AdminViewer {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        let viewer = Viewer::from_request_parts(parts, state).await?;
        viewer
            .require_admin()
            .map_err(IntoResponse::into_response)?;
        Ok(AdminViewer(viewer))
    }
}

/// `/ui/login?next=<path>`: back here after signing in.
fn to_login(path: &str) -> Response {
    let next: String = url::form_urlencoded::byte_serialize(path.as_bytes()).collect();
    Redirect::to(&format!("/ui/login?next={next}")).into_response()
}

/// The bearer token, else the session cookie (the order `Caller` uses).
fn presented_secret(parts: &Parts) -> Option<String> {
    if let Some(header) = parts.headers.get(AUTHORIZATION) {
        let text = header.to_str().ok()?;
        let (scheme, token) = text.split_once(' ')?;
        return scheme
            .eq_ignore_ascii_case("bearer")
            .then(|| token.trim().to_owned());
    }
    cookie(&parts.headers, SESSION_COOKIE).map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_csrf_token_depends_on_the_session_and_compares_whole() {
        let one = csrf_token("secret-one");
        assert_eq!(one.len(), 64);
        assert_ne!(one, csrf_token("secret-two"));
        assert!(same(one.as_bytes(), csrf_token("secret-one").as_bytes()));
        assert!(!same(one.as_bytes(), &one.as_bytes()[..63]));
    }
}
