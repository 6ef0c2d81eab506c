//! The SVG drawing: a workflow as a layered graph, top to bottom, with its
//! global events and a legend in a column beside it.
//!
//! What a reader sees: the title; a dot pointing at the start state; one
//! box per state (title above, name below; end states with a double
//! border); one arrow per pair of states and kind, labelled with the events
//! that take it, conditions in `[…]` and the fallback of guarded choices
//! as `[else]`; `always` (eventless) transitions dashed; transitions that
//! stay put as a loop beside the box; global events once, from an "any
//! live state" box and listed beside the graph. With [`GraphMarks`], the
//! current state is filled amber and the states and transitions of the
//! path are blue.
//!
//! The markup is plain SVG with presentation attributes (no `<style>`, no
//! script), so it looks the same as a file and inlined in a page, where
//! CSS may restyle it: states are `<g class="state" data-state="…">`,
//! the current one also `current`, visited ones `visited`.

use std::fmt::Write;

use super::layout::{self, Edge, Node};
use super::text::{Face, escape, width};
use super::{GraphMarks, SvgError};
use crate::model::definition::{Definition, State, Transition};

const MARGIN: f64 = 16.0;
const TITLE_HEIGHT: f64 = 34.0;
const PANEL_GAP: f64 = 36.0;
const LINE: f64 = 15.0;
const LABEL_SIZE: f64 = 12.0;
const GUARD_SIZE: f64 = 11.0;
const PAD_X: f64 = 12.0;
const START_RADIUS: f64 = 6.0;
const LOOP_WIDTH: f64 = 24.0;
const FONT: &str = "system-ui, -apple-system, &#39;Segoe UI&#39;, &#39;Noto Sans&#39;, \
    &#39;Noto Sans CJK TC&#39;, &#39;PingFang TC&#39;, &#39;Microsoft JhengHei&#39;, sans-serif";
const MONO: &str = "ui-monospace, &#39;DejaVu Sans Mono&#39;, Menlo, Consolas, monospace";

const INK: &str = "#0f172a";
const MUTED: &str = "#64748b";
const LINE_COLOUR: &str = "#475569";
const GUARD: &str = "#7c3aed";
const PATH: &str = "#0284c7";
const CURRENT_FILL: &str = "#fef3c7";
const CURRENT_LINE: &str = "#d97706";
const VISITED_FILL: &str = "#e0f2fe";

/// How a transition is triggered, which decides the line's look.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Start,
    Event,
    Always,
    Global,
}

/// One line of an edge label: the event (or `always`), its condition, and
/// a note (`else`, `re-enter`).
struct Line {
    event: String,
    guard: Option<String>,
    note: Option<&'static str>,
}

impl Line {
    fn new(event: &str, transitions: &[Transition], index: usize) -> Line {
        let transition = &transitions[index];
        let guarded_before = transitions[..index].iter().any(|t| t.guard.is_some());
        Line {
            event: event.to_owned(),
            guard: transition
                .guard
                .as_ref()
                .map(|guard| guard.source().to_owned()),
            note: (transition.guard.is_none() && guarded_before).then_some("else"),
        }
    }

    fn width(&self) -> f64 {
        let face = if self.event == "always" {
            Face::Sans
        } else {
            Face::Bold
        };
        let mut total = width(&self.event, LABEL_SIZE, face);
        if let Some(guard) = &self.guard {
            total += 4.0 + width(&format!("[{guard}]"), GUARD_SIZE, Face::Mono);
        }
        if let Some(note) = self.note {
            total += 4.0 + width(&format!("[{note}]"), GUARD_SIZE, Face::Mono);
        }
        total
    }
}

/// The lines between two nodes that share a kind, drawn as one arrow.
struct Group {
    /// Layout node indices.
    from: usize,
    to: usize,
    kind: Kind,
    lines: Vec<Line>,
    taken: bool,
}

