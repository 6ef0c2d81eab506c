//! Text → [`WorkflowFile`], reporting every shape error of the file.
//!
//! `toml::from_str` stops at the first problem, so a process owner fixing a
//! file would see one error per run. Instead the document is parsed once
//! into spanned TOML values (collecting every syntax error), and each
//! top-level key and each section entry (`states.<name>`, `events.<name>`,
//! …) is deserialised on its own, so one bad entry does not hide another.
//!
//! An entry that cannot be read is still *there*: its name is recorded in
//! [`Broken`], so the later phases resolve references to it and skip the
//! checks that would need its content, instead of reporting follow-on
//! noise ("unknown state", "cannot be reached") about a state whose only
//! problem was already reported.

use std::collections::HashSet;
use std::ops::Range;

use indexmap::IndexMap;
use serde::de::DeserializeOwned;
use toml::Spanned;
use toml::de::{DeTable, DeValue, ValueDeserializer};

use super::diagnostic::did_you_mean;
use super::raw::{FieldSpec, StateSpec, TransitionSpec, WorkflowFile};

/// One shape problem: where, what, and maybe a hint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct ShapeError {
    pub span: Range<usize>,
    pub message: String,
    pub hint: Option<String>,
}

/// What a file holds as far as it could be read.
#[derive(Debug)]
pub(crate) struct Read {
    /// The file; unreadable header values are placeholders and unreadable
    /// entries are absent (states: empty placeholders), see `broken`.
    pub file: WorkflowFile,
    pub broken: Broken,
    pub errors: Vec<ShapeError>,
}

/// The parts of a file that are written but could not be read.
#[derive(Debug, Default)]
pub(crate) struct Broken {
    /// `id` is missing or not a string.
    pub id: bool,
    /// `start` is missing or not a string, or there are no `states`.
    pub start: bool,
    pub data: HashSet<String>,
    /// Present in `file.states` as empty placeholders.
    pub states: HashSet<String>,
    /// Present in `file.events` as placeholders.
    pub events: HashSet<String>,
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

/// What each required top-level key holds, for the "missing key" hint.
const REQUIRED: [(&str, &str); 5] = [
    (
        "id",
        "add the workflow's id, the file name without .toml: id = \"service_desk\"",
    ),
    ("version", "add version = 1, and raise it on every change"),
    ("title", "add a title for people: title = \"Service desk\""),
    (
        "start",
        "add the state new instances start in: start = \"submitted\"",
    ),
    ("states", "add a [states.<name>] table for each state"),
];

/// The tables whose entries are read one by one.
const SECTIONS: [&str; 5] = ["data", "states", "events", "timers", "slas"];

/// TOML nesting the parser accepts; deeper keys and values are refused.
const NESTING_LIMIT: usize = 80;

/// Parses `text`. Fails only when the TOML itself does not parse (then
/// with every syntax error); shape errors come back in [`Read::errors`].
pub(crate) fn read(text: &str) -> Result<Read, Vec<ShapeError>> {
    let (root, syntax) = DeTable::parse_recoverable(text);
    if !syntax.is_empty() {
        return Err(syntax_errors(text, &syntax));
    }
    let root_span = root.span();
    let mut reader = Reader::default();
    let mut header = IndexMap::new();
    let mut sections = Vec::new();
    for (key, value) in root.into_inner() {
        let name = key.get_ref().to_string();
        if SECTIONS.contains(&name.as_str()) {
            sections.push((name, value));
        } else if TOP_LEVEL.contains(&name.as_str()) {
            header.insert(name, value);
        } else {
            reader.errors.push(ShapeError {
                span: key.span(),
                message: format!("unknown key `{name}`"),
                hint: did_you_mean(&name, TOP_LEVEL),
            });
        }
    }
    for (key, hint) in REQUIRED {
        let present = header.contains_key(key) || sections.iter().any(|(name, _)| name == key);
        if !present {
            reader.errors.push(ShapeError {
                span: root_span.start..root_span.start,
                message: format!("missing key `{key}`"),
                hint: Some(hint.to_owned()),
            });
        }
    }
    let mut file = reader.header(header);
    for (name, value) in sections {
        reader.section(&name, value, &mut file);
    }
    if file.states.is_empty() {
        reader.broken.start = true;
    }
    Ok(Read {
        file,
        broken: reader.broken,
        errors: reader.errors,
    })
}

#[derive(Default)]
struct Reader {
    broken: Broken,
    errors: Vec<ShapeError>,
}

impl Reader {
    /// The top-level scalars, each read on its own.
    fn header(&mut self, mut header: IndexMap<String, Spanned<DeValue<'_>>>) -> WorkflowFile {
        let mut take = |key: &str| header.shift_remove(key);
        let id = take("id");
        let version = take("version");
        let title = take("title");
        let description = take("description");
        let start = take("start");
        let key = take("key");
        let id: Option<String> = id.and_then(|value| self.value("`id`", value));
        let start: Option<String> = start.and_then(|value| self.value("`start`", value));
        self.broken.id = id.is_none();
        self.broken.start = start.is_none();
        WorkflowFile {
            id: id.unwrap_or_default(),
            version: version
                .and_then(|value| self.value("`version`", value))
                .unwrap_or(1),
            title: title
                .and_then(|value| self.value("`title`", value))
                .unwrap_or_default(),
            description: description.and_then(|value| self.value("`description`", value)),
            start: start.unwrap_or_default(),
            key: key.and_then(|value| self.value("`key`", value)),
            data: IndexMap::new(),
            states: IndexMap::new(),
            events: IndexMap::new(),
            timers: IndexMap::new(),
            slas: IndexMap::new(),
        }
    }

