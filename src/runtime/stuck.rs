//! Which live instances need a person, and why. The runtime tells the
//! store, per live (workflow, version, state), what makes an instance a
//! candidate (its definition knows `stuck_after` and whether anything
//! leaves the state); the store answers only the candidates, with indexed
//! conditions, so a page costs what is stuck, not what is live. Each
//! candidate's reasons are then weighed here against its own version.

use serde::Serialize;
use uuid::Uuid;

use crate::engine::Millis;
use crate::model::Definition;
use crate::model::definition::State;
use crate::store::{Cursor, InstanceFilter, LiveInstanceFacts, StuckRules, VersionState};

use super::{Runtime, RuntimeError};

/// A live instance with at least one reason to look at it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StuckInstance {
    pub id: Uuid,
    pub workflow: String,
    pub key: String,
    pub state: String,
    pub reasons: Vec<StuckReason>,
}

/// Why an instance is stuck.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "reason")]
pub enum StuckReason {
    /// Incidents nobody resolved yet.
    OpenIncidents { count: i64 },
    /// A timer that should have fired more than the grace period ago.
    TimerOverdue { due_at: Millis },
    /// In its state longer than the state's `stuck_after`.
    Idle { since: Millis, stuck_after: Millis },
    /// An SLA cycle running past its deadline.
    SlaOverdue {
        sla: String,
        cycle: u32,
        due_at: Millis,
    },
    /// The state is not terminal yet nothing can leave it (or the
    /// definition version has no such state).
    NoWayOut,
}

impl Runtime {
    /// Every live instance that is stuck now, in id order.
    pub async fn stuck(&self) -> Result<Vec<StuckInstance>, RuntimeError> {
        let rules = self.stuck_rules().await?;
        let facts = self.store.stuck_facts(&rules, None).await?;
        self.judge(facts, &rules).await
    }

    /// How many live instances are stuck now: the length of
    /// [`Self::stuck`], counted by the database.
    pub async fn stuck_count(&self) -> Result<i64, RuntimeError> {
        let rules = self.stuck_rules().await?;
        self.count_stuck(&rules).await
    }

    /// The stuck instances `filter` matches, newest first, one page at a
    /// time (its cursor and page size), as instance listings page; with the
    /// cursor of the next page (`None` on the last).
    pub async fn stuck_page(
        &self,
        filter: &InstanceFilter,
    ) -> Result<(Vec<StuckInstance>, Option<Cursor>), RuntimeError> {
        let rules = self.stuck_rules().await?;
        self.page_stuck(&rules, filter).await
    }

    /// How many live instances `rules` (of [`Self::stuck_rules`]) finds
    /// stuck: a page that shows a count and a page of the list asks for
    /// the rules once.
    pub async fn count_stuck(&self, rules: &StuckRules) -> Result<i64, RuntimeError> {
        Ok(self.store.stuck_count(rules).await?)
    }

    /// [`Self::stuck_page`] under rules already made.
    pub async fn page_stuck(
        &self,
        rules: &StuckRules,
        filter: &InstanceFilter,
    ) -> Result<(Vec<StuckInstance>, Option<Cursor>), RuntimeError> {
        let mut facts = self.store.stuck_facts(rules, Some(filter)).await?;
        let next_cursor = if facts.len() > filter.page_size() {
            facts.truncate(filter.page_size());
            facts.last().map(|last| Cursor::after(last.id))
        } else {
            None
        };
        Ok((self.judge(facts, rules).await?, next_cursor))
    }

    /// What picks out the candidates now: per live (workflow, version,
    /// state), whether its state has no way out or since when an instance
    /// in it is idle too long.
    pub async fn stuck_rules(&self) -> Result<StuckRules, RuntimeError> {
        let now = self.clock.now();
        let mut rules = StuckRules {
            timers_due_before: now - self.config.stuck_grace,
            slas_due_before: now,
            ..StuckRules::default()
        };
        for live in self.store.live_states().await? {
            let definition = self
                .stored_definition(&live.workflow, &live.definition_hash)
                .await?;
            let state = definition.state(&live.state);
            let no_way_out = has_no_way_out(&definition, state);
            let stuck_after = state.and_then(|state| state.stuck_after);
            let at = VersionState {
                workflow: live.workflow,
                definition_hash: live.definition_hash,
                state: live.state,
            };
            if no_way_out {
                rules.no_way_out.push(at);
            } else if let Some(stuck_after) = stuck_after {
                rules.idle.push((at, now - stuck_after.as_millis()));
            }
        }
        Ok(rules)
    }

    /// The reasons of each candidate, weighed against its own version;
    /// those without one (none, while the store keeps its copies in step)
    /// are left out.
    async fn judge(
        &self,
        candidates: Vec<LiveInstanceFacts>,
        rules: &StuckRules,
    ) -> Result<Vec<StuckInstance>, RuntimeError> {
        let now = rules.now();
        let mut stuck = Vec::with_capacity(candidates.len());
        for facts in candidates {
            let definition = self
                .stored_definition(&facts.workflow, &facts.definition_hash)
                .await?;
            let reasons = reasons(&definition, &facts, now, self.config.stuck_grace);
            if !reasons.is_empty() {
                stuck.push(StuckInstance {
                    id: facts.id,
                    workflow: facts.workflow,
                    key: facts.key,
                    state: facts.state,
                    reasons,
                });
            }
        }
        Ok(stuck)
    }
}

/// Whether an instance in `state` (`None`: a state its version lacks) can
/// never leave it: not terminal, and no event or eventless transition out.
fn has_no_way_out(definition: &Definition, state: Option<&State>) -> bool {
    match state {
        None => true,
        Some(state) => {
            !state.terminal
                && state.always.is_empty()
                && definition.allowed_events(&state.name).is_empty()
        }
    }
}

fn reasons(
    definition: &Definition,
    facts: &LiveInstanceFacts,
    now: Millis,
    grace: Millis,
) -> Vec<StuckReason> {
    let mut reasons = Vec::new();
    if facts.open_incidents > 0 {
        reasons.push(StuckReason::OpenIncidents {
            count: facts.open_incidents,
        });
    }
    if let Some(due_at) = facts
        .earliest_timer_due
        .filter(|due_at| *due_at + grace < now)
    {
        reasons.push(StuckReason::TimerOverdue { due_at });
    }
    let state = definition.state(&facts.state);
    let stuck_after = state.and_then(|state| state.stuck_after);
    if let Some(stuck_after) = stuck_after.map(|after| after.as_millis())
        && facts.entered_at + stuck_after < now
    {
        let since = facts.entered_at;
        reasons.push(StuckReason::Idle { since, stuck_after });
    }
    for cycle in &facts.slas {
        if cycle.stopped_at.is_none() && cycle.paused_at.is_none() && cycle.due_at < now {
            reasons.push(StuckReason::SlaOverdue {
                sla: cycle.sla.to_string(),
                cycle: cycle.cycle,
                due_at: cycle.due_at,
            });
        }
    }
    let no_way_out = has_no_way_out(definition, state);
    if no_way_out {
        reasons.push(StuckReason::NoWayOut);
    }
    reasons
}
