//! A layered (Sugiyama-style) layout, top to bottom, for the SVG drawing.
//!
//! Knows nothing of workflows: boxes with extents and edges between them.
//! The steps are the classic ones: break cycles (a depth-first search from
//! the first node; edges back to an open node are drawn reversed), rank by
//! longest path, split long edges with dummies (one of which carries the
//! edge's label, so labels get their own room and never overlap a box),
//! order each row by barycenter sweeps keeping the order with the fewest
//! crossings, then place each row as close to its neighbours as the minimum
//! gaps allow (an exact least-squares fit per row, pool-adjacent-violators).
//!
//! Every step is linear or `n log n` per sweep, and nothing indexes outside
//! what it built, so any graph lays out without a panic.

/// A box to place: `left` and `right` are its extents from the anchor `x`
/// (a self-loop and its label widen the right side), `height` the room its
/// row must give it, `half_width` and `half_height` the drawn box, where
/// edges attach.
#[derive(Debug, Clone, Copy)]
pub struct Node {
    pub left: f64,
    pub right: f64,
    pub height: f64,
    pub half_width: f64,
    pub half_height: f64,
}

/// An edge between two different nodes, with the size of its label.
#[derive(Debug, Clone, Copy)]
pub struct Edge {
    pub from: usize,
    pub to: usize,
    /// Width and height of the label block; the line passes at its left.
    pub label: Option<(f64, f64)>,
}

/// Where everything went. Coordinates start at 0,0 (top left of the
/// drawing, margins excluded).
#[derive(Debug, Clone)]
pub struct Placement {
    /// The centre of each node's box.
    pub nodes: Vec<(f64, f64)>,
    pub edges: Vec<Route>,
    pub width: f64,
    pub height: f64,
}

/// One edge's way: vertical runs `(x, y_from, y_to)` from the source's
/// border to the target's border, joined by smooth bends; the label's
/// left-middle point.
#[derive(Debug, Clone)]
pub struct Route {
    pub runs: Vec<(f64, f64, f64)>,
    pub label: Option<(f64, f64)>,
}

/// Gaps between neighbours in a row, between rows, around a label.
const NODE_GAP: f64 = 24.0;
const LABEL_GAP: f64 = 10.0;
const BEND_GAP: f64 = 4.0;
const ROW_GAP: f64 = 14.0;
const LABEL_PAD: f64 = 6.0;
/// Room for a line passing through a row.
const DUMMY_EXTENT: f64 = 4.0;
/// The most crossing-reduction sweeps, and how many in a row may fail to
/// improve before stopping.
const SWEEPS: usize = 24;
const PATIENCE: usize = 4;

/// More than this many boxes and bends make no readable picture.
pub const MAX_ITEMS: usize = 250_000;

/// Lays `nodes` and `edges` out; `None` when the drawing would need more
/// than [`MAX_ITEMS`] boxes and bends. Edges must join different nodes
/// that exist (the caller draws self-loops itself).
pub fn lay_out(nodes: &[Node], edges: &[Edge]) -> Option<Placement> {
    let reversed = orient(nodes.len(), edges);
    let ranks = rank(nodes.len(), edges, &reversed);
    let mut layers = Layers::build(nodes, edges, &ranks, &reversed)?;
    layers.order();
    layers.place_rows();
    Some(layers.placement(nodes.len(), edges))
}

/// Every edge oriented downwards: `true` where it had to be reversed.
fn orient(count: usize, edges: &[Edge]) -> Vec<bool> {
    let mut out: Vec<Vec<(usize, usize)>> = vec![Vec::new(); count];
    for (index, edge) in edges.iter().enumerate() {
        out[edge.from].push((index, edge.to));
    }
    // 0 unseen, 1 on the stack, 2 done.
    let mut mark = vec![0u8; count];
    let mut reversed = vec![false; edges.len()];
    for root in 0..count {
        if mark[root] != 0 {
            continue;
        }
        mark[root] = 1;
        let mut stack = vec![(root, 0usize)];
        while let Some((node, next)) = stack.pop() {
            if let Some(&(edge, target)) = out[node].get(next) {
                stack.push((node, next + 1));
                match mark[target] {
                    0 => {
                        mark[target] = 1;
                        stack.push((target, 0));
                    }
                    1 => reversed[edge] = true,
                    _ => {}
                }
            } else {
                mark[node] = 2;
            }
        }
    }
    reversed
}