/// What goes into the picture, in layout node numbers: 0 the start dot,
/// `1..=n` the states in file order, `n + 1` the "any live state" box
/// when a global event moves the instance.
struct Scene<'a> {
    definition: &'a Definition,
    marks: &'a GraphMarks,
    groups: Vec<Group>,
    /// Per state: the transitions that stay in it (or re-enter it).
    loops: Vec<Vec<Line>>,
    global_node: Option<usize>,
}

/// Draws `definition` with `marks`; [`SvgError`] only when the graph is too
/// large to make a readable picture.
pub fn draw(definition: &Definition, marks: &GraphMarks) -> Result<String, SvgError> {
    let scene = Scene::new(definition, marks);
    let boxes = scene.boxes();
    let edges: Vec<Edge> = scene
        .groups
        .iter()
        .map(|group| Edge {
            from: group.from,
            to: group.to,
            label: label_size(&group.lines),
        })
        .collect();
    let placement = layout::lay_out(&boxes, &edges).ok_or_else(|| SvgError {
        workflow: definition.id.clone(),
    })?;
    Ok(scene.render(&boxes, &placement))
}

fn label_size(lines: &[Line]) -> Option<(f64, f64)> {
    if lines.is_empty() {
        return None;
    }
    let widest = lines.iter().map(Line::width).fold(0.0, f64::max);
    Some((widest, lines.len() as f64 * LINE))
}

impl<'a> Scene<'a> {
    fn new(definition: &'a Definition, marks: &'a GraphMarks) -> Scene<'a> {
        let index_of = |name: &str| definition.states.get_index_of(name).map(|index| index + 1);
        let mut groups: Vec<Group> = Vec::new();
        let mut loops: Vec<Vec<Line>> = Vec::new();
        let add =
            |groups: &mut Vec<Group>, from: usize, to: usize, kind: Kind, line: Line| match groups
                .iter_mut()
                .find(|group| group.from == from && group.to == to && group.kind == kind)
            {
                Some(group) => group.lines.push(line),
                None => groups.push(Group {
                    from,
                    to,
                    kind,
                    lines: vec![line],
                    taken: false,
                }),
            };
        if let Some(start) = index_of(&definition.start) {
            groups.push(Group {
                from: 0,
                to: start,
                kind: Kind::Start,
                lines: Vec::new(),
                taken: !marks.path.is_empty() || marks.current.is_some(),
            });
        }
        for (position, state) in definition.states.values().enumerate() {
            let from = position + 1;
            let mut stays = Vec::new();
            let own = state
                .on
                .iter()
                .map(|(event, transitions)| (event.as_str(), transitions, Kind::Event))
                .chain(std::iter::once(("always", &state.always, Kind::Always)));
            for (event, transitions, kind) in own {
                for (index, transition) in transitions.iter().enumerate() {
                    let mut line = Line::new(event, transitions, index);
                    match transition.to.as_deref().and_then(index_of) {
                        Some(to) if to != from => add(&mut groups, from, to, kind, line),
                        Some(_) => {
                            line.note = Some("re-enter");
                            stays.push(line);
                        }
                        None => stays.push(line),
                    }
                }
            }
            loops.push(stays);
        }
        let global_node = definition.states.len() + 1;
        let mut any_global = false;
        for event in definition.events.values().filter(|event| event.global) {
            for (index, transition) in event.transitions.iter().enumerate() {
                if let Some(to) = transition.to.as_deref().and_then(index_of) {
                    any_global = true;
                    let line = Line::new(&event.name, &event.transitions, index);
                    add(&mut groups, global_node, to, Kind::Global, line);
                }
            }
        }
        for group in &mut groups {
            group.taken = group.taken || taken_by_path(definition, marks, group);
        }
        Scene {
            definition,
            marks,
            groups,
            loops,
            global_node: any_global.then_some(global_node),
        }
    }

    fn state(&self, node: usize) -> Option<&State> {
        node.checked_sub(1)
            .and_then(|index| self.definition.states.get_index(index))
            .map(|(_, state)| state)
    }

    /// The layout boxes: the start dot, every state, the global box.
    fn boxes(&self) -> Vec<Node> {
        let mut boxes = vec![Node {
            left: START_RADIUS,
            right: START_RADIUS,
            height: 2.0 * START_RADIUS,
            half_width: START_RADIUS,
            half_height: START_RADIUS,
        }];
        for (state, stays) in self.definition.states.values().zip(&self.loops) {
            let (box_width, box_height) = state_box(state);
            let (loop_width, loop_height) = match label_size(stays) {
                Some((width, height)) => (LOOP_WIDTH + 6.0 + width, height),
                None => (0.0, 0.0),
            };
            boxes.push(Node {
                left: box_width / 2.0,
                right: box_width / 2.0 + loop_width,
                height: box_height.max(loop_height),
                half_width: box_width / 2.0,
                half_height: box_height / 2.0,
            });
        }
        if self.global_node.is_some() {
            let box_width = width(GLOBAL_CAPTION, 12.0, Face::Sans) + 2.0 * PAD_X;
            boxes.push(Node {
                left: box_width / 2.0,
                right: box_width / 2.0,
                height: 26.0,
                half_width: box_width / 2.0,
                half_height: 13.0,
            });
        }
        boxes
    }
}

