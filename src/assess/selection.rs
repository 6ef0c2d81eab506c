//! Which history rows and which row data the configured indicators can
//! use, so that the store reads only those: `action` rows, unreferenced
//! events and most event data never change a count, and reading them was
//! most of the cost of a year's assessment.

use super::config::AssessmentConfig;
use super::facts::{Anchor, Attribution, Count};

/// What the store hands the calculator for one assessment. Derived from the
/// indicators by [`AssessmentConfig::row_selection`]; the store turns it
/// into its `WHERE` clause.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowSelection {
    /// Workflows whose instances are assessed.
    pub workflows: Vec<String>,
    /// Whether `sla` rows (with their data) are read.
    pub sla: bool,
    /// Whether `created` rows are read.
    pub created: bool,
    /// `event`/`timer` rows of these events are read.
    pub events: Vec<String>,
    /// Rows that enter one of these states (`to_state` differs from
    /// `from_state`; kinds `created`, `event`, `timer`, `admin`) are read.
    pub states: Vec<String>,
    /// The data of `event`/`timer` rows of these events is read (a subset
    /// of `events`); other non-SLA rows come with `data` null.
    pub data_events: Vec<String>,
}

impl RowSelection {
    /// Whether no row can matter (no workflow, or nothing referenced).
    pub fn is_empty(&self) -> bool {
        let nothing_referenced =
            !self.sla && !self.created && self.events.is_empty() && self.states.is_empty();
        self.workflows.is_empty() || nothing_referenced
    }

    fn add_count(&mut self, count: &Count) {
        match count {
            Count::Sla { .. } => self.sla = true,
            Count::Events(name) => self.events.push(name.clone()),
            Count::Instances {
                anchor,
                with_events,
                without_events,
            } => {
                match anchor {
                    Anchor::Reached(state) => self.states.push(state.clone()),
                    Anchor::Created => self.created = true,
                    Anchor::HadEvent(event) => self.events.push(event.clone()),
                }
                for (event, _) in with_events {
                    self.events.push(event.clone());
                    self.data_events.push(event.clone());
                }
                self.events.extend(without_events.iter().cloned());
            }
        }
    }

    fn add_attribution(&mut self, attribution: &Attribution) {
        // `sla_role` reads the role of SLA rows, which always come with data.
        if let Attribution::Holder { events, .. } = attribution {
            self.events.extend(events.iter().cloned());
            self.data_events.extend(events.iter().cloned());
        }
    }
}

impl AssessmentConfig {
    /// The rows and data the indicators can use: what the store query
    /// should select. Reading more changes no count, only the time taken.
    pub fn row_selection(&self) -> RowSelection {
        let mut selection = RowSelection {
            workflows: self.workflows().into_iter().map(str::to_owned).collect(),
            ..RowSelection::default()
        };
        for indicator in &self.indicators {
            selection.add_count(&indicator.numerator);
            selection.add_count(&indicator.denominator);
            selection.add_attribution(&indicator.attribution);
        }
        for names in [
            &mut selection.events,
            &mut selection.states,
            &mut selection.data_events,
        ] {
            names.sort_unstable();
            names.dedup();
        }
        selection
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::*;

    #[test]
    fn the_shipped_config_reads_only_what_it_references() {
        let config = super::super::load_file(Path::new("workflows/assessment.toml")).unwrap();
        let selection = config.row_selection();
        assert_eq!(selection.workflows, ["service_desk"]);
        assert!(selection.sla && selection.created);
        for event in [
            "bounce", "complain", "confirm", "dispatch", "reopen", "transfer",
        ] {
            assert!(selection.events.iter().any(|e| e == event), "{event}");
        }
        assert!(!selection.events.iter().any(|e| e == "receive"));
        assert!(selection.states.iter().any(|s| s == "closed"));
        assert_eq!(selection.data_events, ["confirm", "dispatch", "transfer"]);
        assert!(!selection.is_empty());
    }

    #[test]
    fn nothing_to_read_without_workflows() {
        assert!(RowSelection::default().is_empty());
    }
}
