//! TEMPORARY stand-in for the engine (branch `engine`), removed when it lands.
#![allow(clippy::all)]
use serde_json::{Map, Value as Json};

use super::types::*;
use crate::model::definition::{Action, Schedule};
use crate::model::{Definition, Scope};

fn fresh(def: &Definition, instance: Instance) -> Outcome {
    let _ = def;
    Outcome {
        instance,
        history: vec![],
        transition: None,
        timers_set: vec![],
        timers_cancelled: vec![],
        sla_changes: vec![],
        effects: vec![],
    }
}

fn enter(
    def: &Definition,
    out: &mut Outcome,
    state: &str,
    now: Millis,
    created: bool,
) -> Result<(), Rejection> {
    let old = out.instance.state.clone();
    if !created {
        for timer in def.timers.values().filter(|t| t.states.contains(&old)) {
            out.instance.timers.retain(|p| p.name != timer.name);
            out.timers_cancelled.push(timer.name.clone());
        }
    }
    out.instance.state = state.to_owned();
    out.instance.entered_at = now;
    for timer in def
        .timers
        .values()
        .filter(|t| t.states.iter().any(|s| s == state) || (created && t.states.is_empty()))
    {
        let period = match timer.schedule {
            Schedule::After(d) | Schedule::Every(d) => d.as_millis(),
        };
        let pending = PendingTimer {
            name: timer.name.clone(),
            due_at: now + period,
            fires: Fires::Event(timer.event.clone()),
        };
        out.instance.timers.retain(|p| p.name != timer.name);
        out.instance.timers.push(pending.clone());
        out.timers_cancelled.retain(|n| n != &timer.name);
        out.timers_set.push(pending);
    }
    if def.state(state).is_some_and(|s| s.terminal) {
        out.instance.status = Status::Completed;
        out.instance.timers.clear();
    }
    let actions = def
        .state(state)
        .map(|s| s.on_enter.clone())
        .unwrap_or_default();
    run_actions(&actions, out, &Map::new())
}

fn run_actions(
    actions: &[Action],
    out: &mut Outcome,
    event: &Map<String, Json>,
) -> Result<(), Rejection> {
    let inst = out.instance.clone();
    let scope = Scope {
        data: &inst.data,
        event,
        key: &inst.key,
        state: &inst.state,
    };
    let eval_map =
        |pairs: &[(String, crate::model::Expr)]| -> Result<Map<String, Json>, Rejection> {
            pairs
                .iter()
                .map(|(k, e)| Ok((k.clone(), e.eval(&scope)?)))
                .collect()
        };
    for action in actions {
        out.effects.push(match action {
            Action::Notify { webhook, payload } => Effect::Notify {
                webhook: webhook.clone(),
                payload: Json::Object(eval_map(payload)?),
            },
            Action::Spawn {
                workflow,
                key,
                data,
            } => Effect::Spawn {
                workflow: workflow.clone(),
                key: key.eval(&scope)?.as_str().unwrap_or_default().to_owned(),
                data: eval_map(data)?,
            },
            Action::Send {
                workflow,
                key,
                event,
                data,
                start,
            } => Effect::Send {
                workflow: workflow.clone(),
                key: key.eval(&scope)?.as_str().unwrap_or_default().to_owned(),
                event: event.clone(),
                data: eval_map(data)?,
                start: *start,
            },
        });
    }
    Ok(())
}

pub fn create(
    definition: &Definition,
    input: CreateInput,
    now: Millis,
) -> Result<Outcome, Rejection> {
    let mut data = Map::new();
    for (name, field) in &definition.data {
        if let Some(default) = &field.default {
            data.insert(name.clone(), default.clone());
        }
    }
    data.extend(input.data);
    let instance = Instance {
        id: input.id,
        workflow: definition.id.clone(),
        version: definition.version,
        definition_hash: definition.source.hash.clone(),
        key: input.key,
        state: definition.start.clone(),
        status: Status::Active,
        data,
        created_at: now,
        updated_at: now,
        entered_at: now,
        slas: vec![],
        timers: vec![],
        revision: 0,
    };
    let mut out = fresh(definition, instance);
    out.history.push(HistoryEntry {
        kind: HistoryKind::Created,
        at: now,
        event: None,
        from: None,
        to: Some(definition.start.clone()),
        actor: input.actor,
        data: Json::Null,
    });
    enter(definition, &mut out, &definition.start.clone(), now, true)?;
    Ok(out)
}

pub fn apply(
    definition: &Definition,
    instance: &Instance,
    event: &EventInput,
    now: Millis,
) -> Result<Outcome, Rejection> {
    step(definition, instance, event, now, HistoryKind::Event)
}

