//! The bare HTML document every console page is, and the page that only
//! says why something was refused (which the sign-in check answers with,
//! before any navigation exists).

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use maud::{DOCTYPE, Markup, html};

use super::i18n::Lang;
use crate::api::problem::Problem;

/// The document around a header and a body.
pub fn document(lang: Lang, title: &str, header: Markup, body: Markup) -> Markup {
    html! {
        (DOCTYPE)
        html lang=(lang.tag()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · flowkeeper" }
                link rel="stylesheet" href="/ui/console.css";
            }
            body {
                (header)
                main { (body) }
            }
        }
    }
}

/// A page that only says why something was refused.
pub fn refusal(lang: Lang, status: StatusCode, message: &str) -> Response {
    let title = lang.t("無法完成", "Not possible");
    let body = html! {
        h1 { (title) }
        p.alert role="alert" { (message) }
        p { a href="/ui/" { (lang.t("回到總覽", "Back to the overview")) } }
    };
    (status, document(lang, title, html! {}, body)).into_response()
}

/// A problem from the runtime or the store, as a page.
pub fn problem_page(lang: Lang, problem: &Problem) -> Response {
    refusal(lang, problem.status(), problem.detail())
}
