//! The store on its own, with hand-built outcomes: what one commit writes,
//! optimistic concurrency, listing, timer leases, outbox and incidents.

use std::collections::BTreeMap;

use flowkeeper::engine::{
    Effect, Fires, HistoryData, HistoryEntry, Instance, Outcome, PendingTimer, SlaCycle, Status,
};
use flowkeeper::store::{
    Answer, Backend, Cursor, Delivery, IdempotencyRecord, IncidentKind, InstanceFilter,
    NewIncident, Store, StoreError, TABLES,
};
use serde_json::{Map, json};
use uuid::Uuid;

use crate::support::{DAY, START, TICKET_V1, definition};

on_both!(
    commit_writes_instance_history_timers_slas_and_outbox,
    stale_revision_is_a_conflict,
    only_one_live_instance_per_key,
    listing_pages_are_stable_and_filtered,
    timer_claims_are_leased,
    outbox_claim_and_retry,
    incidents_open_and_resolve,
    idempotency_key_is_unique,
    schema_and_url_are_checked,
    every_table_is_listed,
);

async fn saved_definition_hash(store: &Store) -> String {
    let ticket = definition(TICKET_V1);
    store
        .save_definition(&ticket.source.hash, "ticket", 1, &ticket.source.text, START)
        .await
        .expect("save definition");
    ticket.source.hash
}

fn instance(hash: &str, key: &str) -> Instance {
    Instance {
        id: Uuid::now_v7(),
        workflow: "ticket".into(),
        version: 1,
        definition_hash: hash.into(),
        key: key.into(),
        state: "open".into(),
        status: Status::Active,
        data: Map::new(),
        created_at: START,
        updated_at: START,
        entered_at: START,
        slas: Vec::new(),
        timers: Vec::new(),
        revision: 0,
        sla_cycle_counts: BTreeMap::from([("response".into(), 1)]),
    }
}

fn outcome(instance: Instance) -> Outcome {
    Outcome {
        instance,
        history: vec![HistoryEntry {
            at: START,
            event: None,
            from: None,
            to: Some("open".into()),
            actor: "test".into(),
            data: HistoryData::Created(Map::new()),
        }],
        transition: None,
        timers_set: Vec::new(),
        timers_cancelled: Vec::new(),
        sla_changes: Vec::new(),
        effects: Vec::new(),
    }
}

/// Commits a new instance's outcome and, as the runtime does, a delivery
/// for each of its `notify` effects, in one transaction.
async fn insert(store: &Store, outcome: &Outcome) -> Instance {
    let mut tx = store.begin().await.expect("begin");
    let stored = tx.commit_outcome(outcome, None).await.expect("insert");
    for effect in &outcome.effects {
        if let Effect::Notify { webhook, payload } = effect {
            let delivery = Delivery {
                id: Uuid::now_v7(),
                instance_id: stored.id,
                webhook,
                payload,
                created_at: stored.updated_at,
            };
            tx.enqueue_delivery(&delivery).await.expect("enqueue");
        }
    }
    tx.commit().await.expect("commit");
    stored
}

