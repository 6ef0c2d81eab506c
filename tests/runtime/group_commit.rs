//! Group commit (`Runtime::run_detached` with `[write] group_commit` on):
//! commands queued together share one transaction, each under a savepoint,
//! and every one is answered as it would have been alone.
//!
//! These tests run on a single-threaded tokio runtime: the futures of one
//! `join_all` all queue their commands before the writer task first runs,
//! so they land in one batch, which `Runtime::batch_stats` confirms.

use std::sync::Arc;

use flowkeeper::engine::{HistoryKind, Instance, Rejection};
use flowkeeper::runtime::{
    BatchStats, CreateInstance, EventReply, PostEvent, Runtime, RuntimeError, Target,
};
use flowkeeper::store::Store;
use futures_util::future::join_all;
use serde_json::{Map, json};

use crate::support::{actor, data, harness};

/// Declares each `async fn(Store)` as `<name>::sqlite` and
/// `<name>::postgres`, on a current-thread runtime (see the module doc).
macro_rules! on_both_one_thread {
    ($($name:ident),* $(,)?) => {
        $(
            mod $name {
                #[tokio::test(flavor = "current_thread")]
                async fn sqlite() {
                    let db = crate::support::sqlite().await;
                    super::$name(db.store.clone()).await;
                }

                #[tokio::test(flavor = "current_thread")]
                async fn postgres() {
                    let Some(db) = crate::support::postgres().await else { return };
                    super::$name(db.store.clone()).await;
                    db.drop_schema().await;
                }
            }
        )*
    };
}

on_both_one_thread!(
    a_refused_event_in_a_batch_fails_alone,
    events_for_one_instance_apply_in_arrival_order,
    an_event_id_repeated_in_one_batch_is_applied_once,
    two_creates_of_one_key_in_one_batch,
    a_batch_keeps_the_audit_chain_whole,
);

fn bump(target: &Target, eid: Option<&str>) -> PostEvent {
    event(target, "bump", eid)
}

fn event(target: &Target, name: &str, eid: Option<&str>) -> PostEvent {
    PostEvent {
        target: target.clone(),
        event: name.to_owned(),
        data: Map::new(),
        by: actor("svc").into(),
        event_id: eid.map(str::to_owned),
    }
}

fn create(key: &str) -> CreateInstance {
    CreateInstance {
        workflow: "ticket".to_owned(),
        key: key.to_owned(),
        data: Map::new(),
        by: actor("svc").into(),
        idempotency_key: None,
    }
}

/// Runs `commands` through group commit together; their answers in order,
/// and what the batching did meanwhile.
async fn together(
    runtime: &Arc<Runtime>,
    commands: Vec<PostEvent>,
) -> (Vec<Result<EventReply, RuntimeError>>, BatchStats) {
    let before = runtime.batch_stats();
    let answers = join_all(
        commands
            .into_iter()
            .map(|command| runtime.run_detached(command)),
    )
    .await;
    let after = runtime.batch_stats();
    let shared = BatchStats {
        batches: after.batches - before.batches,
        commands: after.commands - before.commands,
    };
    (answers, shared)
}

async fn ticket(runtime: &Arc<Runtime>, key: &str) -> Instance {
    runtime.run_detached(create(key)).await.expect("create")
}

async fn a_refused_event_in_a_batch_fails_alone(store: Store) {
    let h = harness(store).await;
    let first = ticket(&h.runtime, "T-1").await;
    let second = ticket(&h.runtime, "T-2").await;
    let (one, two) = (Target::Id(first.id), Target::Id(second.id));
    let (answers, shared) = together(
        &h.runtime,
        vec![
            bump(&one, None),
            // Not allowed in `open`: refused, and only it.
            event(&two, "followup", None),
            bump(&two, None),
            event(&Target::Id(uuid::Uuid::nil()), "bump", None),
            bump(&one, None),
        ],
    )
    .await;
    assert_eq!(shared.batches, 1, "one shared transaction: {shared:?}");
    assert_eq!(shared.commands, 5);
    assert!(answers[0].is_ok() && answers[2].is_ok() && answers[4].is_ok());
    assert!(
        matches!(
            answers[1],
            Err(RuntimeError::Rejected(Rejection::EventNotAllowed { .. }))
        ),
        "{:?}",
        answers[1]
    );
    assert!(
        matches!(answers[3], Err(RuntimeError::NotFound(_))),
        "{:?}",
        answers[3]
    );
    let first = h.store.get_instance(first.id).await.unwrap().unwrap();
    let second = h.store.get_instance(second.id).await.unwrap().unwrap();
    assert_eq!(first.data["count"], json!(2));
    assert_eq!((first.revision, second.revision), (3, 2));
    assert_eq!(second.data["count"], json!(1));
    // The answers are what was committed.
    let last = answers[4].as_ref().unwrap();
    assert_eq!(last.instance, first);
    assert_eq!(answers[2].as_ref().unwrap().instance, second);
    let seqs: Vec<i64> = h
        .store
        .history(second.id)
        .await
        .unwrap()
        .iter()
        .map(|line| line.seq)
        .collect();
    assert_eq!(seqs, [1, 2], "the refused event left no line and no gap");
}

