//! Business calendars, wall-clock and absolute timers, and catch-up through
//! the engine: SLA clocks counting open hours (with pauses), relative
//! timers in business days, cron slots across daylight saving, `at`
//! instants, and what a recurring timer found late does.

use std::path::Path;

use flowkeeper::calendar::{self, Calendars, CatchUp};
use flowkeeper::engine::{CatchUpNote, HistoryKind, Instance, Millis, Rejection};
use flowkeeper::model::{self, Definition};
use jiff::Timestamp;
use proptest::prelude::*;
use serde_json::json;

use crate::support::*;

const OFFICE: &str = r#"
[calendars.office]
zone = "Asia/Shanghai"
hours = { mon = ["09:00-12:00", "13:30-18:00"], tue = "mon", wed = "mon", thu = "mon", fri = "mon" }
holidays = ["2026-10-01..2026-10-07", "2027-01-01"]
workdays = ["2026-09-27", "2026-10-10"]
"#;

/// A ticket whose handling clock counts office hours for levels 3–4 and
/// wall-clock time for levels 1–2, with a reminder two business days on.
const TICKET: &str = r#"
id = "ticket"
version = 1
title = "Ticket"
start = "handling"

[data.level]
type = "integer"
required = true

[events.hold]
[events.resume]
[events.resolve]
[events.remind]

[states.handling]
on.hold = "on_hold"
on.resolve = "done"
on.remind = {}

[states.on_hold]
on.resume = "handling"
on.resolve = "done"
on.remind = {}

[states.done]
terminal = true

[timers.remind]
after = "2d"
calendar = "office"
event = "remind"

[slas.handling]
start = ["handling"]
stop = ["done"]
pause = ["on_hold"]
calendar = "office"
within = [
  { when = "data.level <= 2", duration = "4h", calendar = "always" },
  { duration = "12h" },
]
"#;

fn calendars() -> Calendars {
    calendar::load_str(Path::new("calendars.toml"), OFFICE, None)
        .unwrap_or_else(|problems| panic!("{problems}"))
}

fn load_with(text: &str, calendars: &Calendars) -> Definition {
    model::load_with(Path::new("test.toml"), text, calendars)
        .unwrap_or_else(|problems| panic!("{problems}"))
}

fn at(text: &str) -> Millis {
    text.parse::<Timestamp>().unwrap().as_millisecond()
}

fn shanghai(millis: Millis) -> String {
    local(millis, "Asia/Shanghai")
}

fn local(millis: Millis, zone: &str) -> String {
    Timestamp::from_millisecond(millis)
        .unwrap()
        .to_zoned(jiff::tz::TimeZone::get(zone).unwrap())
        .strftime("%a %F %H:%M")
        .to_string()
}

fn create_at(definition: &Definition, data: serde_json::Value, now: Millis) -> Instance {
    let input = flowkeeper::engine::CreateInput {
        id: uuid::Uuid::now_v7(),
        key: "K-1".into(),
        data: object(data),
        actor: "tester".into(),
    };
    flowkeeper::engine::create(definition, input, now)
        .unwrap_or_else(|rejection| panic!("create refused: {rejection}"))
        .instance
}

fn handling_due(instance: &Instance) -> Millis {
    instance
        .slas
        .iter()
        .find(|cycle| cycle.sla == "handling")
        .expect("a handling cycle")
        .due_at
}

#[test]
fn a_level_3_ticket_opened_friday_at_five_is_due_tuesday() {
    let ticket = load_with(TICKET, &calendars());
    let friday = at("2026-10-16T17:00:00+08:00");
    let instance = create_at(&ticket, json!({"level": 3}), friday);
    assert_eq!(shanghai(handling_due(&instance)), "Tue 2026-10-20 14:00");
    assert_eq!(instance.slas[0].calendar.as_deref(), Some("office"));
    let urgent = create_at(&ticket, json!({"level": 1}), friday);
    assert_eq!(shanghai(handling_due(&urgent)), "Fri 2026-10-16 21:00");
    assert_eq!(urgent.slas[0].calendar.as_deref(), Some("always"));
}