const GLOBAL_CAPTION: &str = "any live state";

/// Whether the instance took a transition of `group`: a step of the path
/// between its ends, or for a global event's arrow, a step into its target
/// that no arrow of the step's own state explains.
fn taken_by_path(definition: &Definition, marks: &GraphMarks, group: &Group) -> bool {
    let name = |node: usize| {
        node.checked_sub(1)
            .and_then(|index| definition.states.get_index(index))
            .map(|(name, _)| name.as_str())
    };
    let Some(to) = name(group.to) else {
        return false;
    };
    if group.kind != Kind::Global {
        return name(group.from).is_some_and(|from| marks.took(from, to));
    }
    marks.steps().any(|(from, step_to)| {
        step_to == to
            && definition.states.get(from).is_some_and(|state| {
                !state.terminal
                    && !state
                        .on
                        .values()
                        .chain(std::iter::once(&state.always))
                        .flatten()
                        .any(|transition| transition.to.as_deref() == Some(to))
            })
    })
}

/// The drawn size of a state's box: its title over its name.
fn state_box(state: &State) -> (f64, f64) {
    let name_width = width(&state.name, 11.0, Face::Mono);
    match &state.title {
        Some(title) => (
            (width(title, 14.0, Face::Bold).max(name_width) + 2.0 * PAD_X).max(72.0),
            44.0,
        ),
        None => (
            (width(&state.name, 13.0, Face::Mono) + 2.0 * PAD_X).max(72.0),
            30.0,
        ),
    }
}

/// The SVG path through `runs`: straight down each run, a smooth bend
/// between runs.
fn path_data(runs: &[(f64, f64, f64)]) -> String {
    let mut data = String::new();
    let mut last: Option<(f64, f64)> = None;
    for &(x, from, to) in runs {
        match last {
            None => write!(data, "M{x:.1},{from:.1}"),
            Some((last_x, last_y)) => {
                let middle = (last_y + from) / 2.0;
                write!(
                    data,
                    " C{last_x:.1},{middle:.1} {x:.1},{middle:.1} {x:.1},{from:.1}"
                )
            }
        }
        .expect("writing to a String");
        if (to - from).abs() > 0.05 {
            write!(data, " L{x:.1},{to:.1}").expect("writing to a String");
        }
        last = Some((x, to));
    }
    data
}