async fn events_for_one_instance_apply_in_arrival_order(store: Store) {
    let h = harness(store).await;
    let created = ticket(&h.runtime, "T-1").await;
    let target = Target::Id(created.id);
    let (answers, shared) = together(
        &h.runtime,
        vec![
            bump(&target, Some("a")),
            bump(&target, Some("b")),
            event(&target, "close", Some("c")),
            // After the close in the same batch: the instance has ended.
            bump(&target, Some("d")),
        ],
    )
    .await;
    assert_eq!(shared.batches, 1, "{shared:?}");
    let revisions: Vec<i64> = answers[..3]
        .iter()
        .map(|answer| answer.as_ref().unwrap().instance.revision)
        .collect();
    assert_eq!(revisions, [2, 3, 4], "each saw the one before");
    assert!(
        matches!(answers[3], Err(RuntimeError::Rejected(_))),
        "{:?}",
        answers[3]
    );
    let events: Vec<String> = h
        .store
        .history(created.id)
        .await
        .unwrap()
        .iter()
        .filter(|line| line.entry.kind() == HistoryKind::Event)
        .map(|line| {
            line.entry
                .event
                .as_ref()
                .map(ToString::to_string)
                .unwrap_or_default()
        })
        .collect();
    assert_eq!(events, ["bump", "bump", "close"]);
}

async fn an_event_id_repeated_in_one_batch_is_applied_once(store: Store) {
    let h = harness(store).await;
    let created = ticket(&h.runtime, "T-1").await;
    let target = Target::Id(created.id);
    let by_key = Target::Key {
        workflow: "ticket".to_owned(),
        key: "T-1".to_owned(),
    };
    let mut changed = bump(&target, Some("e-1"));
    changed.data = data(json!({ "other": true }));
    let (answers, shared) = together(
        &h.runtime,
        vec![
            bump(&target, Some("e-1")),
            bump(&target, Some("e-1")),
            bump(&by_key, Some("e-1")),
            changed,
        ],
    )
    .await;
    assert_eq!(shared.batches, 1, "{shared:?}");
    let first = answers[0].as_ref().unwrap();
    assert_eq!(
        answers[1].as_ref().unwrap(),
        first,
        "the first answer again"
    );
    assert_eq!(
        answers[2].as_ref().unwrap(),
        first,
        "by key: the same event"
    );
    assert!(
        matches!(answers[3], Err(RuntimeError::IdempotencyMismatch(_))),
        "{:?}",
        answers[3]
    );
    let stored = h.store.get_instance(created.id).await.unwrap().unwrap();
    assert_eq!(stored.data["count"], json!(1));
    assert_eq!(stored.revision, 2);
}

async fn two_creates_of_one_key_in_one_batch(store: Store) {
    let h = harness(store).await;
    let before = h.runtime.batch_stats();
    let answers = join_all(
        [create("T-9"), create("T-9"), create("T-10")].map(|command| {
            let runtime = Arc::clone(&h.runtime);
            async move { runtime.run_detached(command).await }
        }),
    )
    .await;
    assert_eq!(h.runtime.batch_stats().batches - before.batches, 1);
    assert!(answers[0].is_ok() && answers[2].is_ok());
    assert!(
        matches!(answers[1], Err(RuntimeError::KeyInUse { .. })),
        "{:?}",
        answers[1]
    );
    let live = h.store.find_by_key("ticket", "T-9").await.unwrap().unwrap();
    assert_eq!(&live, answers[0].as_ref().unwrap());
}

async fn a_batch_keeps_the_audit_chain_whole(store: Store) {
    let h = harness(store).await;
    let mut targets = Vec::new();
    for n in 0..4 {
        targets.push(Target::Id(ticket(&h.runtime, &format!("T-{n}")).await.id));
    }
    let commands = targets
        .iter()
        .flat_map(|target| [bump(target, None), event(target, "remind", None)])
        .collect();
    let (answers, shared) = together(&h.runtime, commands).await;
    assert_eq!(shared.batches, 1, "{shared:?}");
    assert_eq!(answers.iter().filter(|answer| answer.is_ok()).count(), 4);
    let check = h.runtime.verify_audit().await.unwrap();
    assert!(check.ok, "{check:?}");
    assert_eq!(
        check.entries,
        4 + 4,
        "an entry per create and applied event, none for the refused"
    );
}
