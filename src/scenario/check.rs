//! Comparing what a step expected with what the runtime shows, as pure
//! functions over values already read from the store: each difference
//! becomes a [`Mismatch`] naming the field, the expected and the actual value.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use indexmap::IndexMap;
use serde_json::{Map, Value as Json};

use super::format::{CaughtUp, ExpectedAction, Instant, SlaExpect, SlaStatus};
use crate::engine::{Effect, HistoryEntry, Instance};

/// One expectation that did not hold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mismatch {
    /// What was checked: `state`, `data.total`, `slas.handling`,
    /// `spawned callback/O-1: state`…
    pub field: String,
    pub expected: String,
    pub actual: String,
}

impl Mismatch {
    pub fn new(
        field: impl Into<String>,
        expected: impl Into<String>,
        actual: impl Into<String>,
    ) -> Self {
        Self {
            field: field.into(),
            expected: expected.into(),
            actual: actual.into(),
        }
    }
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "{}", self.field)?;
        writeln!(f, "  expected: {}", self.expected)?;
        write!(f, "  actual:   {}", self.actual)
    }
}

/// Whether two JSON values are equal, numbers compared by value (`3` is
/// `3.0`): `integer` fields hold integers and `number` fields doubles, and a
/// process owner should not have to care which.
pub fn same_json(expected: &Json, actual: &Json) -> bool {
    match (expected, actual) {
        (Json::Number(a), Json::Number(b)) => a.as_f64() == b.as_f64(),
        (Json::Array(a), Json::Array(b)) => {
            a.len() == b.len() && a.iter().zip(b).all(|(a, b)| same_json(a, b))
        }
        (Json::Object(a), Json::Object(b)) => {
            a.len() == b.len()
                && a.iter()
                    .all(|(key, a)| b.get(key).is_some_and(|b| same_json(a, b)))
        }
        _ => expected == actual,
    }
}

/// Whether every member of `expected` is in `actual` with the same value.
pub fn is_subset(expected: &Map<String, Json>, actual: &Map<String, Json>) -> bool {
    expected
        .iter()
        .all(|(key, value)| actual.get(key).is_some_and(|found| same_json(value, found)))
}

/// One mismatch per expected data field that differs; `prefix` names the
/// instance (`data` or `spawned callback/O-1: data`).
pub fn data(
    prefix: &str,
    expected: &Map<String, Json>,
    actual: &Map<String, Json>,
) -> Vec<Mismatch> {
    expected
        .iter()
        .filter_map(|(field, value)| {
            let found = actual.get(field);
            if found.is_some_and(|found| same_json(value, found)) {
                return None;
            }
            let actual = found.map_or_else(|| "(not set)".to_owned(), Json::to_string);
            Some(Mismatch::new(
                format!("{prefix}.{field}"),
                value.to_string(),
                actual,
            ))
        })
        .collect()
}

/// Compares two lists of names as sets (order is not part of the
/// expectation).
pub fn names(field: &str, expected: &[String], actual: &[String]) -> Option<Mismatch> {
    let wanted: BTreeSet<&String> = expected.iter().collect();
    let found: BTreeSet<&String> = actual.iter().collect();
    (wanted != found || expected.len() != actual.len())
        .then(|| Mismatch::new(field, list(&wanted), list(&found)))
}

fn list<T: fmt::Display>(items: impl IntoIterator<Item = T>) -> String {
    let items: Vec<String> = items.into_iter().map(|item| item.to_string()).collect();
    format!("[{}]", items.join(", "))
}

