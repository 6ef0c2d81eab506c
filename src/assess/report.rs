//! The assessment report and its three renderings: JSON (the API's body),
//! CSV and a table for people. All three print the same fields of the same
//! [`Report`], so they cannot disagree.

use std::fmt::Write as _;

use serde::Serialize;

/// One period's assessment: per role, every selected indicator and the total.
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Report {
    /// The period's start, RFC 3339 UTC with milliseconds (included).
    pub from: String,
    /// The period's end (excluded).
    pub to: String,
    /// The zone whose midnights bound the period, e.g. `Asia/Shanghai`.
    pub time_zone: String,
    pub roles: Vec<RoleReport>,
    /// `from` and `to` as wall time in `time_zone`, for the table.
    #[serde(skip)]
    pub(super) local: (String, String),
}

#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct RoleReport {
    pub role: String,
    /// The sum of the points of the indicators that have data.
    pub total: i64,
    pub indicators: Vec<IndicatorReport>,
}

/// One indicator for one role. `rate`, `rate_percent`, `band` and `points`
/// are `null` when the denominator is 0 ("no data").
#[derive(Debug, Clone, PartialEq, Serialize, utoipa::ToSchema)]
pub struct IndicatorReport {
    pub id: String,
    /// The seed's Chinese name.
    pub title: String,
    pub title_en: String,
    pub numerator: u64,
    pub denominator: u64,
    /// numerator / denominator as a fraction of 1 (0.695 for 69.5 %). The
    /// band was chosen from the exact counts, not from this number.
    pub rate: Option<f64>,
    /// The rate in percent truncated to one decimal (`"69.5"`), as the
    /// table shows it; truncation never moves it across a one-decimal bound.
    pub rate_percent: Option<String>,
    /// The rates of the band it fell in, e.g. `[60 %, 70 %)`.
    pub band: Option<String>,
    pub points: Option<i64>,
    /// The indicator's weight from the seed (negative for deductions).
    pub max_points: i64,
}

impl Report {
    /// The JSON of `GET /v1/assessment`, pretty-printed.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report is plain data")
    }

    /// One line per role and indicator, with a header.
    pub fn to_csv(&self) -> String {
        let mut out = String::from(
            "from,to,role,role_total,indicator,title,title_en,numerator,denominator,rate,rate_percent,band,points,max_points\n",
        );
        for role in &self.roles {
            for indicator in &role.indicators {
                let fields = [
                    self.from.clone(),
                    self.to.clone(),
                    role.role.clone(),
                    role.total.to_string(),
                    indicator.id.clone(),
                    indicator.title.clone(),
                    indicator.title_en.clone(),
                    indicator.numerator.to_string(),
                    indicator.denominator.to_string(),
                    indicator.rate.map(json_number).unwrap_or_default(),
                    indicator.rate_percent.clone().unwrap_or_default(),
                    indicator.band.clone().unwrap_or_default(),
                    optional(indicator.points),
                    indicator.max_points.to_string(),
                ];
                let line: Vec<String> = fields.iter().map(|field| csv_field(field)).collect();
                out.push_str(&line.join(","));
                out.push('\n');
            }
        }
        out
    }

    /// A table per role for people: both titles, counts, the rate as a
    /// percentage with one decimal, the band, the points and the total.
    pub fn to_table(&self) -> String {
        let mut out = format!(
            "Assessment 考覈 {} – {} ({}; the end is excluded)\n",
            self.local.0, self.local.1, self.time_zone
        );
        if self.roles.is_empty() {
            out.push_str("\nNo role has facts or a selection in this period.\n");
        }
        for role in &self.roles {
            let without = role
                .indicators
                .iter()
                .filter(|i| i.points.is_none())
                .count();
            let _ = write!(out, "\n{}: total {} points", role.role, role.total);
            if without > 0 {
                let _ = write!(out, " ({without} without data left out)");
            }
            out.push('\n');
            let mut rows = vec![[
                "Indicator".to_owned(),
                "Numerator".to_owned(),
                "Denominator".to_owned(),
                "Rate".to_owned(),
                "Band".to_owned(),
                "Points".to_owned(),
                "Max".to_owned(),
            ]];
            rows.extend(role.indicators.iter().map(|indicator| {
                [
                    format!("{} {}", indicator.title, indicator.title_en),
                    indicator.numerator.to_string(),
                    indicator.denominator.to_string(),
                    indicator
                        .rate_percent
                        .as_ref()
                        .map_or_else(|| "no data".to_owned(), |rate| format!("{rate} %")),
                    indicator.band.clone().unwrap_or_else(|| "—".to_owned()),
                    indicator
                        .points
                        .map_or_else(|| "—".to_owned(), |points| points.to_string()),
                    indicator.max_points.to_string(),
                ]
            }));
            out.push_str(&columns(&rows));
        }
        out
    }
}

fn optional<T: ToString>(value: Option<T>) -> String {
    value.map(|value| value.to_string()).unwrap_or_default()
}

/// A rate written exactly as the JSON writes it (`0.0`, `0.695`), so the
/// two machine formats agree character for character.
fn json_number(rate: f64) -> String {
    serde_json::Value::from(rate).to_string()
}

/// RFC 4180: quote a field holding a comma, quote or line break.
fn csv_field(field: &str) -> String {
    if field.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", field.replace('"', "\"\""))
    } else {
        field.to_owned()
    }
}

/// Left-aligns the first column and right-aligns the numbers, by display
/// width (a Chinese character takes two columns in a terminal).
fn columns(rows: &[[String; 7]]) -> String {
    let mut widths = [0usize; 7];
    for row in rows {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(display_width(cell));
        }
    }
    let mut out = String::new();
    for row in rows {
        out.push_str("  ");
        for (index, (cell, width)) in row.iter().zip(widths).enumerate() {
            let pad = " ".repeat(width - display_width(cell));
            match index {
                0 | 4 => {
                    out.push_str(cell);
                    out.push_str(&pad);
                }
                _ => {
                    out.push_str(&pad);
                    out.push_str(cell);
                }
            }
            out.push_str(if index < 6 { "  " } else { "" });
        }
        let trimmed = out.trim_end().len();
        out.truncate(trimmed);
        out.push('\n');
    }
    out
}

fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| match u32::from(c) {
            0x1100..=0x115F
            | 0x2E80..=0xA4CF
            | 0xAC00..=0xD7A3
            | 0xF900..=0xFAFF
            | 0xFE30..=0xFE4F
            | 0xFF00..=0xFF60
            | 0xFFE0..=0xFFE6 => 2,
            _ => 1,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_what_needs_it_and_widths_count_chinese_twice() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
        assert_eq!(display_width("掛單率 x"), 8);
    }
}
