//! Band tables: which points a rate earns.
//!
//! A table must give every rate from 0 upwards exactly one band, because a
//! rate that falls in no band (the seed's "超過10%" next to "5%而未滿10%"
//! leaves exactly 10 % out) or in two would make a score depend on
//! nothing written down. [`BandTable::new`] refuses such a table and names
//! the rates in question. Tables run to infinity, not to 100 %: a complaint
//! rate counts complaints per ticket created and can exceed 100 %.

use std::cmp::Ordering;
use std::fmt;

use super::ratio::Ratio;

/// A band's lower end; a band without one starts at 0 inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lower {
    /// The bound belongs to the band (`at_least`, "達到").
    AtLeast(Ratio),
    /// The bound does not (`above`, "超過").
    Above(Ratio),
}

/// A band's upper end.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Upper {
    /// The bound does not belong to the band (`below`, "未滿").
    Below(Ratio),
    /// The bound does (`at_most`).
    AtMost(Ratio),
    Unbounded,
}

/// One row of a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Band {
    pub lower: Lower,
    pub upper: Upper,
    pub points: i64,
}

/// A place between rates on the number line: just before or just after a
/// value. Bands are the half-open stretches `[lower cut, upper cut)`, which
/// makes gaps and overlaps plain comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Cut {
    Before(Ratio),
    After(Ratio),
    Infinity,
}

impl Cut {
    fn key(self) -> Option<(Ratio, u8)> {
        match self {
            Cut::Before(value) => Some((value, 0)),
            Cut::After(value) => Some((value, 1)),
            Cut::Infinity => None,
        }
    }
}

impl Ord for Cut {
    fn cmp(&self, other: &Self) -> Ordering {
        match (self.key(), other.key()) {
            (None, None) => Ordering::Equal,
            (None, Some(_)) => Ordering::Greater,
            (Some(_), None) => Ordering::Less,
            (Some(left), Some(right)) => left.cmp(&right),
        }
    }
}

impl PartialOrd for Cut {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

/// The rates between two cuts, written with the usual brackets:
/// `[10 %, 10 %]`, `[60 %, 70 %)`, `(10 %, ∞)`.
struct Stretch(Cut, Cut);

impl fmt::Display for Stretch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Cut::Before(value) => write!(f, "[{value}, ")?,
            Cut::After(value) => write!(f, "({value}, ")?,
            Cut::Infinity => write!(f, "(∞, ")?,
        }
        match self.1 {
            Cut::Before(value) => write!(f, "{value})"),
            Cut::After(value) => write!(f, "{value}]"),
            Cut::Infinity => write!(f, "∞)"),
        }
    }
}

impl Band {
    fn start(&self) -> Cut {
        match self.lower {
            Lower::AtLeast(value) => Cut::Before(value),
            Lower::Above(value) => Cut::After(value),
        }
    }

    fn end(&self) -> Cut {
        match self.upper {
            Upper::Below(value) => Cut::Before(value),
            Upper::AtMost(value) => Cut::After(value),
            Upper::Unbounded => Cut::Infinity,
        }
    }

    /// Whether `rate` falls in this band.
    pub fn contains(&self, rate: Ratio) -> bool {
        self.start() <= Cut::Before(rate) && Cut::After(rate) <= self.end()
    }

    /// The band's rates, e.g. `[60 %, 70 %)`: shown next to the points.
    pub fn describe(&self) -> String {
        Stretch(self.start(), self.end()).to_string()
    }
}

/// A problem with one table; `band` is the 0-based row it is best shown at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BandProblem {
    pub band: Option<usize>,
    pub message: String,
}

/// Bands that cover every rate from 0 up exactly once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BandTable {
    bands: Vec<Band>,
}

impl BandTable {
    /// Checks coverage; every problem is reported, not just the first.
    pub fn new(bands: Vec<Band>) -> Result<Self, Vec<BandProblem>> {
        let mut problems = Vec::new();
        for (index, band) in bands.iter().enumerate() {
            if band.start() >= band.end() {
                problems.push(BandProblem {
                    band: Some(index),
                    message: format!(
                        "band {} holds no rate: its bounds {} are empty",
                        index + 1,
                        band.describe()
                    ),
                });
            }
        }
        if problems.is_empty() {
            problems = coverage_problems(&bands);
        }
        if problems.is_empty() {
            Ok(Self { bands })
        } else {
            Err(problems)
        }
    }

