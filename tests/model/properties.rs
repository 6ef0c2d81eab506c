//! Properties of the validator over generated workflows: valid ones
//! validate, and any single-token change of one never panics and never
//! costs more than linear work (a count of steps, not a timing).

use std::fmt::Write;
use std::path::Path;

use flowkeeper::model::check_str;
use proptest::prelude::*;

/// A generated workflow's shape; [`render`] turns it into a valid file.
#[derive(Debug, Clone)]
struct Shape {
    states: usize,
    events: usize,
    /// Extra transitions: (from, event, to, guard kind).
    extra: Vec<(usize, usize, usize, u8)>,
    /// Eventless transitions: (from, forward distance, guard kind).
    eventless: Vec<(usize, usize, u8)>,
    /// SLA clocks: (start, distance to the stop state).
    clocks: Vec<(usize, usize)>,
    /// A recurring timer in state `.0` with a period of `.1` seconds.
    timer: Option<(usize, u32)>,
}

fn shape() -> impl Strategy<Value = Shape> {
    (3usize..40, 1usize..6).prop_flat_map(|(states, events)| {
        // Each event is handled by some state of the chain.
        let events = events.min(states - 1);
        let state = 0..states - 1;
        (
            Just(states),
            Just(events),
            prop::collection::vec((state.clone(), 0..events, 0..states, 0u8..4), 0..30),
            prop::collection::vec((state.clone(), 1usize..4, 0u8..4), 0..10),
            prop::collection::vec((state.clone(), 1usize..4), 0..5),
            prop::option::of((state, 1u32..3600)),
        )
            .prop_map(|(states, events, extra, eventless, clocks, timer)| Shape {
                states,
                events,
                extra,
                eventless,
                clocks,
                timer,
            })
    })
}

/// A well-typed guard of kind `kind` (0: none).
fn guard(kind: u8) -> &'static str {
    match kind {
        1 => "when = \"data.level > 1 && data.total >= 2.5\", ",
        2 => "when = \"data.group == 'a' || !data.urgent\", ",
        3 => "when = \"size(data.tags) > 0 && data.source != 'user'\", ",
        _ => "",
    }
}

fn render(shape: &Shape) -> String {
    let last = shape.states - 1;
    let mut text = String::from("id = \"t\"\nversion = 1\ntitle = \"T\"\nstart = \"s0\"\n\n");
    text += "[data.level]\ntype = \"integer\"\ndefault = 1\n[data.total]\ntype = \"number\"\ndefault = 0\n";
    text += "[data.group]\ntype = \"string\"\ndefault = \"a\"\n[data.urgent]\ntype = \"boolean\"\ndefault = false\n";
    text += "[data.tags]\ntype = \"list\"\ndefault = []\n[data.source]\ntype = \"enum\"\nvalues = [\"user\", \"event\"]\ndefault = \"user\"\n\n";
    for state in 0..shape.states {
        writeln!(text, "[states.s{state}]").unwrap();
        if state == last {
            text += "terminal = true\n";
            continue;
        }
        // The chain: every state reaches the next, so all are reachable.
        let mut handled = vec![Vec::new(); shape.events];
        handled[state % shape.events].push(format!(
            "{{ to = \"s{}\", set = {{ level = \"data.level + 1\", total = \"data.total + 1.5\" }} }}",
            state + 1
        ));
        for (from, event, to, kind) in &shape.extra {
            if *from == state {
                handled[*event].insert(0, format!("{{ {}to = \"s{to}\" }}", guard((*kind).max(1))));
            }
        }
        for (event, transitions) in handled.iter().enumerate() {
            if !transitions.is_empty() {
                writeln!(text, "on.e{event} = [{}]", transitions.join(", ")).unwrap();
            }
        }
        let eventless: Vec<String> = shape
            .eventless
            .iter()
            .filter(|(from, _, _)| *from == state)
            .map(|(_, distance, kind)| {
                let to = (state + distance).min(last);
                format!("{{ {}to = \"s{to}\" }}", guard(*kind))
            })
            .collect();
        if !eventless.is_empty() {
            // Only the last may lack a `when`; all lead forward, so no loop.
            let mut guarded: Vec<String> = eventless
                .iter()
                .map(|t| {
                    if t.contains("when") {
                        t.clone()
                    } else {
                        t.replace("{ to", "{ when = \"data.urgent\", to")
                    }
                })
                .collect();
            guarded.push(format!("{{ to = \"s{}\" }}", state + 1));
            writeln!(text, "always = [{}]", guarded.join(", ")).unwrap();
        }
    }
    for event in 0..shape.events {
        writeln!(
            text,
            "[events.e{event}]\nfields.note = {{ type = \"string\" }}"
        )
        .unwrap();
    }
    if let Some((state, seconds)) = shape.timer {
        let event = state % shape.events;
        writeln!(
            text,
            "[timers.tick]\nevery = \"{seconds}s\"\nevent = \"e{event}\"\nstates = [\"s{state}\"]"
        )
        .unwrap();
    }
    for (index, (start, distance)) in shape.clocks.iter().enumerate() {
        let stop = (start + distance).min(last);
        writeln!(
            text,
            "[slas.c{index}]\nstart = [\"s{start}\"]\nstop = [\"s{stop}\"]\nwithin = [{{ when = \"data.level <= 2\", duration = \"4h\" }}, {{ duration = \"2d\" }}]"
        )
        .unwrap();
    }
    text
}

