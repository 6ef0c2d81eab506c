//! Graph export: snapshots of the fixture, and properties that hold for
//! any titles and any transitions.

use std::path::Path;

use flowkeeper::model::{export, load_file, load_str};
use proptest::prelude::*;

#[test]
fn mermaid_of_the_fixture() {
    let definition = load_file(&super::ticket_fixture()).unwrap();
    insta::assert_snapshot!("ticket_mermaid", export::mermaid(&definition));
}

#[test]
fn dot_of_the_fixture() {
    let definition = load_file(&super::ticket_fixture()).unwrap();
    insta::assert_snapshot!("ticket_dot", export::dot(&definition));
}

#[test]
fn svg_of_the_fixture_draws_every_state_and_escapes_text() {
    let definition = load_file(&super::ticket_fixture()).unwrap();
    let svg = export::svg(&definition).unwrap();
    assert!(svg.starts_with("<svg "), "{svg}");
    for state in definition.states.keys() {
        assert_eq!(
            svg.matches(&format!("data-state=\"{state}\"")).count(),
            1,
            "{state}"
        );
    }
    assert!(svg.contains(">Working &quot;hard&quot;</text>"));
    assert!(svg.contains("[event.needs_review]"));
    assert!(!svg.contains("class=\"state current"));
    insta::assert_snapshot!("ticket_svg", svg);
}

#[test]
fn svg_lists_global_events_once_instead_of_an_edge_from_every_state() {
    let definition = load_file(&super::ticket_fixture()).unwrap();
    let svg = export::svg(&definition).unwrap();
    // one arrow into `cancelled`, from the "any live state" box
    assert_eq!(svg.matches("class=\"transition global\"").count(), 1);
    assert_eq!(svg.matches(">any live state<").count(), 1);
    for event in ["cancel", "note"] {
        assert!(svg.contains(&format!("data-event=\"{event}\"")), "{event}");
    }
    let dot = export::dot(&definition);
    assert_eq!(dot.matches("-> \"cancelled\"").count(), 1, "{dot}");
    let mermaid = export::mermaid(&definition);
    assert_eq!(mermaid.matches("--> cancelled").count(), 1, "{mermaid}");
}
/// A chain `s0 → s1 → … → sN` (terminal), each state titled `title` and
/// with `extra` self-loops that stay.
fn chain(states: usize, title: &str, stays: usize) -> String {
    let title = toml::Value::String(title.to_owned()).to_string();
    let mut text = String::from(
        "id = \"p\"\nversion = 1\ntitle = \"P\"\nstart = \"s0\"\n\n[events.next]\n[events.stay]\n",
    );
    for index in 0..states {
        text.push_str(&format!(
            "[states.s{index}]\ntitle = {title}\non.next = \"s{}\"\n",
            index + 1
        ));
        if index < stays {
            text.push_str("on.stay = {}\n");
        }
    }
    text.push_str(&format!(
        "[states.s{states}]\ntitle = {title}\nterminal = true\n"
    ));
    text
}

proptest! {
    #[test]
    fn any_title_keeps_one_line_per_state_and_edge(
        states in 1usize..12,
        stays in 1usize..12,
        title in "[a-z \"#;:\\\\\\n\\[\\]{}|-]{0,20}",
    ) {
        let definition = load_str(Path::new("p.toml"), &chain(states, &title, stays)).unwrap();
        let stays = stays.min(states);
        let edges = states + stays;
        let mermaid = export::mermaid(&definition);
        // header, one line per state, the start, the edges, the terminal
        prop_assert_eq!(mermaid.lines().count(), 1 + (states + 1) + 1 + edges + 1);
        prop_assert_eq!(mermaid.matches(" --> ").count(), 1 + edges + 1);
        let dot = export::dot(&definition);
        // header, rankdir, node style, the start point, the states, the
        // start arrow, the edges, the closing brace
        prop_assert_eq!(dot.lines().count(), 4 + (states + 1) + 1 + edges + 1);
        for line in dot.lines().skip(1).filter(|line| line.contains('[')) {
            // every quote inside a label is escaped: unescaped ones pair up
            let unescaped = line.replace("\\\\", "").replace("\\\"", "").matches('"').count();
            prop_assert_eq!(unescaped % 2, 0, "{}", line);
        }
        let svg = export::svg(&definition).unwrap();
        prop_assert!(svg.trim_end().ends_with("</svg>"));
        prop_assert_eq!(svg.matches("data-state=").count(), states + 1);
    }
}