#[test]
fn a_ticket_paused_over_the_weekend_loses_only_the_open_time_it_was_paused() {
    let office = calendars();
    let ticket = load_with(TICKET, &office);
    let start = at("2026-10-16T10:00:00+08:00");
    let created = create_at(&ticket, json!({"level": 3}), start);
    assert_eq!(shanghai(handling_due(&created)), "Mon 2026-10-19 16:00");
    let held_at = at("2026-10-16T17:00:00+08:00");
    let held = post(&ticket, &created, "hold", json!({}), held_at).instance;
    assert_eq!(
        handling_due(&held),
        handling_due(&created),
        "a paused clock keeps the deadline it had"
    );
    assert!(held.timers.iter().all(|timer| timer.name != "sla:handling"));
    let resumed_at = at("2026-10-19T10:00:00+08:00");
    let resumed = post(&ticket, &held, "resume", json!({}), resumed_at).instance;
    // 1 h of Friday and 1 h of Monday were paused; the weekend never counted.
    assert_eq!(shanghai(handling_due(&resumed)), "Mon 2026-10-19 18:00");
    let calendar = office.get("office").unwrap();
    let worked = calendar.worked(start, handling_due(&resumed), &[(held_at, resumed_at)]);
    assert_eq!(worked, 12 * HOUR);
    // Closing time is the deadline: resolving then is met, a moment later missed.
    let due = handling_due(&resumed);
    let on_time = post(&ticket, &resumed, "resolve", json!({}), due);
    assert_eq!(
        on_time.sla_changes[0].outcome,
        Some(flowkeeper::engine::SlaOutcome::Met)
    );
    let late = fire(&ticket, &resumed, "sla:handling", due + 1);
    assert_eq!(
        late.instance.slas[0].outcome,
        Some(flowkeeper::engine::SlaOutcome::Missed)
    );
}

#[test]
fn holiday_weeks_are_skipped_and_make_up_saturdays_count() {
    let ticket = load_with(TICKET, &calendars());
    let before_holidays = at("2026-09-30T17:00:00+08:00");
    let instance = create_at(&ticket, json!({"level": 4}), before_holidays);
    // 1 h on Wednesday, nothing until Thursday 8 October (7.5 h), 3.5 h
    // on Friday.
    assert_eq!(shanghai(handling_due(&instance)), "Fri 2026-10-09 14:00");
    let friday = at("2026-10-09T17:00:00+08:00");
    let instance = create_at(&ticket, json!({"level": 4}), friday);
    // 1 h on Friday, 7.5 h on the make-up Saturday, 3.5 h on Monday.
    assert_eq!(shanghai(handling_due(&instance)), "Mon 2026-10-12 14:00");
}

#[test]
fn after_two_days_on_a_calendar_is_two_business_days() {
    let ticket = load_with(TICKET, &calendars());
    let monday = at("2026-10-19T09:00:00+08:00");
    let instance = create_at(&ticket, json!({"level": 1}), monday);
    assert_eq!(shanghai(due(&instance, "remind")), "Tue 2026-10-20 18:00");
    let saturday = at("2026-10-24T11:00:00+08:00");
    let instance = create_at(&ticket, json!({"level": 1}), saturday);
    assert_eq!(shanghai(due(&instance, "remind")), "Tue 2026-10-27 18:00");
}

const DAILY: &str = r#"
id = "daily"
version = 1
title = "Daily"
start = "open"

[events.tick]
[states.open]
on.tick = {}
on.close = "closed"
[events.close]
[states.closed]
terminal = true

[timers.early]
cron = "30 2 * * *"
zone = "America/New_York"
event = "tick"

[timers.fold]
cron = "30 1 * * *"
zone = "America/New_York"
event = "tick"

[timers.calls]
cron = "0 9 * * *"
calendar = "office"
event = "tick"
states = ["open"]
"#;

#[test]
fn cron_slots_survive_spring_forward_and_fire_once_on_fall_back() {
    let daily = load_with(DAILY, &calendars());
    let saturday = at("2026-03-07T12:00:00Z");
    let instance = create_at(&daily, json!({}), saturday);
    let spring = due(&instance, "early");
    assert_eq!(local(spring, "America/New_York"), "Sun 2026-03-08 03:00");
    let fired = fire(&daily, &instance, "early", spring).instance;
    assert_eq!(
        local(due(&fired, "early"), "America/New_York"),
        "Mon 2026-03-09 02:30"
    );

    let autumn = create_at(&daily, json!({}), at("2026-10-31T12:00:00Z"));
    let first = due(&autumn, "fold");
    assert_eq!(
        first,
        at("2026-11-01T05:30:00Z"),
        "01:30 EDT, the first 01:30"
    );
    let fired = fire(&daily, &autumn, "fold", first).instance;
    assert_eq!(
        due(&fired, "fold"),
        at("2026-11-02T06:30:00Z"),
        "the second 01:30 (EST) is not a slot; Monday's 01:30 is"
    );
}

