//! Checks between workflows: what `spawn` and `send` actions name must
//! exist in the workflow they target, and what an event's `by` names must
//! be an account role or a team some workflow names. Run over every file of
//! a folder, each as far as it loaded on its own.

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::path::Path as FsPath;

use super::definition::{Action, Definition, Field, FieldKind, NameMap, Role, Transition};
use super::diagnostic::{Diagnostic, LineIndex, did_you_mean};
use super::source::{Path, Seg, SourceMap};
use crate::accounts;
use crate::path;

/// A workflow of the folder, as far as its file loaded.
pub(crate) struct Loaded<'a> {
    pub file: &'a FsPath,
    pub definition: &'a Definition,
    /// The file loaded without errors. References *into* a file with
    /// errors are checked only for its id: its events and fields may be
    /// the ones that did not load.
    pub sound: bool,
    /// Report this file's problems (it was asked for, not only read to
    /// resolve names).
    pub report: bool,
}

/// Every broken reference from the reported `workflows`, and ids used twice.
pub(crate) fn check(workflows: &[Loaded<'_>]) -> Vec<Diagnostic> {
    let mut by_id: BTreeMap<&str, &Loaded<'_>> = BTreeMap::new();
    let mut diagnostics = Vec::new();
    for loaded in workflows
        .iter()
        .filter(|loaded| !loaded.definition.id.is_empty())
    {
        let id = loaded.definition.id.as_str();
        if let Some(first) = by_id.insert(id, loaded)
            && loaded.report
        {
            let text = &loaded.definition.source.text;
            let map = SourceMap::new(text);
            diagnostics.push(LineIndex::new(loaded.file, text).diagnostic(
                map.span(&path!["id"]),
                format!(
                    "workflow id `{id}` is also used by {}",
                    first.file.display()
                ),
                None,
            ));
        }
    }
    let teams = teams(workflows);
    // The events each workflow handles in some state, found once.
    let handled: HashMap<&str, HashSet<&str>> = by_id
        .iter()
        .map(|(id, loaded)| {
            let events = loaded
                .definition
                .states
                .values()
                .flat_map(|state| state.on.keys().map(String::as_str))
                .collect();
            (*id, events)
        })
        .collect();
    for loaded in workflows.iter().filter(|loaded| loaded.report) {
        let text = &loaded.definition.source.text;
        let mut checker = Checker {
            by_id: &by_id,
            handled: &handled,
            teams: &teams,
            map: SourceMap::new(text),
            lines: LineIndex::new(loaded.file, text),
            diagnostics: &mut diagnostics,
        };
        checker.definition(loaded.definition);
    }
    diagnostics
}

/// The team names the workflows know: every fixed role of a state or SLA,
/// and every value of an enum field that a role is read from.
fn teams<'a>(workflows: &[Loaded<'a>]) -> BTreeSet<&'a str> {
    let mut teams = BTreeSet::new();
    for definition in workflows.iter().map(|loaded| loaded.definition) {
        let roles = definition
            .states
            .values()
            .filter_map(|state| state.role.as_ref());
        let roles = roles.chain(definition.slas.values().filter_map(|sla| sla.role.as_ref()));
        for role in roles {
            match role {
                Role::Fixed(name) => {
                    teams.insert(name.as_str());
                }
                Role::Field(field) => {
                    let values = definition
                        .data
                        .get(field)
                        .filter(|field| field.kind == FieldKind::Enum)
                        .map(|field| field.values.as_slice())
                        .unwrap_or_default();
                    teams.extend(values.iter().map(String::as_str));
                }
            }
        }
    }
    teams
}