impl Scene<'_> {
    fn render(&self, boxes: &[Node], placement: &layout::Placement) -> String {
        let panel = self.panel();
        let graph_width = placement.width;
        let panel_x = MARGIN + graph_width + PANEL_GAP;
        let title_width = width(&self.definition.title, 16.0, Face::Bold)
            + 10.0
            + width(&self.subtitle(), 12.0, Face::Sans);
        let total_width = (panel_x + panel.width).max(MARGIN + title_width) + MARGIN;
        let top = MARGIN + TITLE_HEIGHT;
        let total_height = top + placement.height.max(panel.height) + MARGIN;
        let mut out = String::new();
        write!(
            out,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"flowkeeper-graph\" \
             data-workflow=\"{id}\" width=\"{w:.0}\" height=\"{h:.0}\" \
             viewBox=\"0 0 {w:.0} {h:.0}\" role=\"img\" font-family=\"{FONT}\">\n\
             <title>{title}</title>\n",
            id = escape(&self.definition.id),
            w = total_width.ceil(),
            h = total_height.ceil(),
            title = escape(&self.definition.title),
        )
        .expect("writing to a String");
        out.push_str(&defs());
        write!(
            out,
            "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n\
             <text x=\"{MARGIN}\" y=\"{y:.1}\" font-size=\"16\" font-weight=\"bold\" fill=\"{INK}\">{title}\
             <tspan dx=\"10\" font-size=\"12\" font-weight=\"normal\" fill=\"{MUTED}\">{sub}</tspan></text>\n",
            y = MARGIN + 16.0,
            title = escape(&self.definition.title),
            sub = escape(&self.subtitle()),
        )
        .expect("writing to a String");
        let shift = |(x, y): (f64, f64)| (x + MARGIN, y + top);
        // Plain arrows first, the path's on top of them.
        for taken in [false, true] {
            for (group, route) in self.groups.iter().zip(&placement.edges) {
                if group.taken == taken {
                    self.edge(&mut out, group, route, &shift);
                }
            }
        }
        for (node, &centre) in placement.nodes.iter().enumerate() {
            let (x, y) = shift(centre);
            let half_width = boxes.get(node).map_or(0.0, |b| b.half_width);
            if node == 0 {
                writeln!(
                    out,
                    "<circle class=\"start\" cx=\"{x:.1}\" cy=\"{y:.1}\" r=\"{START_RADIUS}\" fill=\"{INK}\"/>"
                )
                .expect("writing to a String");
            } else if Some(node) == self.global_node {
                global_box(&mut out, x, y, half_width);
            } else if let Some(state) = self.state(node) {
                let stays = self.loops.get(node - 1).map_or(&[][..], Vec::as_slice);
                self.state_node(&mut out, state, stays, x, y, half_width);
            }
        }
        panel.render(&mut out, panel_x, top);
        out.push_str("</svg>\n");
        out
    }

    fn subtitle(&self) -> String {
        format!(
            "{} · version {}",
            self.definition.id, self.definition.version
        )
    }

    fn edge(
        &self,
        out: &mut String,
        group: &Group,
        route: &layout::Route,
        shift: &dyn Fn((f64, f64)) -> (f64, f64),
    ) {
        let runs: Vec<(f64, f64, f64)> = route
            .runs
            .iter()
            .map(|&(x, from, to)| {
                let (x, from) = shift((x, from));
                let (_, to) = shift((0.0, to));
                (x, from, to)
            })
            .collect();
        let (colour, stroke, marker) = match (group.taken, group.kind) {
            (true, _) => (PATH, 2.6, "fk-arrow-path"),
            (false, Kind::Global) => ("#94a3b8", 1.3, "fk-arrow-global"),
            (false, _) => (LINE_COLOUR, 1.3, "fk-arrow"),
        };
        let dash = if group.kind == Kind::Always {
            " stroke-dasharray=\"6 4\""
        } else {
            ""
        };
        let class = match (group.kind, group.taken) {
            (Kind::Always, false) => "transition always",
            (Kind::Always, true) => "transition always taken",
            (Kind::Global, false) => "transition global",
            (Kind::Global, true) => "transition global taken",
            (Kind::Event, false) => "transition",
            (Kind::Event, true) => "transition taken",
            (Kind::Start, false) => "start-arrow",
            (Kind::Start, true) => "start-arrow taken",
        };
        write!(
            out,
            "<g class=\"{class}\"><path d=\"{d}\" fill=\"none\" stroke=\"{colour}\" \
             stroke-width=\"{stroke}\"{dash} marker-end=\"url(#{marker})\"/>",
            d = path_data(&runs),
        )
        .expect("writing to a String");
        if let Some(at) = route.label {
            let (x, y) = shift(at);
            label_lines(out, &group.lines, x, y, group.taken);
        }
        out.push_str("</g>\n");
    }

    fn state_node(
        &self,
        out: &mut String,
        state: &State,
        stays: &[Line],
        x: f64,
        y: f64,
        half_width: f64,
    ) {
        let (_, box_height) = state_box(state);
        let half_height = box_height / 2.0;
        let current = self.marks.current.as_deref() == Some(state.name.as_str());
        let visited = self.marks.visited(&state.name);
        let (class, fill, stroke, stroke_width) = if current {
            ("state current", CURRENT_FILL, CURRENT_LINE, 2.5)
        } else if visited {
            ("state visited", VISITED_FILL, PATH, 1.6)
        } else {
            ("state", "#ffffff", LINE_COLOUR, 1.3)
        };
        let class = if state.terminal {
            format!("{class} terminal")
        } else {
            class.to_owned()
        };
        write!(
            out,
            "<g class=\"{class}\" data-state=\"{name}\"><title>{tip}</title>\
             <rect x=\"{left:.1}\" y=\"{top:.1}\" width=\"{w:.1}\" height=\"{box_height:.1}\" \
             rx=\"8\" fill=\"{fill}\" stroke=\"{stroke}\" stroke-width=\"{stroke_width}\"/>",
            name = escape(&state.name),
            tip = escape(&tooltip(state)),
            left = x - half_width,
            top = y - half_height,
            w = 2.0 * half_width,
        )
        .expect("writing to a String");
        if state.terminal {
            write!(
                out,
                "<rect x=\"{left:.1}\" y=\"{top:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" \
                 rx=\"5\" fill=\"none\" stroke=\"{stroke}\" stroke-width=\"1.2\"/>",
                left = x - half_width + 3.5,
                top = y - half_height + 3.5,
                w = 2.0 * half_width - 7.0,
                h = box_height - 7.0,
            )
            .expect("writing to a String");
        }
        match &state.title {
            Some(title) => write!(
                out,
                "<text x=\"{x:.1}\" y=\"{t:.1}\" text-anchor=\"middle\" font-size=\"14\" \
                 font-weight=\"bold\" fill=\"{INK}\">{title}</text>\
                 <text x=\"{x:.1}\" y=\"{n:.1}\" text-anchor=\"middle\" font-size=\"11\" \
                 font-family=\"{MONO}\" fill=\"{MUTED}\">{name}</text>",
                t = y - 2.0,
                n = y + 13.0,
                title = escape(title),
                name = escape(&state.name),
            ),
            None => write!(
                out,
                "<text x=\"{x:.1}\" y=\"{t:.1}\" text-anchor=\"middle\" font-size=\"13\" \
                 font-family=\"{MONO}\" font-weight=\"bold\" fill=\"{INK}\">{name}</text>",
                t = y + 4.5,
                name = escape(&state.name),
            ),
        }
        .expect("writing to a String");
        if !stays.is_empty() {
            let right = x + half_width;
            // the path repeats a state where the instance stayed
            let taken = self.marks.took(&state.name, &state.name);
            let (class, colour, stroke, marker) = if taken {
                ("stay taken", PATH, 2.6, "fk-arrow-path")
            } else {
                ("stay", LINE_COLOUR, 1.3, "fk-arrow")
            };
            write!(
                out,
                "<g class=\"{class}\"><path d=\"M{right:.1},{a:.1} C{c:.1},{b:.1} {c:.1},{d:.1} {right:.1},{e:.1}\" \
                 fill=\"none\" stroke=\"{colour}\" stroke-width=\"{stroke}\" marker-end=\"url(#{marker})\"/>",
                a = y - 7.0,
                b = y - 16.0,
                c = right + LOOP_WIDTH,
                d = y + 16.0,
                e = y + 7.0,
            )
            .expect("writing to a String");
            label_lines(out, stays, right + LOOP_WIDTH + 6.0, y, taken);
            out.push_str("</g>");
        }
        out.push_str("</g>\n");
    }
}

