//! Graph checks: unreachable states, dead ends, eventless loops and SLA
//! clocks that can start but never stop — in time linear in the file.
//!
//! They run on a [`Skeleton`]: the states, transitions and clocks as far as
//! the earlier phases found them sound. A state whose entry could not be
//! read, or a transition to a state name that does not exist, is taken to
//! lead *anywhere*, so one reported mistake never makes healthy states look
//! unreachable; a guard that did not compile counts as a real condition.
//!
//! Costs (n states, e transitions, g global events, s SLA clocks):
//! - global events reach every state that does not handle them itself; a
//!   segment tree over the global events gives each state O(log g) edges
//!   to "every global event but the ones I handle" instead of g edges;
//! - reachability, dead ends and eventless loops are O(n + e) (each state
//!   takes at most one fallback eventless transition, so loops are cycles
//!   of a functional graph, found in one pass);
//! - "can this clock stop" is a reachability question per clock. A search
//!   of at most 256 steps from its start states settles a clock that stops
//!   nearby (the usual case: O(s) for all of them); the clocks it does not
//!   settle are answered 64 at a time with bitsets over the strongly
//!   connected components, O((n + e)·⌈s'/64⌉) for s' such clocks.
//!   Answering many independent set-to-set reachability questions is as
//!   hard as a transitive closure in general, so no linear algorithm is
//!   known for that remainder; 10 000 far-stopping clocks on 10 000 states
//!   still take milliseconds.

use std::collections::{HashMap, HashSet};

use petgraph::algo::kosaraju_scc;
use petgraph::graph::{DiGraph, NodeIndex};
use petgraph::visit::Dfs;

use super::rules::Problem;
use crate::path;

/// Where a transition leads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Target {
    /// No `to`: the instance stays.
    Stay,
    State(usize),
    /// A state name that does not exist (already reported).
    Unknown,
}

/// What a guard is known to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Guard {
    /// No `when`.
    Absent,
    /// A `when` that is true whatever the data (`"true"`, `"1 == 1"`).
    AlwaysTrue,
    /// A `when` that is never true.
    NeverTrue,
    /// A `when` that depends on the data, or did not compile.
    Depends,
}

/// One eventless transition.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Eventless {
    pub guard: Guard,
    pub target: Target,
}

/// One state, as the graph checks see it.
#[derive(Debug, Clone)]
pub(crate) struct StateNode {
    pub name: String,
    pub terminal: bool,
    /// Unreadable (already reported): it may lead anywhere.
    pub broken: bool,
    /// The events it handles and where each may lead.
    pub on: Vec<(String, Vec<Target>)>,
    pub always: Vec<Eventless>,
}

/// A global event that leads somewhere.
#[derive(Debug, Clone)]
pub(crate) struct GlobalEvent {
    pub name: String,
    pub targets: Vec<Target>,
}

/// An SLA clock whose state and event names all resolved.
#[derive(Debug, Clone)]
pub(crate) struct Clock {
    pub name: String,
    pub start: Vec<usize>,
    pub stop: Vec<usize>,
    pub stop_events: Vec<String>,
}

/// What the graph checks run on.
#[derive(Debug, Clone, Default)]
pub(crate) struct Skeleton {
    pub states: Vec<StateNode>,
    /// `None` when `start` is missing or names no state (already reported).
    pub start: Option<usize>,
    pub globals: Vec<GlobalEvent>,
    pub clocks: Vec<Clock>,
}

