//! Pictures of a workflow: Mermaid, Graphviz DOT and SVG.
//!
//! Pure functions from a [`Definition`] to a `String`, shared by the CLI
//! (`flowkeeper graph`), the API (`/v1/workflows/{id}/graph`) and the
//! console. All formats show the same things: states with their titles,
//! the start state, terminal states, and one edge per transition labelled
//! with its event (or `always`) and its guard. Transitions that stay put
//! are loops marked `(stay)`. Global events are drawn once, not from every
//! state: an "any live state" node with an edge per global transition that
//! moves the instance, and the list of every global event beside it.

use std::fmt::Write;

use super::definition::{Definition, Event, State, Transition};

mod layout;
mod svg;
mod text;

/// One edge of the picture; `from: None` is the "any live state" node.
struct Edge<'a> {
    from: Option<&'a str>,
    to: &'a str,
    label: String,
}

/// Every transition of `definition` as an edge, in file order; global
/// events that move the instance last, from the "any live state" node.
fn edges(definition: &Definition) -> Vec<Edge<'_>> {
    let mut edges = Vec::new();
    for (name, state) in &definition.states {
        for (event, transitions) in &state.on {
            for transition in transitions {
                edges.push(edge(Some(name), transition, event));
            }
        }
        for transition in &state.always {
            edges.push(edge(Some(name), transition, "always"));
        }
    }
    for event in global_events(definition) {
        for transition in event.transitions.iter().filter(|t| t.to.is_some()) {
            edges.push(edge(None, transition, &event.name));
        }
    }
    edges
}

fn edge<'a>(from: Option<&'a str>, transition: &'a Transition, event: &str) -> Edge<'a> {
    let mut label = event.to_owned();
    if let Some(guard) = &transition.guard {
        write!(label, " [{}]", guard.source()).expect("writing to a String");
    }
    if transition.to.is_none() {
        label.push_str(" (stay)");
    }
    Edge {
        from,
        to: transition.to.as_deref().or(from).unwrap_or_default(),
        label,
    }
}

fn global_events(definition: &Definition) -> impl Iterator<Item = &Event> {
    definition.events.values().filter(|event| event.global)
}

/// An id for the "any live state" node that no state has (state names are
/// identifiers, so underscores in front always find a free one).
fn global_id(definition: &Definition) -> String {
    let mut id = String::from("_global");
    while definition.states.contains_key(&id) {
        id.insert(0, '_');
    }
    id
}

/// One line per global event: what it does in any live state.
fn global_lines(definition: &Definition) -> Vec<String> {
    global_events(definition)
        .map(|event| {
            let targets: Vec<&str> = event
                .transitions
                .iter()
                .filter_map(|t| t.to.as_deref())
                .collect();
            let mut line = if targets.is_empty() {
                format!("{}: recorded, state kept", event.name)
            } else {
                format!("{} → {}", event.name, targets.join(" / "))
            };
            if event.after_end {
                line.push_str(" (also after the end)");
            }
            line
        })
        .collect()
}

/// The text shown in a state's box: its title and its name.
fn caption(state: &State) -> String {
    match &state.title {
        Some(title) => format!("{title} ({})", state.name),
        None => state.name.to_string(),
    }
}

/// A Mermaid `stateDiagram-v2`: `[*] -->` marks the start, `--> [*]` the
/// terminal states; the global events in a note on the "any live state"
/// node.
pub fn mermaid(definition: &Definition) -> String {
    let mut out = String::from("stateDiagram-v2\n");
    for state in definition.states.values() {
        writeln!(
            out,
            "    state \"{}\" as {}",
            mermaid_text(&caption(state)),
            state.name
        )
        .expect("writing to a String");
    }
    let global = global_id(definition);
    let lines = global_lines(definition);
    if !lines.is_empty() {
        writeln!(out, "    state \"any live state\" as {global}").expect("writing to a String");
    }
    writeln!(out, "    [*] --> {}", definition.start).expect("writing to a String");
    for edge in edges(definition) {
        writeln!(
            out,
            "    {} --> {} : {}",
            edge.from.unwrap_or(&global),
            edge.to,
            mermaid_text(&edge.label)
        )
        .expect("writing to a String");
    }
    for state in definition.states.values().filter(|state| state.terminal) {
        writeln!(out, "    {} --> [*]", state.name).expect("writing to a String");
    }
    if !lines.is_empty() {
        writeln!(out, "    note right of {global}").expect("writing to a String");
        out.push_str("        Global events, accepted in every live state:\n");
        for line in lines {
            writeln!(out, "        {}", mermaid_text(&line)).expect("writing to a String");
        }
        out.push_str("    end note\n");
    }
    out
}

