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
    assert!(svg.starts_with("<?xml"), "{svg}");
    for caption in [
        "Opened (open)",
        "Working &quot;hard&quot; (working)",
        "cancelled",
    ] {
        assert!(svg.contains(caption), "{caption} missing");
    }
    assert!(svg.contains("resolve [event.needs_review]"));
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
        prop_assert_eq!(svg.matches("<rect").count(), states + 1);
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
        prop_assert_eq!(svg.matches("<rect").count(), states + 1);
    }
}