struct Checker<'a> {
    by_id: &'a BTreeMap<&'a str, &'a Loaded<'a>>,
    handled: &'a HashMap<&'a str, HashSet<&'a str>>,
    teams: &'a BTreeSet<&'a str>,
    map: SourceMap,
    lines: LineIndex<'a>,
    diagnostics: &'a mut Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    /// Walks every place actions can be written, with their paths.
    fn definition(&mut self, definition: &Definition) {
        for (name, state) in &definition.states {
            self.actions(&path!["states", name, "on_enter"], &state.on_enter);
            for (event, transitions) in &state.on {
                self.transitions(&path!["states", name, "on", event], transitions);
            }
            self.transitions(&path!["states", name, "always"], &state.always);
        }
        for (name, event) in &definition.events {
            self.transitions(&path!["events", name, "transitions"], &event.transitions);
            self.by(name, &event.by);
        }
    }

    /// Each name in an event's `by` must be an account role or a known team.
    fn by(&mut self, event: &str, names: &[String]) {
        let roles = accounts::Role::ALL.map(accounts::Role::as_str);
        for (index, name) in names.iter().enumerate() {
            if roles.contains(&name.as_str()) || self.teams.contains(name.as_str()) {
                continue;
            }
            let known = roles.iter().copied().chain(self.teams.iter().copied());
            self.error(
                &path!["events", event, "by", index],
                format!(
                    "`by` names `{name}`, which is neither an account role ({}) nor a team any workflow names",
                    roles.join(", ")
                ),
                did_you_mean(name, known).or_else(|| {
                    Some("a team is a state's fixed `role`, or a value of an enum field a `role = { field }` reads".into())
                }),
            );
        }
    }

    fn transitions(&mut self, at: &[Seg], transitions: &[Transition]) {
        for (index, transition) in transitions.iter().enumerate() {
            self.actions(
                &[at, &path![index, "actions"]].concat(),
                &transition.actions,
            );
        }
    }

    fn actions(&mut self, at: &[Seg], actions: &[Action]) {
        for (index, action) in actions.iter().enumerate() {
            match action {
                Action::Notify { .. } => {}
                Action::Spawn { workflow, data, .. } => {
                    let at = [at, &path![index, "spawn"]].concat();
                    let Some(target) = self.workflow(&at, workflow) else {
                        continue;
                    };
                    let what = format!("spawn of `{workflow}`");
                    self.fields(&at, &what, data, &target.data, "data field");
                }
                Action::Send {
                    workflow,
                    event,
                    data,
                    ..
                } => {
                    let at = [at, &path![index, "send"]].concat();
                    let Some(target) = self.workflow(&at, workflow) else {
                        continue;
                    };
                    let Some(spec) = target.events.get(event) else {
                        self.error(
                            &[at, path!["event"]].concat(),
                            format!("workflow `{workflow}` has no event `{event}`"),
                            did_you_mean(event, target.events.keys().map(String::as_str)),
                        );
                        continue;
                    };
                    let handled = spec.global
                        || self
                            .handled
                            .get(workflow.as_str())
                            .is_some_and(|events| events.contains(event.as_str()));
                    if !handled {
                        self.error(
                            &[at.clone(), path!["event"]].concat(),
                            format!("workflow `{workflow}` accepts `{event}` in no state"),
                            None,
                        );
                    }
                    let what = format!("event `{event}` of `{workflow}`");
                    self.fields(&at, &what, data, &spec.fields, "field");
                }
            }
        }
    }

    /// The target, when it loaded soundly enough to check names in it.
    fn workflow(&mut self, at: &[Seg], id: &str) -> Option<&'a Definition> {
        match self.by_id.get(id) {
            Some(loaded) => loaded.sound.then_some(loaded.definition),
            None => {
                let hint = did_you_mean(id, self.by_id.keys().copied());
                self.error(
                    &[at, &path!["workflow"]].concat(),
                    format!("unknown workflow `{id}`"),
                    hint,
                );
                None
            }
        }
    }

    /// The given fields must be declared in the target, and its required
    /// fields without a default must be given.
    fn fields(
        &mut self,
        at: &[Seg],
        what: &str,
        given: &[(String, super::Expr)],
        declared: &NameMap<Field>,
        kind: &str,
    ) {
        for (name, _) in given {
            if !declared.contains_key(name) {
                self.key_error(
                    &[at, &path!["data", name]].concat(),
                    format!("{what} gives `{name}`, which is not a declared {kind} there"),
                    did_you_mean(name, declared.keys().map(String::as_str)),
                );
            }
        }
        for (name, field) in declared {
            let missing = field.required
                && field.default.is_none()
                && !given.iter().any(|(given, _)| given == name);
            if missing {
                self.error(
                    at,
                    format!("{what} does not give required {kind} `{name}`"),
                    Some(format!("add {name} = \"<expression>\" to its `data`")),
                );
            }
        }
    }

    /// An `on` entry may be one inline transition, written without the
    /// list index its compiled form has: `states.a.on.go.actions`, not
    /// `states.a.on.go[0].actions`. Resolved only when reporting, so a valid
    /// catalog never indexes its files' spans.
    fn written(&self, at: &[Seg]) -> Path {
        let single = at.len() > 4
            && at[0] == Seg::from("states")
            && at[2] == Seg::from("on")
            && at[4] == Seg::Index(0)
            && !self.map.contains(&at[..5]);
        if single {
            [&at[..4], &at[5..]].concat()
        } else {
            at.to_vec()
        }
    }

    fn error(&mut self, at: &[Seg], message: String, hint: Option<String>) {
        let span = self.map.span(&self.written(at));
        self.diagnostics
            .push(self.lines.diagnostic(span, message, hint));
    }

    fn key_error(&mut self, at: &Path, message: String, hint: Option<String>) {
        let span = self.map.key_span(&self.written(at));
        self.diagnostics
            .push(self.lines.diagnostic(span, message, hint));
    }
}