/// The rank of each node: the longest path from the first node among the
/// nodes it reaches; the others hang just above what they lead to, or sit
/// on the last rank when they lead nowhere (an end state only a global
/// event reaches).
fn rank(count: usize, edges: &[Edge], reversed: &[bool]) -> Vec<usize> {
    let down: Vec<(usize, usize)> = edges
        .iter()
        .zip(reversed)
        .map(|(edge, &back)| {
            if back {
                (edge.to, edge.from)
            } else {
                (edge.from, edge.to)
            }
        })
        .collect();
    let order = topological(count, &down);
    let mut successors: Vec<Vec<usize>> = vec![Vec::new(); count];
    for &(from, to) in &down {
        successors[from].push(to);
    }
    let mut main = vec![false; count];
    if count > 0 {
        main[0] = true;
    }
    let mut rank: Vec<i64> = vec![0; count];
    for &node in &order {
        if !main[node] {
            continue;
        }
        for &next in &successors[node] {
            main[next] = true;
            rank[next] = rank[next].max(rank[node] + 1);
        }
    }
    let last = (0..count)
        .filter(|&node| main[node])
        .map(|node| rank[node])
        .max()
        .unwrap_or(0);
    for &node in order.iter().rev() {
        if main[node] {
            continue;
        }
        rank[node] = successors[node]
            .iter()
            .map(|&next| rank[next] - 1)
            .min()
            .unwrap_or(last);
    }
    let lowest = rank.iter().copied().min().unwrap_or(0).min(0);
    rank.iter()
        .map(|&rank| usize::try_from(rank - lowest).unwrap_or(0))
        .collect()
}

/// Kahn's order of the (acyclic) oriented edges; nodes in index order
/// where the edges leave a choice.
fn topological(count: usize, down: &[(usize, usize)]) -> Vec<usize> {
    let mut incoming = vec![0usize; count];
    let mut successors: Vec<Vec<usize>> = vec![Vec::new(); count];
    for &(from, to) in down {
        incoming[to] += 1;
        successors[from].push(to);
    }
    let mut ready: std::collections::BTreeSet<usize> =
        (0..count).filter(|&node| incoming[node] == 0).collect();
    let mut order = Vec::with_capacity(count);
    while let Some(node) = ready.pop_first() {
        order.push(node);
        for &next in &successors[node] {
            incoming[next] -= 1;
            if incoming[next] == 0 {
                ready.insert(next);
            }
        }
    }
    order
}

/// One box or bend in a row.
#[derive(Debug, Clone, Copy)]
struct Item {
    row: usize,
    left: f64,
    right: f64,
    height: f64,
    /// The least room between this item and a neighbour in its row.
    gap: f64,
}

/// The rows: every node on row `2 × rank`, labels and bends on the rows
/// between.
struct Layers {
    /// Half width and half height of each node's drawn box.
    boxes: Vec<(f64, f64)>,
    items: Vec<Item>,
    /// Per edge: its items from top to bottom, whether it is drawn upwards,
    /// and which item carries its label.
    chains: Vec<(Vec<usize>, bool, Option<usize>)>,
    up: Vec<Vec<usize>>,
    down: Vec<Vec<usize>>,
    rows: Vec<Vec<usize>>,
    x: Vec<f64>,
}

