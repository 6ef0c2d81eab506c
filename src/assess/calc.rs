//! The calculation: one pass over the period's history, instance by
//! instance, then per role the rate, band and points of each indicator.

use std::borrow::Borrow;
use std::collections::BTreeSet;

use uuid::Uuid;

use super::config::{AssessmentConfig, Indicator};
use super::facts::{Attribution, Tally};
use super::period::{Period, local, rfc3339};
use super::ratio::Ratio;
use super::report::{IndicatorReport, Report, RoleReport};
use crate::store::AssessmentRow;

/// Why the rows cannot be assessed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssessError {
    /// The calculator keeps one instance in memory at a time, so it needs
    /// the rows ordered by (instance_id, seq), as the store query yields them.
    #[error(
        "history rows are not ordered by (instance_id, seq): instance {instance_id} seq {seq} came out of order"
    )]
    Unordered { instance_id: Uuid, seq: i64 },
}

/// The numerator and denominator tallies of one indicator.
#[derive(Default)]
struct Counted {
    numerator: Tally,
    denominator: Tally,
}

/// Assesses `period` from `rows` (any workflows; each indicator reads its
/// own), for every role or only `role`. Pure: the caller reads the store.
///
/// Roles shown: the roles named in `[roles]` (file order), then every role
/// some counted fact of the period was credited to (sorted), each with its
/// own selection or `default`; a role with neither is left out. With `role`
/// given, exactly that role is shown, even without facts.
pub fn run<R: Borrow<AssessmentRow>>(
    config: &AssessmentConfig,
    rows: impl IntoIterator<Item = R>,
    period: Period,
    role: Option<&str>,
) -> Result<Report, AssessError> {
    let mut tallies = Tallies::new(config, period);
    for row in rows {
        tallies.push(row)?;
    }
    Ok(tallies.report(role))
}

/// [`run`] one row at a time, for rows that arrive from a stream (the
/// store's cursor): only the current instance's rows are kept.
pub struct Tallies<'c, R> {
    config: &'c AssessmentConfig,
    period: Period,
    counted: Vec<Counted>,
    instance: Vec<R>,
    last: Option<(Uuid, i64)>,
}

impl<'c, R: Borrow<AssessmentRow>> Tallies<'c, R> {
    pub fn new(config: &'c AssessmentConfig, period: Period) -> Self {
        Self {
            config,
            period,
            counted: config
                .indicators
                .iter()
                .map(|_| Counted::default())
                .collect(),
            instance: Vec::new(),
            last: None,
        }
    }

    /// Takes the next row; rows must come ordered by `(instance_id, seq)`.
    pub fn push(&mut self, row: R) -> Result<(), AssessError> {
        let (instance_id, seq) = (row.borrow().instance_id, row.borrow().seq);
        if let Some((last_id, last_seq)) = self.last {
            let ordered = instance_id > last_id || (instance_id == last_id && seq > last_seq);
            if !ordered {
                return Err(AssessError::Unordered { instance_id, seq });
            }
            if instance_id != last_id {
                self.flush();
            }
        }
        self.last = Some((instance_id, seq));
        self.instance.push(row);
        Ok(())
    }

    /// Takes the whole history of one instance at once (its rows in `seq`
    /// order), as the store's facts hand it over: instances may come in any
    /// order, since every count is a sum over instances. For a source that
    /// yields whole instances, instead of [`push`](Self::push).
    pub fn push_instance(&mut self, rows: Vec<R>) -> Result<(), AssessError> {
        let unordered = rows
            .windows(2)
            .find(|pair| pair[0].borrow().seq >= pair[1].borrow().seq);
        if let Some(pair) = unordered {
            let row = pair[1].borrow();
            return Err(AssessError::Unordered {
                instance_id: row.instance_id,
                seq: row.seq,
            });
        }
        count_instance(self.config, &rows, self.period, &mut self.counted);
        Ok(())
    }

    /// The report over every row pushed, for every role or only `role`
    /// (see [`run`]).
    pub fn report(mut self, role: Option<&str>) -> Report {
        self.flush();
        let (config, period, counted) = (self.config, self.period, &self.counted);
        let roles: Vec<String> = match role {
            Some(role) => vec![role.to_owned()],
            None => roles_shown(config, counted),
        };
        let roles = roles
            .into_iter()
            .filter_map(|name| {
                let selection = config.selection(&name);
                if selection.is_none() && role.is_none() {
                    return None;
                }
                let indicators: Vec<IndicatorReport> = selection
                    .unwrap_or_default()
                    .iter()
                    .map(|&index| score(&config.indicators[index], &counted[index], &name))
                    .collect();
                let total = indicators
                    .iter()
                    .filter_map(|indicator| indicator.points)
                    .sum();
                Some(RoleReport {
                    role: name,
                    total,
                    indicators,
                })
            })
            .collect();
        Report {
            from: rfc3339(period.from()),
            to: rfc3339(period.to()),
            time_zone: config.zone_name.clone(),
            roles,
            local: (
                local(period.from(), &config.time_zone),
                local(period.to(), &config.time_zone),
            ),
        }
    }

    /// Counts the instance collected so far and forgets its rows.
    fn flush(&mut self) {
        count_instance(self.config, &self.instance, self.period, &mut self.counted);
        self.instance.clear();
    }
}

fn count_instance<R: Borrow<AssessmentRow>>(
    config: &AssessmentConfig,
    rows: &[R],
    period: Period,
    counted: &mut [Counted],
) {
    let Some(first) = rows.first() else { return };
    let workflow = first.borrow().workflow.as_str();
    for (indicator, tallies) in config.indicators.iter().zip(counted) {
        if indicator.workflow == workflow {
            let attribution = &indicator.attribution;
            indicator
                .numerator
                .tally_instance(attribution, rows, period, &mut tallies.numerator);
            indicator.denominator.tally_instance(
                attribution,
                rows,
                period,
                &mut tallies.denominator,
            );
        }
    }
}

fn roles_shown(config: &AssessmentConfig, counted: &[Counted]) -> Vec<String> {
    let seen: BTreeSet<&str> = counted
        .iter()
        .flat_map(|tallies| tallies.numerator.roles().chain(tallies.denominator.roles()))
        .filter(|role| !config.roles.contains_key(*role))
        .collect();
    config
        .roles
        .keys()
        .cloned()
        .chain(seen.into_iter().map(str::to_owned))
        .collect()
}

fn score(indicator: &Indicator, counted: &Counted, role: &str) -> IndicatorReport {
    let attribution: &Attribution = &indicator.attribution;
    let numerator = counted.numerator.value(attribution, role);
    let denominator = counted.denominator.value(attribution, role);
    let rate = Ratio::new(numerator, denominator);
    let band = rate.map(|rate| indicator.bands.band_of(rate));
    IndicatorReport {
        id: indicator.id.clone(),
        title: indicator.title.clone(),
        title_en: indicator.title_en.clone(),
        numerator,
        denominator,
        rate: rate.map(Ratio::to_f64),
        rate_percent: rate.map(Ratio::percent_one_decimal),
        band: band.map(|band| band.describe()),
        points: band.map(|band| band.points),
        max_points: indicator.max_points,
    }
}
