//! CEL expressions for guards, `set` updates, SLA durations and action data.
//!
//! Every expression is compiled when its file loads, and the fields it names
//! are collected so the loader can check them against the declared fields
//! (CEL itself reports unknown names only at run time, without a position).

use std::collections::BTreeSet;
use std::fmt;
use std::sync::Arc;

use cel::common::ast::{EntryExpr, Expr as Node};
use cel::objects::Key;
use cel::{Context, IdedExpr, Program, Value};
use serde_json::Value as Json;

use super::expr_bindings::{Bindings, Reads, STDLIB, Scope, Use};
use super::expr_shortcut::Shortcut;

/// A compiled CEL expression, with its source kept for messages and export.
#[derive(Clone)]
pub struct Expr {
    source: String,
    program: Arc<Program>,
    /// How it reads `data` and `event`: what each evaluation must bind.
    reads: Reads,
    /// For a lone field or a field compared with a literal: the answer
    /// read from the JSON without the interpreter, when it is certain.
    shortcut: Option<Shortcut>,
}

/// The names an expression reads: `data.<field>`, `event.<field>` and the
/// top-level variables.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct References {
    pub data_fields: BTreeSet<String>,
    pub event_fields: BTreeSet<String>,
    pub variables: BTreeSet<String>,
    /// The top-level variables used other than through `.field` (passed,
    /// compared, indexed, iterated…).
    pub whole: BTreeSet<String>,
}

/// The variables every expression may use.
pub const VARIABLES: [&str; 4] = ["data", "event", "key", "state"];

/// Why an expression did not compile or did not evaluate.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ExprError {
    #[error("expression `{text}` does not compile: {message}")]
    Syntax { text: String, message: String },
    #[error("expression `{text}` failed: {message}")]
    Evaluation { text: String, message: String },
    #[error("expression `{text}` gave {found}, expected {expected}")]
    WrongType {
        text: String,
        found: String,
        expected: &'static str,
    },
}

impl Expr {
    /// Compiles `source`; a syntax error carries CEL's message.
    pub fn compile(source: &str) -> Result<Self, ExprError> {
        let program = Program::compile(source).map_err(|errors| ExprError::Syntax {
            text: source.to_owned(),
            message: errors
                .errors
                .iter()
                .map(|error| error.msg.clone())
                .collect::<Vec<_>>()
                .join("; "),
        })?;
        let mut references = References::default();
        collect(program.expression(), &mut references, &[]);
        let reads = |variable: &str| {
            if references.whole.contains(variable) {
                Use::Whole
            } else {
                Use::Fields
            }
        };
        Ok(Self {
            source: source.to_owned(),
            reads: Reads {
                data: reads("data"),
                event: reads("event"),
            },
            shortcut: Shortcut::of(program.expression()),
            program: Arc::new(program),
        })
    }

    /// The text the expression was compiled from.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The parsed program, for the load-time checks (`model::typecheck`).
    pub(crate) fn program(&self) -> &Program {
        &self.program
    }

    /// The fields and variables the expression reads.
    pub fn references(&self) -> References {
        let mut references = References::default();
        collect(self.program.expression(), &mut references, &[]);
        references
    }

    /// Evaluates the expression to a JSON value.
    pub fn eval(&self, scope: &Scope<'_>) -> Result<Json, ExprError> {
        let value = self.execute(scope)?;
        self.to_json(&value)
    }

    /// Evaluates a guard: the result must be a boolean.
    pub fn eval_bool(&self, scope: &Scope<'_>) -> Result<bool, ExprError> {
        match self.shortcut.as_ref().and_then(|cut| cut.eval_bool(scope)) {
            Some(holds) => Ok(holds),
            None => self.interpret_bool(scope),
        }
    }

    /// A guard through the interpreter.
    fn interpret_bool(&self, scope: &Scope<'_>) -> Result<bool, ExprError> {
        match self.execute(scope)? {
            Value::Bool(holds) => Ok(holds),
            other => Err(ExprError::WrongType {
                text: self.source.clone(),
                found: self.to_json(&other)?.to_string(),
                expected: "a boolean",
            }),
        }
    }

    /// Runs the program over the shared standard library, with `scope`'s
    /// variables bound as the expression reads them (`expr_bindings`).
    fn execute(&self, scope: &Scope<'_>) -> Result<Value, ExprError> {
        let bindings = Bindings::new(scope, self.reads);
        let mut context = Context::with_env(Arc::clone(&STDLIB));
        context.set_variable_resolver(&bindings);
        self.program
            .execute(&context)
            .map_err(|error| ExprError::Evaluation {
                text: self.source.clone(),
                message: error.to_string(),
            })
    }

