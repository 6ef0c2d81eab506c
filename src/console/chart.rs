//! The assessment's charts as inline SVG (no script, no library): the
//! points each role earned against what it could earn, and each
//! indicator's rate drawn over its bands, so a team lead sees how far the
//! next band is.

use maud::{Markup, html};

use super::i18n::Lang;
use crate::assess::{Band, Indicator, Lower, Report, Upper};

/// The drawing's width, as wide as the stylesheet lets a chart grow, so
/// that its text is drawn at the page's size.
const WIDTH: f64 = 900.0;
/// Room left of the bars for role and indicator names.
const LABEL: f64 = 240.0;
/// Room right of the bars for the figures ("100.00% → 10", "120 / 120").
const FIGURES: f64 = 130.0;
const ROW: f64 = 26.0;

/// Bars of points per role: earned (blue) against the most it could earn.
pub fn points(lang: Lang, report: &Report) -> Markup {
    let rows = report.roles.len().max(1) as f64;
    let height = rows * ROW + 30.0;
    let possible = |role: &crate::assess::RoleReport| -> i64 {
        role.indicators
            .iter()
            .map(|indicator| indicator.max_points.max(0))
            .sum()
    };
    let scale = report
        .roles
        .iter()
        .map(|role| possible(role).max(role.total))
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let span = WIDTH - LABEL - FIGURES;
    html! {
        svg viewBox=(format!("0 0 {WIDTH} {height}")) role="img" aria-label=(lang.t("各角色得分", "Points per role")) data-chart="points" {
            @for (index, role) in report.roles.iter().enumerate() {
                @let y = index as f64 * ROW + 6.0;
                @let full = possible(role) as f64 / scale * span;
                @let earned = (role.total.max(0) as f64) / scale * span;
                text x=(LABEL - 8.0) y=(y + 14.0) text-anchor="end" { (role.role) }
                rect x=(LABEL) y=(y) width=(full.max(1.0)) height="18" fill="#e4e9f0" rx="3" {}
                rect x=(LABEL) y=(y) width=(earned) height="18" fill="#2f6fde" rx="3" data-role=(role.role) {}
                text x=(LABEL + full.max(earned) + 6.0) y=(y + 14.0) { (role.total) " / " (possible(role)) }
            }
            line x1=(LABEL) x2=(LABEL) y1="0" y2=(rows * ROW + 4.0) stroke="#52606d" {}
            text x=(LABEL) y=(height - 6.0) fill="#616e7c" { "0" }
            text x=(LABEL + span) y=(height - 6.0) text-anchor="end" fill="#616e7c" { (scale) " " (lang.t("分", "points")) }
        }
    }
}

/// The lower and upper rate of a band as fractions (upper `None`: open).
fn bounds(band: &Band) -> (f64, Option<f64>) {
    let lower = match band.lower {
        Lower::AtLeast(value) | Lower::Above(value) => value.to_f64(),
    };
    let upper = match band.upper {
        Upper::Below(value) | Upper::AtMost(value) => Some(value.to_f64()),
        Upper::Unbounded => None,
    };
    (lower, upper)
}

/// Each indicator of a role: its bands as shaded stretches labelled with
/// their points, the rate as a dark marker.
pub fn rates(lang: Lang, role: &crate::assess::RoleReport, indicators: &[Indicator]) -> Markup {
    let rows: Vec<_> = role
        .indicators
        .iter()
        .map(|report| {
            (
                report,
                indicators
                    .iter()
                    .find(|indicator| indicator.id() == report.id),
            )
        })
        .collect();
    let height = rows.len().max(1) as f64 * (ROW + 8.0) + 24.0;
    let span = WIDTH - LABEL - FIGURES;
    html! {
        svg viewBox=(format!("0 0 {WIDTH} {height}")) role="img" data-chart="rates"
            aria-label=(format!("{} {}", role.role, lang.t("各指標比率與分段", "indicator rates against their bands"))) {
            @for (index, (report, indicator)) in rows.iter().enumerate() {
                @let y = index as f64 * (ROW + 8.0) + 4.0;
                @let bands = indicator.map(|indicator| indicator.bands().bands().to_vec()).unwrap_or_default();
                @let top = bands.iter().filter_map(|band| bounds(band).1).fold(1.0_f64, f64::max)
                    .max(report.rate.unwrap_or(0.0) * 1.05);
                @let x = |rate: f64| LABEL + (rate / top).clamp(0.0, 1.0) * span;
                text x=(LABEL - 8.0) y=(y + 15.0) text-anchor="end" {
                    (lang.t(&report.title, &report.title_en))
                }
                @for (band_index, band) in bands.iter().enumerate() {
                    @let (lower, upper) = bounds(band);
                    @let (start, end) = (x(lower), x(upper.unwrap_or(top)));
                    rect x=(start) y=(y) width=((end - start).max(0.0)) height="22"
                        fill=(if band_index % 2 == 0 { "#dfe8f6" } else { "#eef3fa" }) {}
                    @if end - start > 22.0 {
                        text x=((start + end) / 2.0) y=(y + 15.0) text-anchor="middle" fill="#52606d" style="font-size:11px" { (band.points) }
                    }
                }
                @match report.rate {
                    Some(rate) => {
                        rect x=(x(rate) - 2.0) y=(y - 3.0) width="4" height="28" fill="#17212f" data-indicator=(report.id) {}
                        text x=(LABEL + span + 8.0) y=(y + 15.0) {
                            (report.rate_percent.as_deref().unwrap_or("")) "% → " (report.points.unwrap_or(0))
                        }
                    }
                    None => text x=(LABEL + span + 8.0) y=(y + 15.0) fill="#616e7c" { (lang.t("無資料", "no data")) },
                }
            }
        }
    }
}