/// A chain `s0 → … → sN` (by `e0`) plus the given extra edges
/// (`(from, to)` by `e1`, `e2`, … in order), loops and back edges included.
fn tangle(states: usize, extra: &[(usize, usize)]) -> String {
    let mut text = String::from("id = \"p\"\nversion = 1\ntitle = \"P\"\nstart = \"s0\"\n");
    for event in 0..=extra.len() {
        text.push_str(&format!("[events.e{event}]\n"));
    }
    for index in 0..states {
        text.push_str(&format!("[states.s{index}]\non.e0 = \"s{}\"\n", index + 1));
        for (event, (from, to)) in extra.iter().enumerate() {
            if from % states == index {
                text.push_str(&format!("on.e{} = \"s{}\"\n", event + 1, to % (states + 1)));
            }
        }
    }
    text.push_str(&format!("[states.s{states}]\nterminal = true\n"));
    // events no state handles would be rejected: let the first state
    // handle every one of them.
    for (event, (from, _)) in extra.iter().enumerate() {
        if from % states != 0 {
            text = text.replacen(
                "[states.s0]\n",
                &format!("[states.s0]\non.e{} = {{}}\n", event + 1),
                1,
            );
        }
    }
    text
}

proptest! {
    #[test]
    fn svg_lays_out_any_graph(
        states in 1usize..10,
        extra in proptest::collection::vec((0usize..10, 0usize..11), 0..12),
    ) {
        let definition = load_str(Path::new("p.toml"), &tangle(states, &extra)).unwrap();
        let svg = export::svg(&definition).unwrap();
        prop_assert!(svg.trim_end().ends_with("</svg>"));
        prop_assert_eq!(svg.matches("data-state=").count(), states + 1);
        prop_assert_eq!(&svg, &export::svg(&definition).unwrap());
    }
}

#[test]
fn svg_with_marks_highlights_the_current_state_and_the_path() {
    let definition = load_file(&super::ticket_fixture()).unwrap();
    let marks = export::GraphMarks {
        current: Some("waiting".to_owned()),
        path: vec!["open".to_owned(), "working".to_owned()],
    };
    let marked = export::svg_with(&definition, &marks).unwrap();
    let plain = export::svg(&definition).unwrap();
    assert_eq!(marked.matches("class=\"state current").count(), 1);
    assert!(marked.contains("class=\"state current\" data-state=\"waiting\""));
    assert!(marked.contains("class=\"state visited\" data-state=\"working\""));
    // open → working and working → waiting are the path's arrows
    assert_eq!(marked.matches("class=\"transition taken\"").count(), 2);
    assert!(!plain.contains("taken"));
    assert_eq!(
        plain,
        export::svg_with(&definition, &export::GraphMarks::default()).unwrap()
    );
}

