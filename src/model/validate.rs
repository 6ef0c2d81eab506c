//! Graph checks over a compiled definition, with petgraph.
//!
//! Runs only when every name resolved, so it can index freely.

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::Dfs;
use std::collections::{HashMap, HashSet};

use super::definition::Definition;
use super::diagnostic::{Diagnostic, LineIndex};
use super::source::SourceMap;
use crate::path;

/// The state graph: one node per state, one edge per transition that names
/// a target (labelled with the event, `None` for eventless ones).
pub fn state_graph(
    definition: &Definition,
) -> (DiGraph<&str, Option<&str>>, HashMap<&str, NodeIndex>) {
    let mut graph = DiGraph::new();
    let nodes: HashMap<&str, NodeIndex> = definition
        .states
        .keys()
        .map(|name| (name.as_str(), graph.add_node(name.as_str())))
        .collect();
    for (name, state) in &definition.states {
        let from = nodes[name.as_str()];
        let handled = state
            .on
            .iter()
            .map(|(event, transitions)| (Some(event.as_str()), transitions));
        let always = std::iter::once((None, &state.always));
        for (event, transitions) in handled.chain(always) {
            for target in transitions.iter().filter_map(|t| t.to.as_deref()) {
                graph.add_edge(from, nodes[target], event);
            }
        }
        for event in definition
            .events
            .values()
            .filter(|e| e.global && !state.on.contains_key(&e.name))
        {
            if state.terminal {
                continue;
            }
            for target in event.transitions.iter().filter_map(|t| t.to.as_deref()) {
                graph.add_edge(from, nodes[target], Some(event.name.as_str()));
            }
        }
    }
    (graph, nodes)
}

/// Every graph problem of `definition`.
pub fn check(definition: &Definition, map: &SourceMap, lines: &LineIndex<'_>) -> Vec<Diagnostic> {
    let (graph, nodes) = state_graph(definition);
    let reachable = reachable_from(&graph, [nodes[definition.start.as_str()]]);
    let mut diagnostics = Vec::new();
    for (name, state) in &definition.states {
        let node = nodes[name.as_str()];
        if !reachable[node.index()] {
            diagnostics.push(lines.diagnostic(
                map.key_span(&path!["states", name]),
                format!(
                    "state `{name}` cannot be reached from `{}`",
                    definition.start
                ),
                None,
            ));
        }
        let leaves = graph.neighbors(node).any(|next| next != node);
        if !state.terminal && !leaves {
            diagnostics.push(lines.diagnostic(
                map.key_span(&path!["states", name]),
                format!("state `{name}` is not terminal but has no way out"),
                Some("add a transition to another state, or set terminal = true".into()),
            ));
        }
    }
    diagnostics.extend(eventless_loops(definition, map, lines));
    diagnostics.extend(endless_slas(definition, &graph, &nodes, map, lines));
    diagnostics
}

/// Marks every node reachable from `starts` (the starts included).
fn reachable_from<N, E>(
    graph: &DiGraph<N, E>,
    starts: impl IntoIterator<Item = NodeIndex>,
) -> Vec<bool> {
    let mut reachable = vec![false; graph.node_count()];
    let mut dfs = Dfs::empty(graph);
    for start in starts {
        dfs.move_to(start);
        while let Some(node) = dfs.next(graph) {
            reachable[node.index()] = true;
        }
    }
    reachable
}

/// A cycle of `always` transitions without `when` would move an instance
/// forever after one change. In each state only the first unguarded one can
/// be taken, so following those gives at most one successor per state and
/// a cycle is found by walking.
fn eventless_loops(
    definition: &Definition,
    map: &SourceMap,
    lines: &LineIndex<'_>,
) -> Vec<Diagnostic> {
    let next = |state: &str| -> Option<&str> {
        definition.states[state]
            .always
            .iter()
            .find(|transition| transition.guard.is_none())?
            .to
            .as_deref()
    };
    let mut reported: HashSet<&str> = HashSet::new();
    let mut diagnostics = Vec::new();
    for first in definition.states.keys().map(String::as_str) {
        let mut walk = vec![first];
        let mut current = first;
        while let Some(to) = next(current) {
            if to == first {
                if walk.iter().all(|state| reported.insert(state)) {
                    walk.push(first);
                    diagnostics.push(lines.diagnostic(
                        map.key_span(&path!["states", first, "always"]),
                        format!("eventless transitions loop forever: {}", walk.join(" → ")),
                        Some("give one of them a `when`".into()),
                    ));
                }
                break;
            }
            if walk.contains(&to) {
                break;
            }
            walk.push(to);
            current = to;
        }
    }
    diagnostics
}

/// An SLA cycle that can start must be able to stop: some `stop` state
/// reachable after a start state, or some `stop_events` event accepted in a
/// state reachable from one. Reaching a terminal state does not count as a
/// stop: the clock would run until it is missed.
fn endless_slas(
    definition: &Definition,
    graph: &DiGraph<&str, Option<&str>>,
    nodes: &HashMap<&str, NodeIndex>,
    map: &SourceMap,
    lines: &LineIndex<'_>,
) -> Vec<Diagnostic> {
    let mut diagnostics = Vec::new();
    for sla in definition.slas.values() {
        if sla.start.is_empty() || (sla.stop.is_empty() && sla.stop_events.is_empty()) {
            continue; // reported by the rules on the raw file
        }
        let starts: Vec<NodeIndex> = sla.start.iter().map(|s| nodes[s.as_str()]).collect();
        let during = reachable_from(graph, starts.iter().copied());
        let after_start = reachable_from(
            graph,
            starts.iter().flat_map(|start| graph.neighbors(*start)),
        );
        let stop_state = sla
            .stop
            .iter()
            .any(|stop| after_start[nodes[stop.as_str()].index()]);
        let stop_event = sla.stop_events.iter().any(|event| {
            definition.states.values().any(|state| {
                during[nodes[state.name.as_str()].index()]
                    && definition.transitions(&state.name, event).is_some()
            })
        });
        if !stop_state && !stop_event {
            diagnostics.push(lines.diagnostic(
                map.key_span(&path!["slas", &sla.name]),
                format!(
                    "SLA `{}` can start but never stop: no `stop` state is reachable from its start states and no `stop_events` event is accepted on the way",
                    sla.name
                ),
                None,
            ));
        }
    }
    diagnostics
}
