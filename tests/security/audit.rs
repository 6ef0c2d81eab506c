//! The audit chain: anyone can recompute it (the vectors below were
//! computed independently with Python's hashlib and json.dumps(sort_keys=
//! True, separators=(",", ":"), ensure_ascii=False)), and a tampered,
//! removed or reordered entry is named.

use flowkeeper::audit::{AuditAction, AuditDraft, AuditEntry, ChainVerifier, GENESIS, canonical};
use serde_json::json;

use super::{MINUTE, T0};

const EIGHT_THIRTY: i64 = T0 + 8 * 60 * MINUTE + 30 * MINUTE;

fn first() -> AuditEntry {
    AuditDraft::new(AuditAction::AccountCreate, "admin", "account:li.wei")
        .with_detail(json!({"title": "李偉", "teams": ["bss"], "role": "vendor"}))
        .with_remote_addr(Some("10.0.0.7".into()))
        .seal(1, EIGHT_THIRTY, GENESIS)
}

fn second(previous: &str) -> AuditEntry {
    AuditDraft::new(AuditAction::SessionFail, "li.wei", "account:li.wei").seal(
        2,
        EIGHT_THIRTY + MINUTE + 500,
        previous,
    )
}

#[test]
fn the_hash_is_sha256_of_the_previous_hash_a_newline_and_sorted_compact_json() {
    let first = first();
    assert_eq!(
        flowkeeper::audit::canonical_body(&first),
        r#"{"action":"account.create","actor":"admin","at":"2026-11-23T08:30:00.000Z","detail":{"role":"vendor","teams":["bss"],"title":"李偉"},"remote_addr":"10.0.0.7","seq":1,"target":"account:li.wei"}"#
    );
    assert_eq!(
        first.hash,
        "c41d01b4e02230121e2b2115975f2f407f4f694135296f7f6a5a635a1b97a3c8"
    );
    let second = second(&first.hash);
    assert_eq!(
        second.hash,
        "276246964cbeb460bf7610674cba84d76eeea329bbc6f87f5e01aaa6853b040f"
    );
}

#[test]
fn canonical_json_sorts_nested_keys_and_drops_whitespace() {
    let value = json!({"b": {"y": [1, {"d": null, "c": "x\n\"q\""}], "x": true}, "a": 1.5});
    assert_eq!(
        canonical(&value),
        r#"{"a":1.5,"b":{"x":true,"y":[1,{"c":"x\n\"q\"","d":null}]}}"#
    );
}

fn log(count: i64) -> Vec<AuditEntry> {
    let mut previous = GENESIS.to_owned();
    (1..=count)
        .map(|seq| {
            let entry = AuditDraft::new(
                AuditAction::InstanceEvent,
                "desk",
                format!("instance:{seq}"),
            )
            .with_detail(json!({"event": "receive"}))
            .seal(seq, T0 + seq * MINUTE, &previous);
            previous.clone_from(&entry.hash);
            entry
        })
        .collect()
}

fn verify(entries: &[AuditEntry], last_seq: Option<i64>) -> (bool, Option<i64>) {
    let mut verifier = ChainVerifier::default();
    entries.iter().for_each(|entry| verifier.feed(entry));
    let check = verifier.finish(last_seq);
    (check.ok, check.first_bad_seq)
}

#[test]
fn an_intact_chain_verifies() {
    assert_eq!(verify(&log(5), Some(5)), (true, None));
    assert_eq!(verify(&[], None), (true, None));
}

#[test]
fn a_changed_field_names_that_entry() {
    let mut entries = log(5);
    entries[2].actor = "admin".into();
    assert_eq!(verify(&entries, Some(5)), (false, Some(3)));
    let mut entries = log(5);
    entries[3].detail = json!({"event": "cancel"});
    assert_eq!(verify(&entries, Some(5)), (false, Some(4)));
    let mut entries = log(5);
    entries[1].at += 1;
    assert_eq!(verify(&entries, Some(5)), (false, Some(2)));
}

#[test]
fn a_rehashed_entry_breaks_the_next_one() {
    let mut entries = log(5);
    entries[1].action = "instance.cancel".into();
    entries[1].hash = flowkeeper::audit::hash(&entries[0].hash, &entries[1]);
    assert_eq!(verify(&entries, Some(5)), (false, Some(3)));
}

#[test]
fn removed_and_reordered_entries_are_named() {
    let mut entries = log(5);
    entries.remove(2);
    assert_eq!(verify(&entries, Some(5)), (false, Some(4)), "a gap");
    let mut entries = log(5);
    entries.swap(1, 2);
    assert_eq!(verify(&entries, Some(5)), (false, Some(3)), "out of order");
    let mut entries = log(5);
    entries.truncate(3);
    assert_eq!(
        verify(&entries, Some(5)),
        (false, Some(4)),
        "the tail removed"
    );
    let mut entries = log(5);
    entries.remove(0);
    assert_eq!(
        verify(&entries, Some(5)),
        (false, Some(2)),
        "the head removed"
    );
}
