//! Form inputs built from a workflow's field declarations, and the posted
//! form read back into typed JSON data.
//!
//! Each declared type gets the input a person expects: text, a number
//! (whole for integers, with min/max), a yes/no choice, a select for an
//! enum, a text area (one value per line) for a list. Required fields are
//! marked and `required`. Reading back only converts text to the declared
//! type; the runtime then checks the data exactly as for the API.

use maud::{Markup, html};
use serde_json::{Map, Number, Value as Json};

use super::i18n::Lang;
use crate::model::definition::{Field, FieldKind, NameMap};

/// The inputs of `fields`, named by field, with `prefix` making ids unique
/// in a page of several forms.
pub fn inputs(lang: Lang, prefix: &str, fields: &NameMap<Field>) -> Markup {
    html! {
        @for (name, field) in fields {
            @let id = format!("{prefix}-{name}");
            div.field {
                label for=(id) {
                    (field.title.as_deref().unwrap_or(name))
                    " " span.muted { code { (name) } }
                    @if field.required { " " span.req title=(lang.t("必填", "required")) { "*" } }
                }
                (input(lang, &id, name, field))
            }
        }
    }
}

fn input(lang: Lang, id: &str, name: &str, field: &Field) -> Markup {
    let default = field.default.as_ref().map(display);
    let required = field.required;
    match field.kind {
        FieldKind::Enum => html! {
            select id=(id) name=(name) required[required] {
                @if !required { option value="" { "—" } }
                @for value in &field.values {
                    option value=(value) selected[default.as_deref() == Some(value)] { (value) }
                }
            }
        },
        FieldKind::Boolean => html! {
            select id=(id) name=(name) required[required] {
                @if !required { option value="" { "—" } }
                option value="true" selected[default.as_deref() == Some("true")] { (lang.t("是", "yes")) }
                option value="false" selected[default.as_deref() == Some("false")] { (lang.t("否", "no")) }
            }
        },
        FieldKind::Integer | FieldKind::Number => html! {
            input id=(id) type="number" name=(name) required[required]
                step=(if field.kind == FieldKind::Integer { "1" } else { "any" })
                min=[field.min] max=[field.max] value=[default];
        },
        FieldKind::List => html! {
            textarea id=(id) name=(name) required[required]
                placeholder=(lang.t("每行一個值", "one value per line")) { (default.unwrap_or_default()) }
        },
        FieldKind::String => html! {
            input id=(id) type="text" name=(name) required[required] value=[default];
        },
    }
}

/// A stored value as a person reads it: text as it is, the rest as JSON.
pub fn display(value: &Json) -> String {
    match value {
        Json::String(text) => text.clone(),
        Json::Array(items) => items.iter().map(display).collect::<Vec<_>>().join("\n"),
        other => other.to_string(),
    }
}

/// The declared fields found in `form`, converted to their types. Empty
/// inputs are left out (the runtime then names a missing required field).
/// Inputs that are not declared fields (the CSRF token…) are ignored.
pub fn read(
    lang: Lang,
    fields: &NameMap<Field>,
    form: &[(String, String)],
) -> Result<Map<String, Json>, Vec<String>> {
    let mut data = Map::new();
    let mut errors = Vec::new();
    for (name, field) in fields {
        let Some(text) = form
            .iter()
            .find(|(input, _)| input == name)
            .map(|(_, value)| value.trim())
            .filter(|value| !value.is_empty())
        else {
            continue;
        };
        match convert(field.kind, text) {
            Some(value) => {
                data.insert(name.clone(), value);
            }
            None => errors.push(format!(
                "{}: `{text}` {}",
                field.title.as_deref().unwrap_or(name),
                match field.kind {
                    FieldKind::Integer => lang.t("不是整數", "is not a whole number"),
                    FieldKind::Number => lang.t("不是數字", "is not a number"),
                    _ => lang.t("不是有效的值", "is not a valid value"),
                }
            )),
        }
    }
    if errors.is_empty() {
        Ok(data)
    } else {
        Err(errors)
    }
}

fn convert(kind: FieldKind, text: &str) -> Option<Json> {
    match kind {
        FieldKind::String | FieldKind::Enum => Some(Json::String(text.to_owned())),
        FieldKind::Integer => text.parse::<i64>().ok().map(Json::from),
        FieldKind::Number => text
            .parse::<f64>()
            .ok()
            .and_then(Number::from_f64)
            .map(Json::Number),
        FieldKind::Boolean => match text {
            "true" => Some(Json::Bool(true)),
            "false" => Some(Json::Bool(false)),
            _ => None,
        },
        FieldKind::List => Some(Json::Array(
            text.lines()
                .map(str::trim)
                .filter(|line| !line.is_empty())
                .map(|line| Json::String(line.to_owned()))
                .collect(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(kind: FieldKind, required: bool) -> Field {
        Field {
            kind,
            title: Some("標題".to_owned()),
            required,
            default: None,
            min: Some(1.0),
            max: Some(4.0),
            values: vec!["user".to_owned(), "customer".to_owned()],
        }
    }

    fn declared() -> NameMap<Field> {
        NameMap::from_iter([
            ("level".to_owned(), field(FieldKind::Integer, true)),
            ("source".to_owned(), field(FieldKind::Enum, false)),
            ("ok".to_owned(), field(FieldKind::Boolean, false)),
            ("tags".to_owned(), field(FieldKind::List, false)),
            ("note".to_owned(), field(FieldKind::String, false)),
        ])
    }

    fn form(pairs: &[(&str, &str)]) -> Vec<(String, String)> {
        pairs
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect()
    }

    #[test]
    fn posted_text_becomes_the_declared_types_and_blanks_are_left_out() {
        let data = read(
            Lang::En,
            &declared(),
            &form(&[
                ("_csrf", "x"),
                ("level", "2"),
                ("source", "customer"),
                ("ok", "false"),
                ("tags", "a\n\n b \n"),
                ("note", "  "),
            ]),
        )
        .unwrap();
        assert_eq!(
            Json::Object(data),
            serde_json::json!({"level": 2, "source": "customer", "ok": false, "tags": ["a", "b"]})
        );
    }

    #[test]
    fn text_that_is_not_the_type_is_named() {
        let errors = read(Lang::En, &declared(), &form(&[("level", "two")])).unwrap_err();
        assert_eq!(errors, vec!["標題: `two` is not a whole number"]);
    }

    #[test]
    fn inputs_mark_required_fields_and_offer_enum_values() {
        let html = inputs(Lang::En, "e", &declared()).into_string();
        assert!(
            html.contains(r#"name="level" required step="1" min="1" max="4""#),
            "{html}"
        );
        assert!(
            html.contains(r#"<option value="customer">customer</option>"#),
            "{html}"
        );
        assert!(html.contains(r#"class="req""#));
    }
}