#[test]
fn a_cron_on_a_calendar_fires_on_open_days_only() {
    let daily = load_with(DAILY, &calendars());
    let instance = create_at(&daily, json!({}), at("2026-09-30T10:00:00+08:00"));
    let mut slots = Vec::new();
    let mut current = instance;
    for _ in 0..4 {
        let slot = due(&current, "calls");
        slots.push(shanghai(slot));
        current = fire(&daily, &current, "calls", slot).instance;
    }
    assert_eq!(
        slots,
        [
            "Thu 2026-10-08 09:00",
            "Fri 2026-10-09 09:00",
            "Sat 2026-10-10 09:00",
            "Mon 2026-10-12 09:00",
        ]
    );
}

/// Fires `calls` three daily slots late under `policy`.
fn three_slots_late(policy: &str) -> (Instance, flowkeeper::engine::Outcome) {
    let text = DAILY.replace(
        "calendar = \"office\"\nevent = \"tick\"",
        &format!("calendar = \"office\"\nevent = \"tick\"\ncatch_up = \"{policy}\""),
    );
    let daily = load_with(&text, &calendars());
    let instance = create_at(&daily, json!({}), at("2026-10-18T12:00:00+08:00"));
    assert_eq!(shanghai(due(&instance, "calls")), "Mon 2026-10-19 09:00");
    let restart = at("2026-10-21T10:00:00+08:00");
    let outcome = fire(&daily, &instance, "calls", restart);
    (instance, outcome)
}

#[test]
fn a_timer_three_slots_late_fires_once_and_names_the_slot() {
    let (_, outcome) = three_slots_late("once");
    assert_eq!(
        shanghai(due(&outcome.instance, "calls")),
        "Thu 2026-10-22 09:00"
    );
    assert_eq!(outcome.history.len(), 1);
    let line = &outcome.history[0];
    assert_eq!(line.kind(), HistoryKind::Timer);
    assert_eq!(
        line.at,
        at("2026-10-21T10:00:00+08:00"),
        "the real firing instant"
    );
    assert_eq!(line.event.as_deref(), Some("tick"));
    assert_eq!(
        line.data.catch_up(),
        Some(&CatchUpNote {
            timer: "calls".into(),
            slot: at("2026-10-19T01:00:00Z"),
            policy: CatchUp::Once,
            next: Some(at("2026-10-22T01:00:00Z")),
        })
    );
    assert!(line.data.ignored().is_none());
}

#[test]
fn catch_up_all_fires_every_slot_and_skip_fires_none() {
    let (_, all) = three_slots_late("all");
    assert_eq!(
        shanghai(due(&all.instance, "calls")),
        "Tue 2026-10-20 09:00"
    );
    let note = all.history[0].data.catch_up().expect("a late firing");
    assert_eq!(note.policy, CatchUp::All);
    let (_, skip) = three_slots_late("skip");
    assert_eq!(
        shanghai(due(&skip.instance, "calls")),
        "Thu 2026-10-22 09:00"
    );
    let line = &skip.history[0];
    assert_eq!(line.kind(), HistoryKind::Timer);
    assert!(line.data.ignored().unwrap().contains("skip"));
    let note = line.data.catch_up().expect("the skipped slots");
    assert_eq!(note.slot, at("2026-10-19T01:00:00Z"));
    assert!(skip.transition.is_none(), "a skipped firing posts no event");
}

#[test]
fn an_every_timer_on_a_calendar_keeps_its_rhythm_in_open_time() {
    let text = DAILY.replace(
        "cron = \"0 9 * * *\"\ncalendar = \"office\"",
        "every = \"1d\"\ncalendar = \"office\"",
    );
    let daily = load_with(&text, &calendars());
    let instance = create_at(&daily, json!({}), at("2026-10-19T10:00:00+08:00"));
    let first = due(&instance, "calls");
    assert_eq!(shanghai(first), "Tue 2026-10-20 10:00");
    let on_time = fire(&daily, &instance, "calls", first).instance;
    assert_eq!(shanghai(due(&on_time, "calls")), "Wed 2026-10-21 10:00");
    let late = fire(&daily, &instance, "calls", at("2026-10-23T11:00:00+08:00"));
    assert_eq!(
        shanghai(due(&late.instance, "calls")),
        "Mon 2026-10-26 10:00"
    );
}