/// What hovering a state shows: its name, title and role.
fn tooltip(state: &State) -> String {
    let mut tip = state.name.to_string();
    if let Some(title) = &state.title {
        write!(tip, " — {title}").expect("writing to a String");
    }
    match &state.role {
        Some(crate::model::definition::Role::Fixed(role)) => {
            write!(tip, " (role {role})").expect("writing to a String")
        }
        Some(crate::model::definition::Role::Field(field)) => {
            write!(tip, " (role from data.{field})").expect("writing to a String")
        }
        None => {}
    }
    if state.terminal {
        tip.push_str(" (end state)");
    }
    tip
}

fn global_box(out: &mut String, x: f64, y: f64, half_width: f64) {
    writeln!(
        out,
        "<g class=\"global\"><rect x=\"{left:.1}\" y=\"{top:.1}\" width=\"{w:.1}\" height=\"26\" rx=\"13\" \
         fill=\"#f8fafc\" stroke=\"#94a3b8\" stroke-width=\"1.2\" stroke-dasharray=\"4 3\"/>\
         <text x=\"{x:.1}\" y=\"{t:.1}\" text-anchor=\"middle\" font-size=\"12\" font-style=\"italic\" \
         fill=\"{MUTED}\">{GLOBAL_CAPTION}</text></g>",
        left = x - half_width,
        top = y - 13.0,
        w = 2.0 * half_width,
        t = y + 4.0,
    )
    .expect("writing to a String");
}