    fn to_json(&self, value: &Value) -> Result<Json, ExprError> {
        cel_to_json(value).ok_or_else(|| self.wrong_type(value, "a JSON value"))
    }

    fn wrong_type(&self, value: &Value, expected: &'static str) -> ExprError {
        ExprError::WrongType {
            text: self.source.clone(),
            found: format!("{value:?}"),
            expected,
        }
    }
}

impl fmt::Debug for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Expr({:?})", self.source)
    }
}

impl PartialEq for Expr {
    fn eq(&self, other: &Self) -> bool {
        self.source == other.source
    }
}

/// Walks the AST; `bound` holds comprehension variables, which shadow ours.
fn collect(node: &IdedExpr, references: &mut References, bound: &[&str]) {
    match &node.expr {
        Node::Select(select) => {
            if let Node::Ident(name) = &select.operand.expr
                && !bound.contains(&name.as_str())
            {
                references.variables.insert(name.clone());
                match name.as_str() {
                    "data" => {
                        references.data_fields.insert(select.field.clone());
                    }
                    "event" => {
                        references.event_fields.insert(select.field.clone());
                    }
                    _ => {}
                }
                return;
            }
            collect(&select.operand, references, bound);
        }
        Node::Ident(name) => {
            if !bound.contains(&name.as_str()) {
                references.variables.insert(name.clone());
                references.whole.insert(name.clone());
            }
        }
        Node::Call(call) => {
            if let Some(target) = &call.target {
                collect(target, references, bound);
            }
            for arg in &call.args {
                collect(arg, references, bound);
            }
        }
        Node::List(list) => {
            for element in &list.elements {
                collect(element, references, bound);
            }
        }
        Node::Map(map) => {
            for entry in &map.entries {
                if let EntryExpr::MapEntry(entry) = &entry.expr {
                    collect(&entry.key, references, bound);
                    collect(&entry.value, references, bound);
                }
            }
        }
        Node::Struct(object) => {
            for entry in &object.entries {
                if let EntryExpr::StructField(field) = &entry.expr {
                    collect(&field.value, references, bound);
                }
            }
        }
        Node::Comprehension(comprehension) => {
            collect(&comprehension.iter_range, references, bound);
            collect(&comprehension.accu_init, references, bound);
            let mut inner: Vec<&str> = bound.to_vec();
            inner.push(&comprehension.iter_var);
            if let Some(second) = &comprehension.iter_var2 {
                inner.push(second);
            }
            inner.push(&comprehension.accu_var);
            collect(&comprehension.loop_cond, references, &inner);
            collect(&comprehension.loop_step, references, &inner);
            collect(&comprehension.result, references, &inner);
        }
        Node::Literal(_) | Node::Unspecified => {}
    }
}

/// CEL → JSON; `None` for values JSON cannot hold (functions, bytes…).
pub fn cel_to_json(value: &Value) -> Option<Json> {
    Some(match value {
        Value::Null => Json::Null,
        Value::Bool(flag) => Json::Bool(*flag),
        Value::Int(integer) => Json::from(*integer),
        Value::UInt(integer) => Json::from(*integer),
        Value::Float(float) => Json::from(serde_json::Number::from_f64(*float)?),
        Value::String(text) => Json::String(text.to_string()),
        Value::List(items) => Json::Array(items.iter().map(cel_to_json).collect::<Option<_>>()?),
        Value::Map(map) => Json::Object(
            map.map
                .iter()
                .map(|(key, value)| Some((key_to_string(key), cel_to_json(value)?)))
                .collect::<Option<_>>()?,
        ),
        // An `at` timer's instant, or a timestamp stored in the data.
        Value::Timestamp(at) => Json::String(at.to_rfc3339()),
        _ => return None,
    })
}

