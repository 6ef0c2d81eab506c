//! The report as JSON (the API's body), CSV (one row per finding) and a
//! table for people. All three print the same [`SecurityReport`].

use unicode_width::UnicodeWidthStr;

use super::SecurityReport;

impl SecurityReport {
    /// The JSON of `GET /v1/admin/security-report`, pretty-printed.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a report is plain data")
    }

    /// One row per finding under a common header; `section` says which
    /// list a row belongs to, and each row fills the columns it has.
    /// `backups` and `audit_chain` always have their one row.
    pub fn to_csv(&self) -> String {
        let mut writer = csv::Writer::from_writer(Vec::new());
        writer.write_record(CSV_HEADER).expect("writing to memory");
        for row in self.csv_rows() {
            writer
                .write_record(row.cells(&self.week))
                .expect("writing to memory");
        }
        let bytes = writer.into_inner().expect("writing to memory");
        String::from_utf8(bytes).expect("the report is UTF-8")
    }

    /// Sections with a heading and aligned columns; "none" for an empty one.
    pub fn to_table(&self) -> String {
        let mut out = format!(
            "Security report {}: Monday {} to Sunday {} ({})\nAccounts judged at {}\n",
            self.week, self.days.0, self.days.1, self.time_zone, self.as_of
        );
        let chain = match self.audit_chain.first_bad_seq {
            None => format!("ok, {} entries", self.audit_chain.entries),
            Some(seq) => format!("BROKEN at entry {seq}: run `flowkeeper audit verify`"),
        };
        out.push_str(&format!("\nAudit chain: {chain}\n"));
        let backup = match &self.backups.last_success {
            Some(at) => format!("last success {at}"),
            None => "no successful backup".to_owned(),
        };
        out.push_str(&format!(
            "Backups: {backup}, {} failed this week\n",
            self.backups.failures
        ));
        section(
            &mut out,
            "Failed sign-ins",
            &["Account", "Address", "Count"],
            self.failed_sign_ins.iter().map(|row| {
                vec![
                    row.account.clone(),
                    optional(&row.remote_addr),
                    row.count.to_string(),
                ]
            }),
        );
        section(
            &mut out,
            "Lock-outs",
            &["Account", "Address", "At"],
            self.lockouts.iter().map(|row| {
                vec![
                    row.account.clone(),
                    optional(&row.remote_addr),
                    row.at.clone(),
                ]
            }),
        );
        section(
            &mut out,
            "Accounts created",
            &["Account", "Role", "By", "At"],
            self.accounts_created.iter().map(|row| {
                let role = row
                    .role
                    .map_or_else(|| "?".to_owned(), |role| role.to_string());
                let role = if row.emergency {
                    format!("{role} (emergency)")
                } else {
                    role
                };
                vec![row.account.clone(), role, row.by.clone(), row.at.clone()]
            }),
        );
        for (title, rows) in [
            ("Accounts changed", &self.accounts_changed),
            ("Accounts disabled", &self.accounts_disabled),
        ] {
            section(
                &mut out,
                title,
                &["Account", "Fields", "By", "At"],
                rows.iter().map(|row| {
                    vec![
                        row.account.clone(),
                        row.fields.join(", "),
                        row.by.clone(),
                        row.at.clone(),
                    ]
                }),
            );
        }
        let vendors = &self.vendors;
        section(
            &mut out,
            "Vendor accounts",
            &["State", "Accounts"],
            [
                ("active", &vendors.active),
                ("expired, still enabled", &vendors.expired),
                (
                    "emergency, awaiting approval",
                    &vendors.emergency_without_approval,
                ),
                ("emergency, OVERDUE", &vendors.overdue),
            ]
            .into_iter()
            .map(|(state, names)| vec![state.to_owned(), list(names)]),
        );
        section(
            &mut out,
            "Expired accounts not disabled",
            &["Account"],
            self.expired_accounts.iter().map(|name| vec![name.clone()]),
        );
        for (title, rows) in [
            ("Tokens issued", &self.tokens_issued),
            ("Tokens revoked", &self.tokens_revoked),
        ] {
            section(
                &mut out,
                title,
                &["Token", "Name", "Account", "By", "At"],
                rows.iter().map(|row| {
                    vec![
                        row.token.clone(),
                        optional(&row.name),
                        optional(&row.account),
                        row.by.clone(),
                        row.at.clone(),
                    ]
                }),
            );
        }
        section(
            &mut out,
            "Admin actions",
            &["At", "Actor", "Action", "Target"],
            self.admin_actions.iter().map(|row| {
                vec![
                    row.at.clone(),
                    row.actor.clone(),
                    row.action.clone(),
                    row.target.clone(),
                ]
            }),
        );
        section(
            &mut out,
            "Idle accounts",
            &["Account", "Role", "Last seen"],
            self.idle_accounts.iter().map(|row| {
                let seen = row
                    .last_seen_at
                    .clone()
                    .unwrap_or_else(|| "never".to_owned());
                vec![row.account.clone(), row.role.to_string(), seen]
            }),
        );
        out
    }

    fn csv_rows(&self) -> Vec<CsvRow> {
        let mut rows = Vec::new();
        for row in &self.failed_sign_ins {
            rows.push(CsvRow {
                account: row.account.clone(),
                remote_addr: optional(&row.remote_addr),
                count: row.count.to_string(),
                ..CsvRow::new("failed_sign_ins")
            });
        }
        for row in &self.lockouts {
            rows.push(CsvRow {
                account: row.account.clone(),
                remote_addr: optional(&row.remote_addr),
                at: row.at.clone(),
                ..CsvRow::new("lockouts")
            });
        }
        for row in &self.accounts_created {
            rows.push(CsvRow {
                account: row.account.clone(),
                role: row.role.map(|role| role.to_string()).unwrap_or_default(),
                by: row.by.clone(),
                at: row.at.clone(),
                detail: if row.emergency {
                    "emergency".into()
                } else {
                    String::new()
                },
                ..CsvRow::new("accounts_created")
            });
        }
        for (section, list) in [
            ("accounts_changed", &self.accounts_changed),
            ("accounts_disabled", &self.accounts_disabled),
        ] {
            for row in list {
                rows.push(CsvRow {
                    account: row.account.clone(),
                    by: row.by.clone(),
                    at: row.at.clone(),
                    detail: row.fields.join(" "),
                    ..CsvRow::new(section)
                });
            }
        }
        let vendors = &self.vendors;
        for (section, names) in [
            ("vendors.active", &vendors.active),
            ("vendors.expired", &vendors.expired),
            (
                "vendors.emergency_without_approval",
                &vendors.emergency_without_approval,
            ),
            ("vendors.overdue", &vendors.overdue),
            ("expired_accounts", &self.expired_accounts),
        ] {
            for name in names {
                rows.push(CsvRow {
                    account: name.clone(),
                    ..CsvRow::new(section)
                });
            }
        }
        for (section, list) in [
            ("tokens_issued", &self.tokens_issued),
            ("tokens_revoked", &self.tokens_revoked),
        ] {
            for row in list {
                rows.push(CsvRow {
                    account: optional(&row.account),
                    by: row.by.clone(),
                    target: row.token.clone(),
                    at: row.at.clone(),
                    detail: optional(&row.name),
                    ..CsvRow::new(section)
                });
            }
        }
        for row in &self.admin_actions {
            rows.push(CsvRow {
                by: row.actor.clone(),
                action: row.action.clone(),
                target: row.target.clone(),
                at: row.at.clone(),
                ..CsvRow::new("admin_actions")
            });
        }
        for row in &self.idle_accounts {
            rows.push(CsvRow {
                account: row.account.clone(),
                role: row.role.to_string(),
                at: optional(&row.last_seen_at),
                ..CsvRow::new("idle_accounts")
            });
        }
        rows.push(CsvRow {
            at: optional(&self.backups.last_success),
            count: self.backups.failures.to_string(),
            ..CsvRow::new("backups")
        });
        rows.push(CsvRow {
            count: self.audit_chain.entries.to_string(),
            seq: self
                .audit_chain
                .first_bad_seq
                .map(|seq| seq.to_string())
                .unwrap_or_default(),
            detail: if self.audit_chain.ok { "ok" } else { "broken" }.into(),
            ..CsvRow::new("audit_chain")
        });
        rows
    }
}