async fn commit_writes_instance_history_timers_slas_and_outbox(store: Store) {
    let hash = saved_definition_hash(&store).await;
    let timer = PendingTimer {
        name: "reminder".into(),
        due_at: START + DAY,
        fires: Fires::Event("remind".into()),
    };
    let cycle = SlaCycle {
        sla: "response".into(),
        cycle: 1,
        started_at: START,
        due_at: START + DAY,
        paused_at: None,
        outcome: None,
        role: Some("desk".into()),
        stopped_at: None,
        calendar: None,
    };
    let mut first = instance(&hash, "T-1");
    first.data =
        serde_json::from_value(json!({ "count": 3, "nested": { "a": [1, 2.5, "x"] } })).unwrap();
    first.timers = vec![timer.clone()];
    first.slas = vec![cycle.clone()];
    let mut created = outcome(first.clone());
    created.timers_set = vec![timer.clone()];
    created.sla_changes = vec![cycle.clone()];
    created.effects = vec![Effect::Notify {
        webhook: "crm".into(),
        payload: json!({ "ticket": "T-1" }),
    }];
    let stored = insert(&store, &created).await;

    assert_eq!(stored.revision, 1);
    let loaded = store
        .get_instance(first.id)
        .await
        .unwrap()
        .expect("instance");
    assert_eq!(
        loaded,
        Instance {
            revision: 1,
            ..first.clone()
        }
    );
    assert_eq!(
        store.find_by_key("ticket", "T-1").await.unwrap(),
        Some(loaded.clone())
    );
    let claimed = store
        .claim_due_timers(START + DAY, "r1", START + DAY + 1000, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(
        (
            claimed[0].instance_id,
            claimed[0].name.as_str(),
            claimed[0].due_at
        ),
        (first.id, "reminder", START + DAY)
    );
    let messages = store.claim_outbox(START, START + 1000, 10).await.unwrap();
    assert_eq!(messages.len(), 1);
    assert_eq!(messages[0].payload, json!({ "ticket": "T-1" }));

    // A second step: history numbering continues, cancelled timers go.
    let mut next = loaded.clone();
    next.state = "waiting".into();
    next.timers.clear();
    let mut step = outcome(next);
    step.history[0].data = HistoryData::Event(Map::new());
    step.history[0].event = Some("wait".into());
    step.history.push(step.history[0].clone());
    step.timers_cancelled = vec!["reminder".into()];
    let mut tx = store.begin().await.unwrap();
    let updated = tx.commit_outcome(&step, Some(1)).await.unwrap();
    tx.commit().await.unwrap();
    assert_eq!(updated.revision, 2);
    let seqs: Vec<i64> = store
        .history(first.id)
        .await
        .unwrap()
        .iter()
        .map(|record| record.seq)
        .collect();
    assert_eq!(seqs, vec![1, 2, 3]);
    assert_eq!(store.next_due_at(START + 10 * DAY).await.unwrap(), None);
}

async fn stale_revision_is_a_conflict(store: Store) {
    let hash = saved_definition_hash(&store).await;
    let stored = insert(&store, &outcome(instance(&hash, "T-2"))).await;
    let mut changed = stored.clone();
    changed.state = "closed".into();
    let mut tx = store.begin().await.unwrap();
    let error = tx
        .commit_outcome(&outcome(changed), Some(7))
        .await
        .unwrap_err();
    assert!(
        matches!(error, StoreError::RevisionConflict { instance } if instance == stored.id),
        "{error:?}"
    );
    assert!(error.is_retryable());
    drop(tx);
    assert_eq!(
        store.get_instance(stored.id).await.unwrap().unwrap().state,
        "open"
    );
    assert_eq!(store.history(stored.id).await.unwrap().len(), 1);
}

async fn only_one_live_instance_per_key(store: Store) {
    let hash = saved_definition_hash(&store).await;
    let first = insert(&store, &outcome(instance(&hash, "K"))).await;
    let mut tx = store.begin().await.unwrap();
    let error = tx
        .commit_outcome(&outcome(instance(&hash, "K")), None)
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Duplicate), "{error:?}");
    drop(tx);

    let mut ended = first.clone();
    ended.status = Status::Completed;
    ended.state = "closed".into();
    let mut tx = store.begin().await.unwrap();
    tx.commit_outcome(&outcome(ended), Some(1)).await.unwrap();
    tx.commit().await.unwrap();
    let second = insert(&store, &outcome(instance(&hash, "K"))).await;
    assert_eq!(
        store
            .find_by_key("ticket", "K")
            .await
            .unwrap()
            .map(|found| found.id),
        Some(second.id)
    );
}

async fn listing_pages_are_stable_and_filtered(store: Store) {
    let hash = saved_definition_hash(&store).await;
    let mut ids = Vec::new();
    for n in 0..7 {
        let mut fresh = instance(&hash, &format!("L-{n}"));
        if n % 2 == 0 {
            fresh.state = "waiting".into();
        }
        ids.push(insert(&store, &outcome(fresh)).await.id);
    }
    let mut seen = Vec::new();
    let mut filter = InstanceFilter {
        workflow: Some("ticket".into()),
        limit: 3,
        ..InstanceFilter::default()
    };
    loop {
        let page = store.list_instances(&filter).await.unwrap();
        assert!(page.instances.len() <= 3);
        seen.extend(page.instances.iter().map(|found| found.id));
        let Some(cursor) = page.next_cursor else {
            break;
        };
        let text = cursor.encode();
        filter.cursor = Some(Cursor::decode(&text).expect("own cursor decodes"));
    }
    ids.reverse();
    assert_eq!(seen, ids, "newest first, each once");

    let waiting = InstanceFilter {
        state: Some("waiting".into()),
        limit: 100,
        ..InstanceFilter::default()
    };
    assert_eq!(
        store
            .list_instances(&waiting)
            .await
            .unwrap()
            .instances
            .len(),
        4
    );
    let by_key = InstanceFilter {
        key: Some("L-3".into()),
        status: Some(Status::Active),
        limit: 10,
        ..InstanceFilter::default()
    };
    let page = store.list_instances(&by_key).await.unwrap();
    assert_eq!(page.instances.len(), 1);
    assert_eq!(page.next_cursor, None);
    assert_eq!(Cursor::decode("not-a-cursor"), None);
}