/// The status of each cycle of each SLA clock of `instance`, oldest first:
/// `met`/`missed` from the history's `sla` lines, `running`/`paused` for the
/// open cycle, `closed` for one that ended with the instance, undecided.
pub fn sla_cycles(instance: &Instance, history: &[HistoryEntry]) -> BTreeMap<String, Vec<String>> {
    let mut decided: BTreeMap<(String, u64), String> = BTreeMap::new();
    for decision in history.iter().filter_map(|entry| entry.data.sla()) {
        let cycle = u64::from(decision.cycle);
        let outcome = decision.outcome.as_str().to_owned();
        decided.insert((decision.sla.to_string(), cycle), outcome);
    }
    let mut cycles = BTreeMap::new();
    for (clock, count) in &instance.sla_cycle_counts {
        let statuses = (1..=u64::from(*count))
            .map(|cycle| {
                if let Some(outcome) = decided.get(&(clock.to_string(), cycle)) {
                    return outcome.clone();
                }
                let open = instance
                    .slas
                    .iter()
                    .find(|open| open.sla == *clock && u64::from(open.cycle) == cycle);
                match open {
                    Some(open) if open.paused_at.is_some() => "paused".to_owned(),
                    Some(_) => "running".to_owned(),
                    None => "closed".to_owned(),
                }
            })
            .collect();
        cycles.insert(clock.to_string(), statuses);
    }
    cycles
}

/// Compares one clock's expectation with its cycles.
pub fn sla(clock: &str, expected: &SlaExpect, cycles: &[String]) -> Option<Mismatch> {
    let field = format!("slas.{clock}");
    match expected {
        SlaExpect::Latest(status) => {
            let latest = cycles.last().map_or("(never started)", String::as_str);
            (latest != status_name(*status))
                .then(|| Mismatch::new(field, status_name(*status), latest))
        }
        SlaExpect::Cycles(statuses) => {
            let wanted: Vec<&str> = statuses.iter().map(|status| status_name(*status)).collect();
            (wanted != cycles).then(|| Mismatch::new(field, list(&wanted), list(cycles)))
        }
    }
}

fn status_name(status: SlaStatus) -> &'static str {
    match status {
        SlaStatus::Met => "met",
        SlaStatus::Missed => "missed",
        SlaStatus::Running => "running",
        SlaStatus::Paused => "paused",
    }
}

/// Whether the actions match one to one, in any order. Each expected
/// action may match several actual ones (it names only some details), so
/// this is a bipartite matching, not a greedy pass.
pub fn actions(expected: &[ExpectedAction], actual: &[Effect]) -> Option<Mismatch> {
    let fits = |e: usize, a: usize| action_fits(&expected[e], &actual[a]);
    let mut owner: Vec<Option<usize>> = vec![None; actual.len()];
    let matched = expected.len() == actual.len()
        && (0..expected.len()).all(|e| {
            let mut seen = vec![false; actual.len()];
            augment(e, &fits, &mut owner, &mut seen)
        });
    (!matched).then(|| {
        Mismatch::new(
            "actions",
            list(expected.iter().map(describe_expected)),
            list(actual.iter().map(describe_effect)),
        )
    })
}

/// Kuhn's augmenting path: finds an actual action for expected `e`, moving
/// earlier assignments when that frees one.
fn augment(
    e: usize,
    fits: &impl Fn(usize, usize) -> bool,
    owner: &mut [Option<usize>],
    seen: &mut [bool],
) -> bool {
    for a in 0..owner.len() {
        if seen[a] || !fits(e, a) {
            continue;
        }
        seen[a] = true;
        if owner[a].is_none_or(|other| augment(other, fits, owner, seen)) {
            owner[a] = Some(e);
            return true;
        }
    }
    false
}

fn action_fits(expected: &ExpectedAction, actual: &Effect) -> bool {
    let key_fits =
        |wanted: &Option<String>, found: &str| wanted.as_deref().is_none_or(|k| k == found);
    match (expected, actual) {
        (
            ExpectedAction::Notify { webhook, payload },
            Effect::Notify {
                webhook: found,
                payload: sent,
            },
        ) => {
            webhook == found
                && sent
                    .as_object()
                    .is_some_and(|sent| is_subset(payload, sent))
        }
        (
            ExpectedAction::Spawn {
                workflow,
                key,
                data,
            },
            Effect::Spawn {
                workflow: found,
                key: found_key,
                data: found_data,
            },
        ) => workflow == found && key_fits(key, found_key) && is_subset(data, found_data),
        (
            ExpectedAction::Send {
                workflow,
                key,
                event,
                data,
            },
            Effect::Send {
                workflow: found,
                key: found_key,
                event: found_event,
                data: found_data,
                ..
            },
        ) => {
            workflow == found
                && key_fits(key, found_key)
                && key_fits(event, found_event)
                && is_subset(data, found_data)
        }
        _ => false,
    }
}