const APPOINTMENT: &str = r#"
id = "visit"
version = 1
title = "Visit"
start = "booked"

[data.appointment]
type = "string"

[events.remind]
[events.go]
[events.confirm]
[states.booked]
on.remind = {}
on.go = "done"
on.confirm = "confirmed"
[states.confirmed]
on.remind = {}
on.go = "done"
[states.done]
terminal = true

[timers.confirmed_call]
# Reads the state being entered.
at = "state == 'confirmed' ? '2026-10-09T00:00:00Z' : null"
event = "remind"
states = ["confirmed"]

[timers.on_the_day]
at = "has(data.appointment) ? data.appointment : null"
event = "remind"

[timers.day_before]
at = "has(data.appointment) ? timestamp(data.appointment) - duration('24h') : null"
event = "remind"
"#;

#[test]
fn at_timers_take_an_rfc3339_string_or_a_timestamp() {
    let visit = load_with(APPOINTMENT, &Calendars::default());
    let now = at("2026-10-01T08:00:00Z");
    let booked = create_at(
        &visit,
        json!({"appointment": "2026-10-08T09:00:00+08:00"}),
        now,
    );
    assert_eq!(due(&booked, "on_the_day"), at("2026-10-08T01:00:00Z"));
    assert_eq!(due(&booked, "day_before"), at("2026-10-07T01:00:00Z"));
    let fired = fire(&visit, &booked, "day_before", at("2026-10-07T01:00:00Z")).instance;
    assert!(
        timer(&fired, "day_before").is_none(),
        "an `at` timer fires once"
    );
    let confirmed = post(
        &visit,
        &fired,
        "confirm",
        json!({}),
        at("2026-10-07T02:00:00Z"),
    );
    assert_eq!(
        due(&confirmed.instance, "confirmed_call"),
        at("2026-10-09T00:00:00Z")
    );
}

#[test]
fn an_at_timer_without_an_instant_starts_nothing_and_a_wrong_value_is_refused() {
    let visit = load_with(APPOINTMENT, &Calendars::default());
    let now = at("2026-10-01T08:00:00Z");
    let without = create_at(&visit, json!({}), now);
    assert!(without.timers.is_empty(), "{:?}", without.timers);
    let input = flowkeeper::engine::CreateInput {
        id: uuid::Uuid::now_v7(),
        key: "K-2".into(),
        data: object(json!({"appointment": "next Tuesday"})),
        actor: "tester".into(),
    };
    let refused = flowkeeper::engine::create(&visit, input, now).unwrap_err();
    let Rejection::Expression(error) = refused else {
        panic!("an expression error expected, got {refused:?}");
    };
    assert!(error.to_string().contains("RFC 3339"), "{error}");
}