/// Label lines, left-aligned at `x`, the block centred on `y`; a white halo
/// keeps them legible where a line passes behind.
fn label_lines(out: &mut String, lines: &[Line], x: f64, y: f64, taken: bool) {
    let first = y - (lines.len() as f64 - 1.0) * LINE / 2.0 + 4.0;
    let colour = if taken { PATH } else { INK };
    for (index, line) in lines.iter().enumerate() {
        let baseline = first + index as f64 * LINE;
        let event = if line.event == "always" {
            format!("<tspan font-style=\"italic\" fill=\"{MUTED}\">always</tspan>")
        } else {
            format!(
                "<tspan font-weight=\"bold\" fill=\"{colour}\">{}</tspan>",
                escape(&line.event)
            )
        };
        write!(
            out,
            "<text x=\"{x:.1}\" y=\"{baseline:.1}\" font-size=\"{LABEL_SIZE}\" \
             stroke=\"#ffffff\" stroke-width=\"3\" stroke-linejoin=\"round\" paint-order=\"stroke\">{event}"
        )
        .expect("writing to a String");
        for extra in [line.guard.as_deref(), line.note].into_iter().flatten() {
            write!(
                out,
                "<tspan dx=\"4\" font-size=\"{GUARD_SIZE}\" font-family=\"{MONO}\" fill=\"{GUARD}\">[{}]</tspan>",
                escape(extra)
            )
            .expect("writing to a String");
        }
        out.push_str("</text>");
    }
}

fn defs() -> String {
    let mut out = String::from("<defs>");
    for (id, colour) in [
        ("fk-arrow", LINE_COLOUR),
        ("fk-arrow-path", PATH),
        ("fk-arrow-global", "#94a3b8"),
    ] {
        write!(
            out,
            "<marker id=\"{id}\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"9\" \
             markerHeight=\"9\" markerUnits=\"userSpaceOnUse\" orient=\"auto\">\
             <path d=\"M0,0 L10,5 L0,10 z\" fill=\"{colour}\"/></marker>"
        )
        .expect("writing to a String");
    }
    out.push_str("</defs>\n");
    out
}

/// The column beside the graph: the global events, then the legend.
struct Panel {
    rows: Vec<PanelRow>,
    width: f64,
    height: f64,
}

