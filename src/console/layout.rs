//! The page shell every console page shares: `<html lang>`, `<title>`, the
//! stylesheet, the navigation, the language switch and sign-out; and the
//! pages shown when something is refused.

use axum::http::header::SET_COOKIE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use maud::{Markup, html};

pub use super::document::{document, problem_page};
use super::i18n::{LANG_COOKIE, Lang};
use super::session::{CSRF_FIELD, Viewer};
use crate::api::problem::Problem;

/// Which navigation entry a page belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Overview,
    Instances,
    Stuck,
    Workflows,
    Assessment,
    Audit,
    Security,
    Accounts,
    Api,
}

impl Nav {
    fn entries(admin: bool) -> Vec<(Nav, &'static str, &'static str, &'static str)> {
        let mut entries = vec![
            (Nav::Overview, "/ui/", "總覽", "Overview"),
            (Nav::Instances, "/ui/instances", "實例", "Instances"),
            (Nav::Stuck, "/ui/stuck", "卡住", "Stuck"),
            (Nav::Workflows, "/ui/workflows", "流程", "Workflows"),
            (Nav::Assessment, "/ui/assessment", "考覈", "Assessment"),
        ];
        if admin {
            entries.extend([
                (Nav::Audit, "/ui/audit", "稽核", "Audit"),
                (Nav::Security, "/ui/security", "安全週報", "Security"),
                (Nav::Accounts, "/ui/accounts", "帳號", "Accounts"),
            ]);
        }
        entries.push((Nav::Api, "/ui/api", "API", "API"));
        entries
    }
}

/// A whole page for a signed-in viewer, 200.
pub fn page(viewer: &Viewer, nav: Nav, title: &str, body: Markup) -> Response {
    page_with(viewer, nav, title, StatusCode::OK, body)
}

/// A whole page with a status other than 200 (a refused form shows the
/// page again with the reason).
pub fn page_with(
    viewer: &Viewer,
    nav: Nav,
    title: &str,
    status: StatusCode,
    body: Markup,
) -> Response {
    let lang = viewer.lang;
    let switch = switch_link(&viewer.path, lang.other());
    let header = html! {
        header.top {
            a.brand href="/ui/" { "flowkeeper" }
            nav {
                @for (entry, href, zh, en) in Nav::entries(viewer.is_admin()) {
                    a href=(href) class=[(entry == nav).then_some("here")] { (lang.t(zh, en)) }
                }
            }
            div.who {
                span.langs { a href=(switch) lang=(lang.other().tag()) { (lang.t("English", "中文")) } }
                span title=(viewer.caller.role().as_str()) { (viewer.caller.name().as_str()) }
                form.inline method="post" action="/ui/logout" {
                    input type="hidden" name=(CSRF_FIELD) value=(viewer.csrf());
                    button type="submit" { (lang.t("登出", "Sign out")) }
                }
            }
        }
    };
    let body = html! {
        (body)
        footer.muted style="margin-top:2rem;font-size:.85rem" {
            (lang.t("時間以此時區顯示:", "Times are shown in")) " " (viewer.times.zone_name)
            @if viewer.times.zone_name != "UTC" { " · " (lang.t("滑鼠停留可見 UTC", "hover for UTC")) }
        }
    };
    let mut response = (status, document(lang, title, header, body)).into_response();
    if viewer.lang_chosen {
        remember_lang(&mut response, lang);
    }
    response
}

/// Sets the cookie that keeps a `?lang=` choice.
pub fn remember_lang(response: &mut Response, lang: Lang) {
    let cookie = format!(
        "{LANG_COOKIE}={}; Path=/; SameSite=Strict; Max-Age=31536000",
        lang.code()
    );
    if let Ok(value) = HeaderValue::from_str(&cookie) {
        response.headers_mut().append(SET_COOKIE, value);
    }
}

/// The current path with `lang` set to the other language.
fn switch_link(path: &str, lang: Lang) -> String {
    let (base, query) = path.split_once('?').unwrap_or((path, ""));
    let mut serializer = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        if name != "lang" {
            serializer.append_pair(&name, &value);
        }
    }
    serializer.append_pair("lang", lang.code());
    format!("{base}?{}", serializer.finish())
}

/// A problem shown inside a page: its detail, and the allowed events when
/// the problem lists them.
pub fn alert(lang: Lang, problem: &Problem) -> Markup {
    let allowed = problem.allowed();
    let required = problem.required();
    html! {
        div.alert role="alert" {
            strong { (problem.title()) } ": " (problem.detail())
            @if let Some(allowed) = allowed {
                br;
                (lang.t("目前允許的事件:", "Events allowed now:")) " "
                @if allowed.is_empty() { "—" }
                @for (index, event) in allowed.iter().enumerate() {
                    @if index > 0 { ", " }
                    code { (event) }
                }
            }
            @if let Some(required) = required {
                br;
                (lang.t("需要以下角色或小組之一:", "Needs one of these roles or teams:")) " "
                (required.join(", "))
            }
            @for error in problem.errors() {
                br; "· " (error)
            }
        }
    }
}

/// A status badge (`active`, `completed`, `cancelled`, `met`, `missed`…).
pub fn badge(class: &str, text: &str) -> Markup {
    html! { span class=(format!("badge {class}")) { (text) } }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_switch_keeps_the_other_parameters() {
        assert_eq!(switch_link("/ui/", Lang::En), "/ui/?lang=en");
        assert_eq!(
            switch_link("/ui/instances?state=open&lang=zh", Lang::En),
            "/ui/instances?state=open&lang=en"
        );
    }
}