fn describe_expected(action: &ExpectedAction) -> String {
    let details = |key: &Option<String>, data: &Map<String, Json>| {
        let mut text = String::new();
        if let Some(key) = key {
            text.push_str(&format!(" key `{key}`"));
        }
        if !data.is_empty() {
            text.push_str(&format!(" {}", Json::Object(data.clone())));
        }
        text
    };
    match action {
        ExpectedAction::Notify { webhook, payload } if payload.is_empty() => {
            format!("notify `{webhook}`")
        }
        ExpectedAction::Notify { webhook, payload } => {
            format!("notify `{webhook}` {}", Json::Object(payload.clone()))
        }
        ExpectedAction::Spawn {
            workflow,
            key,
            data,
        } => format!("spawn `{workflow}`{}", details(key, data)),
        ExpectedAction::Send {
            workflow,
            key,
            event,
            data,
        } => {
            let event = event
                .as_ref()
                .map_or_else(String::new, |event| format!(" event `{event}`"));
            format!("send `{workflow}`{event}{}", details(key, data))
        }
    }
}

fn describe_effect(effect: &Effect) -> String {
    match effect {
        Effect::Notify { webhook, payload } => format!("notify `{webhook}` {payload}"),
        Effect::Spawn {
            workflow,
            key,
            data,
        } => format!(
            "spawn `{workflow}` key `{key}` {}",
            Json::Object(data.clone())
        ),
        Effect::Send {
            workflow,
            key,
            event,
            data,
            ..
        } => format!(
            "send `{workflow}` event `{event}` key `{key}` {}",
            Json::Object(data.clone())
        ),
    }
}

/// `sla_due` and `timer_due`: the due instants of the open cycles and the
/// pending workflow timers, each shown in the offset the scenario wrote.
pub fn due_instants(
    instance: &Instance,
    sla_due: &IndexMap<String, Instant>,
    timer_due: &IndexMap<String, Instant>,
) -> Vec<Mismatch> {
    let open = |clock: &str| {
        let cycle = instance.slas.iter().find(|cycle| cycle.sla == clock);
        cycle.map(|cycle| cycle.due_at)
    };
    let pending = |name: &str| {
        let timer = instance.timers.iter().find(|timer| {
            timer.name == name && matches!(timer.fires, crate::engine::Fires::Event(_))
        });
        timer.map(|timer| timer.due_at)
    };
    let clocks = sla_due.iter().map(|(clock, expected)| {
        (
            format!("sla_due.{clock}"),
            expected,
            open(clock),
            "no open cycle",
        )
    });
    let timers = timer_due.iter().map(|(name, expected)| {
        (
            format!("timer_due.{name}"),
            expected,
            pending(name),
            "not pending",
        )
    });
    clocks
        .chain(timers)
        .filter_map(|(field, expected, actual, missing)| {
            (actual != Some(expected.at)).then(|| {
                let actual = actual.map_or_else(|| missing.to_owned(), |at| expected.show(at));
                Mismatch::new(field, expected.show(expected.at), actual)
            })
        })
        .collect()
}

