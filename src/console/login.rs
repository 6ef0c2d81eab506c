//! Signing in and out of the console with a name and password: the same
//! runtime calls (lock-out, audit `session.create` / `session.fail` /
//! `session.delete`) as `POST /v1/sessions` and `DELETE
//! /v1/sessions/current`.
//!
//! The sign-in form is protected against login CSRF with a double-submit
//! token: a random value in a short-lived HttpOnly cookie that the form
//! must echo.

use axum::Form;
use axum::extract::State;
use axum::http::header::SET_COOKIE;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use maud::html;
use serde::Deserialize;

use super::i18n::{Lang, PageLang};
use super::layout::{self, remember_lang};
use super::posted::PostedForm;
use super::session::CSRF_FIELD;
use crate::api::auth::{RemoteAddr, SESSION_COOKIE};
use crate::api::cookies::cookie;
use crate::api::problem::Problem;
use crate::api::state::AppState;
use crate::runtime::{Credential, NewSession, SignIn};

/// The cookie holding the sign-in form's CSRF value.
const LOGIN_COOKIE: &str = "flowkeeper_login";

#[derive(Debug, Default, Deserialize)]
pub struct LoginQuery {
    next: Option<String>,
    #[allow(dead_code, reason = "read by PageLang from the raw query")]
    lang: Option<String>,
}

/// `GET /ui/login`.
pub async fn form(
    PageLang { lang, chosen }: PageLang,
    axum::extract::Query(query): axum::extract::Query<LoginQuery>,
) -> Response {
    let token = hex::encode(rand::random::<[u8; 16]>());
    let next = safe_next(query.next.as_deref());
    let mut response = render(lang, &token, &next, "", None, StatusCode::OK);
    set_login_cookie(&mut response, &token);
    if chosen {
        remember_lang(&mut response, lang);
    }
    response
}

#[derive(Debug, Deserialize)]
pub struct LoginForm {
    name: String,
    password: String,
    #[serde(default)]
    next: Option<String>,
    #[serde(rename = "_csrf", default)]
    csrf: String,
}

/// `POST /ui/login`: a session cookie and back to `next`, or the form
/// again with the reason in `role="alert"`.
pub async fn submit(
    State(state): State<AppState>,
    PageLang { lang, .. }: PageLang,
    RemoteAddr(remote_addr): RemoteAddr,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Response {
    let next = safe_next(form.next.as_deref());
    let fresh = hex::encode(rand::random::<[u8; 16]>());
    let again = |message: &str, status: StatusCode| {
        let mut response = render(lang, &fresh, &next, &form.name, Some(message), status);
        set_login_cookie(&mut response, &fresh);
        response
    };
    let expected = cookie(&headers, LOGIN_COOKIE);
    if form.csrf.is_empty() || expected != Some(form.csrf.as_str()) {
        return again(
            lang.t(
                "表單已失效,請再送出一次。",
                "The form had expired; please send it again.",
            ),
            StatusCode::FORBIDDEN,
        );
    }
    let answer = state
        .runtime()
        .sign_in(&form.name, form.password, remote_addr.as_deref())
        .await;
    match answer {
        Ok(SignIn::Granted(granted)) => {
            let NewSession {
                secret, session, ..
            } = *granted;
            let lifetime_secs = (session.expires_at - session.created_at) / 1000;
            let mut response = Redirect::to(&next).into_response();
            let cookies = [
                format!(
                    "{SESSION_COOKIE}={}; Path=/; HttpOnly; SameSite=Strict; Max-Age={lifetime_secs}",
                    secret.expose()
                ),
                format!("{LOGIN_COOKIE}=; Path=/ui/login; HttpOnly; SameSite=Strict; Max-Age=0"),
            ];
            for cookie in cookies {
                if let Ok(value) = HeaderValue::from_str(&cookie) {
                    response.headers_mut().append(SET_COOKIE, value);
                }
            }
            response
        }
        Ok(SignIn::Refused) => again(
            lang.t("帳號或密碼錯誤。", "Wrong name or password."),
            StatusCode::UNAUTHORIZED,
        ),
        Ok(SignIn::Locked { retry_after_secs }) => again(
            &format!(
                "{} {retry_after_secs} {}",
                lang.t(
                    "失敗次數過多,請於",
                    "Too many failed sign-ins; try again in"
                ),
                lang.t("秒後再試。", "seconds.")
            ),
            StatusCode::TOO_MANY_REQUESTS,
        ),
        Err(error) => {
            let problem = Problem::from(error);
            again(problem.detail(), problem.status())
        }
    }
}

/// `POST /ui/logout`: ends the session, clears the cookie.
pub async fn sign_out(State(state): State<AppState>, form: PostedForm) -> Response {
    let viewer = form.viewer;
    if let Credential::Session(session) = viewer.caller.credential()
        && let Err(error) = state
            .runtime()
            .sign_out(session, viewer.caller.principal())
            .await
    {
        return layout::problem_page(viewer.lang, &Problem::from(error));
    }
    let mut response = Redirect::to("/ui/login").into_response();
    let expired = format!("{SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
    if let Ok(value) = HeaderValue::from_str(&expired) {
        response.headers_mut().insert(SET_COOKIE, value);
    }
    response
}

/// Only paths of the console: never another site, never `//host`.
fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path)
            if path.starts_with("/ui") && !path.starts_with("//") && !path.contains('\\') =>
        {
            path.to_owned()
        }
        _ => "/ui/".to_owned(),
    }
}

fn set_login_cookie(response: &mut Response, token: &str) {
    let cookie =
        format!("{LOGIN_COOKIE}={token}; Path=/ui/login; HttpOnly; SameSite=Strict; Max-Age=3600");
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}

fn render(
    lang: Lang,
    token: &str,
    next: &str,
    name: &str,
    error: Option<&str>,
    status: StatusCode,
) -> Response {
    let title = lang.t("登入", "Sign in");
    let other = lang.other();
    let body = html! {
        div.login.card {
            h1 { "flowkeeper · " (title) }
            @if let Some(error) = error {
                p.alert role="alert" { (error) }
            }
            form method="post" action="/ui/login" {
                input type="hidden" name=(CSRF_FIELD) value=(token);
                input type="hidden" name="next" value=(next);
                label.field {
                    (lang.t("帳號", "Account name"))
                    input type="text" name="name" value=(name) required autofocus autocomplete="username";
                }
                label.field {
                    (lang.t("密碼", "Password"))
                    input type="password" name="password" required autocomplete="current-password";
                }
                button type="submit" { (title) }
            }
            p.muted {
                a href=(format!("/ui/login?lang={}", other.code())) lang=(other.tag()) {
                    (lang.t("English", "中文"))
                }
            }
        }
    };
    (status, layout::document(lang, title, html! {}, body)).into_response()
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_never_leaves_the_console() {
        assert_eq!(safe_next(Some("/ui/stuck?x=1")), "/ui/stuck?x=1");
        for bad in [
            "https://evil.example/",
            "//evil.example/ui",
            "/v1/instances",
            "/ui\\..\\x",
        ] {
            assert_eq!(safe_next(Some(bad)), "/ui/");
        }
        assert_eq!(safe_next(None), "/ui/");
    }
}