    /// Reads one value; a failure is recorded in the owner's words. `what`
    /// names the value (`` `version` ``, ``timer `reminder` ``) for errors
    /// that are not about one of its keys.
    fn value<T: DeserializeOwned>(&mut self, what: &str, value: Spanned<DeValue<'_>>) -> Option<T> {
        let span = value.span();
        let tree = value.clone();
        T::deserialize(ValueDeserializer::from(value))
            .map_err(|error| {
                let at = error.span().unwrap_or(span);
                let place = innermost_key(&tree, &at)
                    .map_or_else(|| what.to_owned(), |key| format!("`{key}`"));
                let (message, hint) = readable(&place, error.message());
                self.errors.push(ShapeError {
                    span: at,
                    message,
                    hint,
                });
            })
            .ok()
    }

    fn section(&mut self, section: &str, value: Spanned<DeValue<'_>>, file: &mut WorkflowFile) {
        let span = value.span();
        let DeValue::Table(table) = value.into_inner() else {
            self.errors.push(ShapeError {
                span,
                message: format!("`{section}` must be a table of named entries"),
                hint: Some(format!("write [{section}.<name>] sections")),
            });
            if section == "states" {
                self.broken.start = true;
            }
            return;
        };
        for (key, value) in table {
            let name = key.get_ref().to_string();
            match section {
                "data" => match self.value::<FieldSpec>(&format!("data field `{name}`"), value) {
                    Some(field) => {
                        file.data.insert(name, field);
                    }
                    None => {
                        self.broken.data.insert(name);
                    }
                },
                "states" => {
                    // An `on` entry is an untagged enum, whose error says
                    // only "no variant matched": read those entries as the
                    // variant their shape calls for, to report the real
                    // problem (e.g. an unknown key inside a transition).
                    let inner = self.transition_errors(&value);
                    let state = if inner {
                        None
                    } else {
                        self.value(&format!("state `{name}`"), value)
                    };
                    if state.is_none() {
                        self.broken.states.insert(name.clone());
                    }
                    file.states
                        .insert(name, state.unwrap_or_else(StateSpec::default));
                }
                "events" => {
                    let event = self.value(&format!("event `{name}`"), value);
                    if event.is_none() {
                        self.broken.events.insert(name.clone());
                    }
                    file.events.insert(name, event.unwrap_or_default());
                }
                "timers" => {
                    if let Some(timer) = self.value(&format!("timer `{name}`"), value) {
                        file.timers.insert(name, timer);
                    }
                }
                _ => {
                    if let Some(sla) = self.value(&format!("SLA `{name}`"), value) {
                        file.slas.insert(name, sla);
                    }
                }
            }
        }
    }