/// Every graph problem, and the number of elementary steps taken.
pub(crate) fn check(skeleton: &Skeleton) -> (Vec<Problem>, u64) {
    let graph = Graph::build(skeleton);
    let mut problems = Vec::new();
    let mut work = graph.work;
    // A terminal start state is reported by the rules; every other state
    // being unreachable from it would only repeat that.
    let start = skeleton
        .start
        .filter(|start| !skeleton.states[*start].terminal);
    if let Some(start) = start {
        let reachable = graph.reachable_from(start);
        work += graph.graph.node_count() as u64 + graph.graph.edge_count() as u64;
        for (index, state) in skeleton.states.iter().enumerate() {
            if !reachable[index] {
                problems.push(Problem::at_key(
                    path!["states", &state.name],
                    format!(
                        "state `{}` cannot be reached from `{}`",
                        state.name, skeleton.states[start].name
                    ),
                    None,
                ));
            }
        }
    }
    work += dead_ends(skeleton, &mut problems);
    work += eventless_loops(skeleton, &mut problems);
    work += endless_clocks(skeleton, &graph, &mut problems);
    (problems, work)
}

/// The state graph with a node per state, one `anywhere` node (edges to
/// every state) and the segment tree of global events.
struct Graph {
    graph: DiGraph<(), ()>,
    states: usize,
    work: u64,
}

impl Graph {
    fn build(skeleton: &Skeleton) -> Self {
        let states = skeleton.states.len();
        let mut graph: DiGraph<(), ()> = DiGraph::with_capacity(states + 1, states * 2);
        for _ in 0..=states {
            graph.add_node(());
        }
        let anywhere = NodeIndex::new(states);
        let node = |target: Target| match target {
            Target::Stay => None,
            Target::State(to) => Some(NodeIndex::new(to)),
            Target::Unknown => Some(anywhere),
        };
        for to in 0..states {
            graph.add_edge(anywhere, NodeIndex::new(to), ());
        }
        for (index, state) in skeleton.states.iter().enumerate() {
            let from = NodeIndex::new(index);
            if state.broken {
                graph.add_edge(from, anywhere, ());
            }
            let event_targets = state
                .on
                .iter()
                .flat_map(|(_, targets)| targets.iter().copied());
            let eventless = state
                .always
                .iter()
                .filter(|transition| transition.guard != Guard::NeverTrue)
                .map(|transition| transition.target);
            for target in event_targets.chain(eventless) {
                if let Some(to) = node(target) {
                    graph.add_edge(from, to, ());
                }
            }
        }
        let mut built = Self {
            graph,
            states,
            work: 0,
        };
        built.add_globals(skeleton, &node);
        built.work += built.graph.node_count() as u64 + built.graph.edge_count() as u64;
        built
    }

    /// Each non-terminal state reaches the targets of every global event it
    /// does not handle itself. Leaf `j` of a segment tree over the global
    /// events has the targets of event `j`; a state links to the O(log g)
    /// tree nodes that cover the events it does not handle.
    fn add_globals(&mut self, skeleton: &Skeleton, node: &dyn Fn(Target) -> Option<NodeIndex>) {
        let count = skeleton.globals.len();
        if count == 0 {
            return;
        }
        let width = count.next_power_of_two();
        let base = self.graph.node_count();
        for _ in 0..2 * width {
            self.graph.add_node(());
        }
        let tree = |position: usize| NodeIndex::new(base + position);
        for position in 1..width {
            self.graph.add_edge(tree(position), tree(2 * position), ());
            self.graph
                .add_edge(tree(position), tree(2 * position + 1), ());
        }
        for (index, event) in skeleton.globals.iter().enumerate() {
            for target in &event.targets {
                if let Some(to) = node(*target) {
                    self.graph.add_edge(tree(width + index), to, ());
                }
            }
        }
        let position: HashMap<&str, usize> = skeleton
            .globals
            .iter()
            .enumerate()
            .map(|(index, event)| (event.name.as_str(), index))
            .collect();
        for (index, state) in skeleton.states.iter().enumerate() {
            if state.terminal {
                continue;
            }
            let mut handled: Vec<usize> = state
                .on
                .iter()
                .filter_map(|(event, _)| position.get(event.as_str()).copied())
                .collect();
            handled.sort_unstable();
            handled.dedup();
            let mut from = 0;
            for gap_end in handled.iter().copied().chain([count]) {
                let mut low = from + width;
                let mut high = gap_end + width;
                while low < high {
                    if low & 1 == 1 {
                        self.graph.add_edge(NodeIndex::new(index), tree(low), ());
                        low += 1;
                    }
                    if high & 1 == 1 {
                        high -= 1;
                        self.graph.add_edge(NodeIndex::new(index), tree(high), ());
                    }
                    low >>= 1;
                    high >>= 1;
                }
                from = gap_end + 1;
            }
        }
    }

