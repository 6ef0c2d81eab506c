//! Migration plans: a TOML file that says how the live instances of one
//! workflow version become instances of another (`docs/workflow-format.md`,
//! "Migration plans"), validated like a workflow file with every problem
//! at file:line:column.
//!
//! ```toml
//! workflow = "service_desk"
//! from = 1
//! to = 2
//! [states]            # old state = new state; a state not listed keeps its name
//! on_hold = "waiting_vendor"
//! [data]              # new required fields: CEL over the old data
//! priority = "data.level <= 2 ? 'high' : 'normal'"
//! ```

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::Arc;

use indexmap::IndexMap;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value as Json};

use crate::engine::Instance;
use crate::model::source::{Seg, SourceMap};
use crate::model::{
    Definition, Diagnostic, Diagnostics, Expr, ExprError, LineIndex, Scope, Severity, did_you_mean,
};

/// Where plans live, inside the workflows folder.
pub const FOLDER: &str = "migrations";

/// A plan file as written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanFile {
    /// The workflow id.
    pub workflow: String,
    /// The version its instances run now.
    pub from: u32,
    /// The version they move to.
    pub to: u32,
    /// Old state = new state; a state not listed keeps its name.
    #[serde(default)]
    pub states: IndexMap<String, String>,
    /// New field = CEL expression over the old data (`data`, `key`, `state`).
    #[serde(default)]
    pub data: IndexMap<String, String>,
}

impl PlanFile {
    /// Reads a plan's text; a syntax or shape error is one diagnostic.
    pub fn parse(file: &Path, text: &str) -> Result<Self, Diagnostics> {
        toml::from_str(text).map_err(|error| LineIndex::new(file, text).toml_error(&error))
    }
}

/// A checked plan, ready to run against instances.
#[derive(Debug, Clone)]
pub struct Plan {
    pub workflow: String,
    pub from: Arc<Definition>,
    pub to: Arc<Definition>,
    pub states: IndexMap<String, String>,
    pub data: Vec<(String, Expr)>,
}

impl Plan {
    /// The state of the new version an instance standing in `old` goes to.
    pub fn target_state<'a>(&'a self, old: &'a str) -> &'a str {
        self.states.get(old).map_or(old, String::as_str)
    }

    /// The plan's `[data]` evaluated over `instance`'s data.
    pub fn fill(&self, instance: &Instance) -> Result<Map<String, Json>, ExprError> {
        let event = Map::new();
        let scope = Scope {
            data: &instance.data,
            event: &event,
            key: &instance.key,
            state: &instance.state,
        };
        self.data
            .iter()
            .map(|(field, expr)| Ok((field.clone(), expr.eval(&scope)?)))
            .collect()
    }

    /// Why `instance` cannot be migrated by this plan, if it cannot (the
    /// checks that need the instance itself; the engine checks the rest).
    pub fn refusal(&self, instance: &Instance) -> Option<String> {
        if instance.workflow != self.workflow {
            return Some(format!(
                "it is a `{}` instance; the plan migrates `{}`",
                instance.workflow, self.workflow
            ));
        }
        if instance.definition_hash != self.from.source.hash {
            return Some(format!(
                "it runs version {} ({}), the plan migrates version {}",
                instance.version,
                short(&instance.definition_hash),
                self.from.version
            ));
        }
        let target = self.target_state(&instance.state);
        if self.to.state(target).is_none() {
            return Some(format!(
                "it stands in `{}`, which version {} does not have and the plan does not map",
                instance.state, self.to.version
            ));
        }
        None
    }
}

fn short(hash: &str) -> &str {
    hash.get(..12).unwrap_or(hash)
}

/// Checks `plan` (the text of `file`) against the two versions it names.
/// `live_states`: the states of `from` that have live instances, when a
/// database says so; without one every state `to` lacks must be mapped.
pub fn check(
    file: &Path,
    text: &str,
    plan: &PlanFile,
    from: &Arc<Definition>,
    to: &Arc<Definition>,
    live_states: Option<&BTreeSet<String>>,
) -> Result<Plan, Diagnostics> {
    let checker = Checker {
        lines: LineIndex::new(file, text),
        spans: SourceMap::new(text),
        found: Vec::new(),
    };
    checker.run(plan, from, to, live_states)
}

struct Checker<'a> {
    lines: LineIndex<'a>,
    spans: SourceMap,
    found: Vec<Diagnostic>,
}