fn key_to_string(key: &Key) -> String {
    match key {
        Key::Int(integer) => integer.to_string(),
        Key::Uint(integer) => integer.to_string(),
        Key::Bool(flag) => flag.to_string(),
        Key::String(text) => text.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::{Map, json};

    fn scope_eval(source: &str, data: Json, event: Json) -> Result<Json, ExprError> {
        let data = data.as_object().unwrap().clone();
        let event = event.as_object().unwrap().clone();
        let scope = Scope {
            data: &data,
            event: &event,
            key: "K-1",
            state: "due",
        };
        Expr::compile(source).unwrap().eval(&scope)
    }

    #[test]
    fn evaluates_over_data_event_key_and_state() {
        let result = scope_eval(
            "data.amount > 100 && event.kind == 'x' && key == 'K-1' && state == 'due'",
            json!({"amount": 100.5}),
            json!({"kind": "x"}),
        );
        assert_eq!(result, Ok(json!(true)));
    }

    #[test]
    fn collects_data_and_event_fields_but_not_comprehension_variables() {
        let expr = Expr::compile("data.a + event.b > 0 && data.items.exists(x, x.c == 1)").unwrap();
        let references = expr.references();
        assert_eq!(
            references.data_fields,
            ["a", "items"].map(String::from).into()
        );
        assert_eq!(references.event_fields, ["b"].map(String::from).into());
        assert!(!references.variables.contains("x"));
    }

    #[test]
    fn selected_fields_read_as_from_a_whole_object() {
        let data = json!({"level": 2, "group": "net", "items": [1, 2.5], "nested": {"a": "b"}});
        let result = scope_eval(
            "data.level == 2 && data.group == 'net' && data.items[1] == 2.5 \
             && data.nested.a == 'b' && has(data.group) && !has(data.missing)",
            data,
            json!({}),
        );
        assert_eq!(result, Ok(json!(true)));
        let error = scope_eval("data.missing > 1", json!({}), json!({})).unwrap_err();
        assert_eq!(
            error.to_string(),
            "expression `data.missing > 1` failed: No such key: missing"
        );
    }

    #[test]
    fn objects_used_whole_are_bound_whole() {
        let result = scope_eval(
            "'a' in data && size(event) == 2 && event.all(k, k != 'z')",
            json!({"a": 1}),
            json!({"b": 1, "c": [1, "x"]}),
        );
        assert_eq!(result, Ok(json!(true)));
        let data = json!({"a": {"b": [1, 2.5, null, "t", true]}});
        assert_eq!(scope_eval("data", data.clone(), json!({})), Ok(data));
        assert_eq!(
            scope_eval(
                "{'to': data.a, 'key': key, 'state': state}",
                json!({"a": 1}),
                json!({})
            ),
            Ok(json!({"to": 1, "key": "K-1", "state": "due"}))
        );
    }

    #[test]
    fn the_expression_records_how_it_reads_each_object() {
        let reads = |source: &str| Expr::compile(source).unwrap().reads;
        assert_eq!(reads("data.a > event.b").data, Use::Fields);
        assert_eq!(reads("has(data.a) && event.b").event, Use::Fields);
        assert_eq!(reads("size(data) > 0").data, Use::Whole);
        assert_eq!(reads("data['a'] > 0").data, Use::Whole);
        assert_eq!(reads("data.a.exists(x, x == event)").event, Use::Whole);
        assert_eq!(reads("[1].exists(data, data > 0)").data, Use::Fields);
    }

    #[test]
    fn shortcuts_answer_as_the_interpreter_does() {
        let sources = [
            "data.level == 1",
            "1 == data.level",
            "event.flag",
            "data.name == 'a'",
            "data.flag == true",
        ];
        let values = [
            json!(1),
            json!(2),
            json!(1.0),
            json!(u64::MAX),
            json!("a"),
            json!("1"),
            json!(true),
            json!(false),
            json!(null),
            json!([1]),
            json!({"a": 1}),
        ];
        let empty = Map::new();
        let mut answered = 0;
        for source in sources {
            let expr = Expr::compile(source).unwrap();
            let shortcut = expr.shortcut.as_ref().expect("a shortcut shape");
            for value in &values {
                let object = json!({"level": value, "flag": value, "name": value});
                let object = object.as_object().unwrap();
                for (data, event) in [(object, object), (&empty, &empty)] {
                    let scope = Scope {
                        data,
                        event,
                        key: "",
                        state: "",
                    };
                    if shortcut.eval_bool(&scope).is_some() {
                        answered += 1;
                    }
                    assert_eq!(
                        expr.eval_bool(&scope),
                        expr.interpret_bool(&scope),
                        "{source} with {value}"
                    );
                }
            }
        }
        assert_eq!(answered, 10, "the shortcut answered where the types match");
        let cel_only = ["has(data.level)", "data.level > 1", "data.level == 1.0"];
        for source in cel_only {
            assert!(
                Expr::compile(source).unwrap().shortcut.is_none(),
                "{source}"
            );
        }
    }

    #[test]
    fn syntax_errors_name_the_expression() {
        let error = Expr::compile("data.a >").unwrap_err();
        assert!(
            error
                .to_string()
                .starts_with("expression `data.a >` does not compile"),
            "{error}"
        );
    }

    #[test]
    fn a_guard_must_be_boolean() {
        let data = Map::new();
        let scope = Scope {
            data: &data,
            event: &data,
            key: "",
            state: "",
        };
        let error = Expr::compile("1 + 1")
            .unwrap()
            .eval_bool(&scope)
            .unwrap_err();
        assert!(matches!(error, ExprError::WrongType { .. }));
    }
}
