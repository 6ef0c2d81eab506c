//! Expressions checked when a file loads, like a compiler would: syntax in
//! words at the offending token, every name against the declared fields,
//! and every type against what its operator, function or use accepts.
//!
//! The rules (documented in `docs/workflow-format.md`, *Expression types*):
//! guards and SLA `within` conditions give true or false; a `set` value
//! fits the field it is written to; arithmetic does not mix integers and
//! numbers; comparisons compare values of one kind; business keys are
//! strings or numbers; payloads and spawned data are JSON.
//!
//! Evaluation stays in `model::expr`; this module only reads the parsed
//! program.

mod infer;
mod syntax;
mod types;

use std::collections::HashMap;

use super::diagnostic::{Hints, Severity};
use super::expr::Expr;
use super::raw::FieldKind;
use infer::{Constant, Walker};
use types::{Type, assignable};

/// A declared field as expressions see it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Declared {
    /// Its kind and, for enums, its values.
    Field(FieldKind, Vec<String>),
    /// Written in the file but unreadable (already reported): any use of
    /// it is accepted.
    Unknown,
}

/// The `event.<field>` names an expression may read.
#[derive(Debug, Clone, Copy)]
pub(crate) enum EventFields<'a> {
    /// No event is at hand (eventless transitions, entry actions, SLAs).
    None,
    Known(&'a HashMap<String, Declared>),
    /// The event's declaration is unreadable (already reported).
    Unknown,
}

/// The names and types an expression can see.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Env<'a> {
    /// Declared data fields and the fields of events that merge.
    pub data: &'a HashMap<String, Declared>,
    /// False when an unreadable event may merge more fields into the data:
    /// then an unknown `data.<field>` is not reported.
    pub data_complete: bool,
    pub event: EventFields<'a>,
    pub hints: &'a Hints,
}

/// What an expression is for, which decides the type it must give.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Use<'a> {
    /// `when` of a transition or an SLA case: true or false.
    Guard,
    /// A `set` value, stored in this field.
    Set {
        field: &'a str,
        declared: &'a Declared,
    },
    /// A business key (`spawn` / `send` `key`): a string or a number.
    Key,
    /// Payload members and spawned or sent data: anything JSON holds.
    Value,
    /// An `at` timer's instant: a timestamp, or an RFC 3339 string.
    Instant,
}

/// One problem, at a byte offset into the expression.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Problem {
    pub offset: usize,
    pub severity: Severity,
    pub message: String,
    pub hint: Option<String>,
}

/// The outcome of checking one expression.
#[derive(Debug)]
pub(crate) struct Checked {
    /// The compiled expression; `None` when it does not parse.
    pub expr: Option<Expr>,
    /// A guard whose value is known without data (`true`, `1 == 1`).
    pub constant: Option<bool>,
    pub problems: Vec<Problem>,
    /// Syntax nodes visited, for the work bound.
    pub visited: usize,
}

/// Compiles `source` and checks it for `usage` in `env`.
pub(crate) fn check(source: &str, env: &Env<'_>, usage: Use<'_>) -> Checked {
    let failed = |error: syntax::SyntaxError| Checked {
        expr: None,
        constant: None,
        problems: vec![Problem {
            offset: error.offset,
            severity: Severity::Error,
            message: error.message,
            hint: error.hint,
        }],
        visited: 0,
    };
    if let Some(error) = syntax::too_long(source) {
        return failed(error);
    }
    let Ok(expr) = Expr::compile(source) else {
        return failed(syntax::first_error(source));
    };
    let program = expr.program();
    if let Some(error) = syntax::too_deep(program.expression()) {
        return failed(error);
    }
    let mut walker = Walker::new(env, source, program.source_info());
    let root = walker.walk(program.expression());
    let constant = match root.constant {
        Some(Constant::Bool(value)) => Some(value),
        _ => None,
    };
    match usage {
        Use::Guard => {
            if !matches!(root.ty, Type::Bool | Type::Dyn) {
                walker.error(
                    root.start,
                    format!(
                        "a condition must give true or false, but this gives {}",
                        root.ty
                    ),
                    Some("compare it, e.g. data.level > 1".into()),
                );
            }
        }
        Use::Set { field, declared } => set(&mut walker, &root, field, declared),
        Use::Key => {
            if !(root.ty.is_number() || matches!(root.ty, Type::String | Type::Dyn)) {
                walker.error(
                    root.start,
                    format!(
                        "a business key must be a string or a number, but this gives {}",
                        root.ty
                    ),
                    None,
                );
            }
        }
        Use::Instant => {
            if !matches!(root.ty, Type::Timestamp | Type::String | Type::Dyn) {
                walker.error(
                    root.start,
                    format!(
                        "an `at` timer needs a timestamp or an RFC 3339 string, but this gives {}",
                        root.ty
                    ),
                    Some("e.g. timestamp(data.due) + duration('24h')".into()),
                );
            }
        }
        Use::Value => {
            if !root.ty.is_json() {
                walker.error(
                    root.start,
                    format!("this gives {}, which cannot be sent as JSON", root.ty),
                    Some("convert it with string(…)".into()),
                );
            }
        }
    }
    let (problems, visited) = (walker.problems, walker.visited);
    Checked {
        expr: Some(expr),
        constant,
        problems,
        visited,
    }
}