enum PanelRow {
    Heading(String),
    /// Event name, title, what it does.
    Event(String, Option<String>, String),
    /// A sample drawing and what it means.
    Key(Sample, &'static str),
}

#[derive(Clone, Copy)]
enum Sample {
    Start,
    End,
    Event,
    Always,
    Guard,
    Stay,
    Current,
    Visited,
    Path,
}

const ROW: f64 = 20.0;
const PANEL_PAD: f64 = 12.0;
const SAMPLE_WIDTH: f64 = 40.0;

impl Scene<'_> {
    fn panel(&self) -> Panel {
        let mut rows = Vec::new();
        let globals: Vec<_> = self
            .definition
            .events
            .values()
            .filter(|event| event.global)
            .collect();
        if !globals.is_empty() {
            rows.push(PanelRow::Heading(
                "Global events (any live state)".to_owned(),
            ));
            for event in globals {
                let mut effect = match event.transitions.iter().find_map(|t| t.to.as_deref()) {
                    Some(target) => format!("→ {target}"),
                    None => "recorded, state kept".to_owned(),
                };
                if event.after_end {
                    effect.push_str("; also after the end");
                }
                if !event.by.is_empty() {
                    write!(effect, "; by {}", event.by.join(", ")).expect("writing to a String");
                }
                rows.push(PanelRow::Event(
                    event.name.clone(),
                    event.title.clone(),
                    effect,
                ));
            }
        }
        rows.push(PanelRow::Heading("Legend".to_owned()));
        let mut keys = vec![
            (Sample::Start, "start"),
            (Sample::End, "end state"),
            (Sample::Event, "event"),
            (Sample::Always, "always (automatic)"),
            (Sample::Guard, "condition; first true wins"),
            (Sample::Stay, "stays in the state"),
        ];
        if self.marks.current.is_some() || !self.marks.path.is_empty() {
            keys.extend([
                (Sample::Current, "current state"),
                (Sample::Visited, "visited"),
                (Sample::Path, "path taken"),
            ]);
        }
        rows.extend(
            keys.into_iter()
                .map(|(sample, text)| PanelRow::Key(sample, text)),
        );
        let width = rows
            .iter()
            .map(|row| match row {
                PanelRow::Heading(text) => width(text, 13.0, Face::Bold),
                PanelRow::Event(name, title, effect) => {
                    let head = width(name, 12.0, Face::Mono)
                        + title
                            .as_deref()
                            .map_or(0.0, |t| 6.0 + width(t, 12.0, Face::Sans));
                    head.max(width(effect, 11.0, Face::Sans) + 10.0)
                }
                PanelRow::Key(_, text) => SAMPLE_WIDTH + 8.0 + width(text, 12.0, Face::Sans),
            })
            .fold(0.0, f64::max)
            + 2.0 * PANEL_PAD;
        let height = rows.iter().map(PanelRow::height).sum::<f64>() + 2.0 * PANEL_PAD;
        Panel {
            rows,
            width,
            height,
        }
    }
}

impl PanelRow {
    fn height(&self) -> f64 {
        match self {
            PanelRow::Heading(_) => ROW + 4.0,
            PanelRow::Event(..) => 2.0 * 16.0 + 2.0,
            PanelRow::Key(..) => ROW,
        }
    }
}

