//! Graph checks over a compiled definition, with petgraph.
//!
//! Runs only when every name resolved, so it can index freely.

use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::Dfs;
use std::collections::HashMap;

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
    let mut reachable = vec![false; graph.node_count()];
    let mut dfs = Dfs::new(&graph, nodes[definition.start.as_str()]);
    while let Some(node) = dfs.next(&graph) {
        reachable[node.index()] = true;
    }
    let mut diagnostics = Vec::new();
    for (name, node) in &nodes {
        if !reachable[node.index()] {
            diagnostics.push(lines.diagnostic(
                map.key_span(&path!["states", *name]),
                format!(
                    "state `{name}` cannot be reached from `{}`",
                    definition.start
                ),
                None,
            ));
        }
    }
    diagnostics
}
