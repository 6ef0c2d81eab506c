//! Which history rows and which row data the configured indicators can
//! use, so that the store reads only those: `action` rows, unreferenced
//! events and most event data never change a count, and reading them was
//! most of the cost of a year's assessment.

use super::config::AssessmentConfig;
use super::facts::{Anchor, Attribution, Count};
use crate::store::RowSelection;

fn add_count(selection: &mut RowSelection, count: &Count) {
    match count {
        Count::Sla { .. } => selection.sla = true,
        Count::Events(name) => selection.events.push(name.clone()),
        Count::Instances {
            anchor,
            with_events,
            without_events,
        } => {
            match anchor {
                Anchor::Reached(state) => selection.states.push(state.clone()),
                Anchor::Created => selection.created = true,
                Anchor::HadEvent(event) => selection.events.push(event.clone()),
            }
            for (event, _) in with_events {
                selection.events.push(event.clone());
                selection.data_events.push(event.clone());
            }
            selection.events.extend(without_events.iter().cloned());
        }
    }
}

fn add_attribution(selection: &mut RowSelection, attribution: &Attribution) {
    // `sla_role` reads the role of SLA rows, which always come with data.
    if let Attribution::Holder { events, .. } = attribution {
        selection.events.extend(events.iter().cloned());
        selection.data_events.extend(events.iter().cloned());
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
            add_count(&mut selection, &indicator.numerator);
            add_count(&mut selection, &indicator.denominator);
            add_attribution(&mut selection, &indicator.attribution);
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