impl Layers {
    fn build(nodes: &[Node], edges: &[Edge], ranks: &[usize], reversed: &[bool]) -> Option<Layers> {
        let mut items: Vec<Item> = nodes
            .iter()
            .zip(ranks)
            .map(|(node, &rank)| Item {
                row: 2 * rank,
                left: node.left,
                right: node.right,
                height: node.height,
                gap: NODE_GAP,
            })
            .collect();
        let mut chains = Vec::with_capacity(edges.len());
        for (edge, &back) in edges.iter().zip(reversed) {
            let (top, bottom) = if back {
                (edge.to, edge.from)
            } else {
                (edge.from, edge.to)
            };
            let (first, last) = (items[top].row, items[bottom].row);
            if items.len() + last.saturating_sub(first) > MAX_ITEMS {
                return None;
            }
            // The label sits on the row next to where the edge starts.
            let label_row = if back { last - 1 } else { first + 1 };
            let mut chain = vec![top];
            let mut label_item = None;
            for row in first + 1..last {
                let labelled = row == label_row && edge.label.is_some();
                let (width, height) = match edge.label {
                    Some(size) if labelled => size,
                    _ => (0.0, 0.0),
                };
                if labelled {
                    label_item = Some(items.len());
                }
                chain.push(items.len());
                items.push(Item {
                    row,
                    left: DUMMY_EXTENT,
                    right: if labelled {
                        width + 2.0 * LABEL_PAD
                    } else {
                        DUMMY_EXTENT
                    },
                    height,
                    gap: if labelled { LABEL_GAP } else { BEND_GAP },
                });
            }
            chain.push(bottom);
            chains.push((chain, back, label_item));
        }
        let mut up = vec![Vec::new(); items.len()];
        let mut down = vec![Vec::new(); items.len()];
        for (chain, _, _) in &chains {
            for pair in chain.windows(2) {
                down[pair[0]].push(pair[1]);
                up[pair[1]].push(pair[0]);
            }
        }
        let row_count = items.iter().map(|item| item.row + 1).max().unwrap_or(0);
        let mut by_row: Vec<Vec<usize>> = vec![Vec::new(); row_count];
        for (index, item) in items.iter().enumerate() {
            by_row[item.row].push(index);
        }
        // Initial order: breadth first from the top, so related items start
        // near each other; items nothing above leads to come after.
        let mut rows: Vec<Vec<usize>> = vec![Vec::new(); row_count];
        let mut seen = vec![false; items.len()];
        for row in 0..row_count {
            let mut current = std::mem::take(&mut rows[row]);
            for &item in &by_row[row] {
                if !seen[item] {
                    seen[item] = true;
                    current.push(item);
                }
            }
            if let Some(next) = rows.get_mut(row + 1) {
                for &item in &current {
                    for &below in &down[item] {
                        if !seen[below] {
                            seen[below] = true;
                            next.push(below);
                        }
                    }
                }
            }
            rows[row] = current;
        }
        let x = vec![0.0; items.len()];
        let boxes = nodes
            .iter()
            .map(|node| (node.half_width, node.half_height))
            .collect();
        Some(Layers {
            boxes,
            items,
            chains,
            up,
            down,
            rows,
            x,
        })
    }

    /// Barycenter sweeps down and up; keeps the order with the fewest
    /// crossings seen.
    fn order(&mut self) {
        let mut position = vec![0usize; self.items.len()];
        self.number(&mut position);
        let mut best = self.rows.clone();
        let mut best_crossings = self.crossings(&position);
        let mut idle = 0;
        for sweep in 0..SWEEPS {
            if best_crossings == 0 || idle >= PATIENCE {
                break;
            }
            let downwards = sweep % 2 == 0;
            let rows: Vec<usize> = if downwards {
                (1..self.rows.len()).collect()
            } else {
                (0..self.rows.len().saturating_sub(1)).rev().collect()
            };
            for row in rows {
                let neighbours = if downwards { &self.up } else { &self.down };
                let mut keyed: Vec<(f64, usize)> = self.rows[row]
                    .iter()
                    .map(|&item| {
                        let around = &neighbours[item];
                        let key = if around.is_empty() {
                            position[item] as f64
                        } else {
                            around.iter().map(|&n| position[n] as f64).sum::<f64>()
                                / around.len() as f64
                        };
                        (key, item)
                    })
                    .collect();
                keyed.sort_by(|a, b| a.0.total_cmp(&b.0));
                self.rows[row] = keyed.into_iter().map(|(_, item)| item).collect();
                for (index, &item) in self.rows[row].iter().enumerate() {
                    position[item] = index;
                }
            }
            let crossings = self.crossings(&position);
            if crossings < best_crossings {
                best_crossings = crossings;
                best = self.rows.clone();
                idle = 0;
            } else {
                idle += 1;
            }
        }
        self.rows = best;
    }

