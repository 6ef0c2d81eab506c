//! Conditions simple enough to answer from the JSON directly.
//!
//! Most guards and `within` cases of real workflows are one field read
//! (`event.needs_change`) or one field compared with a literal
//! (`data.level == 1`). Running those through the interpreter costs a
//! context, a resolver and a converted value per evaluation, which was a
//! large part of a step. A [`Shortcut`] answers them from the field as it
//! is stored, but only when the answer is certain to be CEL's: the field is
//! present and has exactly the literal's type (a boolean for a lone field).
//! Anything else (a missing field, a double against an integer, a string
//! against a number) returns `None` and the caller runs CEL, so errors and
//! CEL's own rules for mixed types stay as they are.

use cel::IdedExpr;
use cel::common::ast::operators::EQUALS;
use cel::common::ast::{Expr as Node, LiteralValue};
use serde_json::{Map, Value as Json};

use super::expr_bindings::Scope;

/// A condition answered without the interpreter when the data allows.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Shortcut {
    /// `data.field` or `event.field`, alone.
    Field(Object, String),
    /// `object.field == literal`, either way round.
    Equals(Object, String, Literal),
}

/// The object variable a shortcut reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Object {
    Data,
    Event,
}

/// The literals a shortcut compares with: those whose CEL equality with a
/// JSON value of the same type is plain equality.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Literal {
    Int(i64),
    String(String),
    Bool(bool),
}

impl Shortcut {
    /// The shortcut for a compiled expression, when it has one of the
    /// shapes above.
    pub fn of(node: &IdedExpr) -> Option<Self> {
        match &node.expr {
            Node::Select(_) => {
                let (object, field) = field(node)?;
                Some(Shortcut::Field(object, field))
            }
            Node::Call(call) if call.func_name == EQUALS && call.target.is_none() => {
                let [left, right] = call.args.as_slice() else {
                    return None;
                };
                let ((object, field), literal) = match (field(left), literal(right)) {
                    (Some(read), Some(literal)) => (read, literal),
                    _ => (field(right)?, literal(left)?),
                };
                Some(Shortcut::Equals(object, field, literal))
            }
            _ => None,
        }
    }

    /// The condition's value, or `None` when only CEL can say.
    pub fn eval_bool(&self, scope: &Scope<'_>) -> Option<bool> {
        match self {
            Shortcut::Field(object, field) => match object.read(scope).get(field)? {
                Json::Bool(holds) => Some(*holds),
                _ => None,
            },
            Shortcut::Equals(object, field, literal) => {
                match (object.read(scope).get(field)?, literal) {
                    (Json::Number(number), Literal::Int(wanted)) => {
                        number.as_i64().map(|found| found == *wanted)
                    }
                    (Json::String(found), Literal::String(wanted)) => Some(found == wanted),
                    (Json::Bool(found), Literal::Bool(wanted)) => Some(found == wanted),
                    _ => None,
                }
            }
        }
    }
}

impl Object {
    fn read<'a>(self, scope: &Scope<'a>) -> &'a Map<String, Json> {
        match self {
            Object::Data => scope.data,
            Object::Event => scope.event,
        }
    }
}

/// `data.field` or `event.field` (not `has(...)`, which is a test).
fn field(node: &IdedExpr) -> Option<(Object, String)> {
    let Node::Select(select) = &node.expr else {
        return None;
    };
    if select.test {
        return None;
    }
    let Node::Ident(variable) = &select.operand.expr else {
        return None;
    };
    let object = match variable.as_str() {
        "data" => Object::Data,
        "event" => Object::Event,
        _ => return None,
    };
    Some((object, select.field.clone()))
}

fn literal(node: &IdedExpr) -> Option<Literal> {
    let Node::Literal(value) = &node.expr else {
        return None;
    };
    match value {
        LiteralValue::Int(int) => Some(Literal::Int(*int.inner())),
        LiteralValue::String(text) => Some(Literal::String(text.inner().to_owned())),
        LiteralValue::Boolean(flag) => Some(Literal::Bool(*flag.inner())),
        _ => None,
    }
}
