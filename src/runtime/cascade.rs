//! Spawn and send effects, applied inside the transaction of the change
//! that caused them, breadth first, at most `max_cascade_depth` hops deep.
//! A refused spawn or send becomes an incident on the instance whose action
//! it was; the cause stays committed.

use std::collections::VecDeque;

use serde_json::{Map, Value as Json};
use uuid::Uuid;

use crate::engine::{self, CreateInput, Effect, EventInput, Instance, Millis, Outcome};
use crate::store::WriteTx;

use super::{Runtime, RuntimeError};

/// A spawn or send waiting to be applied, with the instance that caused it.
struct Pending {
    source: Instance,
    effect: Effect,
    depth: usize,
}

impl Runtime {
    pub(crate) async fn cascade(
        &self,
        tx: &mut WriteTx,
        source: &Instance,
        effects: &[Effect],
        now: Millis,
    ) -> Result<(), RuntimeError> {
        let mut queue = VecDeque::new();
        enqueue(&mut queue, source, effects, 1);
        while let Some(Pending {
            source,
            effect,
            depth,
        }) = queue.pop_front()
        {
            if depth > self.config.max_cascade_depth {
                let message = format!(
                    "{} not applied: more than {} hops",
                    describe(&effect),
                    self.config.max_cascade_depth
                );
                tx.open_incident(source.id, "cascade", &message, now)
                    .await?;
                continue;
            }
            match self.apply_effect(tx, &source, &effect, now).await? {
                Ok(outcomes) => {
                    for (instance, outcome) in outcomes {
                        enqueue(&mut queue, &instance, &outcome.effects, depth + 1);
                        self.note_commit(&outcome);
                    }
                }
                Err(message) => {
                    let kind = if matches!(effect, Effect::Spawn { .. }) {
                        "spawn"
                    } else {
                        "send"
                    };
                    tx.open_incident(
                        source.id,
                        kind,
                        &format!("{}: {message}", describe(&effect)),
                        now,
                    )
                    .await?;
                }
            }
        }
        Ok(())
    }

    /// Applies one effect. The outer error aborts the transaction (store
    /// trouble); the inner one is a refusal to record as an incident.
    async fn apply_effect(
        &self,
        tx: &mut WriteTx,
        source: &Instance,
        effect: &Effect,
        now: Millis,
    ) -> Result<Result<Vec<(Instance, Outcome)>, String>, RuntimeError> {
        let actor = format!("workflow:{}", source.workflow);
        match effect {
            Effect::Notify { .. } => Ok(Ok(Vec::new())),
            Effect::Spawn {
                workflow,
                key,
                data,
            } => {
                if tx.load_live(workflow, key).await?.is_some() {
                    return Ok(Err(format!("a live instance already has key `{key}`")));
                }
                Ok(self
                    .start(tx, workflow, key, data.clone(), &actor, now)
                    .await?
                    .map(|created| vec![created]))
            }
            Effect::Send {
                workflow,
                key,
                event,
                data,
                start,
            } => {
                let mut outcomes = Vec::new();
                let target = match tx.load_live(workflow, key).await? {
                    Some(target) => target,
                    None if *start => match self
                        .start(
                            tx,
                            workflow,
                            key,
                            self.creation_data(workflow, data),
                            &actor,
                            now,
                        )
                        .await?
                    {
                        Ok((created, outcome)) => {
                            outcomes.push((created.clone(), outcome));
                            created
                        }
                        Err(message) => return Ok(Err(message)),
                    },
                    None => {
                        return Ok(Err(format!(
                            "no live `{workflow}` instance has key `{key}`"
                        )));
                    }
                };
                let definition = self.definition_in(tx, &target).await?;
                let input = EventInput {
                    name: event.clone(),
                    data: data.clone(),
                    actor,
                };
                let outcome = match engine::apply(&definition, &target, &input, now) {
                    Ok(outcome) => outcome,
                    Err(rejection) => return Ok(Err(rejection.to_string())),
                };
                let stored = tx.commit_outcome(&outcome, Some(target.revision)).await?;
                outcomes.push((stored, outcome));
                Ok(Ok(outcomes))
            }
        }
    }

    /// The data a `send` starts its target with: the event's fields that the
    /// workflow declares as instance data. The event itself is applied right
    /// after, so its other fields (`amount` of a `purchase`) reach the
    /// instance the way the event says, not as creation data the workflow
    /// does not declare and would refuse.
    fn creation_data(&self, workflow: &str, data: &Map<String, Json>) -> Map<String, Json> {
        match self.definitions.current(workflow) {
            Ok(definition) => data
                .iter()
                .filter(|(name, _)| definition.data.contains_key(*name))
                .map(|(name, value)| (name.clone(), value.clone()))
                .collect(),
            Err(_) => data.clone(),
        }
    }

    /// Creates an instance of the current version of `workflow`.
    async fn start(
        &self,
        tx: &mut WriteTx,
        workflow: &str,
        key: &str,
        data: serde_json::Map<String, serde_json::Value>,
        actor: &str,
        now: Millis,
    ) -> Result<Result<(Instance, Outcome), String>, RuntimeError> {
        let definition = match self.definitions.current(workflow) {
            Ok(definition) => definition,
            Err(error) => return Ok(Err(error.to_string())),
        };
        let input = CreateInput {
            id: Uuid::now_v7(),
            key: key.to_owned(),
            data,
            actor: actor.to_owned(),
        };
        let outcome = match engine::create(&definition, input, now) {
            Ok(outcome) => outcome,
            Err(rejection) => return Ok(Err(rejection.to_string())),
        };
        let created = tx.commit_outcome(&outcome, None).await?;
        Ok(Ok((created, outcome)))
    }
}

fn enqueue(queue: &mut VecDeque<Pending>, source: &Instance, effects: &[Effect], depth: usize) {
    let cascading = effects
        .iter()
        .filter(|effect| !matches!(effect, Effect::Notify { .. }));
    queue.extend(cascading.map(|effect| Pending {
        source: source.clone(),
        effect: effect.clone(),
        depth,
    }));
}

fn describe(effect: &Effect) -> String {
    match effect {
        Effect::Notify { webhook, .. } => format!("notify `{webhook}`"),
        Effect::Spawn { workflow, key, .. } => format!("spawn `{workflow}` `{key}`"),
        Effect::Send {
            workflow,
            key,
            event,
            ..
        } => format!("send `{event}` to `{workflow}` `{key}`"),
    }
}