/// `caught_up`: the late firings recorded in `lines` (the step's history),
/// compared as a set of `timer@slot`.
pub fn caught_up(expected: &[CaughtUp], lines: &[&HistoryEntry]) -> Option<Mismatch> {
    let offset = expected.first().map(|late| late.slot);
    let show = |at: i64| offset.map_or_else(|| at.to_string(), |instant| instant.show(at));
    let wanted: Vec<String> = expected
        .iter()
        .map(|late| format!("{}@{}", late.timer, late.slot.show(late.slot.at)))
        .collect();
    let found: Vec<String> = lines
        .iter()
        .filter_map(|line| line.data.catch_up())
        .map(|note| format!("{}@{}", note.timer, show(note.slot)))
        .collect();
    names("caught_up", &wanted, &found)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn object(value: Json) -> Map<String, Json> {
        value.as_object().cloned().unwrap_or_default()
    }

    #[test]
    fn numbers_compare_by_value_and_data_is_a_subset() {
        assert!(same_json(&json!(3), &json!(3.0)));
        assert!(!same_json(&json!(3), &json!(3.5)));
        assert!(same_json(&json!([1, {"a": 2}]), &json!([1.0, {"a": 2.0}])));
        let actual = object(json!({"purchases": 2, "total": 500.0, "sms_sent": 0}));
        assert!(data("data", &object(json!({"total": 500})), &actual).is_empty());
        let wrong = data("data", &object(json!({"total": 499, "tier": "x"})), &actual);
        assert_eq!(
            wrong,
            [
                Mismatch::new("data.total", "499", "500.0"),
                Mismatch::new("data.tier", "\"x\"", "(not set)"),
            ]
        );
    }

    #[test]
    fn names_compare_as_sets_and_say_what_differs() {
        let names_of = |items: &[&str]| {
            items
                .iter()
                .map(|item| item.to_string())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            names("timers", &names_of(&["b", "a"]), &names_of(&["a", "b"])),
            None
        );
        let found = names(
            "timers",
            &names_of(&["expire"]),
            &names_of(&["remind", "expire"]),
        );
        assert_eq!(
            found,
            Some(Mismatch::new("timers", "[expire]", "[expire, remind]"))
        );
    }

    #[test]
    fn actions_match_one_to_one_in_any_order() {
        let notify = |webhook: &str, kind: &str| Effect::Notify {
            webhook: webhook.into(),
            payload: json!({"kind": kind}),
        };
        let expect = |webhook: &str, payload: Json| ExpectedAction::Notify {
            webhook: webhook.into(),
            payload: object(payload),
        };
        let actual = [notify("sms", "care"), notify("sms", "promotion")];
        // The first expectation fits both; a greedy pass would take the
        // first and leave the second without a partner.
        let expected = [
            expect("sms", json!({})),
            expect("sms", json!({"kind": "care"})),
        ];
        assert_eq!(actions(&expected, &actual), None);
        let twice_care = [
            expect("sms", json!({"kind": "care"})),
            expect("sms", json!({"kind": "care"})),
        ];
        let mismatch = actions(&twice_care, &actual).expect("promotion is not care");
        assert!(mismatch.actual.contains("promotion"), "{mismatch}");
        assert!(actions(&expected[..1], &actual).is_some());
    }

    #[test]
    fn sla_expectations_read_the_latest_cycle_or_all_of_them() {
        let cycles = ["met".to_owned(), "running".to_owned()];
        assert_eq!(
            sla("handling", &SlaExpect::Latest(SlaStatus::Running), &cycles),
            None
        );
        let latest = sla("handling", &SlaExpect::Latest(SlaStatus::Met), &cycles);
        assert_eq!(
            latest,
            Some(Mismatch::new("slas.handling", "met", "running"))
        );
        let all = sla(
            "handling",
            &SlaExpect::Cycles(vec![SlaStatus::Met]),
            &cycles,
        );
        assert_eq!(
            all,
            Some(Mismatch::new("slas.handling", "[met]", "[met, running]"))
        );
        let never = sla("reply", &SlaExpect::Latest(SlaStatus::Met), &[]);
        assert_eq!(
            never,
            Some(Mismatch::new("slas.reply", "met", "(never started)"))
        );
        assert_eq!(sla("reply", &SlaExpect::Cycles(Vec::new()), &[]), None);
    }
}
