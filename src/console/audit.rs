//! `/ui/audit` and `/ui/security?week=` (admin): the audit log with its
//! filters, a page at a time, and the weekly security report of
//! `GET /v1/admin/security-report` (the same computation), with CSV and
//! JSON downloads from the API.

use axum::extract::{Query, State};
use axum::response::Response;
use maud::html;
use serde::Deserialize;

use super::filters::{given, page_link};
use super::layout::{self, Nav};
use super::session::AdminViewer;
use crate::api::audit::{AuditParams, weekly_report};
use crate::api::problem::Problem;
use crate::api::state::AppState;
use crate::api::wire::AuditEntryView;

#[derive(Debug, Default, Deserialize)]
pub struct AuditFilter {
    #[serde(default)]
    actor: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    target: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    cursor: String,
    #[allow(dead_code, reason = "read by the language switch from the raw query")]
    lang: Option<String>,
}

impl AuditFilter {
    /// The form as the API's audit query, read by the API's rules.
    fn params(&self) -> AuditParams {
        AuditParams {
            from: given(&self.from),
            to: given(&self.to),
            actor: given(&self.actor),
            action: given(&self.action),
            target: given(&self.target),
            limit: None,
            cursor: given(&self.cursor),
        }
    }

    fn next(&self, cursor: &str) -> String {
        let filters = [
            ("actor", self.actor.as_str()),
            ("action", &self.action),
            ("target", &self.target),
            ("from", &self.from),
            ("to", &self.to),
        ];
        page_link("/ui/audit", &filters, Some(cursor))
    }
}

/// `GET /ui/audit` (admin).
pub async fn page(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    Query(filter): Query<AuditFilter>,
) -> Response {
    let lang = viewer.lang;
    let loaded = match filter.params().into_query() {
        Ok(query) => state
            .store()
            .audit_page(&query)
            .await
            .map_err(Problem::from),
        Err(problem) => Err(problem),
    };
    let title = lang.t("稽核紀錄", "Audit log");
    let body = html! {
        h1 { (title) }
        form.filters method="get" action="/ui/audit" {
            label { (lang.t("操作者", "Actor")) input type="text" name="actor" value=(filter.actor) size="12"; }
            label { (lang.t("動作", "Action")) input type="text" name="action" value=(filter.action) size="16" placeholder="instance.cancel"; }
            label { (lang.t("對象", "Target")) input type="text" name="target" value=(filter.target) size="22" placeholder="instance:…"; }
            label { (lang.t("起 (RFC 3339)", "From (RFC 3339)")) input type="text" name="from" value=(filter.from) size="22"; }
            label { (lang.t("迄", "To")) input type="text" name="to" value=(filter.to) size="22"; }
            button type="submit" { (lang.t("篩選", "Filter")) }
            a href="/ui/audit" { (lang.t("清除", "Clear")) }
        }
        @match &loaded {
            Err(problem) => (layout::alert(lang, problem)),
            Ok(page) => {
                @if page.entries.is_empty() { p.muted { (lang.t("沒有符合的紀錄。", "No entry matches.")) } }
                @else {
                    table {
                        thead { tr {
                            th.num { "#" } th { (lang.t("時間", "At")) } th { (lang.t("操作者", "Actor")) } th { (lang.t("動作", "Action")) }
                            th { (lang.t("對象", "Target")) } th { (lang.t("細節", "Detail")) } th { (lang.t("來源", "From")) }
                        } }
                        tbody {
                            @for entry in page.entries.iter().map(AuditEntryView::from) {
                                tr data-seq=(entry.seq) {
                                    td.num { (entry.seq) }
                                    td { (viewer.times.text(&entry.at)) }
                                    td { (entry.actor) }
                                    td { code { (entry.action) } }
                                    td {
                                        @match entry.target.strip_prefix("instance:") {
                                            Some(id) => a href=(format!("/ui/instances/{id}")) { (entry.target) },
                                            None => (entry.target),
                                        }
                                    }
                                    td { @if !entry.detail.is_null() { code.detail { (entry.detail.to_string()) } } }
                                    td.muted { (entry.remote_addr.as_deref().unwrap_or("")) }
                                }
                            }
                        }
                    }
                }
                @if let Some(next) = &page.next_cursor {
                    div.pager { a href=(filter.next(&next.encode())) { (lang.t("下一頁", "Next page")) " »" } }
                }
            }
        }
    };
    layout::page(&viewer, Nav::Audit, title, body)
}

#[derive(Debug, Default, Deserialize)]
pub struct WeekQuery {
    #[serde(default)]
    week: String,
    #[allow(dead_code, reason = "read by the language switch from the raw query")]
    lang: Option<String>,
}

/// `GET /ui/security?week=2026-W48` (admin): the last complete week by default.
pub async fn security(
    State(state): State<AppState>,
    AdminViewer(viewer): AdminViewer,
    Query(query): Query<WeekQuery>,
) -> Response {
    let lang = viewer.lang;
    let computed = weekly_report(&state, given(&query.week).as_deref()).await;
    let title = lang.t("安全週報", "Weekly security report");
    let body = html! {
        h1 { (title) }
        form.filters method="get" action="/ui/security" {
            label { (lang.t("ISO 週", "ISO week")) input type="week" name="week" value=(query.week) placeholder="2026-W48"; }
            button type="submit" { (lang.t("查看", "Show")) }
        }
        @match &computed {
            Err(problem) => (layout::alert(lang, problem)),
            Ok((week, report)) => {
                p.muted {
                    a href=(format!("/v1/admin/security-report?week={week}&format=csv")) download { (lang.t("下載 CSV", "Download CSV")) }
                    " · "
                    a href=(format!("/v1/admin/security-report?week={week}")) download { (lang.t("下載 JSON", "Download JSON")) }
                }
                div.card { pre data-week=(week.to_string()) { (report.to_table()) } }
            }
        }
    };
    layout::page(&viewer, Nav::Security, title, body)
}