/// The file's tokens: names and numbers, strings, single punctuation, runs
/// of blanks (byte ranges).
fn tokens(text: &str) -> Vec<std::ops::Range<usize>> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let mut at = 0;
    while at < bytes.len() {
        let start = at;
        let c = bytes[at];
        if c.is_ascii_alphanumeric() || c == b'_' || c == b'.' {
            while at < bytes.len()
                && (bytes[at].is_ascii_alphanumeric() || bytes[at] == b'_' || bytes[at] == b'.')
            {
                at += 1;
            }
        } else if c == b'"' {
            at += 1;
            while at < bytes.len() && bytes[at] != b'"' && bytes[at] != b'\n' {
                at += 1;
            }
            at = (at + 1).min(bytes.len());
        } else if c == b' ' {
            while at < bytes.len() && bytes[at] == b' ' {
                at += 1;
            }
        } else {
            at += 1;
        }
        found.push(start..at);
    }
    found
}

/// What a token may be replaced with.
const REPLACEMENTS: [&str; 16] = [
    "",
    "\"",
    "'",
    "=",
    "[",
    "]",
    "{",
    "}",
    ",",
    "\n",
    "true",
    "0",
    "s0",
    "\"data.zz > 1\"",
    "((",
    "\"5ms\"",
];

/// The work allowed per byte of the file (plus a constant for tiny files).
const WORK_PER_BYTE: u64 = 64;
const WORK_BASE: u64 = 20_000;

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn generated_valid_workflows_validate(shape in shape()) {
        let text = render(&shape);
        let report = check_str(Path::new("t.toml"), &text);
        prop_assert!(report.diagnostics().0.is_empty(), "{}\n\n{text}", report.diagnostics());
        prop_assert!(report.work() <= WORK_BASE + WORK_PER_BYTE * text.len() as u64);
    }

    #[test]
    fn single_token_changes_never_panic_and_cost_linear_work(
        shape in shape(),
        pick in any::<prop::sample::Index>(),
        replacement in 0..REPLACEMENTS.len() + 1,
        donor in any::<prop::sample::Index>(),
    ) {
        let text = render(&shape);
        let tokens = tokens(&text);
        let target = tokens[pick.index(tokens.len())].clone();
        // Either a fixed replacement or another token of the same file.
        let with = match REPLACEMENTS.get(replacement) {
            Some(fixed) => (*fixed).to_owned(),
            None => text[tokens[donor.index(tokens.len())].clone()].to_owned(),
        };
        let mutated = format!("{}{with}{}", &text[..target.start], &text[target.end..]);
        let report = check_str(Path::new("t.toml"), &mutated);
        prop_assert!(
            report.work() <= WORK_BASE + WORK_PER_BYTE * mutated.len() as u64,
            "work {} for {} bytes",
            report.work(),
            mutated.len()
        );
        for diagnostic in &report.diagnostics().0 {
            prop_assert!(diagnostic.line >= 1 && diagnostic.column >= 1);
            prop_assert!(diagnostic.line <= mutated.lines().count() + 1, "{diagnostic}");
        }
    }
}

/// The three benchmark shapes at two sizes: the work grows in proportion.
#[test]
fn the_benchmark_shapes_cost_linear_work() {
    for shape in shapes() {
        let small = check_str(Path::new("t.toml"), &shape(1_000));
        let large = check_str(Path::new("t.toml"), &shape(8_000));
        assert!(
            !small.has_errors() && !large.has_errors(),
            "{}",
            large.diagnostics()
        );
        let ratio = large.work() as f64 / small.work() as f64;
        assert!(
            ratio < 8.0 * 1.25,
            "work grew {ratio:.1}× for 8× the states"
        );
    }
}

/// Chains of events, of eventless transitions, and of states under many
/// SLA clocks (as in `benches/validate.rs`).
fn shapes() -> [fn(usize) -> String; 3] {
    fn header() -> String {
        String::from(
            "id = \"t\"\nversion = 1\ntitle = \"T\"\nstart = \"s0\"\n[data.n]\ntype = \"integer\"\ndefault = 0\n",
        )
    }
    fn events(states: usize) -> String {
        let mut text = header();
        for i in 0..states {
            writeln!(text, "[states.s{i}]\non.e{i} = {{ when = \"data.n >= 0\", to = \"s{}\", set = {{ n = \"data.n + 1\" }} }}\n[events.e{i}]", i + 1).unwrap();
        }
        writeln!(text, "[states.s{states}]\nterminal = true").unwrap();
        text
    }
    fn eventless(states: usize) -> String {
        let mut text = header();
        for i in 0..states {
            writeln!(text, "[states.s{i}]\nalways = [{{ when = \"data.n > {i}\", to = \"s0\" }}, {{ to = \"s{}\" }}]", i + 1).unwrap();
        }
        writeln!(text, "[states.s{states}]\nterminal = true").unwrap();
        text
    }
    fn clocks(states: usize) -> String {
        let mut text = events(states);
        for i in 0..states {
            writeln!(
                text,
                "[slas.c{i}]\nstart = [\"s{i}\"]\nstop = [\"s{}\"]\nwithin = \"1h\"",
                (i + 10).min(states)
            )
            .unwrap();
        }
        text
    }
    [events, eventless, clocks]
}
