//! The weekly report on a prepared week (2026-W48): what it finds, and
//! that JSON, CSV and the table carry the same numbers.

use flowkeeper::accounts::{Account, AccountPolicy, Role};
use flowkeeper::audit::detail::{self, AccountCreated, AccountUpdated, TokenDetail};
use flowkeeper::audit::{AuditAction, AuditDraft, AuditEntry, ChainCheck, GENESIS};
use flowkeeper::security_report::{IsoWeek, ReportInput, SecurityReport, compute};
use jiff::tz::TimeZone;
use serde_json::{Value as Json, json};

use super::{DAY, HOUR, MINUTE, T0, account};

/// The week's log, with one entry before it and one after it that must not
/// count.
fn entries() -> Vec<AuditEntry> {
    use AuditAction::*;
    let fail = |name: &str, addr: &str| {
        AuditDraft::new(SessionFail, name, format!("account:{name}"))
            .with_remote_addr(Some(addr.to_owned()))
    };
    let token = TokenDetail {
        account: "crm".into(),
        name: "ci".into(),
        role: Role::Service,
        expires_at: None,
    };
    let mut drafts = vec![
        (T0 - HOUR, fail("eve", "10.0.0.9")),
        (
            T0 + HOUR,
            AuditDraft::new(AccountCreate, "admin", "account:v-overdue").with_detail(
                detail::to_json(&AccountCreated {
                    role: Role::Vendor,
                    teams: vec!["bss".into()],
                    title: "Supplier".into(),
                    expires_at: Some("2026-11-30T01:00:00.000Z".into()),
                    emergency: true,
                }),
            ),
        ),
    ];
    for minute in 0..3 {
        drafts.push((T0 + 2 * HOUR + minute * MINUTE, fail("eve", "10.0.0.9")));
    }
    for minute in 0..5 {
        drafts.push((T0 + 3 * HOUR + minute * MINUTE, fail("ghost", "10.0.0.9")));
    }
    drafts.extend([
        (
            T0 + 3 * HOUR + 4 * MINUTE,
            AuditDraft::new(SessionLock, "ghost", "account:ghost")
                .with_remote_addr(Some("10.0.0.9".into())),
        ),
        (T0 + 4 * HOUR, fail("eve", "10.0.0.10")),
        (
            T0 + DAY,
            AuditDraft::new(
                TokenIssue,
                "admin",
                "token:0195f0c8-0000-7000-8000-000000000001",
            )
            .with_detail(detail::to_json(&token)),
        ),
        (
            T0 + 2 * DAY,
            AuditDraft::new(
                TokenRevoke,
                "admin",
                "token:0195f0c8-0000-7000-8000-000000000001",
            )
            .with_detail(detail::to_json(&token)),
        ),
        (
            T0 + 2 * DAY,
            AuditDraft::new(AccountUpdate, "admin", "account:alice").with_detail(detail::to_json(
                &AccountUpdated {
                    fields: vec!["teams".into(), "password".into()],
                },
            )),
        ),
        (
            T0 + 3 * DAY,
            AuditDraft::new(AccountDisable, "engine", "account:v-gone")
                .with_detail(json!({"fields": ["disabled"]})),
        ),
        (
            T0 + 4 * DAY,
            AuditDraft::new(
                InstanceCancel,
                "admin",
                "instance:0195f0c8-0000-7000-8000-00000000000a",
            )
            .with_detail(json!({"reason": "duplicate"})),
        ),
        (
            T0 + 4 * DAY,
            AuditDraft::new(
                InstanceEvent,
                "desk",
                "instance:0195f0c8-0000-7000-8000-00000000000b",
            ),
        ),
        (T0 + 5 * DAY, AuditDraft::new(ClockMove, "admin", "clock")),
        (
            T0 + 6 * DAY,
            AuditDraft::new(BackupFail, "engine", "backup"),
        ),
        (
            T0 + 7 * DAY,
            AuditDraft::new(AccountCreate, "admin", "account:next-week"),
        ),
    ]);
    let mut previous = GENESIS.to_owned();
    drafts
        .into_iter()
        .zip(1..)
        .map(|((at, draft), seq)| {
            let entry = draft.seal(seq, at, &previous);
            previous.clone_from(&entry.hash);
            entry
        })
        .collect()
}