    /// Records the precise errors of a state's `on` entries that are tables
    /// (one transition) or arrays (a list of them); whether there were any.
    fn transition_errors(&mut self, state: &Spanned<DeValue<'_>>) -> bool {
        let Some(table) = state.get_ref().as_table() else {
            return false;
        };
        let on = table.iter().find(|(key, _)| key.get_ref() == "on");
        let Some(DeValue::Table(on)) = on.map(|(_, value)| value.get_ref()) else {
            return false;
        };
        let before = self.errors.len();
        for (event, transitions) in on {
            let what = format!("`on.{}`", event.get_ref());
            match transitions.get_ref() {
                DeValue::Table(_) => {
                    self.value::<TransitionSpec>(&what, transitions.clone());
                }
                DeValue::Array(_) => {
                    self.value::<Vec<TransitionSpec>>(&what, transitions.clone());
                }
                _ => {}
            }
        }
        self.errors.len() > before
    }
}

/// The key, inside `value`, whose value is at `span` (the deepest one):
/// serde's messages say what was wrong but not where.
fn innermost_key(value: &Spanned<DeValue<'_>>, span: &Range<usize>) -> Option<String> {
    let mut found = None;
    let mut current = value;
    loop {
        let next = match current.get_ref() {
            DeValue::Table(table) => table
                .iter()
                .find(|(_, item)| contains(&item.span(), span))
                .map(|(key, item)| (Some(key.get_ref().to_string()), item)),
            DeValue::Array(items) => items
                .iter()
                .find(|item| contains(&item.span(), span))
                .map(|item| (None, item)),
            _ => None,
        };
        let Some((key, item)) = next else {
            return found;
        };
        if key.is_some() {
            found = key;
        }
        current = item;
    }
}

fn contains(outer: &Range<usize>, inner: &Range<usize>) -> bool {
    outer.start <= inner.start && inner.end <= outer.end && outer != &(0..0)
}

/// serde's messages name Rust types and say "field"; say instead what the
/// file may hold at `place` (`` `version` ``), in the process owner's words.
fn readable(place: &str, message: &str) -> (String, Option<String>) {
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
        let hint = did_you_mean(field, known.iter().copied())
            .or_else(|| Some(format!("the keys here are {}", known.join(", "))));
        return (format!("unknown key `{field}`"), hint);
    }
    if let Some(rest) = message.strip_prefix("missing field `")
        && let Some((field, _)) = rest.split_once('`')
    {
        return (format!("missing key `{field}` in {place}"), None);
    }
    if let Some(rest) = message.strip_prefix("unknown variant `")
        && let Some((variant, expected)) = rest.split_once('`')
    {
        let known: Vec<&str> = expected.split('`').skip(1).step_by(2).collect();
        if known.contains(&"notify") {
            return (
                format!("unknown action `{variant}`"),
                Some("an action is { notify = {…} }, { spawn = {…} } or { send = {…} }".into()),
            );
        }
        let hint = did_you_mean(variant, known.iter().copied())
            .or_else(|| Some(format!("one of {}", known.join(", "))));
        return (format!("{place} cannot be `{variant}`"), hint);
    }
    for prefix in ["invalid type: ", "invalid value: "] {
        if let Some(rest) = message.strip_prefix(prefix)
            && let Some((found, expected)) = rest.rsplit_once(", expected ")
        {
            let expected = expected_in_words(expected);
            let hint = quoted_number(found, expected).then(|| {
                format!(
                    "write the number without quotes: {} = {}",
                    place.trim_matches('`'),
                    unquoted(found)
                )
            });
            return (
                format!("{place} must be {expected}, not {}", found_in_words(found)),
                hint,
            );
        }
    }
    (message, None)
}

fn expected_in_words(expected: &str) -> &str {
    match expected {
        "u8" | "u16" | "u32" | "u64" | "i8" | "i16" | "i32" | "i64" | "usize" | "isize" => {
            "a whole number"
        }
        "f32" | "f64" => "a number",
        "a boolean" => "true or false",
        "a sequence" => "a list",
        "a map" => "a table",
        other if other.starts_with("struct ") => "a table",
        other => other,
    }
}

