//! The audit log from the runtime's side: every command's change gets its
//! entry in the same transaction, timers and cascades included, and the
//! chain stays one unbroken sequence while many writers commit at once.

use std::collections::BTreeMap;

use flowkeeper::runtime::Target;
use flowkeeper::store::{AuditQuery, Store};
use serde_json::json;

use crate::support::{DAY, actor, data, harness};

on_both!(
    concurrent_writers_keep_one_unbroken_chain,
    timers_and_cascades_are_audited_as_the_system,
);

async fn count_by_action(store: &Store) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    let mut cursor = None;
    loop {
        let query = AuditQuery {
            limit: 500,
            cursor,
            ..AuditQuery::default()
        };
        let page = store.audit_page(&query).await.unwrap();
        for entry in &page.entries {
            *counts.entry(entry.action.clone()).or_default() += 1;
        }
        match page.next_cursor {
            Some(next) => cursor = Some(next),
            None => return counts,
        }
    }
}

/// 16 writers posting 10 events each to 4 instances: every commit appends
/// its entry to the one chain (PostgreSQL orders them on the chain's head
/// row; SQLite has one writer at a time), with no gap and no fork.
async fn concurrent_writers_keep_one_unbroken_chain(store: Store) {
    let h = harness(store).await;
    let mut targets = Vec::new();
    for n in 0..4 {
        let instance = h
            .runtime
            .create(
                "ticket",
                &format!("C-{n}"),
                data(json!({})),
                &actor("svc"),
                None,
            )
            .await
            .unwrap();
        targets.push(Target::Id(instance.id));
    }
    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..16 {
        let runtime = std::sync::Arc::clone(&h.runtime);
        let target = targets[writer % targets.len()].clone();
        writers.spawn(async move {
            for n in 0..10 {
                let id = format!("w{writer}-{n}");
                runtime
                    .post_event(&target, "bump", data(json!({})), &actor("svc"), Some(&id))
                    .await
                    .unwrap();
            }
        });
    }
    while let Some(done) = writers.join_next().await {
        done.unwrap();
    }
    let check = h.runtime.verify_audit().await.unwrap();
    assert!(check.ok, "{check:?}");
    assert_eq!(check.entries, 4 + 160);
    let counts = count_by_action(&h.store).await;
    assert_eq!(counts["instance.create"], 4);
    assert_eq!(counts["instance.event"], 160);
}

async fn timers_and_cascades_are_audited_as_the_system(store: Store) {
    let h = harness(store).await;
    let ticket = h
        .runtime
        .create("ticket", "T-1", data(json!({})), &actor("svc"), None)
        .await
        .unwrap();
    let target = Target::Id(ticket.id);
    h.runtime
        .post_event(&target, "wait", data(json!({})), &actor("svc"), None)
        .await
        .unwrap();
    h.runtime.advance(7 * DAY).await.unwrap();
    h.runtime
        .post_event(&target, "ping_review", data(json!({})), &actor("svc"), None)
        .await
        .unwrap_err();
    let page = h
        .store
        .audit_page(&AuditQuery {
            limit: 500,
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let lines: Vec<(String, String)> = page
        .entries
        .iter()
        .map(|entry| (entry.actor.clone(), entry.action.clone()))
        .collect();
    let expected = [
        ("svc", "instance.create"),
        ("svc", "instance.event"),
        ("timer", "instance.event"),
    ];
    assert_eq!(
        lines,
        expected.map(|(actor, action)| (actor.to_owned(), action.to_owned()))
    );
    assert_eq!(page.entries[2].detail["timer"], "reminder");
    assert_eq!(page.entries[2].detail["state"], "reminded");

    let other = h
        .runtime
        .create("ticket", "T-2", data(json!({})), &actor("svc"), None)
        .await
        .unwrap();
    h.runtime
        .post_event(
            &Target::Id(other.id),
            "ping_review",
            data(json!({})),
            &actor("svc"),
            None,
        )
        .await
        .unwrap();
    let page = h
        .store
        .audit_page(&AuditQuery {
            limit: 500,
            action: Some("instance.create".into()),
            ..AuditQuery::default()
        })
        .await
        .unwrap();
    let review = page.entries.last().unwrap();
    assert_eq!(review.actor, "workflow:ticket");
    assert_eq!(review.detail["workflow"], "review");
    assert!(h.runtime.verify_audit().await.unwrap().ok);
}