    fn reachable_from(&self, start: usize) -> Vec<bool> {
        let mut reachable = vec![false; self.graph.node_count()];
        let mut dfs = Dfs::new(&self.graph, NodeIndex::new(start));
        while let Some(node) = dfs.next(&self.graph) {
            reachable[node.index()] = true;
        }
        reachable.truncate(self.states);
        reachable
    }
}

/// A non-terminal state with no transition, eventless transition or global
/// event leading to another state.
fn dead_ends(skeleton: &Skeleton, problems: &mut Vec<Problem>) -> u64 {
    let mut work = 0;
    // A global event leads out of every state but, when all its targets
    // are one state, that one.
    let mut single_into: HashMap<usize, Vec<&str>> = HashMap::new();
    let mut leading = 0;
    for event in &skeleton.globals {
        let mut targets = event.targets.iter().filter(|t| **t != Target::Stay);
        let Some(first) = targets.next() else {
            continue;
        };
        leading += 1;
        let same = *first != Target::Unknown && targets.all(|t| t == first);
        let only = match (same, first) {
            (true, Target::State(to)) => Some(*to),
            _ => None,
        };
        if let Some(to) = only {
            single_into.entry(to).or_default().push(&event.name);
        }
        work += event.targets.len() as u64;
    }
    let leads: HashSet<&str> = skeleton
        .globals
        .iter()
        .filter(|event| event.targets.iter().any(|t| *t != Target::Stay))
        .map(|event| event.name.as_str())
        .collect();
    for (index, state) in skeleton.states.iter().enumerate() {
        if state.terminal || state.broken {
            continue;
        }
        let own: HashSet<&str> = state.on.iter().map(|(event, _)| event.as_str()).collect();
        let leaves_itself = state
            .on
            .iter()
            .flat_map(|(_, targets)| targets.iter())
            .chain(
                state
                    .always
                    .iter()
                    .filter(|t| t.guard != Guard::NeverTrue)
                    .map(|t| &t.target),
            )
            .any(|target| match target {
                Target::Stay => false,
                Target::State(to) => *to != index,
                Target::Unknown => true,
            });
        let handled_leading = own.iter().filter(|event| leads.contains(*event)).count();
        let back_to_me = single_into.get(&index).map_or(0, |events| {
            events.iter().filter(|event| !own.contains(*event)).count()
        });
        work += (state.on.len() + state.always.len()) as u64 + back_to_me as u64 + 1;
        let leaves_by_global = leading - handled_leading > back_to_me;
        if !leaves_itself && !leaves_by_global {
            problems.push(Problem::at_key(
                path!["states", &state.name],
                format!("state `{}` is not terminal but has no way out", state.name),
                Some("add a transition to another state, or set terminal = true".into()),
            ));
        }
    }
    work
}

