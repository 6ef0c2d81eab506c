//! Pictures of a workflow: Mermaid, Graphviz DOT and SVG.
//!
//! Pure functions from a [`Definition`] to a `String`, shared by the CLI
//! (`flowkeeper graph`) and the API (`/v1/workflows/{id}/graph`). Both
//! formats show the same things: states with their titles, the start
//! state, terminal states, and one edge per transition labelled with its
//! event (or `always`) and its guard. Transitions that stay put are drawn
//! as loops marked `(stay)`; global events are drawn from every
//! non-terminal state that does not handle them itself, marked `(global)`.

use std::fmt::Write;

use super::definition::{Definition, State, Transition};

/// One edge of the picture.
struct Edge<'a> {
    from: &'a str,
    to: &'a str,
    label: String,
}

/// Every transition of `definition` as an edge, in file order.
fn edges(definition: &Definition) -> Vec<Edge<'_>> {
    let mut edges = Vec::new();
    for (name, state) in &definition.states {
        for (event, transitions) in &state.on {
            for transition in transitions {
                edges.push(edge(name, transition, event, ""));
            }
        }
        for transition in &state.always {
            edges.push(edge(name, transition, "always", ""));
        }
        for event in definition.events.values().filter(|event| event.global) {
            if state.terminal || state.on.contains_key(&event.name) {
                continue;
            }
            for transition in event.transitions.iter().filter(|t| t.to.is_some()) {
                edges.push(edge(name, transition, &event.name, " (global)"));
            }
        }
    }
    edges
}

fn edge<'a>(from: &'a str, transition: &'a Transition, event: &str, suffix: &str) -> Edge<'a> {
    let mut label = event.to_owned();
    if let Some(guard) = &transition.guard {
        write!(label, " [{}]", guard.source()).expect("writing to a String");
    }
    label.push_str(suffix);
    if transition.to.is_none() {
        label.push_str(" (stay)");
    }
    Edge {
        from,
        to: transition.to.as_deref().unwrap_or(from),
        label,
    }
}

/// The text shown in a state's box: its title and its name.
fn caption(state: &State) -> String {
    match &state.title {
        Some(title) => format!("{title} ({})", state.name),
        None => state.name.clone(),
    }
}

/// A Mermaid `stateDiagram-v2`: `[*] -->` marks the start, `--> [*]` the
/// terminal states.
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
    writeln!(out, "    [*] --> {}", definition.start).expect("writing to a String");
    for edge in edges(definition) {
        writeln!(
            out,
            "    {} --> {} : {}",
            edge.from,
            edge.to,
            mermaid_text(&edge.label)
        )
        .expect("writing to a String");
    }
    for state in definition.states.values().filter(|state| state.terminal) {
        writeln!(out, "    {} --> [*]", state.name).expect("writing to a String");
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
/// a double border.
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
    writeln!(out, "    __start -> {};", dot_id(&definition.start)).expect("writing to a String");
    for edge in edges(definition) {
        writeln!(
            out,
            "    {} -> {} [label={}];",
            dot_id(edge.from),
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
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' | '\r' => out.push(' '),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The layout engine failed on this graph.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the SVG layout failed for workflow `{workflow}`; use --format dot with Graphviz instead")]
pub struct SvgError {
    pub workflow: String,
}

/// An SVG picture, laid out in-process by `layout-rs` (no Graphviz
/// binary needed): boxes with titles, a filled dot pointing at the start,
/// terminal states with a heavy border.
///
/// `layout-rs` asserts its own invariants and panics on some graphs with
/// many crossing edges. The panic is contained here: the layout is retried
/// without its optimisation passes, and if that fails too the caller gets
/// an [`SvgError`] instead of a crash.
pub fn svg(definition: &Definition) -> Result<String, SvgError> {
    for skip_optimisations in [false, true] {
        let attempt = std::panic::catch_unwind(|| lay_out(definition, skip_optimisations));
        if let Ok(svg) = attempt {
            return Ok(svg);
        }
    }
    Err(SvgError {
        workflow: definition.id.clone(),
    })
}

fn lay_out(definition: &Definition, skip_optimisations: bool) -> String {
    use layout::backends::svg::SVGWriter;
    use layout::core::base::Orientation;
    use layout::core::color::Color;
    use layout::core::geometry::Point;
    use layout::core::style::StyleAttr;
    use layout::std_shapes::render::get_shape_size;
    use layout::std_shapes::shapes::{Arrow, Element, ShapeKind};
    use layout::topo::layout::VisualGraph;

    const FONT: usize = 14;
    let direction = Orientation::TopToBottom;
    let mut graph = VisualGraph::new(direction);
    let dot_style = StyleAttr::new(Color::fast("black"), 1, Some(Color::fast("black")), 0, FONT);
    let start = graph.add_node(Element::create(
        ShapeKind::new_circle(""),
        dot_style,
        direction,
        Point::new(14., 14.),
    ));
    let mut nodes = std::collections::HashMap::new();
    for state in definition.states.values() {
        let shape = ShapeKind::new_box(&caption(state));
        let size = get_shape_size(direction, &shape, FONT, false);
        let border = if state.terminal { 4 } else { 1 };
        let style = StyleAttr::new(
            Color::fast("black"),
            border,
            Some(Color::fast("white")),
            6,
            FONT,
        );
        let node = graph.add_node(Element::create(shape, style, direction, size));
        nodes.insert(state.name.as_str(), node);
    }
    graph.add_edge(Arrow::simple(""), start, nodes[definition.start.as_str()]);
    for edge in edges(definition) {
        graph.add_edge(Arrow::simple(&edge.label), nodes[edge.from], nodes[edge.to]);
    }
    let mut writer = SVGWriter::new();
    graph.do_it(false, skip_optimisations, skip_optimisations, &mut writer);
    writer.finalize()
}