/// A random weekly calendar as TOML: a zone (some with daylight saving),
/// ranges on some weekdays, holiday ranges and make-up days in 2026.
fn random_calendar() -> impl Strategy<Value = String> {
    let zones = prop::sample::select(vec![
        "Asia/Shanghai",
        "America/New_York",
        "Europe/London",
        "Australia/Lord_Howe",
        "UTC",
    ]);
    let day = prop::collection::vec((0u16..96, 1u16..40), 0..3);
    let week = prop::collection::vec(day, 7);
    let holidays = prop::collection::vec((0i64..365, 0i64..10), 0..6);
    let workdays = prop::collection::vec(0i64..365, 0..4);
    (zones, week, holidays, workdays).prop_map(|(zone, week, holidays, workdays)| {
        let names = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
        let clock = |quarter: u16| format!("{:02}:{:02}", quarter / 4, quarter % 4 * 15);
        let mut open_days = Vec::new();
        let mut hours = Vec::new();
        for (index, ranges) in week.iter().enumerate() {
            // Non-overlapping ranges: each starts after the previous ends.
            let mut cursor = 0u16;
            let mut texts = Vec::new();
            for &(gap, length) in ranges {
                let start = cursor + gap % 24;
                let end = (start + length).min(96);
                if start >= 96 || end <= start {
                    break;
                }
                texts.push(format!("\"{}-{}\"", clock(start), clock(end)));
                cursor = end;
            }
            if !texts.is_empty() {
                open_days.push(index);
                hours.push(format!("{} = [{}]", names[index], texts.join(", ")));
            }
        }
        if hours.is_empty() {
            hours.push("wed = [\"10:00-11:00\"]".into());
            open_days.push(2);
        }
        let start = jiff::civil::date(2026, 1, 1);
        let date = |offset: i64| start.checked_add(jiff::Span::new().days(offset)).unwrap();
        let holiday_ranges: Vec<(jiff::civil::Date, jiff::civil::Date)> = holidays
            .iter()
            .map(|&(offset, length)| (date(offset), date(offset + length)))
            .collect();
        let is_holiday = |day: jiff::civil::Date| {
            holiday_ranges
                .iter()
                .any(|(first, last)| *first <= day && day <= *last)
        };
        let holiday_texts: Vec<String> = holiday_ranges
            .iter()
            .map(|(first, last)| format!("\"{first}..{last}\""))
            .collect();
        let mut makeup: Vec<String> = workdays
            .iter()
            .map(|&offset| date(offset))
            .filter(|day| {
                let weekday = day.weekday().to_monday_zero_offset() as usize;
                !open_days.contains(&weekday) && !is_holiday(*day)
            })
            .map(|day| format!("\"{day}\""))
            .collect();
        makeup.dedup();
        format!(
            "[calendars.office]\nzone = \"{zone}\"\nhours = {{ {} }}\nholidays = [{}]\nworkdays = [{}]\n",
            hours.join(", "),
            holiday_texts.join(", "),
            makeup.join(", ")
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(200))]

    /// For random calendars and pauses, the open time between a cycle's
    /// start and its `due_at`, less the open time spent paused, is exactly
    /// `within`.
    #[test]
    fn open_time_from_start_to_due_outside_pauses_is_within(
        calendar_text in random_calendar(),
        start_offset in 0i64..300 * 24 * HOUR,
        within_hours in 1i64..80,
        within_days in 0i64..3,
        pauses in prop::collection::vec((0i64..40 * HOUR, 1i64..50 * HOUR), 0..5),
    ) {
        let calendars = calendar::load_str(Path::new("calendars.toml"), &calendar_text, None)
            .unwrap_or_else(|problems| panic!("{problems}\n{calendar_text}"));
        let text = TICKET
            .replace("{ duration = \"12h\" }", &format!("{{ duration = \"{within_days}d {within_hours}h\" }}"));
        let ticket = load_with(&text, &calendars);
        let office = calendars.get("office").unwrap();
        let start = at("2026-01-01T00:00:00Z") + start_offset;
        let mut instance = create_at(&ticket, json!({"level": 3}), start);
        let within = office.open_time(model::Duration::parse(&format!("{within_days}d {within_hours}h")).unwrap());
        prop_assert_eq!(office.between(start, handling_due(&instance)), within);
        let mut now = start;
        let mut paused = Vec::new();
        for (wait, length) in pauses {
            let hold = now + wait;
            if hold >= handling_due(&instance) {
                break;
            }
            let resume = hold + length;
            instance = post(&ticket, &instance, "hold", json!({}), hold).instance;
            instance = post(&ticket, &instance, "resume", json!({}), resume).instance;
            paused.push((hold, resume));
            now = resume;
        }
        let due_at = handling_due(&instance);
        prop_assert_eq!(office.worked(start, due_at, &paused), within);
        // And `due_at` is the earliest such instant.
        prop_assert!(office.worked(start, due_at - 1, &paused) < within);
    }
}

#[test]
fn an_sla_deadline_found_late_is_missed_once_at_the_real_instant() {
    let ticket = load_with(TICKET, &calendars());
    let friday = at("2026-10-16T17:00:00+08:00");
    let instance = create_at(&ticket, json!({"level": 3}), friday);
    let due_at = handling_due(&instance);
    // The server was down from Friday evening to the next Thursday.
    let restart = at("2026-10-22T10:00:00+08:00");
    let late = fire(&ticket, &instance, "sla:handling", restart);
    let cycle = &late.instance.slas[0];
    assert_eq!(cycle.outcome, Some(flowkeeper::engine::SlaOutcome::Missed));
    assert_eq!(cycle.due_at, due_at, "the deadline stays the real one");
    let lines: Vec<_> = late
        .history
        .iter()
        .filter_map(|line| line.data.sla().map(|decision| (line.at, decision)))
        .collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].0, restart, "recorded when it was found");
    assert_eq!(lines[0].1.due_at, due_at, "naming the due instant");
    assert!(
        late.instance
            .timers
            .iter()
            .all(|t| t.name != "sla:handling")
    );
}