    fn number(&self, position: &mut [usize]) {
        for row in &self.rows {
            for (index, &item) in row.iter().enumerate() {
                position[item] = index;
            }
        }
    }

    /// Crossings between every pair of neighbouring rows: inversions of
    /// the lower ends when segments are sorted by their upper ends.
    fn crossings(&self, position: &[usize]) -> usize {
        let mut total = 0;
        for row in &self.rows {
            let mut segments: Vec<(usize, usize)> = row
                .iter()
                .flat_map(|&item| {
                    self.down[item]
                        .iter()
                        .map(move |&below| (position[item], position[below]))
                })
                .collect();
            segments.sort_unstable();
            let width = segments
                .iter()
                .map(|&(_, lower)| lower + 1)
                .max()
                .unwrap_or(0);
            let mut tree = vec![0usize; width + 1];
            for (seen, &(_, lower)) in segments.iter().enumerate() {
                // Segments seen so far whose lower end is at or left of ours.
                let mut at = lower + 1;
                let mut not_after = 0;
                while at > 0 {
                    not_after += tree[at];
                    at -= at & at.wrapping_neg();
                }
                total += seen - not_after;
                let mut at = lower + 1;
                while at <= width {
                    tree[at] += 1;
                    at += at & at.wrapping_neg();
                }
            }
        }
        total
    }

    /// Horizontal places: packed from the left, then each row pulled
    /// towards its neighbours above, then below, then both.
    fn place_rows(&mut self) {
        for row in 0..self.rows.len() {
            let wanted: Vec<f64> = vec![0.0; self.rows[row].len()];
            self.fit(row, &wanted);
        }
        for pass in 0..8 {
            let rows: Vec<usize> = if pass % 2 == 0 {
                (0..self.rows.len()).collect()
            } else {
                (0..self.rows.len()).rev().collect()
            };
            for row in rows {
                let wanted: Vec<f64> = self.rows[row]
                    .iter()
                    .map(|&item| {
                        let (up, down): (&[usize], &[usize]) = match pass {
                            0 | 2 | 4 => (&self.up[item], &[]),
                            1 | 3 | 5 => (&[], &self.down[item]),
                            _ => (&self.up[item], &self.down[item]),
                        };
                        let count = up.len() + down.len();
                        if count == 0 {
                            self.x[item]
                        } else {
                            up.iter().chain(down).map(|&n| self.x[n]).sum::<f64>() / count as f64
                        }
                    })
                    .collect();
                self.fit(row, &wanted);
            }
        }
        let left = self
            .items
            .iter()
            .zip(&self.x)
            .map(|(item, x)| x - item.left)
            .fold(f64::INFINITY, f64::min);
        if left.is_finite() {
            for x in &mut self.x {
                *x -= left;
            }
        }
    }

    /// Places `row` as near `wanted` as the gaps allow: least squares under
    /// "each item at least its gap right of the one before", solved exactly
    /// by pooling adjacent violators.
    fn fit(&mut self, row: usize, wanted: &[f64]) {
        let items = &self.rows[row];
        let mut offset = Vec::with_capacity(items.len());
        let mut total = 0.0;
        for (index, &item) in items.iter().enumerate() {
            if index > 0 {
                let before = self.items[items[index - 1]];
                let gap = before.gap.max(self.items[item].gap);
                total += before.right + gap + self.items[item].left;
            }
            offset.push(total);
        }
        // Blocks of (sum of targets, count), merged while decreasing.
        let mut blocks: Vec<(f64, f64, usize)> = Vec::new();
        for (index, &target) in wanted.iter().enumerate() {
            let mut block = (target - offset[index], 1.0, 1usize);
            while let Some(&(sum, weight, count)) = blocks.last() {
                if sum / weight <= block.0 / block.1 {
                    break;
                }
                blocks.pop();
                block = (block.0 + sum, block.1 + weight, block.2 + count);
            }
            blocks.push(block);
        }
        let mut index = 0;
        for (sum, weight, count) in blocks {
            for _ in 0..count {
                if let (Some(&item), Some(&offset)) = (items.get(index), offset.get(index)) {
                    self.x[item] = sum / weight + offset;
                }
                index += 1;
            }
        }
    }

