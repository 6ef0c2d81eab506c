//! The recorded facts and how an indicator counts them.
//!
//! Everything here works on one instance's history at a time, as the store
//! yields it (ordered by instance, then `seq`), so the calculator needs
//! memory for one instance, not for the period.

use std::borrow::Borrow;
use std::collections::HashMap;

use serde::Deserialize;
use serde_json::{Map, Value as Json};

use super::period::Period;
use crate::engine::{HistoryData, HistoryKind, Millis, SlaDecision, SlaOutcome};
use crate::store::AssessmentRow;

/// What the calculator asks of a history row.
trait Fact {
    /// Whether this row records the event `name` (posted or fired by a timer).
    fn is_event(&self, name: &str) -> bool;
    /// Whether this row moved the instance into `state` (creation included;
    /// staying in a state is not entering it).
    fn entered(&self, state: &str) -> bool;
    /// A field of the data of the event this row records.
    fn field(&self, field: &str) -> Option<&Json>;
    /// The SLA outcome this row records.
    fn sla(&self) -> Option<&SlaDecision>;
}

impl Fact for AssessmentRow {
    fn is_event(&self, name: &str) -> bool {
        matches!(self.kind, HistoryKind::Event | HistoryKind::Timer)
            && self.event.as_deref() == Some(name)
    }

    fn entered(&self, state: &str) -> bool {
        matches!(
            self.kind,
            HistoryKind::Created | HistoryKind::Event | HistoryKind::Timer | HistoryKind::Admin
        ) && self.to_state.as_deref() == Some(state)
            && self.from_state.as_deref() != Some(state)
    }

    fn field(&self, field: &str) -> Option<&Json> {
        let data = self.data.as_ref().and_then(HistoryData::event_data)?;
        data.get(field)
    }

    fn sla(&self) -> Option<&SlaDecision> {
        self.data.as_ref().and_then(HistoryData::sla)
    }
}

/// Which role a counted fact is credited to.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Attribution {
    /// Counted once over the whole workflow; every role that selects the
    /// indicator shows the same value.
    All,
    /// The `role` the SLA outcome was recorded for (SLA counts only).
    SlaRole,
    /// The group holding the instance: the `field` of the last of `events`
    /// at or before the fact (`dispatch`/`transfer` → `group`).
    Holder { events: Vec<String>, field: String },
}

/// Which SLA outcomes a count takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeFilter {
    Met,
    Missed,
    /// Met or missed: every outcome decided in the period.
    Decided,
}

impl OutcomeFilter {
    fn accepts(self, outcome: SlaOutcome) -> bool {
        match self {
            OutcomeFilter::Met => outcome == SlaOutcome::Met,
            OutcomeFilter::Missed => outcome == SlaOutcome::Missed,
            OutcomeFilter::Decided => true,
        }
    }
}

/// What puts an instance into an instance count for a period.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Anchor {
    /// It entered this state within the period.
    Reached(String),
    /// It was created within the period.
    Created,
    /// It received this event within the period.
    HadEvent(String),
}

/// The numerator or denominator of an indicator.
#[derive(Debug, Clone, PartialEq)]
pub enum Count {
    /// SLA outcomes of clock `clock` decided within the period.
    Sla {
        clock: String,
        outcome: OutcomeFilter,
    },
    /// Events of this name recorded within the period (each one counts).
    Events(String),
    /// Instances anchored in the period whose history up to the period's
    /// end has each of `with_events` (an event of that name whose data holds
    /// those values) and none of `without_events`. Each instance counts once
    /// per role.
    Instances {
        anchor: Anchor,
        with_events: Vec<(String, Map<String, Json>)>,
        without_events: Vec<String>,
    },
}

/// Who a fact is credited to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Credit<'r> {
    All,
    Role(&'r str),
    /// The fact names no role (no SLA role, no holder yet): nobody's score.
    Nobody,
}

/// Counted facts of one numerator or denominator.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Tally {
    all: u64,
    by_role: HashMap<String, u64>,
}

impl Tally {
    fn add(&mut self, credit: Credit<'_>) {
        match credit {
            Credit::All => self.all += 1,
            Credit::Role(role) => match self.by_role.get_mut(role) {
                Some(count) => *count += 1,
                None => {
                    self.by_role.insert(role.to_owned(), 1);
                }
            },
            Credit::Nobody => {}
        }
    }