/// Mermaid reads `"`, `;` and `#` itself; entity codes keep them as text.
fn mermaid_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '#' => out.push_str("#35;"),
            '"' => out.push_str("#quot;"),
            ';' => out.push_str("#59;"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// A Graphviz digraph: the start has an arrow from a point, terminal states
/// a double border; global events come from a dashed "any live state" node
/// with a note listing them all.
pub fn dot(definition: &Definition) -> String {
    let mut out = String::new();
    writeln!(out, "digraph {} {{", dot_id(&definition.id)).expect("writing to a String");
    out.push_str("    rankdir=LR;\n");
    out.push_str("    node [shape=box, style=rounded];\n");
    out.push_str("    __start [shape=point, label=\"\"];\n");
    for state in definition.states.values() {
        let border = if state.terminal {
            ", peripheries=2"
        } else {
            ""
        };
        writeln!(
            out,
            "    {} [label={}{border}];",
            dot_id(&state.name),
            dot_id(&caption(state))
        )
        .expect("writing to a String");
    }
    // Quoted ids with a `*` no state name can have.
    let global = "*live";
    let lines = global_lines(definition);
    if !lines.is_empty() {
        writeln!(
            out,
            "    {} [label=\"any live state\", style=\"rounded,dashed\"];",
            dot_id(global)
        )
        .expect("writing to a String");
        let mut note = String::from("Global events, accepted in every live state:\\l");
        for line in &lines {
            note.push_str(&dot_text(line));
            note.push_str("\\l");
        }
        writeln!(
            out,
            "    {} [shape=note, style=\"\", label=\"{note}\"];",
            dot_id("*global events")
        )
        .expect("writing to a String");
    }
    writeln!(out, "    __start -> {};", dot_id(&definition.start)).expect("writing to a String");
    for edge in edges(definition) {
        writeln!(
            out,
            "    {} -> {} [label={}];",
            dot_id(edge.from.unwrap_or(global)),
            dot_id(edge.to),
            dot_id(&edge.label)
        )
        .expect("writing to a String");
    }
    out.push_str("}\n");
    out
}

/// A quoted DOT string: every id and label is quoted, so any text is safe.
fn dot_id(text: &str) -> String {
    format!("\"{}\"", dot_text(text))
}

/// Text for inside a quoted DOT string.
fn dot_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out
}

/// The graph is too large to draw as a readable SVG (hundreds of
/// thousands of boxes and bends); DOT with Graphviz still works.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error(
    "workflow `{workflow}` is too large to draw as SVG; use --format dot with Graphviz instead"
)]
pub struct SvgError {
    pub workflow: String,
}

/// What to mark on a drawing of one instance's workflow: where it is now
/// and the way it came. The default marks nothing (the workflow alone).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct GraphMarks {
    /// The state the instance is in: drawn highlighted (`class="current"`).
    pub current: Option<String>,
    /// The states visited, in order (the start first, repeats kept): they
    /// and the transitions between consecutive ones are drawn emphasised; a
    /// state twice in a row emphasises its stay loop.
    pub path: Vec<String>,
}

impl GraphMarks {
    /// The steps the instance took: consecutive states of the path, and
    /// from the last of them into the current state when that differs.
    fn steps(&self) -> impl Iterator<Item = (&str, &str)> {
        let last = self.path.last().map(String::as_str);
        let into_current = match (last, self.current.as_deref()) {
            (Some(last), Some(current)) if last != current => Some((last, current)),
            _ => None,
        };
        self.path
            .windows(2)
            .map(|pair| (pair[0].as_str(), pair[1].as_str()))
            .chain(into_current)
    }

    /// Whether the instance went straight from `from` to `to` at some point.
    fn took(&self, from: &str, to: &str) -> bool {
        self.steps().any(|step| step == (from, to))
    }

    fn visited(&self, state: &str) -> bool {
        self.path.iter().any(|name| name == state)
    }
}

/// An SVG picture of the workflow alone: [`svg_with`] with no marks.
pub fn svg(definition: &Definition) -> Result<String, SvgError> {
    svg_with(definition, &GraphMarks::default())
}

/// An SVG picture laid out in-process (no Graphviz needed), top to bottom,
/// with the global events and a legend beside it; `marks` highlight an
/// instance's current state and the path it took. The same drawing serves
/// `flowkeeper graph --format svg`, `GET /v1/workflows/{id}/graph?format=svg`
/// and the console. Deterministic: the same definition and marks give the
/// same bytes.
pub fn svg_with(definition: &Definition, marks: &GraphMarks) -> Result<String, SvgError> {
    svg::draw(definition, marks)
}
