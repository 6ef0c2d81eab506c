//! Instance data: what is checked when it is created, when an event brings
//! fields, and when `set` computes new values. All three go through
//! `model::fields` so the loader and the engine agree on valid values.

use serde_json::{Map, Value as Json};

use super::step::Step;
use super::types::Rejection;
use crate::model::Definition;
use crate::model::definition::{Field, NameMap, Transition};
use crate::model::fields::{self, FieldError};

/// The create data checked against the declared data fields, defaults filled.
pub(super) fn check_create(
    definition: &Definition,
    given: &Map<String, Json>,
) -> Result<Map<String, Json>, Rejection> {
    fields::check_object(&definition.data, given, "data")
        .map_err(|errors| Rejection::DataInvalid { errors })
}

/// An event's data checked against its declared fields, defaults filled.
pub(super) fn check_event(
    declared: Option<&NameMap<Field>>,
    given: &Map<String, Json>,
) -> Result<Map<String, Json>, Rejection> {
    let none = NameMap::default();
    fields::check_object(declared.unwrap_or(&none), given, "event")
        .map_err(|errors| Rejection::DataInvalid { errors })
}

/// Writes `values` into the instance data, each checked (and coerced) against
/// the field it lands in, reporting every bad one as `data.<field>`. A field
/// the data already has keeps its place and its key; only its value is
/// replaced.
pub(super) fn assign<'v>(
    step: &mut Step<'_>,
    values: impl IntoIterator<Item = (&'v String, &'v Json)>,
) -> Result<(), Rejection> {
    let mut errors = Vec::new();
    for (name, value) in values {
        let stored = match declared_field(step.definition, name) {
            Some(field) => match fields::check_value(field, value) {
                Ok(stored) => stored,
                Err(message) => {
                    errors.push(FieldError {
                        path: format!("data.{name}"),
                        message,
                    });
                    continue;
                }
            },
            None => value.clone(),
        };
        match step.instance.data.get_mut(name) {
            Some(slot) => *slot = stored,
            None => {
                step.instance.data.insert(name.clone(), stored);
            }
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(Rejection::DataInvalid { errors })
    }
}

/// Evaluates every `set` of `transition` against the data as it is now
/// (before any of them is assigned), then assigns them all.
pub(super) fn apply_set(
    step: &mut Step<'_>,
    transition: &Transition,
    event: &Map<String, Json>,
) -> Result<(), Rejection> {
    if transition.set.is_empty() {
        return Ok(());
    }
    let scope = step.scope(event);
    let values = transition
        .set
        .iter()
        .map(|(field, expr)| Ok((field, expr.eval(&scope)?)))
        .collect::<Result<Vec<_>, Rejection>>()?;
    assign(step, values.iter().map(|(field, value)| (*field, value)))
}

/// The declaration a data value must satisfy: the data field, else (for a
/// field only events bring) the field of the first merging event with it.
fn declared_field<'d>(definition: &'d Definition, name: &str) -> Option<&'d Field> {
    definition.data.get(name).or_else(|| {
        definition
            .events
            .values()
            .filter(|event| event.merge)
            .find_map(|event| event.fields.get(name))
    })
}