/// A `set` value must fit its field as `model::fields` will check it.
fn set(walker: &mut Walker<'_, '_>, root: &infer::Info<'_>, field: &str, declared: &Declared) {
    let Declared::Field(kind, values) = declared else {
        return;
    };
    if root.ty == Type::Null {
        walker.error(
            root.start,
            format!("`{field}` cannot be set to null"),
            Some("give it a value, or leave it out of `set`".into()),
        );
        return;
    }
    if let Err(hint) = assignable(*kind, &root.ty) {
        walker.error(
            root.start,
            format!(
                "`{field}` is {} field, but this gives {}",
                kind.with_article(),
                root.ty
            ),
            hint.map(str::to_owned),
        );
        return;
    }
    if let (FieldKind::Enum, Some(Constant::String(text))) = (kind, &root.constant)
        && !values.iter().any(|value| value == text)
    {
        walker.error(
            root.start,
            format!("'{text}' is not one of the values of `{field}`"),
            Some(format!("the values are {}", values.join(", "))),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fields() -> HashMap<String, Declared> {
        HashMap::from([
            (
                "level".to_owned(),
                Declared::Field(FieldKind::Integer, Vec::new()),
            ),
            (
                "total".to_owned(),
                Declared::Field(FieldKind::Number, Vec::new()),
            ),
            (
                "group".to_owned(),
                Declared::Field(FieldKind::String, Vec::new()),
            ),
            (
                "source".to_owned(),
                Declared::Field(FieldKind::Enum, vec!["user".into(), "event".into()]),
            ),
            (
                "items".to_owned(),
                Declared::Field(FieldKind::List, Vec::new()),
            ),
        ])
    }

    /// What an [`Env`] borrows: the declared data fields and the hints.
    struct Declarations {
        data: HashMap<String, Declared>,
        hints: Hints,
    }

    impl Declarations {
        fn of(data: HashMap<String, Declared>) -> Self {
            Self {
                data,
                hints: Hints::default(),
            }
        }

        /// The names an expression sees with no event at hand.
        fn env(&self, data_complete: bool) -> Env<'_> {
            Env {
                data: &self.data,
                data_complete,
                event: EventFields::None,
                hints: &self.hints,
            }
        }
    }

    /// The messages of `source` as a guard, each with the text it points at.
    fn guard(source: &str) -> Vec<(String, String)> {
        let declarations = Declarations::of(fields());
        check(source, &declarations.env(true), Use::Guard)
            .problems
            .into_iter()
            .map(|problem| (source[problem.offset..].to_owned(), problem.message))
            .collect()
    }

    #[test]
    fn well_typed_guards_pass() {
        for source in [
            "data.level > 1 && data.total > 500",
            "data.total + 1.0 > 2.5 || data.group == 'a'",
            "size(data.items) > 0 && data.items.exists(x, x == 1)",
            "data.level in [1, 2] && key.startsWith('K-') && state != 'x'",
            "has(data.group) ? data.group.size() > 1 : false",
            "int(data.total) % 2 == 0 && string(data.level) == '1'",
            "data.items.map(x, x * 2).filter(y, y > 2).size() == 1",
        ] {
            assert_eq!(guard(source), [], "{source}");
        }
    }

    #[test]
    fn a_guard_must_be_a_boolean() {
        assert_eq!(
            guard("data.level + 1"),
            [(
                "data.level + 1".to_owned(),
                "a condition must give true or false, but this gives an integer".to_owned()
            )]
        );
    }

    #[test]
    fn comparisons_and_arithmetic_point_at_the_operator() {
        assert_eq!(
            guard("data.group > 100"),
            [(
                "> 100".to_owned(),
                "`>` compares a string with an integer".to_owned()
            )]
        );
        assert_eq!(
            guard("data.total + 1 > 2.0"),
            [(
                "+ 1 > 2.0".to_owned(),
                "`+` mixes a number and an integer, which CEL does not do in arithmetic".to_owned()
            )]
        );
        assert_eq!(guard("data.group == 1").len(), 1);
    }

    #[test]
    fn unknown_names_point_at_the_name() {
        let found = guard("data.lvel > 1 || dta.level > 1 || max(1, 2) > 1");
        let at: Vec<&str> = found.iter().map(|(at, _)| &at[..4]).collect();
        assert_eq!(at, ["data", "dta.", "max("]);
    }

    #[test]
    fn constant_guards_are_known() {
        let declarations = Declarations::of(fields());
        let env = declarations.env(true);
        for (source, value) in [
            ("true", Some(true)),
            ("1 == 1", Some(true)),
            ("!true", Some(false)),
            ("data.level > 1 || true", Some(true)),
            ("data.level > 1", None),
        ] {
            assert_eq!(check(source, &env, Use::Guard).constant, value, "{source}");
        }
    }

    /// The deepest expressions accepted parse, check and evaluate on a
    /// 2 MiB thread (the default for the server's worker threads and for
    /// test threads), in an unoptimised build; the longest ones parse there
    /// too.
    #[test]
    fn the_longest_expressions_are_safe_on_a_small_stack() {
        let levels = syntax::MAX_DEPTH - 2;
        let shapes = [
            format!("1{}", "+1".repeat(levels)),
            format!("data{}", ".a".repeat(levels)),
            format!("1{}", "*1".repeat(levels)),
        ];
        for source in shapes {
            assert!(syntax::too_long(&source).is_none());
            let run = std::thread::Builder::new()
                .stack_size(2 << 20)
                .spawn(move || {
                    let declarations = Declarations::of(HashMap::new());
                    let checked = check(&source, &declarations.env(false), Use::Value);
                    assert!(checked.problems.is_empty(), "{:?}", checked.problems);
                    let empty = serde_json::Map::new();
                    let scope = crate::model::Scope {
                        data: &empty,
                        event: &empty,
                        key: "",
                        state: "",
                    };
                    // Reading a field of an empty map fails, after descending.
                    let _ = checked.expr.expect("compiles").eval(&scope);
                })
                .unwrap();
            run.join().expect("no stack overflow");
        }
        let longest = format!("1{}", "+1".repeat((syntax::MAX_CHARS - 1) / 2));
        let parse = std::thread::Builder::new()
            .stack_size(2 << 20)
            .spawn(move || Expr::compile(&longest).is_ok())
            .unwrap();
        assert!(parse.join().expect("no stack overflow"));
    }

    #[test]
    fn set_values_must_fit_the_field() {
        let declarations = Declarations::of(fields());
        let env = declarations.env(true);
        let into = |field: &str, source: &str| {
            let declared = &declarations.data[field];
            check(source, &env, Use::Set { field, declared })
                .problems
                .into_iter()
                .map(|problem| problem.message)
                .collect::<Vec<_>>()
        };
        assert_eq!(
            into("level", "'high'"),
            ["`level` is an integer field, but this gives a string"]
        );
        assert_eq!(into("total", "data.level + 1"), Vec::<String>::new());
        assert_eq!(
            into("source", "'robot'"),
            ["'robot' is not one of the values of `source`"]
        );
        assert_eq!(into("level", "data.total * 2.0").len(), 1);
    }
}