impl Checker<'_> {
    fn run(
        mut self,
        plan: &PlanFile,
        from: &Arc<Definition>,
        to: &Arc<Definition>,
        live_states: Option<&BTreeSet<String>>,
    ) -> Result<Plan, Diagnostics> {
        if plan.from == plan.to {
            self.error(
                &["to".into()],
                false,
                "`to` is the same version as `from`".into(),
                None,
            );
        }
        for (old, new) in &plan.states {
            let at = [Seg::from("states"), Seg::from(old)];
            if from.state(old).is_none() {
                let hint = did_you_mean(old, from.states.keys().map(String::as_str));
                let message = format!("version {} has no state `{old}`", from.version);
                self.error(&at, true, message, hint);
            }
            if to.state(new).is_none() {
                let hint = did_you_mean(new, to.states.keys().map(String::as_str));
                let message = format!("version {} has no state `{new}`", to.version);
                self.error(&at, false, message, hint);
            }
        }
        for (name, state) in &from.states {
            let kept = to.state(name).is_some() || plan.states.contains_key(name);
            let live = match live_states {
                Some(live) => live.contains(name),
                None => !state.terminal,
            };
            if !kept && live {
                let why = if live_states.is_some() {
                    "live instances stand there"
                } else {
                    "instances may stand there"
                };
                let message = format!(
                    "state `{name}` is gone in version {} and {why}: map it under [states], \
                     e.g. `{name} = \"{}\"`",
                    to.version, to.start
                );
                let at = if self.spans.contains(&[Seg::from("states")]) {
                    vec![Seg::from("states")]
                } else {
                    vec![Seg::from("to")]
                };
                self.error(&at, false, message, None);
            }
        }
        let data = self.data(plan, from, to);
        for (name, field) in &to.data {
            let before = from.data.get(name).is_some_and(|old| old.required);
            let filled = plan.data.contains_key(name) || field.default.is_some();
            if field.required && !before && !filled {
                let message = format!(
                    "field `{name}` is required in version {} and new: give it a value under \
                     [data], a CEL expression over the old data",
                    to.version
                );
                let at = if self.spans.contains(&[Seg::from("data")]) {
                    vec![Seg::from("data")]
                } else {
                    vec![Seg::from("to")]
                };
                self.error(&at, false, message, None);
            }
        }
        if self.found.iter().any(|d| d.severity == Severity::Error) {
            return Err(Diagnostics(self.found));
        }
        Ok(Plan {
            workflow: plan.workflow.clone(),
            from: Arc::clone(from),
            to: Arc::clone(to),
            states: plan.states.clone(),
            data,
        })
    }

    /// Compiles `[data]`: each field must exist in the new version, each
    /// expression compile and read only fields of the old one.
    fn data(&mut self, plan: &PlanFile, from: &Definition, to: &Definition) -> Vec<(String, Expr)> {
        let mut compiled = Vec::new();
        for (field, source) in &plan.data {
            let at = [Seg::from("data"), Seg::from(field)];
            if !to.data.contains_key(field) {
                let hint = did_you_mean(field, to.data.keys().map(String::as_str));
                let message = format!("version {} has no data field `{field}`", to.version);
                self.error(&at, true, message, hint);
            }
            match Expr::compile(source) {
                Ok(expr) => {
                    let references = expr.references();
                    for read in &references.data_fields {
                        if !from.data.contains_key(read) {
                            let hint = did_you_mean(read, from.data.keys().map(String::as_str));
                            let message =
                                format!("`data.{read}` is not a field of version {}", from.version);
                            self.error(&at, false, message, hint);
                        }
                    }
                    if !references.event_fields.is_empty() {
                        let message = "a migration has no event: `event` cannot be read here";
                        self.error(&at, false, message.into(), None);
                    }
                    compiled.push((field.clone(), expr));
                }
                Err(error) => self.error(&at, false, error.to_string(), None),
            }
        }
        compiled
    }

    /// An error at the value of `path` (at its key when `key`).
    fn error(&mut self, path: &[Seg], key: bool, message: String, hint: Option<String>) {
        let span = if key {
            self.spans.key_span(path)
        } else {
            self.spans.span(path)
        };
        self.found.push(self.lines.diagnostic(span, message, hint));
    }
}

/// Looks a workflow version up: among the folder's files, and the
/// database's stored versions when one was given.
pub type Lookup<'a> = dyn Fn(&str, u32) -> Option<Arc<Definition>> + 'a;

/// Checks every plan in `<folder>/migrations/` (see [`FOLDER`]); returns
/// how many plans there were and their problems. A version the lookup
/// does not know is an error when `stored` says the database was asked,
/// and a warning otherwise (the old version's file is usually gone from
/// the folder; the database still has it).
pub fn check_folder(folder: &Path, lookup: &Lookup<'_>, stored: bool) -> (usize, Vec<Diagnostic>) {
    let Ok(entries) = std::fs::read_dir(folder.join(FOLDER)) else {
        return (0, Vec::new());
    };
    let mut files: Vec<_> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|path| path.is_file() && path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    let mut found = Vec::new();
    for file in &files {
        let text = match Diagnostics::read(file) {
            Ok(text) => text,
            Err(problems) => {
                found.extend(problems.0);
                continue;
            }
        };
        let parsed = match PlanFile::parse(file, &text) {
            Ok(parsed) => parsed,
            Err(problems) => {
                found.extend(problems.0);
                continue;
            }
        };
        let lines = LineIndex::new(file, &text);
        let spans = SourceMap::new(&text);
        let mut known = |key: &str, number: u32| {
            let definition = lookup(&parsed.workflow, number);
            if definition.is_none() {
                let (severity, message) = if stored {
                    (
                        Severity::Error,
                        format!(
                            "version {number} of `{}` is neither in the folder nor stored",
                            parsed.workflow
                        ),
                    )
                } else {
                    (
                        Severity::Warning,
                        format!(
                            "version {number} of `{}` is not in the folder, so the plan is \
                             checked only partly; give --database to check it against the \
                             stored versions",
                            parsed.workflow
                        ),
                    )
                };
                let at = spans.span(&[Seg::from(key)]).start;
                found.push(lines.at(severity, at, message, None));
            }
            definition
        };
        let (from, to) = (known("from", parsed.from), known("to", parsed.to));
        if let (Some(from), Some(to)) = (from, to)
            && let Err(problems) = check(file, &text, &parsed, &from, &to, None)
        {
            found.extend(problems.0);
        }
    }
    (files.len(), found)
}
