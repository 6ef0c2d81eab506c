//! `/ui/assessment?month=` / `?year=`: the team scores of
//! `GET /v1/assessment` (the same computation) as a table per role, the
//! charts of [`super::chart`], month and year pickers, and CSV / JSON
//! downloads of exactly what is shown.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use maud::html;
use serde::Deserialize;

use super::chart;
use super::layout::{self, Nav};
use super::session::Viewer;
use crate::api::assessment::report as assessment_report;
use crate::api::problem::Problem;
use crate::api::state::AppState;
use crate::assess::{AssessmentConfig, PeriodSpec, Report};

#[derive(Debug, Default, Deserialize)]
pub struct PeriodQuery {
    #[serde(default)]
    month: String,
    #[serde(default)]
    year: String,
    /// For downloads: `csv` or `json`.
    #[serde(default)]
    format: String,
    #[allow(dead_code, reason = "read by the language switch from the raw query")]
    lang: Option<String>,
}

impl PeriodQuery {
    /// The period asked for; this month in the zone by default.
    fn period(&self, viewer: &Viewer) -> (Option<String>, Option<String>) {
        let month = self.month.trim();
        let year = self.year.trim();
        if !year.is_empty() && month.is_empty() {
            (None, Some(year.to_owned()))
        } else if !month.is_empty() {
            (Some(month.to_owned()), None)
        } else {
            (Some(viewer.times.this_month()), None)
        }
    }
}

/// The report `GET /v1/assessment` gives for the month or year.
async fn report(
    state: &AppState,
    month: Option<&str>,
    year: Option<&str>,
) -> Result<(Report, AssessmentConfig), Problem> {
    let spec = PeriodSpec::parse(month, year, None, None)
        .map_err(|error| Problem::bad_request(error.to_string()))?;
    assessment_report(state, spec, None).await
}

/// `GET /ui/assessment`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<PeriodQuery>,
) -> Response {
    let lang = viewer.lang;
    let (month, year) = query.period(&viewer);
    let computed = report(&state, month.as_deref(), year.as_deref()).await;
    let period_text = month.clone().or(year.clone()).unwrap_or_default();
    let period_query = match (&month, &year) {
        (Some(month), _) => format!("month={month}"),
        (None, Some(year)) => format!("year={year}"),
        (None, None) => String::new(),
    };
    let title = format!("{} {period_text}", lang.t("考覈", "Assessment"));
    let status = computed
        .as_ref()
        .map_or_else(Problem::status, |_| StatusCode::OK);
    let body = html! {
        h1 { (title) }
        form.filters method="get" action="/ui/assessment" {
            label { (lang.t("月份", "Month")) input type="month" name="month" value=[month.as_deref()]; }
            button type="submit" { (lang.t("查看月份", "Show month")) }
        }
        form.filters method="get" action="/ui/assessment" {
            label { (lang.t("年度", "Year")) input type="number" name="year" min="2000" max="2100" value=[year.as_deref()] placeholder="2026"; }
            button type="submit" { (lang.t("查看年度", "Show year")) }
        }
        @match &computed {
            Err(problem) => (layout::alert(lang, problem)),
            Ok((report, config)) => {
                p.muted {
                    (report.from) " — " (report.to) " (" (report.time_zone) ") · "
                    a href=(format!("/ui/assessment/download?{period_query}&format=csv")) download { (lang.t("下載 CSV", "Download CSV")) }
                    " · "
                    a href=(format!("/ui/assessment/download?{period_query}&format=json")) download { (lang.t("下載 JSON", "Download JSON")) }
                }
                div.card.chart {
                    h2 { (lang.t("各角色得分", "Points per role")) }
                    (chart::points(lang, report))
                }
                @for role in &report.roles {
                    div.card data-role=(role.role) {
                        h2 { (role.role) " · " (lang.t("總分", "total")) " " (role.total) }
                        table {
                            thead { tr {
                                th { (lang.t("指標", "Indicator")) } th.num { (lang.t("分子", "Numerator")) } th.num { (lang.t("分母", "Denominator")) }
                                th.num { (lang.t("比率", "Rate")) } th { (lang.t("分段", "Band")) } th.num { (lang.t("得分", "Points")) } th.num { (lang.t("滿分", "Max")) }
                            } }
                            tbody {
                                @for indicator in &role.indicators {
                                    tr {
                                        td { (lang.t(&indicator.title, &indicator.title_en)) " " span.muted { code { (indicator.id) } } }
                                        td.num { (indicator.numerator) }
                                        td.num { (indicator.denominator) }
                                        td.num { @match &indicator.rate_percent { Some(rate) => { (rate) "%" }, None => span.muted { (lang.t("無資料", "no data")) } } }
                                        td { (indicator.band.as_deref().unwrap_or("—")) }
                                        td.num { @match indicator.points { Some(points) => (points), None => "—" } }
                                        td.num { (indicator.max_points) }
                                    }
                                }
                                tr.total { th colspan="5" { (lang.t("總分", "Total")) } th.num { (role.total) } th {} }
                            }
                        }
                        div.chart {
                            h3 { (lang.t("各指標比率與分段 (▮ = 本期比率)", "Each rate against its bands (▮ = this period)")) }
                            (chart::rates(lang, role, config.indicators()))
                        }
                    }
                }
            }
        }
    };
    layout::page_with(&viewer, Nav::Assessment, &title, status, body)
}

/// `GET /ui/assessment/download?month=…&format=csv|json`: an attachment.
pub async fn download(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<PeriodQuery>,
) -> Response {
    let (month, year) = query.period(&viewer);
    let (report, _) = match report(&state, month.as_deref(), year.as_deref()).await {
        Ok(computed) => computed,
        Err(problem) => return layout::problem_page(viewer.lang, &problem),
    };
    let period = month.or(year).unwrap_or_default();
    let (content_type, extension, body) = match query.format.as_str() {
        "json" => ("application/json", "json", report.to_json()),
        _ => ("text/csv; charset=utf-8", "csv", report.to_csv()),
    };
    let disposition = format!(
        "attachment; filename=\"assessment-{}.{extension}\"",
        period.replace(|c: char| !c.is_ascii_alphanumeric() && c != '-', "")
    );
    (
        [
            (CONTENT_TYPE, content_type.to_owned()),
            (CONTENT_DISPOSITION, disposition),
        ],
        body,
    )
        .into_response()
}