    /// The count for `role` under `attribution`.
    pub fn value(&self, attribution: &Attribution, role: &str) -> u64 {
        match attribution {
            Attribution::All => self.all,
            _ => self.by_role.get(role).copied().unwrap_or(0),
        }
    }

    /// The roles some fact was credited to.
    pub fn roles(&self) -> impl Iterator<Item = &str> {
        self.by_role.keys().map(String::as_str)
    }
}

/// Follows the holder of an instance along its history.
struct Holder<'a> {
    attribution: &'a Attribution,
    current: Option<&'a str>,
}

impl<'a> Holder<'a> {
    fn new(attribution: &'a Attribution) -> Self {
        Self {
            attribution,
            current: None,
        }
    }

    /// Reads `row`, which may hand the instance to another group.
    fn observe(&mut self, row: &'a AssessmentRow) {
        if let Attribution::Holder { events, field } = self.attribution
            && events.iter().any(|event| row.is_event(event))
            && let Some(group) = row.field(field).and_then(Json::as_str)
        {
            self.current = Some(group);
        }
    }

    /// Who a fact recorded by `row` (already observed) is credited to.
    /// Only asked for counted facts: reading the SLA role is not free.
    fn credit(&self, row: &'a AssessmentRow) -> Credit<'a> {
        match self.attribution {
            Attribution::All => Credit::All,
            Attribution::SlaRole => row
                .sla()
                .and_then(|decision| decision.role.as_deref())
                .map_or(Credit::Nobody, Credit::Role),
            Attribution::Holder { .. } => self.current.map_or(Credit::Nobody, Credit::Role),
        }
    }
}

impl Count {
    /// Adds what one instance's history (all rows of one instance, in `seq`
    /// order) contributes in `period`.
    pub fn tally_instance<R: Borrow<AssessmentRow>>(
        &self,
        attribution: &Attribution,
        rows: &[R],
        period: Period,
        tally: &mut Tally,
    ) {
        let mut holder = Holder::new(attribution);
        let rows = rows.iter().map(Borrow::borrow);
        match self {
            Count::Sla { clock, outcome } => {
                for row in rows {
                    holder.observe(row);
                    if period.contains(row.at)
                        && row.sla().is_some_and(|decision| {
                            decision.sla == *clock && outcome.accepts(decision.outcome)
                        })
                    {
                        tally.add(holder.credit(row));
                    }
                }
            }
            Count::Events(name) => {
                for row in rows {
                    holder.observe(row);
                    if row.is_event(name) && period.contains(row.at) {
                        tally.add(holder.credit(row));
                    }
                }
            }
            Count::Instances {
                anchor,
                with_events,
                without_events,
            } => {
                let rows: Vec<&AssessmentRow> = rows.collect();
                let mut credits: Vec<Credit<'_>> = Vec::new();
                for row in &rows {
                    holder.observe(row);
                    if period.contains(row.at) && anchored(anchor, row) {
                        let credit = holder.credit(row);
                        if !credits.contains(&credit) {
                            credits.push(credit);
                        }
                    }
                }
                if credits.is_empty() || !qualifies(&rows, period.to(), with_events, without_events)
                {
                    return;
                }
                for credit in credits {
                    tally.add(credit);
                }
            }
        }
    }
}

fn anchored(anchor: &Anchor, row: &AssessmentRow) -> bool {
    match anchor {
        Anchor::Reached(state) => row.entered(state),
        Anchor::Created => row.kind == HistoryKind::Created,
        Anchor::HadEvent(event) => row.is_event(event),
    }
}

/// The whole-history conditions of an instance count, over what was
/// recorded before `until` (so a later reopen cannot change a closed period).
fn qualifies(
    rows: &[&AssessmentRow],
    until: Millis,
    with_events: &[(String, Map<String, Json>)],
    without_events: &[String],
) -> bool {
    let known = || rows.iter().filter(move |row| row.at < until);
    let has = |(event, values): &(String, Map<String, Json>)| {
        known().any(|row| {
            row.is_event(event)
                && values
                    .iter()
                    .all(|(field, value)| row.field(field) == Some(value))
        })
    };
    with_events.iter().all(has)
        && !known().any(|row| without_events.iter().any(|event| row.is_event(event)))
}