impl Panel {
    fn render(&self, out: &mut String, x: f64, y: f64) {
        write!(
            out,
            "<g class=\"legend\"><rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{w:.1}\" height=\"{h:.1}\" rx=\"8\" \
             fill=\"#f8fafc\" stroke=\"#e2e8f0\"/>",
            w = self.width,
            h = self.height,
        )
        .expect("writing to a String");
        let left = x + PANEL_PAD;
        let mut top = y + PANEL_PAD;
        for row in &self.rows {
            match row {
                PanelRow::Heading(text) => write!(
                    out,
                    "<text x=\"{left:.1}\" y=\"{b:.1}\" font-size=\"13\" font-weight=\"bold\" fill=\"{INK}\">{}</text>",
                    escape(text),
                    b = top + 15.0,
                ),
                PanelRow::Event(name, title, effect) => write!(
                    out,
                    "<text class=\"global-event\" data-event=\"{n}\" x=\"{left:.1}\" y=\"{b:.1}\" font-size=\"12\" fill=\"{INK}\">\
                     <tspan font-family=\"{MONO}\" font-weight=\"bold\">{n}</tspan><tspan dx=\"6\">{t}</tspan></text>\
                     <text x=\"{i:.1}\" y=\"{c:.1}\" font-size=\"11\" fill=\"{MUTED}\">{e}</text>",
                    n = escape(name),
                    t = escape(title.as_deref().unwrap_or("")),
                    e = escape(effect),
                    b = top + 13.0,
                    c = top + 29.0,
                    i = left + 10.0,
                ),
                PanelRow::Key(sample, text) => {
                    draw_sample(out, *sample, left, top + ROW / 2.0);
                    write!(
                        out,
                        "<text x=\"{t:.1}\" y=\"{b:.1}\" font-size=\"12\" fill=\"{INK}\">{}</text>",
                        escape(text),
                        t = left + SAMPLE_WIDTH + 8.0,
                        b = top + ROW / 2.0 + 4.0,
                    )
                }
            }
            .expect("writing to a String");
            top += row.height();
        }
        out.push_str("</g>\n");
    }
}

fn draw_sample(out: &mut String, sample: Sample, x: f64, y: f64) {
    let end = x + SAMPLE_WIDTH;
    let arrow = |colour: &str, width: f64, marker: &str, dash: &str| {
        format!(
            "<path d=\"M{x:.1},{y:.1} L{e:.1},{y:.1}\" stroke=\"{colour}\" stroke-width=\"{width}\"{dash} \
             marker-end=\"url(#{marker})\"/>",
            e = end - 2.0
        )
    };
    let swatch = |fill: &str, stroke: &str, double: bool| {
        let mut text = format!(
            "<rect x=\"{x:.1}\" y=\"{t:.1}\" width=\"{SAMPLE_WIDTH}\" height=\"14\" rx=\"4\" fill=\"{fill}\" \
             stroke=\"{stroke}\" stroke-width=\"1.3\"/>",
            t = y - 7.0
        );
        if double {
            write!(
                text,
                "<rect x=\"{a:.1}\" y=\"{t:.1}\" width=\"{w:.1}\" height=\"8\" rx=\"2\" fill=\"none\" \
                 stroke=\"{stroke}\" stroke-width=\"1.1\"/>",
                a = x + 3.0,
                t = y - 4.0,
                w = SAMPLE_WIDTH - 6.0
            )
            .expect("writing to a String");
        }
        text
    };
    let drawing = match sample {
        Sample::Start => format!(
            "<circle cx=\"{cx:.1}\" cy=\"{y:.1}\" r=\"{START_RADIUS}\" fill=\"{INK}\"/>",
            cx = x + 8.0
        ),
        Sample::End => swatch("#ffffff", LINE_COLOUR, true),
        Sample::Event => arrow(LINE_COLOUR, 1.3, "fk-arrow", ""),
        Sample::Always => arrow(LINE_COLOUR, 1.3, "fk-arrow", " stroke-dasharray=\"6 4\""),
        Sample::Guard => format!(
            "<text x=\"{x:.1}\" y=\"{b:.1}\" font-size=\"{GUARD_SIZE}\" font-family=\"{MONO}\" \
             fill=\"{GUARD}\">[…]</text>",
            b = y + 4.0
        ),
        Sample::Stay => format!(
            "<path d=\"M{x:.1},{a:.1} C{c:.1},{t:.1} {c:.1},{b:.1} {x:.1},{d:.1}\" fill=\"none\" \
             stroke=\"{LINE_COLOUR}\" stroke-width=\"1.3\" marker-end=\"url(#fk-arrow)\"/>",
            a = y - 4.0,
            t = y - 10.0,
            c = x + 22.0,
            b = y + 10.0,
            d = y + 4.0
        ),
        Sample::Current => swatch(CURRENT_FILL, CURRENT_LINE, false),
        Sample::Visited => swatch(VISITED_FILL, PATH, false),
        Sample::Path => arrow(PATH, 2.6, "fk-arrow-path", ""),
    };
    out.push_str(&drawing);
}