    /// The band `rate` falls in; exactly one exists by construction.
    pub fn band_of(&self, rate: Ratio) -> &Band {
        self.bands
            .iter()
            .find(|band| band.contains(rate))
            .expect("a checked table covers every rate")
    }

    pub fn bands(&self) -> &[Band] {
        &self.bands
    }
}

/// Walks the bands from the lowest start, keeping the first rate not yet
/// covered; a band starting after it leaves a gap, one starting before it
/// overlaps the band that covered it.
fn coverage_problems(bands: &[Band]) -> Vec<BandProblem> {
    let mut order: Vec<usize> = (0..bands.len()).collect();
    order.sort_by_key(|&index| bands[index].start());
    let mut problems = Vec::new();
    let mut uncovered = Cut::Before(Ratio::ZERO);
    let mut covering: Option<usize> = None;
    for index in order {
        let band = &bands[index];
        if band.start() > uncovered {
            problems.push(BandProblem {
                band: Some(index),
                message: format!(
                    "rates in {} are not covered",
                    Stretch(uncovered, band.start())
                ),
            });
        } else if band.start() < uncovered {
            let other = covering.expect("only a covering band moves the cut");
            problems.push(BandProblem {
                band: Some(index),
                message: format!(
                    "rates in {} fall in two bands ({} and {})",
                    Stretch(band.start(), band.end().min(uncovered)),
                    other + 1,
                    index + 1
                ),
            });
        }
        if band.end() > uncovered {
            uncovered = band.end();
            covering = Some(index);
        }
    }
    if uncovered != Cut::Infinity {
        problems.push(BandProblem {
            band: None,
            message: format!(
                "rates in {} are not covered",
                Stretch(uncovered, Cut::Infinity)
            ),
        });
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pct(text: &str) -> Ratio {
        Ratio::parse(text).unwrap()
    }

    fn band(lower: Lower, upper: Upper) -> Band {
        Band {
            lower,
            upper,
            points: 0,
        }
    }

    fn messages(bands: Vec<Band>) -> Vec<String> {
        BandTable::new(bands)
            .unwrap_err()
            .into_iter()
            .map(|problem| problem.message)
            .collect()
    }

    #[test]
    fn names_the_seeds_hole_at_exactly_ten_percent() {
        let seed = vec![
            band(Lower::Above(pct("10%")), Upper::Unbounded),
            band(Lower::AtLeast(pct("5%")), Upper::Below(pct("10%"))),
            band(Lower::AtLeast(Ratio::ZERO), Upper::Below(pct("5%"))),
        ];
        assert_eq!(messages(seed), ["rates in [10 %, 10 %] are not covered"]);
    }

    #[test]
    fn names_overlaps_gaps_at_either_end_and_empty_bands() {
        let overlapping = vec![
            band(Lower::AtLeast(Ratio::ZERO), Upper::AtMost(pct("10%"))),
            band(Lower::AtLeast(pct("10%")), Upper::Unbounded),
        ];
        assert_eq!(
            messages(overlapping),
            ["rates in [10 %, 10 %] fall in two bands (1 and 2)"]
        );
        let ends = vec![band(Lower::Above(Ratio::ZERO), Upper::Below(pct("100%")))];
        assert_eq!(
            messages(ends),
            [
                "rates in [0 %, 0 %] are not covered",
                "rates in [100 %, ∞) are not covered"
            ]
        );
        let empty = vec![band(Lower::AtLeast(pct("5%")), Upper::Below(pct("5%")))];
        assert_eq!(
            messages(empty),
            ["band 1 holds no rate: its bounds [5 %, 5 %) are empty"]
        );
    }

    #[test]
    fn a_covering_table_finds_the_band_of_each_edge() {
        let table = BandTable::new(vec![
            band(Lower::AtLeast(pct("10%")), Upper::Unbounded),
            band(Lower::AtLeast(Ratio::ZERO), Upper::Below(pct("10%"))),
        ])
        .unwrap();
        assert_eq!(table.band_of(pct("10%")).lower, Lower::AtLeast(pct("10%")));
        assert_eq!(
            table.band_of(pct("99/1000")).upper,
            Upper::Below(pct("10%"))
        );
        assert_eq!(table.band_of(pct("3")).describe(), "[10 %, ∞)");
    }
}
