//! State timers, instance timers, recurring timers and refused timer events.

use flowkeeper::engine::{self, Fires, HistoryKind, Rejection, Status};
use serde_json::json;

use crate::support::*;

const REMINDERS: &str = r#"
id = "reminders"
version = 1
title = "Reminders"
start = "unpaid"

[data.amount]
type = "number"
required = true

[data.ticks]
type = "integer"
default = 0

[events.remind_due]
[events.pay]
[events.expire]
[events.call]
[events.tick]
[events.again]

[timers.remind]
after = "30m"
event = "remind_due"
states = ["unpaid"]

[timers.nag]
every = "1h"
event = "tick"
states = ["phone", "waiting"]
catch_up = "all"

[timers.expire]
after = "72h"
event = "expire"

[states.unpaid]
on.remind_due = [{ when = "data.amount > 100", to = "phone" }, { to = "message" }]
on.pay = "paid"
on.expire = "closed"

[states.phone]
on.call = "waiting"
on.tick = { set = { ticks = "data.ticks + 1" } }
on.again = "phone"
on.expire = "closed"
on.pay = "paid"

[states.waiting]
on.tick = { set = { ticks = "data.ticks + 1" } }
on.pay = "paid"

[states.message]
on.pay = "paid"
on.expire = "closed"

[states.paid]
terminal = true

[states.closed]
terminal = true
"#;

#[test]
fn create_starts_instance_timers_and_the_start_states_timers() {
    let reminders = load(REMINDERS);
    let created = create(&reminders, json!({"amount": 150}));
    assert_eq!(due(&created.instance, "remind"), T0 + 30 * MINUTE);
    assert_eq!(due(&created.instance, "expire"), T0 + 72 * HOUR);
    assert!(timer(&created.instance, "nag").is_none());
    assert_eq!(
        timer(&created.instance, "remind").unwrap().fires,
        Fires::Event("remind_due".into())
    );
    assert_eq!(created.timers_set.len(), 2);
}

#[test]
fn a_fired_timer_posts_its_event_as_a_timer_line_and_is_consumed() {
    let reminders = load(REMINDERS);
    let created = create(&reminders, json!({"amount": 150}));
    let at = T0 + 30 * MINUTE;
    let fired = fire(&reminders, &created.instance, "remind", at);
    assert_eq!(fired.instance.state, "phone");
    assert!(timer(&fired.instance, "remind").is_none());
    assert!(fired.timers_cancelled.contains(&"remind".into()));
    assert_eq!(
        due(&fired.instance, "nag"),
        at + HOUR,
        "entering phone starts nag"
    );
    assert_eq!(
        due(&fired.instance, "expire"),
        T0 + 72 * HOUR,
        "instance timer untouched"
    );
    let line = &fired.history[0];
    assert_eq!(
        (line.kind(), line.actor.as_str()),
        (HistoryKind::Timer, "timer")
    );
    assert_eq!(line.event.as_deref(), Some("remind_due"));
    assert_eq!(fired.transition.unwrap().to, "phone");
}

#[test]
fn exactly_100_is_not_over_100() {
    let reminders = load(REMINDERS);
    let created = create(&reminders, json!({"amount": 100}));
    let fired = fire(&reminders, &created.instance, "remind", T0 + 30 * MINUTE);
    assert_eq!(fired.instance.state, "message");
}

