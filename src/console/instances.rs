//! `/ui/instances`: every instance, newest first, filtered by workflow,
//! state, status, business key or "stuck", a page at a time; each row
//! links to its instance.

use axum::extract::{Query, State};
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use super::filters::{given, page_link};
use super::layout::{self, Nav, badge};
use super::session::Viewer;
use crate::api::problem::Problem;
use crate::api::state::AppState;
use crate::api::views::{page as instance_page, stuck_page};
use crate::api::wire::InstancePage;
use crate::engine::Status;
use crate::store::{Cursor, InstanceFilter};

/// Rows per page.
const PAGE_SIZE: u32 = 50;

/// The filters; empty fields mean "any" (a form sends them empty).
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    workflow: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    key: String,
    #[serde(default)]
    stuck: String,
    #[serde(default)]
    cursor: String,
    #[allow(dead_code, reason = "read by the language switch from the raw query")]
    lang: Option<String>,
}

impl ListQuery {
    fn stuck(&self) -> bool {
        matches!(self.stuck.as_str(), "true" | "on" | "1")
    }

    fn filter(&self, lang: super::i18n::Lang) -> Result<InstanceFilter, String> {
        let status =
            match given(&self.status) {
                None => None,
                Some(text) => Some(Status::parse(&text).ok_or_else(|| {
                    format!("{} `{text}`", lang.t("不明的狀態", "Unknown status"))
                })?),
            };
        let cursor = match given(&self.cursor) {
            None => None,
            Some(text) => Some(Cursor::decode(&text).ok_or_else(|| {
                lang.t(
                    "分頁游標無效,已從第一頁開始。",
                    "The page cursor is not valid.",
                )
                .to_owned()
            })?),
        };
        Ok(InstanceFilter {
            workflow: given(&self.workflow),
            state: given(&self.state),
            key: given(&self.key),
            status,
            limit: PAGE_SIZE,
            cursor,
        })
    }

    /// This query at another page (`None`: the first).
    fn with_cursor(&self, cursor: Option<&str>) -> String {
        let filters = [
            ("workflow", self.workflow.as_str()),
            ("state", &self.state),
            ("status", &self.status),
            ("key", &self.key),
            ("stuck", &self.stuck),
        ];
        page_link("/ui/instances", &filters, cursor)
    }
}

/// `GET /ui/instances`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
) -> Response {
    let lang = viewer.lang;
    let (page, error) = match query.filter(lang) {
        Ok(filter) => match load(&state, &filter, query.stuck()).await {
            Ok(page) => (Some(page), None),
            Err(problem) => (None, Some(problem.detail().to_owned())),
        },
        Err(message) => (None, Some(message)),
    };
    let title = lang.t("實例", "Instances");
    let catalog = state.runtime().catalog();
    let body = html! {
        h1 { (title) }
        form.filters method="get" action="/ui/instances" {
            label { (lang.t("流程", "Workflow"))
                select name="workflow" {
                    option value="" { (lang.t("全部", "any")) }
                    @for definition in catalog.iter() {
                        option value=(definition.id) selected[definition.id == query.workflow] {
                            (definition.title) " (" (definition.id) ")"
                        }
                    }
                }
            }
            label { (lang.t("狀態", "State")) input type="text" name="state" value=(query.state) size="14"; }
            label { (lang.t("進度", "Status"))
                select name="status" {
                    option value="" { (lang.t("全部", "any")) }
                    @for (value, zh, en) in [("active", "進行中", "active"), ("completed", "已完成", "completed"), ("cancelled", "已取消", "cancelled")] {
                        option value=(value) selected[query.status == value] { (lang.t(zh, en)) }
                    }
                }
            }
            label { (lang.t("業務鍵", "Key")) input type="text" name="key" value=(query.key) size="14"; }
            label { (lang.t("只看卡住的", "Stuck only"))
                input type="checkbox" name="stuck" value="true" checked[query.stuck()];
            }
            button type="submit" { (lang.t("篩選", "Filter")) }
            a href="/ui/instances" { (lang.t("清除", "Clear")) }
        }
        @if let Some(error) = &error { p.alert role="alert" { (error) } }
        @if let Some(page) = &page {
            (table(&viewer, &state, page))
            div.pager {
                @if !query.cursor.is_empty() {
                    a href=(query.with_cursor(None)) { "« " (lang.t("第一頁", "First page")) }
                }
                @if let Some(next) = &page.next_cursor {
                    a href=(query.with_cursor(Some(next))) { (lang.t("下一頁", "Next page")) " »" }
                }
            }
        }
    };
    layout::page(&viewer, Nav::Instances, title, body)
}

async fn load(
    state: &AppState,
    filter: &InstanceFilter,
    stuck: bool,
) -> Result<InstancePage, Problem> {
    if stuck {
        return stuck_page(state, filter).await;
    }
    let page = state.store().list_instances(filter).await?;
    instance_page(state, page).await
}

fn table(viewer: &Viewer, state: &AppState, page: &InstancePage) -> Markup {
    let lang = viewer.lang;
    let catalog = state.runtime().catalog();
    html! {
        @if page.items.is_empty() {
            p.muted { (lang.t("沒有符合的實例。", "No instance matches.")) }
        } @else {
            table {
                thead { tr {
                    th { (lang.t("業務鍵", "Key")) }
                    th { (lang.t("流程", "Workflow")) }
                    th { (lang.t("狀態", "State")) }
                    th { (lang.t("進度", "Status")) }
                    th { (lang.t("更新時間", "Updated")) }
                    th { (lang.t("事故", "Incident")) }
                } }
                tbody {
                    @for item in &page.items {
                        @let definition = catalog.get(&item.workflow);
                        tr data-instance=(item.id) {
                            td { a href=(format!("/ui/instances/{}", item.id)) { (item.key) } }
                            td { (definition.map_or(item.workflow.as_str(), |definition| definition.title.as_str())) " " span.muted { "v" (item.version) } }
                            td {
                                (definition.and_then(|definition| definition.state(&item.state)).and_then(|declared| declared.title.as_deref()).unwrap_or(&item.state))
                                " " span.muted { code { (item.state) } }
                            }
                            td { (badge(&item.status, &item.status)) }
                            td { (viewer.times.text(&item.updated_at)) }
                            td { @if let Some(incident) = &item.incident { span.badge.missed title=(incident.message) { (incident.kind) } } }
                        }
                    }
                }
            }
        }
    }
}