async fn timer_claims_are_leased(store: Store) {
    let hash = saved_definition_hash(&store).await;
    let mut fresh = instance(&hash, "T-3");
    let timers: Vec<PendingTimer> = (1..=3)
        .map(|n| PendingTimer {
            name: format!("t{n}").into(),
            due_at: START + n * 1000,
            fires: Fires::Event("remind".into()),
        })
        .collect();
    fresh.timers = timers.clone();
    let mut created = outcome(fresh);
    created.timers_set = timers;
    insert(&store, &created).await;

    let now = START + 2500;
    let first = store
        .claim_due_timers(now, "r1", now + 10_000, 10)
        .await
        .unwrap();
    let names: Vec<&str> = first.iter().map(|timer| timer.name.as_str()).collect();
    assert_eq!(names, vec!["t1", "t2"], "due ones, earliest first");
    assert!(
        store
            .claim_due_timers(now, "r2", now + 10_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "leased"
    );
    assert_eq!(store.next_due_at(now).await.unwrap(), Some(START + 3000));
    // Runner r1 died: after its lease, r2 takes both over (and t3, now due).
    let later = now + 10_001;
    let taken = store
        .claim_due_timers(later, "r2", later + 10_000, 10)
        .await
        .unwrap();
    assert_eq!(taken.len(), 3);
}

async fn outbox_claim_and_retry(store: Store) {
    let hash = saved_definition_hash(&store).await;
    let mut created = outcome(instance(&hash, "T-4"));
    created.effects = vec![
        Effect::Notify {
            webhook: "crm".into(),
            payload: json!({ "n": 1 }),
        },
        Effect::Spawn {
            workflow: "review".into(),
            key: "x".into(),
            data: Map::new(),
        },
    ];
    insert(&store, &created).await;
    let claimed = store.claim_outbox(START, START + 5000, 10).await.unwrap();
    assert_eq!(claimed.len(), 1, "only notify effects go to the outbox");
    assert!(
        store
            .claim_outbox(START, START + 5000, 10)
            .await
            .unwrap()
            .is_empty(),
        "leased"
    );
    store
        .mark_failed(claimed[0].id, "HTTP 503", START + 60_000)
        .await
        .unwrap();
    assert!(
        store
            .claim_outbox(START + 59_999, START + 70_000, 10)
            .await
            .unwrap()
            .is_empty(),
        "backing off"
    );
    let retry = store
        .claim_outbox(START + 60_000, START + 70_000, 10)
        .await
        .unwrap();
    assert_eq!(retry.len(), 1);
    assert_eq!(retry[0].attempts, 1);
    store
        .mark_delivered(retry[0].id, START + 60_001)
        .await
        .unwrap();
    assert!(
        store
            .claim_outbox(START + DAY, START + DAY, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn incidents_open_and_resolve(store: Store) {
    let hash = saved_definition_hash(&store).await;
    let stored = insert(&store, &outcome(instance(&hash, "T-5"))).await;
    let id = Uuid::now_v7();
    let incident = NewIncident {
        id,
        instance_id: stored.id,
        kind: IncidentKind::Send,
        message: "no live review",
        created_at: START,
    };
    let mut tx = store.begin().await.unwrap();
    tx.open_incident(&incident).await.unwrap();
    tx.commit().await.unwrap();
    let open = store.incidents(Some(stored.id), true).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(
        (open[0].id, open[0].kind.as_str(), open[0].resolved_at),
        (id, "send", None)
    );
    assert!(store.resolve_incident(id, START + 5).await.unwrap());
    assert!(
        !store.resolve_incident(id, START + 6).await.unwrap(),
        "already resolved"
    );
    assert!(
        store
            .incidents(Some(stored.id), true)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store.incidents(None, false).await.unwrap()[0].resolved_at,
        Some(START + 5)
    );
}

async fn idempotency_key_is_unique(store: Store) {
    let hash = saved_definition_hash(&store).await;
    let record = IdempotencyRecord {
        request_hash: "h1".into(),
        answer: Answer::Created(instance(&hash, "T-6")),
    };
    let mut tx = store.begin().await.unwrap();
    assert_eq!(tx.idempotency("create:ticket", "k").await.unwrap(), None);
    tx.remember("create:ticket", "k", &record, START)
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let mut tx = store.begin().await.unwrap();
    assert_eq!(
        tx.idempotency("create:ticket", "k").await.unwrap(),
        Some(record.clone())
    );
    let error = tx
        .remember("create:ticket", "k", &record, START)
        .await
        .unwrap_err();
    assert!(matches!(error, StoreError::Duplicate), "{error:?}");
}

async fn schema_and_url_are_checked(store: Store) {
    assert!(matches!(
        Store::connect("mysql://x").await,
        Err(StoreError::UnsupportedUrl(_))
    ));
    if store.backend() == Backend::Postgres {
        let url = std::env::var("FLOWKEEPER_TEST_DATABASE_URL").unwrap();
        let options = flowkeeper::store::StoreOptions {
            schema: Some("bad; DROP".into()),
            ..flowkeeper::store::StoreOptions::new(url)
        };
        assert!(matches!(
            Store::connect_with(&options).await,
            Err(StoreError::InvalidSchema(_))
        ));
    }
}

/// `TABLES` is what backups and row counts walk: a table the migrations
/// add must be listed, and nothing else.
async fn every_table_is_listed(store: Store) {
    let mut listed: Vec<&str> = TABLES.to_vec();
    listed.sort_unstable();
    assert_eq!(store.schema_tables().await.unwrap(), listed);
    let counts = store.row_counts().await.unwrap();
    assert_eq!(counts.keys().copied().collect::<Vec<_>>(), listed);
    // A fresh store is empty but for the audit chain's head (at entry 0).
    for (table, count) in counts {
        let expected = i64::from(table == "audit_head");
        assert_eq!(count, expected, "{table}");
    }
}
