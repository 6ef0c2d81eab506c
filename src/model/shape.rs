//! Text → [`WorkflowFile`], reporting every shape error of the file.
//!
//! `toml::from_str` stops at the first problem, so a process owner fixing a
//! file would see one error per run. Instead the document is parsed once
//! into spanned TOML values (collecting every syntax error), and each
//! top-level section entry (`states.<name>`, `events.<name>`, …) is
//! deserialised on its own, so one bad state does not hide another.

use std::ops::Range;

use indexmap::IndexMap;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::diagnostic::did_you_mean;
use super::raw::{TransitionSpec, WorkflowFile};

/// One shape problem: where, what, and maybe a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShapeError {
    pub span: Range<usize>,
    pub message: String,
    pub hint: Option<String>,
}

/// The top-level keys of a workflow file, for "did you mean" hints.
const TOP_LEVEL: [&str; 11] = [
    "id",
    "version",
    "title",
    "description",
    "start",
    "key",
    "data",
    "states",
    "events",
    "timers",
    "slas",
];

/// The tables whose entries are read one by one.
const SECTIONS: [&str; 5] = ["data", "states", "events", "timers", "slas"];

/// Parses `text`; on failure returns every problem found.
pub(crate) fn read(text: &str) -> Result<WorkflowFile, Vec<ShapeError>> {
    let (root, syntax) = DeTable::parse_recoverable(text);
    if !syntax.is_empty() {
        return Err(syntax
            .iter()
            .map(|error| syntax_error(text, error))
            .collect());
    }
    let root_span = root.span();
    let mut errors = Vec::new();
    let mut header = DeTable::new();
    let mut sections: Vec<(String, Spanned<DeValue<'_>>)> = Vec::new();
    for (key, value) in root.into_inner() {
        let name = key.get_ref().to_string();
        if !TOP_LEVEL.contains(&name.as_str()) {
            errors.push(ShapeError {
                span: key.span(),
                message: format!("unknown key `{name}`"),
                hint: did_you_mean(&name, TOP_LEVEL),
            });
        } else if SECTIONS.contains(&name.as_str()) {
            // The header still needs the key (`states` is required), but
            // with an empty table: the entries are read below.
            let empty = Spanned::new(value.span(), DeValue::Table(DeTable::new()));
            header.insert(key, empty);
            sections.push((name, value));
        } else {
            header.insert(key, value);
        }
    }
    let file: Option<WorkflowFile> =
        entry(Spanned::new(root_span, DeValue::Table(header)), &mut errors);
    let mut sections_read = Sections::default();
    for (name, value) in sections {
        sections_read.read(&name, value, &mut errors);
    }
    match file {
        Some(mut file) if errors.is_empty() => {
            file.data = sections_read.data;
            file.states = sections_read.states;
            file.events = sections_read.events;
            file.timers = sections_read.timers;
            file.slas = sections_read.slas;
            Ok(file)
        }
        _ => Err(errors),
    }
}

/// The entries of the five sections, each read on its own.
#[derive(Default)]
struct Sections {
    data: IndexMap<String, super::raw::FieldSpec>,
    states: IndexMap<String, super::raw::StateSpec>,
    events: IndexMap<String, super::raw::EventSpec>,
    timers: IndexMap<String, super::raw::TimerSpec>,
    slas: IndexMap<String, super::raw::SlaSpec>,
}

impl Sections {
    fn read(&mut self, section: &str, value: Spanned<DeValue<'_>>, errors: &mut Vec<ShapeError>) {
        let span = value.span();
        let DeValue::Table(table) = value.into_inner() else {
            errors.push(ShapeError {
                span,
                message: format!("`{section}` must be a table of named entries"),
                hint: Some(format!("write [{section}.<name>] sections")),
            });
            return;
        };
        for (key, value) in table {
            let name = key.get_ref().to_string();
            match section {
                "data" => insert(&mut self.data, name, value, errors),
                "states" => {
                    // An `on` entry is an untagged enum, whose error says
                    // only "no variant matched": read those entries as the
                    // variant their shape calls for, to report the real
                    // problem (e.g. an unknown key inside a transition).
                    let inner = transition_errors(&value);
                    if inner.is_empty() {
                        insert(&mut self.states, name, value, errors);
                    } else {
                        errors.extend(inner);
                    }
                }
                "events" => insert(&mut self.events, name, value, errors),
                "timers" => insert(&mut self.timers, name, value, errors),
                _ => insert(&mut self.slas, name, value, errors),
            }
        }
    }
}

/// The precise errors of a state's `on` entries that are tables (one
/// transition) or arrays (a list of them).
fn transition_errors(state: &Spanned<DeValue<'_>>) -> Vec<ShapeError> {
    let mut errors = Vec::new();
    let Some(table) = state.get_ref().as_table() else {
        return errors;
    };
    let on = table.iter().find(|(key, _)| key.get_ref() == "on");
    let Some(DeValue::Table(on)) = on.map(|(_, value)| value.get_ref()) else {
        return errors;
    };
    for (_, transitions) in on {
        match transitions.get_ref() {
            DeValue::Table(_) => {
                entry::<TransitionSpec>(transitions.clone(), &mut errors);
            }
            DeValue::Array(_) => {
                entry::<Vec<TransitionSpec>>(transitions.clone(), &mut errors);
            }
            _ => {}
        }
    }
    errors
}

fn insert<T: DeserializeOwned>(
    into: &mut IndexMap<String, T>,
    name: String,
    value: Spanned<DeValue<'_>>,
    errors: &mut Vec<ShapeError>,
) {
    if let Some(read) = entry(value, errors) {
        into.insert(name, read);
    }
}

/// Deserialises one value; a failure is recorded with its span.
fn entry<T: DeserializeOwned>(
    value: Spanned<DeValue<'_>>,
    errors: &mut Vec<ShapeError>,
) -> Option<T> {
    let span = value.span();
    T::deserialize(ValueDeserializer::from(value))
        .map_err(|error| {
            let (message, hint) = readable(error.message());
            errors.push(ShapeError {
                span: error.span().unwrap_or(span),
                message,
                hint,
            });
        })
        .ok()
}

/// serde's messages for the untagged enums name Rust types; say instead
/// what the file may hold there.
fn readable(message: &str) -> (String, Option<String>) {
    let message = message.trim().replace('\n', " ");
    let untagged = [
        (
            "TransitionsSpec",
            "an `on` entry must be a state name, a transition table or a list of transitions",
            "e.g. resolve = \"closed\" or resolve = { when = \"data.ok\", to = \"closed\" }",
        ),
        (
            "RoleSpec",
            "a role must be a role name or { field = \"<data field>\" }",
            "e.g. role = \"service_desk\" or role = { field = \"group\" }",
        ),
        (
            "WithinSpec",
            "`within` must be a duration or a list of { when, duration } cases",
            "e.g. within = \"4h\"",
        ),
    ];
    for (type_name, text, hint) in untagged {
        if message.contains(&format!("untagged enum {type_name}")) {
            return (text.to_owned(), Some(hint.to_owned()));
        }
    }
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((field, expected)) = rest.split_once('`')
    {
        let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        let hint = did_you_mean(field, known);
        return (
            format!("unknown key `{field}`"),
            hint.or_else(|| Some(format!("expected{}", expected.trim_start_matches(',')))),
        );
    }
    if let Some(rest) = message.strip_prefix("unknown variant `")
        && let Some((action, expected)) = rest.split_once('`')
        && expected.contains("`notify`")
    {
        return (
            format!("unknown action `{action}`"),
            Some("an action is { notify = {…} }, { spawn = {…} } or { send = {…} }".into()),
        );
    }
    (message, None)
}

/// A TOML syntax error; duplicate keys get a message naming the key.
fn syntax_error(text: &str, error: &toml::de::Error) -> ShapeError {
    let span = error.span().unwrap_or(0..0);
    let message = error.message().trim().replace('\n', " ");
    if message.starts_with("duplicate key") {
        let key = text.get(span.clone()).unwrap_or_default().trim_matches('"');
        return ShapeError {
            span,
            message: format!("`{key}` is defined twice in the same table"),
            hint: Some("TOML allows each key once; merge the two definitions".into()),
        };
    }
    ShapeError {
        span,
        message,
        hint: None,
    }
}
