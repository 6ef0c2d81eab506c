//! Creating instances and posting events through the runtime.

use flowkeeper::engine::{Rejection, Status};
use flowkeeper::runtime::{NotFound, RuntimeError, Target};
use flowkeeper::store::Store;
use serde_json::{Map, json};

use crate::support::{actor, data, harness};

on_both!(
    rejected_event_leaves_instance_and_history_untouched,
    concurrent_events_are_all_applied,
    idempotent_create,
    idempotent_event,
    an_event_id_is_unique_per_instance_by_id_or_by_key,
    live_key_is_unique_until_the_instance_ends,
    unknown_targets_are_not_found,
);

async fn rejected_event_leaves_instance_and_history_untouched(store: Store) {
    let h = harness(store).await;
    let created = h
        .runtime
        .create("ticket", "T-1", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    let target = Target::Id(created.id);
    h.runtime
        .post_event(&target, "bump", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    let before = h.store.get_instance(created.id).await.unwrap().unwrap();
    let history_before = h.store.history(created.id).await.unwrap();

    let error = h
        .runtime
        .post_event(&target, "followup", Map::new(), &actor("svc"), None)
        .await
        .unwrap_err();
    match error {
        RuntimeError::Rejected(Rejection::EventNotAllowed {
            event,
            state,
            allowed,
        }) => {
            assert_eq!((event.as_str(), state.as_str()), ("followup", "open"));
            assert!(allowed.contains(&"close".to_owned()), "{allowed:?}");
        }
        other => panic!("expected a rejection, got {other:?}"),
    }
    assert_eq!(
        h.store.get_instance(created.id).await.unwrap().unwrap(),
        before
    );
    assert_eq!(h.store.history(created.id).await.unwrap(), history_before);
}

async fn concurrent_events_are_all_applied(store: Store) {
    let h = harness(store).await;
    let created = h
        .runtime
        .create("ticket", "T-2", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    let posts = (0..40).map(|n| {
        let runtime = h.runtime.clone();
        let target = if n % 2 == 0 {
            Target::Id(created.id)
        } else {
            Target::Key {
                workflow: "ticket".into(),
                key: "T-2".into(),
            }
        };
        tokio::spawn(async move {
            runtime
                .post_event(&target, "bump", Map::new(), &actor("svc"), None)
                .await
        })
    });
    for post in posts.collect::<Vec<_>>() {
        post.await.expect("task").expect("event applied");
    }
    let after = h.store.get_instance(created.id).await.unwrap().unwrap();
    assert_eq!(after.data["count"], json!(40), "no lost update");
    assert_eq!(after.revision, created.revision + 40);
    let history = h.store.history(created.id).await.unwrap();
    let seqs: Vec<i64> = history.iter().map(|record| record.seq).collect();
    assert_eq!(
        seqs,
        (1..=seqs.len() as i64).collect::<Vec<_>>(),
        "gapless numbering"
    );
    let bumps = history
        .iter()
        .filter(|record| record.entry.event.as_deref() == Some("bump"))
        .count();
    assert_eq!(bumps, 40);
}

async fn idempotent_create(store: Store) {
    let h = harness(store).await;
    let body = data(json!({ "count": 5 }));
    let first = h
        .runtime
        .create("ticket", "T-3", body.clone(), &actor("svc"), Some("req-1"))
        .await
        .unwrap();
    let again = h
        .runtime
        .create("ticket", "T-3", body, &actor("svc"), Some("req-1"))
        .await
        .unwrap();
    assert_eq!(again, first, "a retry gets the first answer, not KeyInUse");

    let different = h
        .runtime
        .create(
            "ticket",
            "T-3",
            data(json!({ "count": 6 })),
            &actor("svc"),
            Some("req-1"),
        )
        .await;
    assert!(matches!(different, Err(RuntimeError::IdempotencyMismatch(key)) if key == "req-1"));
    let listing = h
        .store
        .list_instances(&flowkeeper::store::InstanceFilter {
            limit: 10,
            ..Default::default()
        })
        .await;
    assert_eq!(listing.unwrap().instances.len(), 1);
}

async fn idempotent_event(store: Store) {
    let h = harness(store).await;
    let created = h
        .runtime
        .create("ticket", "T-4", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    let target = Target::Key {
        workflow: "ticket".into(),
        key: "T-4".into(),
    };
    let first = h
        .runtime
        .post_event(&target, "bump", Map::new(), &actor("svc"), Some("evt-1"))
        .await
        .unwrap();
    let again = h
        .runtime
        .post_event(&target, "bump", Map::new(), &actor("svc"), Some("evt-1"))
        .await
        .unwrap();
    assert_eq!(again, first);
    let stored = h.store.get_instance(created.id).await.unwrap().unwrap();
    assert_eq!(stored.data["count"], json!(1), "applied once");
    let other = h
        .runtime
        .post_event(&target, "close", Map::new(), &actor("svc"), Some("evt-1"))
        .await;
    assert!(matches!(other, Err(RuntimeError::IdempotencyMismatch(_))));
    assert_eq!(
        h.store
            .get_instance(created.id)
            .await
            .unwrap()
            .unwrap()
            .state,
        "open"
    );
}

async fn live_key_is_unique_until_the_instance_ends(store: Store) {
    let h = harness(store).await;
    let first = h
        .runtime
        .create("ticket", "T-5", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    let clash = h
        .runtime
        .create("ticket", "T-5", Map::new(), &actor("svc"), None)
        .await;
    assert!(
        matches!(clash, Err(RuntimeError::KeyInUse { ref key, .. }) if key == "T-5"),
        "{clash:?}"
    );
    // Another workflow may use the same key.
    h.runtime
        .create("review", "T-5", Map::new(), &actor("svc"), None)
        .await
        .unwrap();

    let closed = h
        .runtime
        .post_event(
            &Target::Id(first.id),
            "close",
            Map::new(),
            &actor("svc"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(closed.instance.status, Status::Completed);
    let transition = closed.transition.expect("a transition");
    assert_eq!(
        (transition.from.as_str(), transition.to.as_str()),
        ("open", "closed")
    );
    let second = h
        .runtime
        .create("ticket", "T-5", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    assert_ne!(second.id, first.id);
    assert_eq!(
        h.store
            .find_by_key("ticket", "T-5")
            .await
            .unwrap()
            .map(|found| found.id),
        Some(second.id)
    );
}

async fn unknown_targets_are_not_found(store: Store) {
    let h = harness(store).await;
    let missing = Target::Key {
        workflow: "ticket".into(),
        key: "nope".into(),
    };
    let error = h
        .runtime
        .post_event(&missing, "bump", Map::new(), &actor("svc"), None)
        .await
        .unwrap_err();
    assert!(matches!(error, RuntimeError::NotFound(_)), "{error:?}");
    let error = h
        .runtime
        .create("nosuch", "k", Map::new(), &actor("svc"), None)
        .await
        .unwrap_err();
    assert!(
        matches!(error, RuntimeError::NotFound(NotFound::Workflow(ref what)) if what == "nosuch"),
        "{error:?}"
    );
}

/// 32 writers with 32 connections on one SQLite file meet at SQLite's write
/// lock, not at the pool: every event must still commit, none lost or
/// refused as busy. (How long they wait compared with one writer is a
/// benchmark figure: `cargo bench --bench runtime`, 1 vs 32 writers.)
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn sqlite_concurrent_writers_all_commit() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("busy.db").display());
    let options = flowkeeper::store::StoreOptions {
        max_connections: 32,
        ..flowkeeper::store::StoreOptions::new(url)
    };
    let store = Store::connect_with(&options).await.unwrap();
    let h = crate::support::harness(store).await;
    let mut targets = Vec::new();
    for writer in 0..32 {
        let created = h
            .runtime
            .create(
                "ticket",
                &format!("C-{writer}"),
                Map::new(),
                &actor("svc"),
                None,
            )
            .await
            .unwrap();
        targets.push(created.id);
    }
    let tasks: Vec<_> = targets
        .iter()
        .map(|id| {
            let runtime = std::sync::Arc::clone(&h.runtime);
            let target = Target::Id(*id);
            tokio::spawn(async move {
                for _ in 0..10 {
                    runtime
                        .post_event(&target, "bump", Map::new(), &actor("svc"), None)
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for task in tasks {
        task.await.unwrap();
    }
    for id in targets {
        let stored = h.store.get_instance(id).await.unwrap().unwrap();
        assert_eq!(stored.data["count"], json!(10), "instance {id}");
    }
}

/// Regression: an event posted by business key and retried by instance id
/// (or the other way round) was applied twice, because the two were
/// remembered in different scopes.
async fn an_event_id_is_unique_per_instance_by_id_or_by_key(store: Store) {
    let h = harness(store).await;
    let created = h
        .runtime
        .create("ticket", "T-9", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    let by_key = Target::Key {
        workflow: "ticket".into(),
        key: "T-9".into(),
    };
    let by_id = Target::Id(created.id);
    let first = h
        .runtime
        .post_event(&by_key, "bump", Map::new(), &actor("svc"), Some("evt-k"))
        .await
        .unwrap();
    let retried = h
        .runtime
        .post_event(&by_id, "bump", Map::new(), &actor("svc"), Some("evt-k"))
        .await
        .unwrap();
    assert_eq!(retried, first);
    let second = h
        .runtime
        .post_event(&by_id, "bump", Map::new(), &actor("svc"), Some("evt-i"))
        .await
        .unwrap();
    let retried = h
        .runtime
        .post_event(&by_key, "bump", Map::new(), &actor("svc"), Some("evt-i"))
        .await
        .unwrap();
    assert_eq!(retried, second);
    let stored = h.store.get_instance(created.id).await.unwrap().unwrap();
    assert_eq!(stored.data["count"], json!(2), "each event id applied once");
}