fn accounts() -> Vec<Account> {
    let vendor = |name: &str, expires_at: Millis, approval: Option<&str>| {
        let mut vendor = account(name, Role::Vendor, &["bss"]);
        vendor.expires_at = Some(expires_at);
        vendor.approval = approval.map(str::to_owned);
        vendor.emergency = approval.is_none();
        vendor
    };
    let mut admin = account("admin", Role::Admin, &[]);
    admin.last_seen_at = Some(T0 + 6 * DAY);
    let mut waiting = vendor("v-waiting", T0 + 8 * DAY, None);
    waiting.created_at = T0 + 6 * DAY + 12 * HOUR;
    let mut overdue = vendor("v-overdue", T0 + 7 * DAY + HOUR, None);
    overdue.created_at = T0 + HOUR;
    let mut gone = vendor("v-gone", T0 + 5 * DAY, Some("ref 3"));
    gone.disabled_at = Some(T0 + 3 * DAY);
    let mut alice = account("alice", Role::Operator, &["bss"]);
    alice.last_seen_at = Some(T0 - 100 * DAY);
    let mut bob = account("bob", Role::Operator, &[]);
    bob.created_at = T0 - 91 * DAY;
    let mut carol = account("carol", Role::Operator, &[]);
    carol.created_at = T0 - 10 * DAY;
    let mut old = account("old-op", Role::Operator, &[]);
    old.expires_at = Some(T0 + DAY);
    old.last_seen_at = Some(T0);
    vec![
        admin,
        vendor(
            "v-active",
            T0 + 10 * DAY,
            Some("approved by Zhang, SYS-118"),
        ),
        vendor("v-expired", T0 + 2 * DAY, Some("ref 2")),
        waiting,
        overdue,
        gone,
        alice,
        bob,
        carol,
        old,
    ]
}

use flowkeeper::engine::Millis;

fn report() -> SecurityReport {
    let week: IsoWeek = "2026-W48".parse().unwrap();
    let entries = entries();
    let accounts = accounts();
    compute(&ReportInput {
        week,
        zone: &TimeZone::UTC,
        entries: &entries,
        accounts: &accounts,
        policy: &AccountPolicy::default(),
        last_backup: Some(T0 - 2 * DAY),
        chain: ChainCheck {
            ok: false,
            first_bad_seq: Some(7),
            entries: 21,
        },
        now: T0 + 10 * DAY,
    })
    .unwrap()
}

