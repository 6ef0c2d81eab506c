//! Spawn and send effects, applied inside the transaction of the change
//! that caused them, breadth first, at most `max_cascade_depth` hops deep.
//! A refused spawn or send becomes an incident on the instance whose action
//! it was; the cause stays committed.

use std::collections::VecDeque;
use std::fmt;

use serde_json::{Map, Value as Json, json};

use super::RuntimeError;
use super::audit::instance_change;
use super::change::Change;
use crate::audit::AuditAction;
use crate::engine::{self, Actor, CreateInput, Effect, EventInput, Instance, Outcome, Rejection};
use crate::store::IncidentKind;

/// A spawn or send waiting to be applied, with the instance that caused it.
struct Pending {
    source: Instance,
    effect: Effect,
    depth: usize,
}

/// Why a spawn or send was not applied; the cause stays committed.
#[derive(Debug)]
enum Refusal {
    /// A spawn found its key held by a live instance.
    KeyInUse { key: String },
    /// A send without `start` found no live instance with its key.
    NoLiveInstance { workflow: String, key: String },
    /// The target workflow is not loaded (any more).
    UnknownWorkflow(String),
    /// The engine refused the create or the event.
    Rejected(Rejection),
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Refusal::KeyInUse { key } => write!(f, "a live instance already has key `{key}`"),
            Refusal::NoLiveInstance { workflow, key } => {
                write!(f, "no live `{workflow}` instance has key `{key}`")
            }
            Refusal::UnknownWorkflow(workflow) => write!(f, "workflow `{workflow}` not found"),
            Refusal::Rejected(rejection) => rejection.fmt(f),
        }
    }
}

/// What starting an instance for a spawn or send did.
enum Started {
    /// The instance as stored, and the outcome that created it.
    Created(Box<(Instance, Outcome)>),
    Refused(Refusal),
}

/// What applying one effect did.
enum Applied {
    /// The instances it created or changed, with their outcomes (whose own
    /// spawns and sends come next).
    Changed(Vec<(Instance, Outcome)>),
    Refused(Refusal),
}

impl Change<'_> {
    /// Applies the spawns and sends among `effects` of `source`, and what
    /// they cause in turn.
    pub(super) async fn cascade(
        &mut self,
        source: &Instance,
        effects: &[Effect],
    ) -> Result<(), RuntimeError> {
        let max_depth = self.runtime().config.max_cascade_depth;
        let mut queue = VecDeque::new();
        enqueue(&mut queue, source, effects, 1);
        while let Some(Pending {
            source,
            effect,
            depth,
        }) = queue.pop_front()
        {
            if depth > max_depth {
                let message = format!(
                    "{} not applied: more than {max_depth} hops",
                    describe(&effect)
                );
                self.open_incident(source.id, IncidentKind::Cascade, &message)
                    .await?;
                continue;
            }
            match self.apply_effect(&source, &effect).await? {
                Applied::Changed(changed) => {
                    for (instance, outcome) in changed {
                        enqueue(&mut queue, &instance, &outcome.effects, depth + 1);
                    }
                }
                Applied::Refused(refusal) => {
                    let kind = match effect {
                        Effect::Spawn { .. } => IncidentKind::Spawn,
                        _ => IncidentKind::Send,
                    };
                    let message = format!("{}: {refusal}", describe(&effect));
                    self.open_incident(source.id, kind, &message).await?;
                }
            }
        }
        Ok(())
    }

    /// Applies one effect. An error aborts the transaction (store trouble);
    /// a refusal is for an incident.
    async fn apply_effect(
        &mut self,
        source: &Instance,
        effect: &Effect,
    ) -> Result<Applied, RuntimeError> {
        let actor = Actor::Workflow(source.workflow.to_string());
        match effect {
            Effect::Notify { .. } => Ok(Applied::Changed(Vec::new())),
            Effect::Spawn {
                workflow,
                key,
                data,
            } => {
                if self.load_live(workflow, key).await?.is_some() {
                    return Ok(Applied::Refused(Refusal::KeyInUse { key: key.clone() }));
                }
                Ok(
                    match self.start(workflow, key, data.clone(), &actor).await? {
                        Started::Created(created) => Applied::Changed(vec![*created]),
                        Started::Refused(refusal) => Applied::Refused(refusal),
                    },
                )
            }
            Effect::Send {
                workflow,
                key,
                event,
                data,
                start,
            } => {
                let mut changed = Vec::new();
                let target = match self.load_live(workflow, key).await? {
                    Some(target) => target,
                    None if *start => {
                        let data = self.creation_data(workflow, data);
                        match self.start(workflow, key, data, &actor).await? {
                            Started::Created(created) => {
                                let instance = created.0.clone();
                                changed.push(*created);
                                instance
                            }
                            Started::Refused(refusal) => return Ok(Applied::Refused(refusal)),
                        }
                    }
                    None => {
                        return Ok(Applied::Refused(Refusal::NoLiveInstance {
                            workflow: workflow.clone(),
                            key: key.clone(),
                        }));
                    }
                };
                let definition = self.definition_of(&target).await?;
                let input = EventInput {
                    name: event.as_str().into(),
                    data: data.clone(),
                    actor: actor.to_string().into(),
                };
                let revision = target.revision;
                let outcome = match engine::apply(&definition, target, &input, self.now()) {
                    Ok(outcome) => outcome,
                    Err(rejection) => return Ok(Applied::Refused(Refusal::Rejected(rejection))),
                };
                let audit = instance_change(
                    AuditAction::InstanceEvent,
                    &actor,
                    None,
                    &outcome,
                    json!({ "from_instance": source.id }),
                );
                let stored = self.write(&outcome, Some(revision), audit).await?;
                changed.push((stored, outcome));
                Ok(Applied::Changed(changed))
            }
        }
    }

    /// The data a `send` starts its target with: the event's fields that the
    /// workflow declares as instance data. The event itself is applied right
    /// after, so its other fields (`amount` of a `purchase`) reach the
    /// instance the way the event says, not as creation data the workflow
    /// does not declare and would refuse.
    fn creation_data(&self, workflow: &str, data: &Map<String, Json>) -> Map<String, Json> {
        match self.current_definition(workflow) {
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
        &mut self,
        workflow: &str,
        key: &str,
        data: Map<String, Json>,
        actor: &Actor,
    ) -> Result<Started, RuntimeError> {
        let definition = match self.current_definition(workflow) {
            Ok(definition) => definition,
            Err(_) => {
                let workflow = workflow.to_owned();
                return Ok(Started::Refused(Refusal::UnknownWorkflow(workflow)));
            }
        };
        let input = CreateInput {
            id: self.new_id(),
            key: key.into(),
            data,
            actor: actor.to_string().into(),
        };
        let outcome = match engine::create(&definition, input, self.now()) {
            Ok(outcome) => outcome,
            Err(rejection) => return Ok(Started::Refused(Refusal::Rejected(rejection))),
        };
        let audit = instance_change(
            AuditAction::InstanceCreate,
            actor,
            None,
            &outcome,
            json!({ "version": definition.version }),
        );
        let created = self.write(&outcome, None, audit).await?;
        Ok(Started::Created(Box::new((created, outcome))))
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