/// serde's `string "2"` → `the string "2"`, `integer `5`` → `the number 5`.
fn found_in_words(found: &str) -> String {
    let bare = found.replace('`', "");
    for (kind, words) in [
        ("string ", "the string "),
        ("integer ", "the number "),
        ("floating point ", "the number "),
        ("boolean ", ""),
    ] {
        if let Some(value) = bare.strip_prefix(kind) {
            return format!("{words}{value}");
        }
    }
    match bare.as_str() {
        "sequence" => "a list".into(),
        "map" => "a table".into(),
        other => other.into(),
    }
}

/// Whether the value is a number written as a string where a number was
/// expected (`version = "2"`).
fn quoted_number(found: &str, expected: &str) -> bool {
    found.starts_with("string ")
        && matches!(expected, "a whole number" | "a number")
        && unquoted(found).parse::<f64>().is_ok()
}

fn unquoted(found: &str) -> &str {
    found.trim_start_matches("string ").trim_matches('"')
}

/// The TOML syntax errors, in words, without the follow-on ones: the keys
/// of a table defined twice are not each reported again.
fn syntax_errors(text: &str, errors: &[toml::de::Error]) -> Vec<ShapeError> {
    let mut found: Vec<ShapeError> = errors
        .iter()
        .map(|error| syntax_error(text, error))
        .collect();
    let duplicated_tables: Vec<Range<usize>> = found
        .iter()
        .filter(|error| {
            error
                .message
                .ends_with("is defined twice in the same table")
        })
        .filter_map(|error| table_body(text, error.span.start))
        .collect();
    found.retain(|error| {
        !(error
            .message
            .ends_with("is defined twice in the same table")
            && duplicated_tables
                .iter()
                .any(|body| body.contains(&error.span.start)))
    });
    found
}

/// When `offset` is in a `[table]` header line: the lines after it, up to
/// the next header.
fn table_body(text: &str, offset: usize) -> Option<Range<usize>> {
    let line_start = text[..offset].rfind('\n').map_or(0, |at| at + 1);
    if !text[line_start..].trim_start().starts_with('[') {
        return None;
    }
    let body_start = text[offset..]
        .find('\n')
        .map_or(text.len(), |at| offset + at + 1);
    let mut end = body_start;
    for line in text[body_start..].split_inclusive('\n') {
        if line.trim_start().starts_with('[') {
            break;
        }
        end += line.len();
    }
    Some(body_start..end)
}

/// A TOML syntax error; duplicate keys name the key, nesting limits point
/// at the key that is too deep.
fn syntax_error(text: &str, error: &toml::de::Error) -> ShapeError {
    let span = error.span();
    let message = error.message().trim().replace('\n', " ");
    if message.starts_with("duplicate key") {
        let span = span.unwrap_or(0..0);
        let key = text.get(span.clone()).unwrap_or_default().trim_matches('"');
        return ShapeError {
            span,
            message: format!("`{key}` is defined twice in the same table"),
            hint: Some("TOML allows each key once; merge the two definitions".into()),
        };
    }
    if message == "recursion limit" || message.contains("max recursion depth") {
        let span = span.or_else(|| deep_key(text)).unwrap_or(0..0);
        return ShapeError {
            span,
            message: format!(
                "this is nested more than {NESTING_LIMIT} levels deep, more than flowkeeper reads"
            ),
            hint: Some("a workflow file needs only a few levels of tables".into()),
        };
    }
    ShapeError {
        span: span.unwrap_or(0..0),
        message,
        hint: None,
    }
}

/// The first dotted key (in a `[header]` or before `=`) with too many
/// parts: the parser's nesting error does not say where it is.
fn deep_key(text: &str) -> Option<Range<usize>> {
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let start = offset + (line.len() - line.trim_start().len());
        offset += line.len();
        let key = line.trim_start().trim_start_matches('[');
        let key = key.split(['=', ']']).next().unwrap_or_default();
        let mut parts = 1;
        let mut quote = None;
        for c in key.chars() {
            match (quote, c) {
                (None, '"' | '\'') => quote = Some(c),
                (Some(open), c) if c == open => quote = None,
                (None, '.') => parts += 1,
                _ => {}
            }
        }
        if parts >= NESTING_LIMIT {
            return Some(start..start);
        }
    }
    None
}