/// Eventless transitions are tried after every change until none applies:
/// in each state the first one without a `when` (or with one that is
/// always true) is taken whenever the guarded ones before it are not, so
/// following those gives each state at most one successor, and a cycle
/// among them never stops. A transition that stays (no `to`) is a cycle of
/// its own.
fn eventless_loops(skeleton: &Skeleton, problems: &mut Vec<Problem>) -> u64 {
    let count = skeleton.states.len();
    let fallback = |index: usize| -> Option<(usize, usize)> {
        let state = &skeleton.states[index];
        if state.broken {
            return None;
        }
        let (position, transition) = state
            .always
            .iter()
            .enumerate()
            .find(|(_, t)| matches!(t.guard, Guard::Absent | Guard::AlwaysTrue))?;
        match transition.target {
            Target::Stay => Some((index, position)),
            Target::State(to) => Some((to, position)),
            Target::Unknown => None,
        }
    };
    const NEW: u8 = 0;
    const ON_PATH: u8 = 1;
    const DONE: u8 = 2;
    let mut mark = vec![NEW; count];
    let mut work = 0;
    for first in 0..count {
        if mark[first] != NEW {
            continue;
        }
        let mut walk = Vec::new();
        let mut current = first;
        loop {
            work += 1;
            mark[current] = ON_PATH;
            walk.push(current);
            let Some((next, _)) = fallback(current) else {
                break;
            };
            match mark[next] {
                NEW => current = next,
                ON_PATH => {
                    let begin = walk.iter().position(|state| *state == next).unwrap_or(0);
                    report_loop(skeleton, &walk[begin..], &fallback, problems);
                    break;
                }
                _ => break,
            }
        }
        for state in walk {
            mark[state] = DONE;
        }
    }
    work
}

fn report_loop(
    skeleton: &Skeleton,
    cycle: &[usize],
    fallback: &dyn Fn(usize) -> Option<(usize, usize)>,
    problems: &mut Vec<Problem>,
) {
    // Reported at the member declared first, the cycle read from there.
    let lowest = cycle
        .iter()
        .enumerate()
        .min_by_key(|(_, state)| **state)
        .map_or(0, |(at, _)| at);
    let order: Vec<usize> = cycle[lowest..]
        .iter()
        .chain(&cycle[..lowest])
        .copied()
        .collect();
    let first = &skeleton.states[order[0]];
    let always_true: Vec<&str> = order
        .iter()
        .filter_map(|index| {
            let (_, position) = fallback(*index)?;
            let state = &skeleton.states[*index];
            (state.always[position].guard == Guard::AlwaysTrue).then_some(state.name.as_str())
        })
        .collect();
    let hint = if always_true.is_empty() {
        "give one of them a `when` that becomes false".to_owned()
    } else {
        format!(
            "the `when` in {} is always true; give it a condition that can become false",
            always_true
                .iter()
                .map(|name| format!("`{name}`"))
                .collect::<Vec<_>>()
                .join(", ")
        )
    };
    if let [only] = order.as_slice()
        && let Some((_, position)) = fallback(*only)
        && first.always[position].target == Target::Stay
    {
        problems.push(Problem::at(
            path!["states", &first.name, "always", position],
            format!(
                "this eventless transition of `{}` stays in the state and always applies, so it would run again after every step and the instance would never settle",
                first.name
            ),
            Some(if always_true.is_empty() {
                "give it a `when` that its `set` makes false, or a `to`".to_owned()
            } else {
                hint
            }),
        ));
        return;
    }
    let mut names: Vec<&str> = order
        .iter()
        .map(|index| skeleton.states[*index].name.as_str())
        .collect();
    names.push(&first.name);
    problems.push(Problem::at_key(
        path!["states", &first.name, "always"],
        format!("eventless transitions loop forever: {}", names.join(" → ")),
        Some(hint),
    ));
}

/// Clocks are checked this many at a time (one bit each).
const CLOCKS_PER_BATCH: usize = 64 * 64;

