//! Timers on the manual clock: once, in order, after downtime, and the
//! chain of work a long timer causes; the scheduler's timer loop.

use flowkeeper::engine::HistoryKind;
use std::sync::Arc;
use std::time::{Duration, Instant};

use flowkeeper::runtime::{Runtime, SchedulerConfig, SystemClock, Target};
use flowkeeper::store::Store;
use serde_json::Map;

use crate::support::{DAY, HOUR, START, actor, catalog, harness};

on_both!(
    manual_clock_fires_a_seven_day_timer_and_what_it_causes,
    timers_fire_once_and_catch_up_after_downtime,
    replaced_timer_does_not_fire,
    advance_needs_no_timers,
    timer_loop_fires_what_is_due,
    a_commit_wakes_the_timer_loop,
);

async fn manual_clock_fires_a_seven_day_timer_and_what_it_causes(store: Store) {
    let h = harness(store).await;
    let created = h
        .runtime
        .create("ticket", "T-1", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    h.runtime
        .post_event(
            &Target::Id(created.id),
            "wait",
            Map::new(),
            &actor("svc"),
            None,
        )
        .await
        .unwrap();

    assert_eq!(
        h.runtime.advance(7 * DAY - 1).await.unwrap(),
        0,
        "not yet due"
    );
    assert_eq!(
        h.store
            .get_instance(created.id)
            .await
            .unwrap()
            .unwrap()
            .state,
        "waiting"
    );

    // Day 7: reminder fires → reminded (notify + a 1-day follow-up); day 8: follow-up.
    let fired = h.runtime.advance(DAY + HOUR).await.unwrap();
    assert_eq!(fired, 2);
    assert_eq!(h.clock_now(), START + 8 * DAY + HOUR - 1);
    let after = h.store.get_instance(created.id).await.unwrap().unwrap();
    assert_eq!(after.state, "followed_up");
    let history = h.store.history(created.id).await.unwrap();
    let timed: Vec<(Option<&str>, i64)> = history
        .iter()
        .filter(|record| record.entry.kind() == HistoryKind::Timer)
        .map(|record| (record.entry.event.as_deref(), record.entry.at))
        .collect();
    assert_eq!(
        timed,
        vec![
            (Some("remind"), START + 7 * DAY),
            (Some("followup"), START + 8 * DAY)
        ],
        "each at its due time"
    );
    let outbox = h
        .store
        .claim_outbox(h.clock_now(), h.clock_now() + 1000, 10)
        .await
        .unwrap();
    assert_eq!(outbox.len(), 1, "the notify of `reminded` is in the outbox");
    assert_eq!(outbox[0].webhook, "crm");
}

async fn timers_fire_once_and_catch_up_after_downtime(store: Store) {
    let h = harness(store).await;
    let mut ids = Vec::new();
    for n in 0..5 {
        let created = h
            .runtime
            .create("ticket", &format!("D-{n}"), Map::new(), &actor("svc"), None)
            .await
            .unwrap();
        h.runtime
            .post_event(
                &Target::Id(created.id),
                "wait",
                Map::new(),
                &actor("svc"),
                None,
            )
            .await
            .unwrap();
        ids.push(created.id);
    }
    // The server was down for 30 days: the clock moved, nothing fired.
    h.clock.set(START + 30 * DAY);
    let second = crate::support::harness(h.store.clone()).await;
    second.clock.set(START + 30 * DAY);
    let (a, b) = tokio::join!(
        h.runtime.fire_due_timers(),
        second.runtime.fire_due_timers()
    );
    assert_eq!(
        a.unwrap() + b.unwrap(),
        5,
        "each overdue reminder fired once across two runners"
    );
    assert_eq!(h.runtime.fire_due_timers().await.unwrap(), 0);
    for id in ids {
        let instance = h.store.get_instance(id).await.unwrap().unwrap();
        assert_eq!(instance.state, "reminded");
        let reminders = h
            .store
            .history(id)
            .await
            .unwrap()
            .iter()
            .filter(|r| r.entry.event.as_deref() == Some("remind"))
            .count();
        assert_eq!(reminders, 1);
        // The follow-up counts from the late firing, not from the lost due time.
        assert_eq!(
            instance.timers.iter().map(|t| t.due_at).collect::<Vec<_>>(),
            vec![START + 31 * DAY]
        );
    }
}

async fn replaced_timer_does_not_fire(store: Store) {
    let h = harness(store).await;
    let created = h
        .runtime
        .create("ticket", "T-2", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    let target = Target::Id(created.id);
    h.runtime
        .post_event(&target, "wait", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    h.runtime
        .post_event(&target, "close", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    assert_eq!(
        h.runtime.advance(30 * DAY).await.unwrap(),
        0,
        "the reminder went with the state"
    );
    assert_eq!(h.store.next_due_at(h.clock_now()).await.unwrap(), None);
}

async fn advance_needs_no_timers(store: Store) {
    let h = harness(store).await;
    assert_eq!(h.runtime.advance(DAY).await.unwrap(), 0);
    assert_eq!(h.clock_now(), START + DAY);
}

async fn timer_loop_fires_what_is_due(store: Store) {
    let h = harness(store).await;
    let created = h
        .runtime
        .create("ticket", "T-3", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    h.runtime
        .post_event(
            &Target::Id(created.id),
            "wait",
            Map::new(),
            &actor("svc"),
            None,
        )
        .await
        .unwrap();
    h.clock.set(START + 7 * DAY);
    let scheduler = h.runtime.start_scheduler(SchedulerConfig {
        timer_poll: Some(std::time::Duration::from_millis(20)),
        ..SchedulerConfig::default()
    });
    let mut state = String::new();
    for _ in 0..200 {
        state = h
            .store
            .get_instance(created.id)
            .await
            .unwrap()
            .unwrap()
            .state
            .to_string();
        if state == "reminded" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    scheduler.stop().await;
    assert_eq!(state, "reminded");
}

const SOON: &str = r#"
id = "soon"
version = 1
title = "Soon"
start = "waiting"

[states.waiting]
on.ring = "rung"

[states.rung]
terminal = true

[events.ring]

[timers.ring]
after = "300ms"
event = "ring"
"#;

/// The timer loop polls once a minute here, yet a timer a commit sets for
/// 300 ms later fires long before the next poll: the commit wakes the loop,
/// which then sleeps only until the timer is due.
async fn a_commit_wakes_the_timer_loop(store: Store) {
    let runtime = Runtime::new(store.clone(), catalog(&[SOON]), Arc::new(SystemClock))
        .await
        .unwrap();
    let runtime = Arc::new(runtime);
    let scheduler = runtime.start_scheduler(SchedulerConfig {
        timer_poll: Some(Duration::from_secs(60)),
        ..SchedulerConfig::default()
    });
    // Let the first round pass: the loop now sleeps for a minute.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let created = runtime
        .create("soon", "S-1", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    let waited = Instant::now();
    let mut state = created.state;
    while state != "rung" && waited.elapsed() < Duration::from_secs(20) {
        tokio::time::sleep(Duration::from_millis(20)).await;
        state = store.get_instance(created.id).await.unwrap().unwrap().state;
    }
    scheduler.stop().await;
    assert_eq!(state, "rung", "the timer fired before the loop's next poll");
}
