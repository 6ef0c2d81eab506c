//! The audit log and the weekly security report (docs/security.md), for
//! admins. The log is only read here: nothing in the API changes or
//! removes an entry.

use axum::Json;
use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use super::auth::Admin;
use super::extract::QueryParams;
use super::problem::{Problem, ProblemBody};
use super::state::AppState;
use super::wire::{AuditEntryView, AuditPageView, parse_timestamp};
use crate::assess;
use crate::security_report::{IsoWeek, SecurityReport};
use crate::store::{AuditCursor, AuditQuery};

/// Filters of `GET /v1/admin/audit`; all optional.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditParams {
    /// Entries at or after this RFC 3339 instant.
    #[param(format = DateTime)]
    pub from: Option<String>,
    /// Entries before this RFC 3339 instant.
    #[param(format = DateTime)]
    pub to: Option<String>,
    /// An account name (or a system actor: `timer`, `engine`, …).
    pub actor: Option<String>,
    /// e.g. `instance.cancel`, `session.fail`.
    pub action: Option<String>,
    /// e.g. `instance:<id>`, `account:<name>`, `token:<id>`.
    pub target: Option<String>,
    /// 1 to 500, default 100.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^s[0-9]{1,18}$")]
    pub cursor: Option<String>,
}

impl AuditParams {
    /// The store's query for these filters: 400 for a time that is not
    /// RFC 3339, a limit out of range or a cursor this server did not
    /// issue. The console's audit page reads its form through it too, so
    /// both answer the same filter alike.
    pub(crate) fn into_query(self) -> Result<AuditQuery, Problem> {
        let instant = |text: Option<String>| {
            text.map(|text| {
                parse_timestamp(&text).ok_or_else(|| {
                    Problem::bad_request(format!("`{text}` is not an RFC 3339 time"))
                })
            })
            .transpose()
        };
        let limit = self.limit.unwrap_or(100);
        if !(1..=500).contains(&limit) {
            return Err(Problem::bad_request("limit must be between 1 and 500"));
        }
        let cursor = self
            .cursor
            .map(|text| {
                AuditCursor::decode(&text)
                    .ok_or_else(|| Problem::bad_request("the cursor is not one this server issued"))
            })
            .transpose()?;
        Ok(AuditQuery {
            from: instant(self.from)?,
            to: instant(self.to)?,
            actor: self.actor,
            action: self.action,
            target: self.target,
            limit,
            cursor,
        })
    }
}

/// The audit log, oldest first, a page at a time.
#[utoipa::path(get, path = "/v1/admin/audit", tag = "audit", security(("bearer" = [])),
    params(AuditParams),
    responses(
        (status = 200, description = "A page of entries", body = AuditPageView),
        (status = 400, description = "Unknown parameter, bad time, limit or cursor", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn audit(
    State(state): State<AppState>,
    _: Admin,
    QueryParams(params): QueryParams<AuditParams>,
) -> Result<Json<AuditPageView>, Problem> {
    let query = params.into_query()?;
    let page = state.store().audit_page(&query).await?;
    Ok(Json(AuditPageView {
        items: page.entries.iter().map(AuditEntryView::from).collect(),
        next_cursor: page.next_cursor.map(AuditCursor::encode),
    }))
}

/// The report's week and format.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ReportParams {
    /// An ISO week, e.g. `2026-W48`; default: the last complete week.
    #[param(pattern = "^[0-9]{4}-W(0[1-9]|[1-4][0-9]|5[0-2])$")]
    pub week: Option<String>,
    /// `json` (default), `csv` or `table`: the same numbers.
    pub format: Option<ReportFormat>,
}

/// How the report is written.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ReportFormat {
    #[default]
    Json,
    Csv,
    Table,
}

/// The weekly security report: failed sign-ins, lock-outs, account and
/// token changes, vendor accounts, admin actions, idle accounts, backups
/// and the audit chain, for one ISO week in the assessment's time zone.
#[utoipa::path(get, path = "/v1/admin/security-report", tag = "audit", security(("bearer" = [])),
    params(ReportParams),
    responses(
        (status = 200, description = "The report (JSON; `format=csv` gives text/csv, `format=table` text/plain)", body = SecurityReport,
            content(
                (SecurityReport = "application/json"),
                (String = "text/csv"),
                (String = "text/plain"),
            )),
        (status = 400, description = "Unknown parameter, or not an ISO week", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "assessment.toml (which names the time zone) is invalid", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn security_report(
    State(state): State<AppState>,
    _: Admin,
    QueryParams(params): QueryParams<ReportParams>,
) -> Result<Response, Problem> {
    let (_, report) = weekly_report(&state, params.week.as_deref()).await?;
    let (content_type, body) = match params.format.unwrap_or_default() {
        ReportFormat::Json => return Ok(Json(report).into_response()),
        ReportFormat::Csv => ("text/csv; charset=utf-8", report.to_csv()),
        ReportFormat::Table => ("text/plain; charset=utf-8", report.to_table()),
    };
    let mut response = (StatusCode::OK, body).into_response();
    response
        .headers_mut()
        .insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    Ok(response)
}

/// The report of `week` (an ISO week such as `2026-W48`; the last complete
/// week when `None`) in the time zone `assessment.toml` names, with the
/// week it covers. The console's security page shows the same.
pub(crate) async fn weekly_report(
    state: &AppState,
    week: Option<&str>,
) -> Result<(IsoWeek, SecurityReport), Problem> {
    let zone = assess::time_zone_in(state.workflows_dir()).map_err(|diagnostics| {
        Problem::unprocessable(
            "invalid-assessment",
            "Invalid assessment.toml",
            diagnostics.to_string(),
        )
    })?;
    let week = match week {
        Some(text) => text
            .parse::<IsoWeek>()
            .map_err(|error| Problem::bad_request(error.to_string()))?,
        None => IsoWeek::containing(state.runtime().real_now(), &zone)
            .and_then(IsoWeek::previous)
            .map_err(|error| Problem::internal(error.to_string()))?,
    };
    let report = state.runtime().security_report(week, &zone).await?;
    Ok((week, report))
}