/// An SLA cycle that can start must be able to stop: some `stop` state
/// reachable after a start state, or some `stop_events` event accepted in a
/// state reachable from one. Reaching a terminal state does not count as a
/// stop: the clock would run until it is missed.
fn endless_clocks(skeleton: &Skeleton, graph: &Graph, problems: &mut Vec<Problem>) -> u64 {
    let globals: HashSet<&str> = skeleton.globals.iter().map(|e| e.name.as_str()).collect();
    let clocks: Vec<&Clock> = skeleton
        .clocks
        .iter()
        .filter(|clock| !clock.start.is_empty())
        .filter(|clock| {
            !clock
                .stop_events
                .iter()
                .any(|event| globals.contains(event.as_str()))
        })
        .collect();
    if clocks.is_empty() {
        return 0;
    }
    // Most clocks stop a few states after they start: a short search
    // settles them. Those it does not settle are answered together.
    let mut search = Search::new(skeleton, graph);
    let mut unsettled = Vec::new();
    for clock in clocks {
        match search.stoppable(clock) {
            Some(true) => {}
            Some(false) => problems.push(endless(clock)),
            None => unsettled.push(clock),
        }
    }
    let mut work = search.work;
    if unsettled.is_empty() {
        return work;
    }
    let components = kosaraju_scc(&graph.graph);
    let mut component = vec![0; graph.graph.node_count()];
    for (index, nodes) in components.iter().enumerate() {
        for node in nodes {
            component[node.index()] = index;
        }
    }
    work += graph.graph.node_count() as u64 + graph.graph.edge_count() as u64;
    for batch in unsettled.chunks(CLOCKS_PER_BATCH) {
        work += stoppable_batch(skeleton, graph, &components, &component, batch, problems);
    }
    work
}

fn endless(clock: &Clock) -> Problem {
    Problem::at_key(
        path!["slas", &clock.name],
        format!(
            "SLA `{}` can start but never stop: no `stop` state is reachable from its start states and no `stop_events` event is accepted on the way",
            clock.name
        ),
        None,
    )
}

/// Steps one clock's search may take before it is left to the batches.
const SEARCH_BUDGET: u64 = 256;

/// A bounded breadth-first search per clock, reusing its marks: a node is
/// seen in this search when its mark is the search's number.
struct Search<'g> {
    skeleton: &'g Skeleton,
    graph: &'g Graph,
    /// (state, event) for every event a state handles.
    accepts: HashSet<(usize, &'g str)>,
    seen: Vec<u32>,
    stop: Vec<u32>,
    round: u32,
    queue: std::collections::VecDeque<NodeIndex>,
    work: u64,
}

impl<'g> Search<'g> {
    fn new(skeleton: &'g Skeleton, graph: &'g Graph) -> Self {
        let nodes = graph.graph.node_count();
        let accepts = skeleton
            .states
            .iter()
            .enumerate()
            .flat_map(|(index, state)| {
                state
                    .on
                    .iter()
                    .map(move |(event, _)| (index, event.as_str()))
            })
            .collect();
        Self {
            skeleton,
            graph,
            accepts,
            seen: vec![0; nodes],
            stop: vec![0; nodes],
            round: 0,
            queue: std::collections::VecDeque::new(),
            work: 0,
        }
    }

    /// `Some(answer)` when the search settled it within its budget.
    fn stoppable(&mut self, clock: &Clock) -> Option<bool> {
        self.round += 1;
        self.queue.clear();
        let round = self.round;
        for stop in &clock.stop {
            self.stop[*stop] = round;
        }
        let mut steps = 0;
        // The start states themselves: a stop event accepted there counts,
        // a stop state only once it is entered again.
        for start in &clock.start {
            if self.settles(*start, clock, &mut steps) {
                return Some(true);
            }
            if !self.expand(NodeIndex::new(*start), &mut steps) {
                return None;
            }
        }
        while let Some(node) = self.queue.pop_front() {
            let index = node.index();
            if index < self.skeleton.states.len()
                && (self.stop[index] == round || self.settles(index, clock, &mut steps))
            {
                return Some(true);
            }
            if !self.expand(node, &mut steps) {
                return None;
            }
        }
        Some(false)
    }

    /// Whether the state accepts a stop event, or is unreadable (and may).
    fn settles(&mut self, state: usize, clock: &Clock, steps: &mut u64) -> bool {
        let cost = 1 + clock.stop_events.len() as u64;
        *steps += cost;
        self.work += cost;
        self.skeleton.states[state].broken
            || clock
                .stop_events
                .iter()
                .any(|event| self.accepts.contains(&(state, event.as_str())))
    }