const CSV_HEADER: [&str; 12] = [
    "week",
    "section",
    "account",
    "role",
    "remote_addr",
    "by",
    "action",
    "target",
    "at",
    "count",
    "seq",
    "detail",
];

/// One CSV line; empty strings for the columns a section does not use.
#[derive(Default)]
struct CsvRow {
    section: &'static str,
    account: String,
    role: String,
    remote_addr: String,
    by: String,
    action: String,
    target: String,
    at: String,
    count: String,
    seq: String,
    detail: String,
}

impl CsvRow {
    fn new(section: &'static str) -> Self {
        Self {
            section,
            ..Self::default()
        }
    }

    fn cells(self, week: &str) -> [String; 12] {
        [
            week.to_owned(),
            self.section.to_owned(),
            self.account,
            self.role,
            self.remote_addr,
            self.by,
            self.action,
            self.target,
            self.at,
            self.count,
            self.seq,
            self.detail,
        ]
    }
}

fn optional(value: &Option<String>) -> String {
    value.clone().unwrap_or_default()
}

fn list(names: &[String]) -> String {
    if names.is_empty() {
        "—".to_owned()
    } else {
        names.join(", ")
    }
}

/// A heading with the number of rows, then the rows in aligned columns
/// (by display width: a Chinese character takes two).
fn section(
    out: &mut String,
    title: &str,
    header: &[&str],
    rows: impl Iterator<Item = Vec<String>>,
) {
    let rows: Vec<Vec<String>> = rows.collect();
    out.push_str(&format!("\n{title}: {}\n", rows.len()));
    if rows.is_empty() {
        out.push_str("  none\n");
        return;
    }
    let header: Vec<String> = header.iter().map(|cell| (*cell).to_owned()).collect();
    let mut widths = vec![0usize; header.len()];
    for row in std::iter::once(&header).chain(&rows) {
        for (width, cell) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell.width());
        }
    }
    for row in std::iter::once(&header).chain(&rows) {
        let mut line = String::from(" ");
        for (cell, width) in row.iter().zip(&widths) {
            line.push(' ');
            line.push_str(cell);
            line.push_str(&" ".repeat(width - cell.width()));
            line.push(' ');
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
}
