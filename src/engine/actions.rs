//! Actions become [`Effect`]s: evaluated now, against the data as it is
//! after the transition, and handed to the runtime, which commits them with
//! the change that caused them (the outbox). The engine never performs them.

use serde_json::{Map, Value as Json, json};

use super::history::HistoryData;
use super::step::{Line, Step};
use super::types::{Effect, Rejection};
use crate::model::definition::Action;
use crate::model::{Expr, ExprError, Name, Scope};

/// Evaluates `actions` in order, records each as an `action` history line
/// and queues its effect.
pub(super) fn run(
    step: &mut Step<'_>,
    actions: &[Action],
    event: &Map<String, Json>,
    actor: &Name,
) -> Result<(), Rejection> {
    for action in actions {
        let effect = evaluate(step, action, event)?;
        let state = step.instance.state.clone();
        let line = Line {
            event: None,
            from: Some(&state),
            to: Some(&state),
            actor,
        };
        step.record(line, HistoryData::Action(effect.clone()));
        step.effects.push(effect);
    }
    Ok(())
}

fn evaluate(
    step: &Step<'_>,
    action: &Action,
    event: &Map<String, Json>,
) -> Result<Effect, Rejection> {
    let scope = step.scope(event);
    Ok(match action {
        Action::Notify { webhook, payload } => Effect::Notify {
            webhook: webhook.clone(),
            payload: if payload.is_empty() {
                default_payload(step)
            } else {
                Json::Object(object(payload, &scope)?)
            },
        },
        Action::Spawn {
            workflow,
            key,
            data,
        } => Effect::Spawn {
            workflow: workflow.clone(),
            key: business_key(key, &scope)?,
            data: object(data, &scope)?,
        },
        Action::Send {
            workflow,
            key,
            event,
            data,
            start,
        } => Effect::Send {
            workflow: workflow.clone(),
            key: business_key(key, &scope)?,
            event: event.clone(),
            data: object(data, &scope)?,
            start: *start,
        },
    })
}

/// What a webhook receives when the file gives no payload: enough to find
/// and understand the instance.
fn default_payload(step: &Step<'_>) -> Json {
    let instance = &step.instance;
    json!({
        "instance": instance.id,
        "workflow": instance.workflow,
        "key": instance.key,
        "state": instance.state,
        "data": instance.data,
    })
}

fn object(entries: &[(String, Expr)], scope: &Scope<'_>) -> Result<Map<String, Json>, ExprError> {
    entries
        .iter()
        .map(|(name, expr)| Ok((name.clone(), expr.eval(scope)?)))
        .collect()
}

/// A business key is text; a number (an order id held as a number) is
/// written out, whole numbers without a fraction (`number` fields hold
/// doubles, and `1024.0` is not the key anyone means). Anything else is a
/// mistake in the file.
fn business_key(expr: &Expr, scope: &Scope<'_>) -> Result<String, ExprError> {
    match expr.eval(scope)? {
        Json::String(text) => Ok(text),
        Json::Number(number) => Ok(match number.as_f64() {
            Some(float) if !number.is_i64() && float.fract() == 0.0 && float.abs() < 9.0e15 => {
                (float as i64).to_string()
            }
            _ => number.to_string(),
        }),
        other => Err(ExprError::WrongType {
            text: expr.source().to_owned(),
            found: other.to_string(),
            expected: "a string or a number",
        }),
    }
}