    /// Queues the unseen successors of `node`; false once over budget.
    fn expand(&mut self, node: NodeIndex, steps: &mut u64) -> bool {
        for next in self.graph.graph.neighbors(node) {
            *steps += 1;
            self.work += 1;
            if *steps > SEARCH_BUDGET {
                return false;
            }
            if self.seen[next.index()] != self.round {
                self.seen[next.index()] = self.round;
                self.queue.push_back(next);
            }
        }
        true
    }
}

/// Answers "can it stop" for up to [`CLOCKS_PER_BATCH`] clocks.
fn stoppable_batch(
    skeleton: &Skeleton,
    graph: &Graph,
    components: &[Vec<NodeIndex>],
    component: &[usize],
    batch: &[&Clock],
    problems: &mut Vec<Problem>,
) -> u64 {
    let words = batch.len().div_ceil(64);
    let bit = |clock: usize| (clock / 64, 1u64 << (clock % 64));
    // Per component: the clocks with a stop state in it or below it, the
    // clocks with a stop event accepted in it or below it, and whether an
    // unreadable state is in it or below it.
    let mut stops = vec![0u64; components.len() * words];
    let mut accepts = vec![0u64; components.len() * words];
    let mut uncertain = vec![false; components.len()];
    let mut by_event: HashMap<&str, Vec<u64>> = HashMap::new();
    for (clock, sla) in batch.iter().enumerate() {
        let (word, mask) = bit(clock);
        for stop in &sla.stop {
            stops[component[*stop] * words + word] |= mask;
        }
        for event in &sla.stop_events {
            by_event
                .entry(event.as_str())
                .or_insert_with(|| vec![0; words])[word] |= mask;
        }
    }
    let mut work = 0;
    for (index, state) in skeleton.states.iter().enumerate() {
        let own = component[index];
        uncertain[own] |= state.broken;
        for (event, _) in &state.on {
            if let Some(mask) = by_event.get(event.as_str()) {
                for (word, bits) in mask.iter().enumerate() {
                    accepts[own * words + word] |= bits;
                }
                work += words as u64;
            }
        }
    }
    // kosaraju_scc lists components sinks first: each one's successors are
    // complete when it is reached.
    for (index, nodes) in components.iter().enumerate() {
        for node in nodes {
            for next in graph.graph.neighbors(*node) {
                let below = component[next.index()];
                if below == index {
                    continue;
                }
                uncertain[index] |= uncertain[below];
                for word in 0..words {
                    stops[index * words + word] |= stops[below * words + word];
                    accepts[index * words + word] |= accepts[below * words + word];
                }
                work += words as u64;
            }
        }
    }
    // What is reachable after leaving each start state (a stop state counts
    // only once the start state is left: a clock starting and stopping in
    // one state never runs).
    let mut after: HashMap<usize, (Vec<u64>, bool)> = HashMap::new();
    for start in batch.iter().flat_map(|sla| sla.start.iter().copied()) {
        if after.contains_key(&start) {
            continue;
        }
        let mut reached = (vec![0u64; words], false);
        for next in graph.graph.neighbors(NodeIndex::new(start)) {
            let below = component[next.index()];
            reached.1 |= uncertain[below];
            for (word, bits) in reached.0.iter_mut().enumerate() {
                *bits |= stops[below * words + word];
            }
            work += words as u64;
        }
        after.insert(start, reached);
    }
    for (clock, sla) in batch.iter().enumerate() {
        let (word, mask) = bit(clock);
        let stoppable = sla.start.iter().any(|start| {
            let during = component[*start];
            let (stops_after, unknown_after) = &after[start];
            stops_after[word] & mask != 0
                || *unknown_after
                || accepts[during * words + word] & mask != 0
                || uncertain[during]
        });
        work += sla.start.len() as u64;
        if !stoppable {
            problems.push(endless(sla));
        }
    }
    work
}

#[cfg(test)]
mod tests {
    use super::*;