#[test]
fn the_prepared_week() {
    let report = serde_json::to_value(report()).unwrap();
    assert_eq!(report["week"], "2026-W48");
    assert_eq!(report["from"], "2026-11-23T00:00:00.000Z");
    assert_eq!(report["to"], "2026-11-30T00:00:00.000Z");
    assert_eq!(report["as_of"], "2026-11-30T00:00:00.000Z");
    assert_eq!(
        report["failed_sign_ins"],
        json!([
            {"account": "ghost", "remote_addr": "10.0.0.9", "count": 5},
            {"account": "eve", "remote_addr": "10.0.0.9", "count": 3},
            {"account": "eve", "remote_addr": "10.0.0.10", "count": 1},
        ])
    );
    assert_eq!(
        report["lockouts"],
        json!([{"account": "ghost", "remote_addr": "10.0.0.9", "at": "2026-11-23T03:04:00.000Z"}])
    );
    assert_eq!(
        report["accounts_created"],
        json!([{"account": "v-overdue", "role": "vendor", "emergency": true, "by": "admin", "at": "2026-11-23T01:00:00.000Z"}])
    );
    assert_eq!(
        report["accounts_changed"][0]["fields"],
        json!(["teams", "password"])
    );
    assert_eq!(report["accounts_disabled"][0]["account"], "v-gone");
    assert_eq!(report["accounts_disabled"][0]["by"], "engine");
    assert_eq!(
        report["vendors"],
        json!({
            "active": ["v-active", "v-overdue", "v-waiting"],
            "expired": ["v-expired"],
            "emergency_without_approval": ["v-waiting"],
            "overdue": ["v-overdue"],
        })
    );
    assert_eq!(report["expired_accounts"], json!(["old-op", "v-expired"]));
    assert_eq!(report["tokens_issued"][0]["account"], "crm");
    assert_eq!(report["tokens_issued"][0]["name"], "ci");
    assert_eq!(report["tokens_revoked"].as_array().unwrap().len(), 1);
    let actions: Vec<&Json> = report["admin_actions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|action| &action["action"])
        .collect();
    assert_eq!(actions, ["instance.cancel", "clock.move"]);
    assert_eq!(
        report["idle_accounts"],
        json!([
            {"account": "alice", "role": "operator", "last_seen_at": "2026-08-15T00:00:00.000Z"},
            {"account": "bob", "role": "operator", "last_seen_at": null},
        ])
    );
    assert_eq!(
        report["backups"],
        json!({"last_success": "2026-11-21T00:00:00.000Z", "failures": 1})
    );
    assert_eq!(
        report["audit_chain"],
        json!({"ok": false, "first_bad_seq": 7, "entries": 21})
    );
}

/// Every list of the JSON has as many CSV rows as items, and the table's
/// headings give the same counts.
#[test]
fn json_csv_and_table_give_the_same_numbers() {
    let report = report();
    let json: Json = serde_json::from_str(&report.to_json()).unwrap();
    let csv = report.to_csv();
    let mut reader = csv::Reader::from_reader(csv.as_bytes());
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let in_csv = |section: &str| rows.iter().filter(|row| &row[1] == section).count();
    let table = report.to_table();
    let lists = [
        ("failed_sign_ins", "Failed sign-ins"),
        ("lockouts", "Lock-outs"),
        ("accounts_created", "Accounts created"),
        ("accounts_changed", "Accounts changed"),
        ("accounts_disabled", "Accounts disabled"),
        ("expired_accounts", "Expired accounts not disabled"),
        ("tokens_issued", "Tokens issued"),
        ("tokens_revoked", "Tokens revoked"),
        ("admin_actions", "Admin actions"),
        ("idle_accounts", "Idle accounts"),
    ];
    for (key, heading) in lists {
        let count = json[key].as_array().unwrap().len();
        assert_eq!(in_csv(key), count, "{key} in CSV");
        assert!(
            table.contains(&format!("\n{heading}: {count}\n")),
            "{heading} in the table:\n{table}"
        );
    }
    for state in ["active", "expired", "emergency_without_approval", "overdue"] {
        let names = json["vendors"][state].as_array().unwrap();
        assert_eq!(
            in_csv(&format!("vendors.{state}")),
            names.len(),
            "vendors.{state}"
        );
    }
    let failures: u64 = json["failed_sign_ins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|row| row["count"].as_u64().unwrap())
        .sum();
    let csv_failures: u64 = rows
        .iter()
        .filter(|row| &row[1] == "failed_sign_ins")
        .map(|row| row[9].parse::<u64>().unwrap())
        .sum();
    assert_eq!(failures, 9);
    assert_eq!(csv_failures, failures);
    let chain = rows.iter().find(|row| &row[1] == "audit_chain").unwrap();
    assert_eq!((&chain[10], &chain[11]), ("7", "broken"));
    assert!(table.contains("Audit chain: BROKEN at entry 7"), "{table}");
    let backups = rows.iter().find(|row| &row[1] == "backups").unwrap();
    assert_eq!(
        (&backups[8], &backups[9]),
        ("2026-11-21T00:00:00.000Z", "1")
    );
    insta::assert_snapshot!("weekly_report_table", table);
    insta::assert_snapshot!("weekly_report_csv", csv);
}