#[test]
fn moving_within_a_timers_states_keeps_it_and_reentry_restarts_it() {
    let reminders = load(REMINDERS);
    let created = create(&reminders, json!({"amount": 150}));
    let phone = fire(&reminders, &created.instance, "remind", T0 + 30 * MINUTE).instance;
    let nag_due = due(&phone, "nag");
    let waiting = post(&reminders, &phone, "call", json!({}), T0 + 40 * MINUTE);
    assert_eq!(
        due(&waiting.instance, "nag"),
        nag_due,
        "phone → waiting keeps nag"
    );
    assert!(waiting.timers_set.is_empty());

    let again = post(&reminders, &phone, "again", json!({}), T0 + 50 * MINUTE);
    assert_eq!(
        due(&again.instance, "nag"),
        T0 + 50 * MINUTE + HOUR,
        "re-entry restarts nag"
    );

    let paid = post(
        &reminders,
        &waiting.instance,
        "pay",
        json!({}),
        T0 + 55 * MINUTE,
    );
    assert_eq!(paid.instance.status, Status::Completed);
    assert!(
        paid.instance.timers.is_empty(),
        "ending cancels every timer"
    );
    let mut cancelled = paid.timers_cancelled.clone();
    cancelled.sort();
    assert_eq!(cancelled, ["expire", "nag"]);
}

#[test]
fn leaving_a_timers_states_cancels_it() {
    let text = r#"
id = "short"
version = 1
title = "Short"
start = "a"
[events.go]
[events.ping]
[timers.wait]
after = "1h"
event = "ping"
states = ["a"]
[states.a]
on.go = "b"
on.ping = {}
[states.b]
on.go = "a"
"#;
    let short = load(text);
    let a = create(&short, json!({})).instance;
    let b = post(&short, &a, "go", json!({}), T0 + MINUTE);
    assert!(b.instance.timers.is_empty());
    assert_eq!(b.timers_cancelled, ["wait"]);
    let back = post(&short, &b.instance, "go", json!({}), T0 + 2 * MINUTE);
    assert_eq!(due(&back.instance, "wait"), T0 + 2 * MINUTE + HOUR);
}

#[test]
fn recurring_timers_catch_up_one_period_at_a_time() {
    let reminders = load(REMINDERS);
    let created = create(&reminders, json!({"amount": 150}));
    let phone = fire(&reminders, &created.instance, "remind", T0 + 30 * MINUTE).instance;
    let first_due = due(&phone, "nag");
    let late = first_due + 3 * HOUR + 5 * MINUTE;
    let mut instance = phone;
    let mut fired = 0;
    while due(&instance, "nag") <= late {
        let outcome = fire(&reminders, &instance, "nag", late);
        fired += 1;
        assert_eq!(due(&outcome.instance, "nag"), first_due + fired * HOUR);
        instance = outcome.instance;
    }
    assert_eq!(
        fired, 4,
        "the periods due at +0h, +1h, +2h and +3h all fire"
    );
    assert_eq!(instance.data["ticks"], json!(4));
}

#[test]
fn a_refused_timer_event_is_recorded_as_ignored_and_the_timer_is_consumed() {
    let reminders = load(REMINDERS);
    let created = create(&reminders, json!({"amount": 150}));
    let phone = fire(&reminders, &created.instance, "remind", T0 + 30 * MINUTE).instance;
    let waiting = post(&reminders, &phone, "call", json!({}), T0 + 40 * MINUTE).instance;
    let expired = fire(&reminders, &waiting, "expire", T0 + 72 * HOUR);
    assert_eq!(expired.instance.state, "waiting");
    assert!(timer(&expired.instance, "expire").is_none());
    assert_eq!(expired.timers_cancelled, ["expire"]);
    assert_eq!(expired.history.len(), 1);
    let line = &expired.history[0];
    assert_eq!(line.kind(), HistoryKind::Timer);
    assert_eq!(line.event.as_deref(), Some("expire"));
    let reason = line.data.ignored().expect("the reason is recorded");
    assert!(
        reason.contains("not allowed in state `waiting`"),
        "{reason}"
    );
    assert!(expired.transition.is_none());
}

#[test]
fn firing_a_timer_that_is_not_pending_is_refused() {
    let reminders = load(REMINDERS);
    let created = create(&reminders, json!({"amount": 150}));
    let refused = engine::fire_timer(&reminders, &created.instance, "nag", T0 + HOUR);
    assert_eq!(refused, Err(Rejection::NoSuchTimer { name: "nag".into() }));
}
