//! Timers fired in batches: many firings share a transaction, each under a
//! savepoint, so one that fails is undone alone while the others commit
//! with their history lines; two schedulers on one database still fire
//! each timer once.

use std::sync::{Arc, LazyLock};
use std::time::{Duration, Instant};

use flowkeeper::engine::HistoryKind;
use flowkeeper::runtime::{Runtime, RuntimeConfig, SchedulerConfig, SystemClock};
use flowkeeper::store::{Store, StoreOptions, testing};
use serde_json::Map;
use uuid::Uuid;

use crate::support::{TestDb, actor, catalog, harness_with, test_config, ticker};

on_both!(
    a_failing_firing_is_undone_alone,
    a_savepoint_undoes_only_what_came_after_it
);
on_both_db!(two_schedulers_fire_each_timer_once);

/// The fixture workflow of these tests, its timer due after 1s.
static TICKER: LazyLock<String> = LazyLock::new(|| ticker("1s"));

/// Ten timers due together fire in one batch; the database refuses the
/// history line of the fifth, after its instance row was written. That
/// firing is rolled back to its savepoint (its instance unchanged, its
/// timer still pending) and the round reports it; the nine others
/// committed with their timer lines and audit entries, the chain intact.
async fn a_failing_firing_is_undone_alone(store: Store) {
    let h = harness_with(store.clone(), &[TICKER.as_str()]).await;
    let mut ids = Vec::new();
    for n in 0..10 {
        let key = format!("T-{n}");
        let created = h
            .runtime
            .create("ticker", &key, Map::new(), &actor("svc"), None)
            .await
            .unwrap();
        ids.push(created.id);
    }
    let broken = ids[4];
    testing::refuse_history_of(&store, broken).await.unwrap();
    h.clock.advance(2_000);
    let error = h.runtime.fire_due_timers().await.unwrap_err();
    assert!(
        error.to_string().contains("injected history failure"),
        "{error}"
    );
    for id in &ids {
        let instance = store.get_instance(*id).await.unwrap().unwrap();
        let history = store.history(*id).await.unwrap();
        if *id == broken {
            assert_eq!(instance.data["ticks"], 0);
            assert_eq!(instance.revision, 1);
            assert_eq!(instance.timers.len(), 1, "still pending");
            assert_eq!(history.len(), 1, "only its created line");
        } else {
            assert_eq!(instance.data["ticks"], 1, "{}", instance.key);
            assert!(instance.timers.is_empty());
            let kinds: Vec<HistoryKind> = history.iter().map(|line| line.entry.kind()).collect();
            assert_eq!(kinds, [HistoryKind::Created, HistoryKind::Timer]);
        }
    }
    assert_eq!(store.row_counts().await.unwrap()["timers"], 1);
    let chain = h.runtime.verify_audit().await.unwrap();
    assert!(chain.ok, "{chain:?}");
    // 10 creations and 9 firings.
    assert_eq!(chain.entries, 19);
}

/// The store's marks (savepoints): what a step undone to its mark wrote
/// is gone; what a kept step wrote commits.
async fn a_savepoint_undoes_only_what_came_after_it(store: Store) {
    let h = harness_with(store.clone(), &[TICKER.as_str()]).await;
    let created = h
        .runtime
        .create("ticker", "T-1", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    let (id, name, due_at) = (created.id, "tick", created.timers[0].due_at);
    let mut tx = store.begin().await.unwrap();
    tx.mark().await.unwrap();
    tx.forget_timer(id, name, due_at).await.unwrap();
    tx.undo_to_mark().await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.row_counts().await.unwrap()["timers"], 1);

    let mut tx = store.begin().await.unwrap();
    tx.mark().await.unwrap();
    tx.forget_timer(id, name, due_at).await.unwrap();
    tx.keep_mark().await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(store.row_counts().await.unwrap()["timers"], 0);
}

const INSTANCES: usize = 600;

/// Two schedulers, each with a store (a pool) and a runner id of its own
/// as two processes would have, take turns claiming small batches of the
/// same due timers: every timer fires once, so each instance has exactly
/// its created line and one timer line, and ticked once.
async fn two_schedulers_fire_each_timer_once(db: &TestDb) {
    let creator = Runtime::new(
        db.store.clone(),
        catalog(&[TICKER.as_str()]),
        Arc::new(SystemClock),
    )
    .await
    .unwrap();
    let mut ids: Vec<Uuid> = Vec::with_capacity(INSTANCES);
    for n in 0..INSTANCES {
        let key = format!("T-{n}");
        let created = creator
            .create("ticker", &key, Map::new(), &actor("svc"), None)
            .await
            .unwrap();
        ids.push(created.id);
    }
    // Every timer due before either scheduler starts.
    tokio::time::sleep(Duration::from_millis(1_100)).await;
    let mut schedulers = Vec::new();
    for runner in ["runner-a", "runner-b"] {
        let options = StoreOptions {
            schema: db.schema.clone(),
            max_connections: 4,
            ..StoreOptions::new(db.url.clone())
        };
        let store = Store::connect_with(&options).await.unwrap();
        let config = RuntimeConfig {
            runner_id: runner.to_owned(),
            timer_batch: 16,
            ..test_config()
        };
        let runtime = Arc::new(
            Runtime::with_config(
                store,
                catalog(&[TICKER.as_str()]),
                Arc::new(SystemClock),
                config,
            )
            .await
            .unwrap(),
        );
        schedulers.push(runtime.start_scheduler(SchedulerConfig {
            timer_poll: Some(Duration::from_millis(20)),
            ..SchedulerConfig::default()
        }));
    }
    let started = Instant::now();
    while db.store.row_counts().await.unwrap()["timers"] > 0
        && started.elapsed() < Duration::from_secs(60)
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for scheduler in schedulers {
        scheduler.stop().await;
    }
    let counts = db.store.row_counts().await.unwrap();
    assert_eq!(counts["timers"], 0, "every timer fired");
    assert_eq!(
        counts["history"],
        2 * INSTANCES as i64,
        "one timer line each"
    );
    for id in ids {
        let instance = db.store.get_instance(id).await.unwrap().unwrap();
        assert_eq!(instance.data["ticks"], 1, "{}", instance.key);
        let history = db.store.history(id).await.unwrap();
        let timer_lines = history
            .iter()
            .filter(|line| line.entry.kind() == HistoryKind::Timer)
            .count();
        assert_eq!(timer_lines, 1, "{}", instance.key);
    }
}
