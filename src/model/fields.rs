//! Checking values against declared fields: types, required, min/max, enums.
//!
//! Used by the loader (defaults) and by the engine (create data, event data,
//! and the data after `set`), so both agree on what a valid value is.

use indexmap::IndexMap;
use serde_json::{Map, Value as Json};

use super::definition::{Field, FieldKind};

/// One field that failed, with its path (e.g. `data.level`).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    pub path: String,
    pub message: String,
}

/// Checks `value` against `field`; returns the value as stored (an integer
/// given for a `number` field becomes a float) or what is wrong with it.
pub fn check_value(field: &Field, value: &Json) -> Result<Json, String> {
    let stored = match (field.kind, value) {
        (FieldKind::String, Json::String(_))
        | (FieldKind::Boolean, Json::Bool(_))
        | (FieldKind::List, Json::Array(_)) => value.clone(),
        (FieldKind::Integer, Json::Number(number)) if number.is_i64() => value.clone(),
        (FieldKind::Integer, Json::Number(number))
            if number
                .as_f64()
                .is_some_and(|f| f.fract() == 0.0 && f.abs() < 9.0e15) =>
        {
            Json::from(number.as_f64().unwrap_or_default() as i64)
        }
        (FieldKind::Number, Json::Number(number)) => {
            match number.as_f64().and_then(serde_json::Number::from_f64) {
                Some(float) => Json::Number(float),
                None => return Err("is not a finite number".into()),
            }
        }
        (FieldKind::Enum, Json::String(text)) => {
            if !field.values.iter().any(|allowed| allowed == text) {
                return Err(format!("must be one of {}", field.values.join(", ")));
            }
            value.clone()
        }
        _ => return Err(format!("must be {}", kind_name(field.kind))),
    };
    check_bounds(field, &stored)?;
    Ok(stored)
}

fn check_bounds(field: &Field, value: &Json) -> Result<(), String> {
    let (measure, what) = match value {
        Json::Number(number) => (number.as_f64().unwrap_or_default(), "value"),
        Json::String(text) => (text.chars().count() as f64, "length"),
        Json::Array(items) => (items.len() as f64, "length"),
        _ => return Ok(()),
    };
    if let Some(min) = field.min
        && measure < min
    {
        return Err(format!("{what} must be at least {min}"));
    }
    if let Some(max) = field.max
        && measure > max
    {
        return Err(format!("{what} must be at most {max}"));
    }
    Ok(())
}

/// What a value of `kind` must be: an enum's value is named by what it
/// may be, not by its kind.
fn kind_name(kind: FieldKind) -> &'static str {
    match kind {
        FieldKind::Enum => "one of the listed values",
        other => other.with_article(),
    }
}

/// Checks a whole object against declared fields: required ones present,
/// each given one valid, undeclared ones rejected; fills in defaults.
/// `prefix` names the object in paths (`data`, `event`).
pub fn check_object(
    fields: &IndexMap<String, Field>,
    given: &Map<String, Json>,
    prefix: &str,
) -> Result<Map<String, Json>, Vec<FieldError>> {
    let mut checked = Map::new();
    let mut errors = Vec::new();
    for (name, field) in fields {
        match given.get(name) {
            Some(Json::Null) | None => {
                if let Some(default) = &field.default {
                    // Stored like a given value: `default = 0` on a number
                    // field becomes 0.0, so CEL arithmetic stays double.
                    let stored = check_value(field, default).unwrap_or_else(|_| default.clone());
                    checked.insert(name.clone(), stored);
                } else if field.required {
                    errors.push(FieldError {
                        path: format!("{prefix}.{name}"),
                        message: "is required".into(),
                    });
                }
            }
            Some(value) => match check_value(field, value) {
                Ok(stored) => {
                    checked.insert(name.clone(), stored);
                }
                Err(message) => errors.push(FieldError {
                    path: format!("{prefix}.{name}"),
                    message,
                }),
            },
        }
    }
    for name in given.keys().filter(|name| !fields.contains_key(*name)) {
        errors.push(FieldError {
            path: format!("{prefix}.{name}"),
            message: "is not a declared field".into(),
        });
    }
    if errors.is_empty() {
        Ok(checked)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field(kind: FieldKind) -> Field {
        Field {
            kind,
            title: None,
            required: false,
            default: None,
            min: None,
            max: None,
            values: Vec::new(),
        }
    }

    #[test]
    fn numbers_are_stored_as_floats_and_integers_must_be_whole() {
        assert_eq!(
            check_value(&field(FieldKind::Number), &json!(100)),
            Ok(json!(100.0))
        );
        assert_eq!(
            check_value(&field(FieldKind::Integer), &json!(3.0)),
            Ok(json!(3))
        );
        assert!(check_value(&field(FieldKind::Integer), &json!(3.5)).is_err());
    }

    #[test]
    fn bounds_and_enums_are_enforced() {
        let level = Field {
            min: Some(1.0),
            max: Some(4.0),
            ..field(FieldKind::Integer)
        };
        assert_eq!(
            check_value(&level, &json!(5)),
            Err("value must be at most 4".into())
        );
        let source = Field {
            values: vec!["user".into()],
            ..field(FieldKind::Enum)
        };
        assert!(check_value(&source, &json!("robot")).is_err());
    }

    #[test]
    fn objects_report_every_bad_field_with_its_path() {
        let mut fields = IndexMap::new();
        fields.insert(
            "level".to_owned(),
            Field {
                required: true,
                ..field(FieldKind::Integer)
            },
        );
        fields.insert(
            "source".to_owned(),
            Field {
                default: Some(json!("user")),
                ..field(FieldKind::String)
            },
        );
        let given = json!({"extra": 1}).as_object().unwrap().clone();
        let errors = check_object(&fields, &given, "data").unwrap_err();
        let paths: Vec<_> = errors.iter().map(|error| error.path.as_str()).collect();
        assert_eq!(paths, ["data.level", "data.extra"]);
        let ok = check_object(
            &fields,
            &json!({"level": 2}).as_object().unwrap().clone(),
            "data",
        )
        .unwrap();
        assert_eq!(Json::Object(ok), json!({"level": 2, "source": "user"}));
    }

    #[test]
    fn defaults_are_stored_like_given_values() {
        let mut fields = IndexMap::new();
        fields.insert(
            "total".to_owned(),
            Field {
                default: Some(json!(0)),
                ..field(FieldKind::Number)
            },
        );
        let checked = check_object(&fields, &Map::new(), "data").unwrap();
        assert_eq!(checked["total"], json!(0.0));
        assert!(checked["total"].is_f64());
    }
}