fn step(
    definition: &Definition,
    instance: &Instance,
    event: &EventInput,
    now: Millis,
    kind: HistoryKind,
) -> Result<Outcome, Rejection> {
    if instance.status != Status::Active {
        return Err(Rejection::InstanceEnded {
            status: instance.status,
        });
    }
    let Some(transitions) = definition.transitions(&instance.state, &event.name) else {
        return Err(Rejection::EventNotAllowed {
            event: event.name.clone(),
            state: instance.state.clone(),
            allowed: definition
                .allowed_events(&instance.state)
                .into_iter()
                .map(String::from)
                .collect(),
        });
    };
    let mut out = fresh(definition, instance.clone());
    out.instance.updated_at = now;
    if definition.events.get(&event.name).is_some_and(|e| e.merge) {
        out.instance.data.extend(event.data.clone());
    }
    let scope = Scope {
        data: &instance.data,
        event: &event.data,
        key: &instance.key,
        state: &instance.state,
    };
    let mut chosen = None;
    for t in transitions {
        if t.guard
            .as_ref()
            .map(|g| g.eval_bool(&scope))
            .transpose()?
            .unwrap_or(true)
        {
            chosen = Some(t);
            break;
        }
    }
    let Some(t) = chosen else {
        return Err(Rejection::NoGuardHolds {
            event: event.name.clone(),
            state: instance.state.clone(),
        });
    };
    for (field, expr) in &t.set {
        let v = expr.eval(&scope)?;
        out.instance.data.insert(field.clone(), v);
    }
    let to = t.to.clone().unwrap_or_else(|| instance.state.clone());
    out.history.push(HistoryEntry {
        kind,
        at: now,
        event: Some(event.name.clone()),
        from: Some(instance.state.clone()),
        to: Some(to.clone()),
        actor: event.actor.clone(),
        data: Json::Object(event.data.clone()),
    });
    out.transition = Some(TransitionRecord {
        event: event.name.clone(),
        from: instance.state.clone(),
        to: to.clone(),
        at: now,
    });
    run_actions(&t.actions, &mut out, &event.data)?;
    if t.to.is_some() {
        enter(definition, &mut out, &to, now, false)?;
    }
    Ok(out)
}

pub fn fire_timer(
    definition: &Definition,
    instance: &Instance,
    timer: &str,
    now: Millis,
) -> Result<Outcome, Rejection> {
    let Some(pending) = instance.timers.iter().find(|p| p.name == timer).cloned() else {
        return Err(Rejection::NoSuchTimer {
            name: timer.to_owned(),
        });
    };
    let mut base = instance.clone();
    base.timers.retain(|p| p.name != timer);
    let Fires::Event(event) = &pending.fires else {
        let mut o = fresh(definition, base);
        o.timers_cancelled.push(timer.to_owned());
        return Ok(o);
    };
    let mut out = step(
        definition,
        &base,
        &EventInput {
            name: event.clone(),
            data: Map::new(),
            actor: "timer".into(),
        },
        now,
        HistoryKind::Timer,
    )?;
    if let Some(Schedule::Every(d)) = definition.timers.get(timer).map(|t| t.schedule) {
        if out.instance.status == Status::Active
            && !out.instance.timers.iter().any(|p| p.name == timer)
        {
            let again = PendingTimer {
                name: timer.to_owned(),
                due_at: pending.due_at + d.as_millis(),
                fires: pending.fires.clone(),
            };
            out.instance.timers.push(again.clone());
            out.timers_set.push(again);
        }
    }
    if !out.timers_set.iter().any(|p| p.name == timer) {
        out.timers_cancelled.push(timer.to_owned());
    }
    Ok(out)
}

pub fn cancel(
    definition: &Definition,
    instance: &Instance,
    reason: &str,
    actor: &str,
    now: Millis,
) -> Result<Outcome, Rejection> {
    if instance.status != Status::Active {
        return Err(Rejection::InstanceEnded {
            status: instance.status,
        });
    }
    let mut out = fresh(definition, instance.clone());
    out.instance.status = Status::Cancelled;
    out.instance.updated_at = now;
    out.timers_cancelled = out.instance.timers.drain(..).map(|p| p.name).collect();
    out.history.push(HistoryEntry {
        kind: HistoryKind::Admin,
        at: now,
        event: Some("cancel".into()),
        from: Some(instance.state.clone()),
        to: Some(instance.state.clone()),
        actor: actor.into(),
        data: serde_json::json!({ "reason": reason }),
    });
    Ok(out)
}

pub fn move_to(
    definition: &Definition,
    instance: &Instance,
    state: &str,
    reason: &str,
    actor: &str,
    now: Millis,
) -> Result<Outcome, Rejection> {
    if instance.status != Status::Active {
        return Err(Rejection::InstanceEnded {
            status: instance.status,
        });
    }
    let mut out = fresh(definition, instance.clone());
    out.instance.updated_at = now;
    out.history.push(HistoryEntry {
        kind: HistoryKind::Admin,
        at: now,
        event: Some("move".into()),
        from: Some(instance.state.clone()),
        to: Some(state.into()),
        actor: actor.into(),
        data: serde_json::json!({ "reason": reason }),
    });
    enter(definition, &mut out, state, now, false)?;
    Ok(out)
}