    /// s0 → s1 → … → s{n-1} by event `go`; the last is terminal.
    fn chain(states: usize) -> Skeleton {
        let states = (0..states)
            .map(|index| StateNode {
                name: format!("s{index}"),
                terminal: index + 1 == states,
                broken: false,
                on: if index + 1 < states {
                    vec![("go".to_owned(), vec![Target::State(index + 1)])]
                } else {
                    Vec::new()
                },
                always: Vec::new(),
            })
            .collect();
        Skeleton {
            states,
            start: Some(0),
            ..Skeleton::default()
        }
    }

    fn clock(name: &str, start: usize, stop: usize) -> Clock {
        Clock {
            name: name.to_owned(),
            start: vec![start],
            stop: vec![stop],
            stop_events: Vec::new(),
        }
    }

    fn messages(skeleton: &Skeleton) -> Vec<String> {
        check(skeleton)
            .0
            .into_iter()
            .map(|problem| problem.message)
            .collect()
    }

    #[test]
    fn clocks_far_from_their_stop_are_answered_by_the_batches() {
        let mut skeleton = chain(1_000);
        // Near and far stops, reachable; and stops behind the start.
        skeleton.clocks = vec![
            clock("near", 10, 12),
            clock("far", 0, 999),
            clock("back", 900, 100),
            clock("near_back", 5, 4),
        ];
        assert_eq!(
            messages(&skeleton),
            [
                "SLA `back` can start but never stop: no `stop` state is reachable from its start states and no `stop_events` event is accepted on the way",
                "SLA `near_back` can start but never stop: no `stop` state is reachable from its start states and no `stop_events` event is accepted on the way",
            ]
        );
        // Many far clocks at once: every one answered, in several words.
        skeleton.clocks = (0..300)
            .map(|i| clock(&format!("c{i}"), i, 999 - i % 2))
            .collect();
        skeleton.clocks.push(clock("stuck", 700, 3));
        assert_eq!(messages(&skeleton).len(), 1);
    }

    #[test]
    fn a_stop_state_counts_once_the_start_is_left() {
        let mut skeleton = chain(3);
        skeleton.clocks = vec![clock("same", 1, 1)];
        assert_eq!(messages(&skeleton).len(), 1);
        skeleton.states[1]
            .on
            .push(("again".into(), vec![Target::State(1)]));
        assert_eq!(messages(&skeleton), Vec::<String>::new());
    }

    #[test]
    fn global_events_reach_every_state_that_does_not_handle_them() {
        let mut skeleton = chain(4);
        skeleton.states.push(StateNode {
            name: "cancelled".into(),
            terminal: true,
            broken: false,
            on: Vec::new(),
            always: Vec::new(),
        });
        assert_eq!(
            messages(&skeleton),
            ["state `cancelled` cannot be reached from `s0`"]
        );
        skeleton.globals = vec![GlobalEvent {
            name: "cancel".into(),
            targets: vec![Target::State(4)],
        }];
        assert_eq!(messages(&skeleton), Vec::<String>::new());
        // A state that handles `cancel` itself does not use the global one.
        for state in &mut skeleton.states[..3] {
            state.on.push(("cancel".into(), vec![Target::Stay]));
        }
        assert_eq!(
            messages(&skeleton),
            ["state `cancelled` cannot be reached from `s0`"]
        );
    }

    #[test]
    fn eventless_cycles_are_found_once_each() {
        let mut skeleton = chain(6);
        let forever = |to| Eventless {
            guard: Guard::Absent,
            target: Target::State(to),
        };
        skeleton.states[1].always = vec![forever(2)];
        skeleton.states[2].always = vec![forever(1)];
        skeleton.states[3].always = vec![
            Eventless {
                guard: Guard::NeverTrue,
                target: Target::State(0),
            },
            Eventless {
                guard: Guard::AlwaysTrue,
                target: Target::Stay,
            },
        ];
        let found = messages(&skeleton);
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[0], "eventless transitions loop forever: s1 → s2 → s1");
        assert!(found[1].starts_with("this eventless transition of `s3` stays"));
    }
}