/// A workflow with everything the drawing must cope with: a chain
/// `s0 → … → sN` (terminal) by `next`, extra event edges (`(from, to,
/// guarded)`), eventless `always` edges, stays, global events that move to
/// a state or only record, and titles in any script.
fn everything(
    states: usize,
    extra: &[(usize, usize, bool)],
    always: &[(usize, usize)],
    stays: &[usize],
    globals: &[Option<usize>],
    title: &str,
) -> String {
    let title = toml::Value::String(title.to_owned()).to_string();
    let mut text = String::from(
        "id = \"p\"\nversion = 1\ntitle = \"P\"\nstart = \"s0\"\n\
         [data.level]\ntype = \"integer\"\ndefault = 1\n[events.next]\n[events.stay]\n",
    );
    for (index, target) in globals.iter().enumerate() {
        text.push_str(&format!("[events.g{index}]\nglobal = true\n"));
        if let Some(target) = target {
            text.push_str(&format!(
                "transitions = [{{ to = \"s{}\" }}]\n",
                target % (states + 1)
            ));
        }
    }
    for event in 0..extra.len() {
        text.push_str(&format!("[events.e{event}]\n"));
    }
    for index in 0..=states {
        text.push_str(&format!("[states.s{index}]\ntitle = {title}\n"));
        if index == states {
            text.push_str("terminal = true\n");
            continue;
        }
        // a guarded `next` first when an extra edge asks for it
        let mut next = Vec::new();
        for (event, &(from, to, guarded)) in extra.iter().enumerate() {
            if from % states == index {
                let to = to % (states + 1);
                if guarded {
                    next.push(format!(
                        "{{ when = \"data.level == {event}\", to = \"s{to}\" }}"
                    ));
                } else {
                    text.push_str(&format!("on.e{event} = \"s{to}\"\n"));
                }
            }
        }
        next.push(format!("{{ to = \"s{}\" }}", index + 1));
        text.push_str(&format!("on.next = [{}]\n", next.join(", ")));
        if stays.iter().any(|&stay| stay % states == index) {
            text.push_str("on.stay = {}\n");
        }
        let automatic: Vec<String> = always
            .iter()
            .filter(|&&(from, _)| from % states == index)
            .map(|&(_, to)| {
                format!(
                    "{{ when = \"data.level > 3\", to = \"s{}\" }}",
                    to % (states + 1)
                )
            })
            .collect();
        if !automatic.is_empty() {
            text.push_str(&format!("always = [{}]\n", automatic.join(", ")));
        }
    }
    // events no state handles are refused: the first state takes them all
    let unused: Vec<String> = extra
        .iter()
        .enumerate()
        .filter(|(_, &(from, _, guarded))| guarded || from % states != 0)
        .map(|(event, _)| format!("on.e{event} = {{}}\n"))
        .collect();
    text = text.replacen(
        "[states.s0]\n",
        &format!("[states.s0]\n{}", unused.concat()),
        1,
    );
    if stays.is_empty() {
        text = text.replacen("[states.s0]\n", "[states.s0]\non.stay = {}\n", 1);
    }
    text
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn svg_draws_any_valid_workflow(
        states in 1usize..14,
        extra in proptest::collection::vec((0usize..14, 0usize..15, any::<bool>()), 0..10),
        always in proptest::collection::vec((0usize..14, 0usize..15), 0..4),
        stays in proptest::collection::vec(0usize..14, 0..4),
        globals in proptest::collection::vec(proptest::option::of(0usize..15), 0..4),
        title in "[a-hj-mo-zA-HJ-MO-Z 問題處理掛單已關閉<>&\"]{0,16}",
        current in 0usize..15,
        path in proptest::collection::vec(0usize..15, 0..8),
    ) {
        let text = everything(states, &extra, &always, &stays, &globals, &title);
        let Ok(definition) = load_str(Path::new("p.toml"), &text) else {
            // a generated `always` cycle may be refused: not a drawing case
            return Ok(());
        };
        let marks = export::GraphMarks {
            current: Some(format!("s{}", current % (states + 1))),
            path: path.iter().map(|state| format!("s{}", state % (states + 1))).collect(),
        };
        let svg = export::svg_with(&definition, &marks).unwrap();
        prop_assert!(svg.trim_end().ends_with("</svg>"));
        prop_assert_eq!(svg.matches("data-state=").count(), states + 1);
        prop_assert_eq!(svg.matches("class=\"state current").count(), 1);
        prop_assert!(!svg.contains("NaN") && !svg.contains("inf"), "{}", svg);
        prop_assert_eq!(&svg, &export::svg_with(&definition, &marks).unwrap());
    }
}