    fn placement(&self, node_count: usize, edges: &[Edge]) -> Placement {
        let mut row_top = Vec::with_capacity(self.rows.len());
        let mut row_height = Vec::with_capacity(self.rows.len());
        let mut y = 0.0;
        for row in &self.rows {
            let height = row
                .iter()
                .map(|&item| self.items[item].height)
                .fold(0.0, f64::max);
            row_top.push(y);
            row_height.push(height);
            y += height + ROW_GAP;
        }
        let height = (y - ROW_GAP).max(0.0);
        let middle = |item: usize| {
            let row = self.items[item].row;
            row_top[row] + row_height[row] / 2.0
        };
        let nodes: Vec<(f64, f64)> = (0..node_count)
            .map(|node| (self.x[node], middle(node)))
            .collect();
        let width = self
            .items
            .iter()
            .zip(&self.x)
            .map(|(item, x)| x + item.right)
            .fold(0.0, f64::max);
        let ports = self.ports(edges, &nodes);
        let edges = self
            .chains
            .iter()
            .enumerate()
            .map(|(index, (chain, back, label))| {
                let mut runs = Vec::with_capacity(chain.len());
                for (step, &item) in chain.iter().enumerate() {
                    let row = self.items[item].row;
                    if step == 0 {
                        let (x, bottom) = ports[index].0;
                        runs.push((x, bottom, row_top[row] + row_height[row]));
                    } else if step + 1 == chain.len() {
                        let (x, top) = ports[index].1;
                        runs.push((x, row_top[row], top));
                    } else {
                        runs.push((self.x[item], row_top[row], row_top[row] + row_height[row]));
                    }
                }
                if *back {
                    runs.reverse();
                    for run in &mut runs {
                        *run = (run.0, run.2, run.1);
                    }
                }
                let label = label.map(|item| (self.x[item] + LABEL_PAD, middle(item)));
                Route { runs, label }
            })
            .collect();
        Placement {
            nodes,
            edges,
            width,
            height,
        }
    }

    /// Where each edge leaves its upper node's bottom and enters its lower
    /// node's top: spread along the border in the order of the other ends,
    /// so edges leave side by side instead of from one point.
    fn ports(&self, edges: &[Edge], nodes: &[(f64, f64)]) -> Vec<((f64, f64), (f64, f64))> {
        let mut ports: Vec<((f64, f64), (f64, f64))> = vec![((0.0, 0.0), (0.0, 0.0)); edges.len()];
        let mut leaving: Vec<Vec<(f64, usize)>> = vec![Vec::new(); nodes.len()];
        let mut entering: Vec<Vec<(f64, usize)>> = vec![Vec::new(); nodes.len()];
        for (index, (chain, _, _)) in self.chains.iter().enumerate() {
            if let (Some(&top), Some(&next), Some(&before), Some(&bottom)) = (
                chain.first(),
                chain.get(1),
                chain.get(chain.len().wrapping_sub(2)),
                chain.last(),
            ) {
                leaving[top].push((self.x[next], index));
                entering[bottom].push((self.x[before], index));
            }
        }
        for (node, &(x, y)) in nodes.iter().enumerate() {
            let (half_width, half_height) = self.box_of(node);
            for (list, sign) in [(&mut leaving[node], 1.0), (&mut entering[node], -1.0)] {
                list.sort_by(|a, b| a.0.total_cmp(&b.0));
                let count = list.len() as f64;
                let span = (half_width - 8.0).max(0.0);
                let step = if count > 1.0 {
                    (2.0 * span / (count - 1.0)).min(18.0)
                } else {
                    0.0
                };
                for (slot, &(_, edge)) in list.iter().enumerate() {
                    let port = (
                        x + (slot as f64 - (count - 1.0) / 2.0) * step,
                        y + sign * half_height,
                    );
                    if sign > 0.0 {
                        ports[edge].0 = port;
                    } else {
                        ports[edge].1 = port;
                    }
                }
            }
        }
        ports
    }

    fn box_of(&self, node: usize) -> (f64, f64) {
        self.boxes.get(node).copied().unwrap_or((0.0, 0.0))
    }
}
