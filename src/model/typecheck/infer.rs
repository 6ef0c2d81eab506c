//! The walk over a parsed expression: the type of every node, checked
//! against what its operator or function accepts.
//!
//! A node whose type cannot be known (a reported problem below it, an
//! element of a `list` field) is `Dyn`, which every check accepts: one
//! mistake gives one message, not one per enclosing operator.

use cel::IdedExpr;
use cel::common::ast::{EntryExpr, Expr as Node, LiteralValue, SourceInfo, operators};

use super::types::Type;
use super::{Declared, Env, EventFields, Problem};
use crate::model::diagnostic::{Severity, did_you_mean};
use crate::model::expr::VARIABLES;
use crate::model::raw::FieldKind;

/// The accumulator the comprehension macros (`all`, `exists`, `map`, …)
/// bind; it never appears in what the process owner wrote.
const ACCUMULATOR: &str = "@result";

/// The functions the engine's CEL environment offers, for hints.
const FUNCTIONS: &str = "size, contains, startsWith, endsWith, int, uint, double, string, bool, bytes, dyn, type, timestamp, duration, the getters of timestamps and durations (getHours, getDayOfWeek, …), and the macros has, all, exists, exists_one, map, filter";

/// The getters of a timestamp (an optional time zone argument) and of a
/// duration, all giving integers.
const TIMESTAMP_GETTERS: [&str; 10] = [
    "getFullYear",
    "getMonth",
    "getDayOfYear",
    "getDayOfMonth",
    "getDate",
    "getDayOfWeek",
    "getHours",
    "getMinutes",
    "getSeconds",
    "getMilliseconds",
];
const DURATION_GETTERS: [&str; 4] = ["getHours", "getMinutes", "getSeconds", "getMilliseconds"];

/// The type names CEL knows as values (`type(x) == int`).
const TYPE_NAMES: [&str; 10] = [
    "int",
    "uint",
    "double",
    "string",
    "bool",
    "bytes",
    "list",
    "map",
    "null_type",
    "type",
];

/// What is known about one node.
#[derive(Debug, Clone)]
pub(super) struct Info<'a> {
    pub ty: Type,
    /// Byte offset where the node's text starts (its leftmost token).
    pub start: usize,
    /// The node's value when it is known without running it.
    pub constant: Option<Constant>,
    /// The enum field the node reads, for checks on the strings compared
    /// with it or stored in it.
    pub enum_field: Option<(&'a str, &'a [String])>,
}

/// A value known at load time.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Constant {
    Bool(bool),
    Number(f64),
    String(String),
    Null,
}

impl<'a> Info<'a> {
    fn of(ty: Type, start: usize) -> Self {
        Self {
            ty,
            start,
            constant: None,
            enum_field: None,
        }
    }

    /// A boolean, whose value is known when `known` is.
    fn boolean(known: Option<bool>, start: usize) -> Self {
        Self {
            constant: known.map(Constant::Bool),
            ..Self::of(Type::Bool, start)
        }
    }
}

pub(super) struct Walker<'a, 'e> {
    env: &'e Env<'a>,
    source: &'e str,
    positions: &'e SourceInfo,
    /// Comprehension variables in scope, innermost last.
    bound: Vec<(String, Type)>,
    pub problems: Vec<Problem>,
    /// Nodes visited: the cost of the check, for the work bound in tests.
    pub visited: usize,
}

impl<'a, 'e> Walker<'a, 'e> {
    pub fn new(env: &'e Env<'a>, source: &'e str, positions: &'e SourceInfo) -> Self {
        Self {
            env,
            source,
            positions,
            bound: Vec::new(),
            problems: Vec::new(),
            visited: 0,
        }
    }

    fn offset(&self, node: &IdedExpr) -> usize {
        self.positions
            .offset_for(node.id)
            .map_or(0, |(start, _)| start as usize)
    }

    pub fn error(&mut self, offset: usize, message: String, hint: Option<String>) {
        self.problems.push(Problem {
            offset,
            severity: Severity::Error,
            message,
            hint,
        });
    }

    fn warning(&mut self, offset: usize, message: String, hint: Option<String>) {
        self.problems.push(Problem {
            offset,
            severity: Severity::Warning,
            message,
            hint,
        });
    }

    pub fn walk(&mut self, node: &IdedExpr) -> Info<'a> {
        self.visited += 1;
        let at = self.offset(node);
        match &node.expr {
            Node::Literal(literal) => literal_info(literal, at),
            Node::Ident(name) => self.ident(name, at),
            Node::Select(select) => {
                let operand = self.select_operand(&select.operand, &select.field);
                let mut info = operand;
                if select.test {
                    info.ty = Type::Bool;
                    info.constant = None;
                    info.enum_field = None;
                }
                info
            }
            Node::Call(call) => {
                let target = call.target.as_deref().map(|target| self.walk(target));
                let args: Vec<Info<'a>> = call.args.iter().map(|arg| self.walk(arg)).collect();
                let start = target
                    .as_ref()
                    .map_or(at, |target| target.start)
                    .min(args.first().map_or(at, |first| first.start));
                let mut info = self.call(&call.func_name, target, args, &call.args, at);
                info.start = start.min(at);
                info
            }
            Node::List(list) => {
                let items: Vec<Info<'a>> = list.elements.iter().map(|e| self.walk(e)).collect();
                let item = items
                    .iter()
                    .map(|item| item.ty.clone())
                    .reduce(|a, b| a.join(&b))
                    .unwrap_or(Type::Dyn);
                Info::of(Type::List(Box::new(item)), at)
            }
            Node::Map(map) => {
                let mut key = None::<Type>;
                let mut value = None::<Type>;
                for entry in &map.entries {
                    if let EntryExpr::MapEntry(entry) = &entry.expr {
                        let k = self.walk(&entry.key).ty;
                        let v = self.walk(&entry.value).ty;
                        key = Some(key.map_or(k.clone(), |known| known.join(&k)));
                        value = Some(value.map_or(v.clone(), |known| known.join(&v)));
                    }
                }
                Info::of(
                    Type::Map(
                        Box::new(key.unwrap_or(Type::Dyn)),
                        Box::new(value.unwrap_or(Type::Dyn)),
                    ),
                    at,
                )
            }
            Node::Struct(object) => {
                self.error(
                    at,
                    format!(
                        "`{}{{…}}` builds a message type, which workflows do not have",
                        object.type_name
                    ),
                    Some("build a map instead: {'name': value}".into()),
                );
                Info::of(Type::Dyn, at)
            }
            Node::Comprehension(comprehension) => {
                let range = self.walk(&comprehension.iter_range);
                let item = match &range.ty {
                    Type::List(item) => (**item).clone(),
                    Type::Map(key, _) => (**key).clone(),
                    Type::Dyn => Type::Dyn,
                    other => {
                        self.error(
                            at,
                            format!("all(), exists(), map() and filter() go over a list or a map, but this is {other}"),
                            None,
                        );
                        Type::Dyn
                    }
                };
                let accumulator = self.walk(&comprehension.accu_init).ty;
                let scope = self.bound.len();
                self.bound
                    .push((comprehension.iter_var.clone(), item.clone()));
                if let Some(second) = &comprehension.iter_var2 {
                    self.bound.push((second.clone(), Type::Dyn));
                }
                self.bound
                    .push((comprehension.accu_var.clone(), accumulator.clone()));
                self.walk(&comprehension.loop_cond);
                let step = self.walk(&comprehension.loop_step).ty;
                if let Some(last) = self.bound.last_mut() {
                    last.1 = accumulator.join(&step);
                }
                let result = self.walk(&comprehension.result);
                self.bound.truncate(scope);
                Info::of(result.ty, range.start)
            }
            Node::Unspecified => Info::of(Type::Dyn, at),
        }
    }

    fn ident(&mut self, name: &str, at: usize) -> Info<'a> {
        if let Some((_, ty)) = self.bound.iter().rev().find(|(bound, _)| bound == name) {
            return Info::of(ty.clone(), at);
        }
        let ty = match name {
            "data" => Type::Map(Box::new(Type::String), Box::new(Type::Dyn)),
            "event" => {
                if matches!(self.env.event, EventFields::None) {
                    self.no_event(at, "event");
                    return Info::of(Type::Dyn, at);
                }
                Type::Map(Box::new(Type::String), Box::new(Type::Dyn))
            }
            "key" | "state" => Type::String,
            _ if TYPE_NAMES.contains(&name) => Type::Kind,
            _ => {
                let hint = did_you_mean(name, VARIABLES)
                    .unwrap_or_else(|| "the variables are data, event, key and state".into());
                self.error(at, format!("unknown name `{name}`"), Some(hint));
                Type::Dyn
            }
        };
        Info::of(ty, at)
    }

    fn no_event(&mut self, at: usize, what: &str) {
        self.error(
            at,
            format!("`{what}` is read, but no event is at hand here"),
            Some("eventless transitions, entry actions, SLA durations and `at` timers see only data, key and state".into()),
        );
    }

    /// `data.<field>`, `event.<field>`, or a member of a map.
    fn select_operand(&mut self, operand: &IdedExpr, field: &str) -> Info<'a> {
        let at = self.offset(operand);
        if let Node::Ident(name) = &operand.expr
            && !self.bound.iter().any(|(bound, _)| bound == name)
        {
            self.visited += 1;
            match name.as_str() {
                "data" => {
                    let found = self.env.data.get_key_value(field);
                    if found.is_none() && self.env.data_complete {
                        let hint = self
                            .env
                            .hints
                            .did_you_mean(field, self.env.data.keys().map(String::as_str));
                        self.error(
                            at,
                            format!("`data.{field}` is read, but there is no data field `{field}`"),
                            hint,
                        );
                    }
                    return self.declared(found, at);
                }
                "event" => match &self.env.event {
                    EventFields::None => {
                        self.no_event(at, &format!("event.{field}"));
                        return Info::of(Type::Dyn, at);
                    }
                    EventFields::Unknown => return Info::of(Type::Dyn, at),
                    EventFields::Known(fields) => {
                        let fields: &'a std::collections::HashMap<String, Declared> = fields;
                        let found = fields.get_key_value(field);
                        if found.is_none() {
                            let hint = self
                                .env
                                .hints
                                .did_you_mean(field, fields.keys().map(String::as_str));
                            self.error(
                                at,
                                format!("`event.{field}` is read, but this event does not carry `{field}`"),
                                hint,
                            );
                            return Info::of(Type::Dyn, at);
                        }
                        return self.declared(found, at);
                    }
                },
                _ => {}
            }
        }
        let owner = self.walk(operand);
        let ty = match &owner.ty {
            Type::Map(_, value) => (**value).clone(),
            Type::Dyn => Type::Dyn,
            other => {
                self.error(
                    owner.start,
                    format!("`.{field}` reads a member, but this is {other}, which has none"),
                    None,
                );
                Type::Dyn
            }
        };
        Info::of(ty, owner.start)
    }

    /// What reading a declared field gives (unknown: `Dyn`).
    fn declared(&self, found: Option<(&'a String, &'a Declared)>, at: usize) -> Info<'a> {
        match found {
            Some((name, Declared::Field(kind, values))) => Info {
                enum_field: (*kind == FieldKind::Enum)
                    .then_some((name.as_str(), values.as_slice())),
                ..Info::of(Type::of_field(*kind), at)
            },
            _ => Info::of(Type::Dyn, at),
        }
    }

    fn call(
        &mut self,
        function: &str,
        target: Option<Info<'a>>,
        args: Vec<Info<'a>>,
        nodes: &[IdedExpr],
        at: usize,
    ) -> Info<'a> {
        match (function, target, args.as_slice()) {
            (operators::LOGICAL_AND | operators::LOGICAL_OR, None, [left, right]) => {
                self.logic(function, left, right, nodes, at)
            }
            (operators::LOGICAL_NOT, None, [operand]) => {
                self.expect_bool(operand, "`!` needs true or false");
                let known = match operand.constant {
                    Some(Constant::Bool(value)) => Some(!value),
                    _ => None,
                };
                Info::boolean(known, at)
            }
            (operators::NOT_STRICTLY_FALSE, None, [_]) => Info::of(Type::Bool, at),
            (operators::NEGATE, None, [operand]) => {
                let ty = match operand.ty {
                    Type::Int | Type::Double | Type::Dyn => operand.ty.clone(),
                    ref other => {
                        self.error(at, format!("`-` needs a number, but this is {other}"), None);
                        Type::Dyn
                    }
                };
                Info::of(ty, at)
            }
            (
                operators::ADD
                | operators::SUBSTRACT
                | operators::MULTIPLY
                | operators::DIVIDE
                | operators::MODULO,
                None,
                [left, right],
            ) => self.arithmetic(function, left, right, at),
            (operators::EQUALS | operators::NOT_EQUALS, None, [left, right]) => {
                self.equality(function, left, right, at)
            }
            (
                operators::LESS
                | operators::LESS_EQUALS
                | operators::GREATER
                | operators::GREATER_EQUALS,
                None,
                [left, right],
            ) => {
                if !left.ty.orderable_with(&right.ty) {
                    self.error(
                        at,
                        format!(
                            "`{}` compares {} with {}",
                            symbol(function),
                            left.ty,
                            right.ty
                        ),
                        Some("both sides must be numbers, or both strings".into()),
                    );
                }
                let known = match (&left.constant, &right.constant) {
                    (Some(Constant::Number(a)), Some(Constant::Number(b))) => {
                        Some(order(function, a.partial_cmp(b)))
                    }
                    (Some(Constant::String(a)), Some(Constant::String(b))) => {
                        Some(order(function, Some(a.cmp(b))))
                    }
                    _ => None,
                };
                Info::boolean(known, at)
            }
            (operators::IN, None, [item, collection]) => {
                let element = match &collection.ty {
                    Type::List(item) => Some((**item).clone()),
                    Type::Map(key, _) => Some((**key).clone()),
                    Type::Dyn => None,
                    other => {
                        self.error(
                            at,
                            format!("`in` looks in a list or a map, but this is {other}"),
                            None,
                        );
                        None
                    }
                };
                if let Some(element) = element
                    && !item.ty.comparable_with(&element)
                {
                    self.error(
                        at,
                        format!("`in` looks for {} among {}s", item.ty, plural(&element)),
                        None,
                    );
                }
                Info::of(Type::Bool, at)
            }
            (operators::INDEX, None, [collection, index]) => {
                let ty = match (&collection.ty, &index.ty) {
                    (Type::List(item), Type::Int | Type::UInt | Type::Dyn) => (**item).clone(),
                    (Type::List(_), other) => {
                        self.error(
                            at,
                            format!("a list is indexed by an integer, not {other}"),
                            None,
                        );
                        Type::Dyn
                    }
                    (Type::Map(_, value), _) => (**value).clone(),
                    (Type::Dyn, _) => Type::Dyn,
                    (other, _) => {
                        self.error(
                            at,
                            format!("`[…]` reads from a list or a map, but this is {other}"),
                            None,
                        );
                        Type::Dyn
                    }
                };
                Info::of(ty, at)
            }
            (operators::CONDITIONAL, None, [condition, then, otherwise]) => {
                let message = if matches!(&nodes[2].expr, Node::Ident(name) if name == ACCUMULATOR)
                {
                    "the condition given to exists_one() or filter() must give true or false"
                } else {
                    "the condition before `?` must give true or false"
                };
                self.expect_bool(condition, message);
                match condition.constant {
                    Some(Constant::Bool(true)) => then.clone(),
                    Some(Constant::Bool(false)) => otherwise.clone(),
                    _ => Info::of(then.ty.join(&otherwise.ty), at),
                }
            }
            (name, target, args) => {
                let ty = self.function(name, target.as_ref(), args, at);
                Info::of(ty, at)
            }
        }
    }

    fn logic(
        &mut self,
        function: &str,
        left: &Info<'a>,
        right: &Info<'a>,
        nodes: &[IdedExpr],
        at: usize,
    ) -> Info<'a> {
        let symbol = symbol(function);
        if matches!(&nodes[0].expr, Node::Ident(name) if name == ACCUMULATOR) {
            self.expect_bool(
                right,
                "the condition given to all() or exists() must give true or false",
            );
        } else {
            self.expect_bool(
                left,
                &format!("`{symbol}` needs true or false on both sides"),
            );
            self.expect_bool(
                right,
                &format!("`{symbol}` needs true or false on both sides"),
            );
        }
        let is_and = function == operators::LOGICAL_AND;
        let known = match (&left.constant, &right.constant) {
            (Some(Constant::Bool(a)), _) if *a != is_and => Some(*a),
            (_, Some(Constant::Bool(b))) if *b != is_and => Some(*b),
            (Some(Constant::Bool(_)), Some(Constant::Bool(_))) => Some(is_and),
            _ => None,
        };
        Info::boolean(known, at)
    }

    /// Reports `operand` unless it is a boolean (or unknown).
    fn expect_bool(&mut self, operand: &Info<'a>, message: &str) {
        if !matches!(operand.ty, Type::Bool | Type::Dyn) {
            self.error(
                operand.start,
                format!("{message}, but this gives {}", operand.ty),
                None,
            );
        }
    }

    fn arithmetic(
        &mut self,
        function: &str,
        left: &Info<'a>,
        right: &Info<'a>,
        at: usize,
    ) -> Info<'a> {
        let symbol = symbol(function);
        let (a, b) = (&left.ty, &right.ty);
        let add = function == operators::ADD;
        let subtract = function == operators::SUBSTRACT;
        let ty = match (a, b) {
            (Type::Dyn, other) | (other, Type::Dyn) => other.clone(),
            (Type::Timestamp, Type::Duration) if add || subtract => Type::Timestamp,
            (Type::Duration, Type::Timestamp) if add => Type::Timestamp,
            (Type::Timestamp, Type::Timestamp) if subtract => Type::Duration,
            (Type::Duration, Type::Duration) if add || subtract => Type::Duration,
            (Type::Double, Type::Double) if function == operators::MODULO => {
                self.error(
                    at,
                    "`%` works on integers, not on numbers".into(),
                    Some("convert with int(…)".into()),
                );
                Type::Dyn
            }
            (x, y) if x == y && x.is_number() => x.clone(),
            (x, y) if x.is_number() && y.is_number() => {
                self.error(
                    at,
                    format!("`{symbol}` mixes {x} and {y}, which CEL does not do in arithmetic"),
                    Some(mixing_hint(left, right)),
                );
                Type::Dyn
            }
            (Type::String, Type::String) | (Type::Bytes, Type::Bytes)
                if function == operators::ADD =>
            {
                a.clone()
            }
            (Type::List(x), Type::List(y)) if function == operators::ADD => {
                Type::List(Box::new(x.join(y)))
            }
            (Type::String, other) | (other, Type::String) if function == operators::ADD => {
                self.error(
                    at,
                    format!("`+` joins two strings, but one side here is {other}"),
                    Some("convert it with string(…)".into()),
                );
                Type::Dyn
            }
            (x, y) => {
                self.error(at, format!("`{symbol}` cannot combine {x} and {y}"), None);
                Type::Dyn
            }
        };
        Info::of(ty, at)
    }

    fn equality(
        &mut self,
        function: &str,
        left: &Info<'a>,
        right: &Info<'a>,
        at: usize,
    ) -> Info<'a> {
        let equal = function == operators::EQUALS;
        if !left.ty.comparable_with(&right.ty) {
            self.error(
                at,
                format!(
                    "`{}` compares {} with {}, which are never equal",
                    symbol(function),
                    left.ty,
                    right.ty
                ),
                Some(
                    "compare values of the same kind: numbers with numbers, strings with strings"
                        .into(),
                ),
            );
            return Info::of(Type::Bool, at);
        }
        for (field, other) in [(left, right), (right, left)] {
            if let (Some((name, values)), Some(Constant::String(text))) =
                (field.enum_field, &other.constant)
                && !values.iter().any(|value| value == text)
            {
                self.warning(
                    other.start,
                    format!(
                        "'{text}' is not one of the values of `{name}`, so this is always {}",
                        !equal
                    ),
                    Some(format!("the values are {}", values.join(", "))),
                );
            }
        }
        let known = match (&left.constant, &right.constant) {
            (Some(a), Some(b)) => Some((a == b) == equal),
            _ => None,
        };
        Info::boolean(known, at)
    }

    /// The functions of the standard environment, with their argument types.
    fn function(
        &mut self,
        name: &str,
        target: Option<&Info<'a>>,
        args: &[Info<'a>],
        at: usize,
    ) -> Type {
        let (subject, rest) = match (target, args) {
            (Some(target), rest) => (Some(target), rest),
            (None, [first, rest @ ..]) => (Some(first), rest),
            (None, []) => (None, args),
        };
        let member = target.is_some();
        let accepts = |ty: &Type, allowed: &[Type]| ty.is_dyn() || allowed.contains(ty);
        let (result, allowed, count): (Type, Vec<Type>, usize) = match name {
            "size" => (Type::Int, vec![Type::String, Type::Bytes], 1),
            "contains" | "startsWith" | "endsWith" if member => (Type::Bool, vec![Type::String], 2),
            "int" if !member => (
                Type::Int,
                vec![
                    Type::Int,
                    Type::UInt,
                    Type::Double,
                    Type::String,
                    Type::Timestamp,
                ],
                1,
            ),
            "timestamp" if !member => (
                Type::Timestamp,
                vec![Type::String, Type::Int, Type::Timestamp],
                1,
            ),
            "duration" if !member => (Type::Duration, vec![Type::String, Type::Duration], 1),
            getter
                if member
                    && (TIMESTAMP_GETTERS.contains(&getter)
                        || DURATION_GETTERS.contains(&getter)) =>
            {
                return self.getter(getter, subject, rest, at);
            }
            "uint" if !member => (
                Type::UInt,
                vec![Type::Int, Type::UInt, Type::Double, Type::String],
                1,
            ),
            "double" if !member => (
                Type::Double,
                vec![Type::Int, Type::UInt, Type::Double, Type::String],
                1,
            ),
            "string" if !member => (
                Type::String,
                vec![
                    Type::String,
                    Type::Bool,
                    Type::Int,
                    Type::UInt,
                    Type::Double,
                    Type::Bytes,
                    Type::Timestamp,
                    Type::Duration,
                ],
                1,
            ),
            "bool" if !member => (Type::Bool, vec![Type::Bool, Type::String], 1),
            "bytes" if !member => (Type::Bytes, vec![Type::String, Type::Bytes], 1),
            "dyn" if !member => (Type::Dyn, Vec::new(), 1),
            "type" if !member => (Type::Kind, Vec::new(), 1),
            _ => {
                // A call's position is its `(`; point at the name before it.
                let named = self
                    .source
                    .get(..at)
                    .and_then(|before| before.trim_end().strip_suffix(name))
                    .map_or(at, str::len);
                self.error(
                    named,
                    format!("unknown function `{name}`"),
                    Some(format!("the functions are {FUNCTIONS}")),
                );
                return Type::Dyn;
            }
        };
        let given = usize::from(subject.is_some()) + rest.len();
        if given != count {
            let wanted = if count == 1 {
                "one value"
            } else {
                "a string and one argument"
            };
            self.error(at, format!("`{name}` takes {wanted}"), None);
            return result;
        }
        let Some(subject) = subject else {
            return result;
        };
        let collection = name == "size" && matches!(subject.ty, Type::List(_) | Type::Map(..));
        if !allowed.is_empty() && !collection && !accepts(&subject.ty, &allowed) {
            self.error(at, format!("`{name}` cannot take {}", subject.ty), None);
        }
        if let [argument] = rest
            && !accepts(&argument.ty, &[Type::String])
        {
            self.error(
                argument.start,
                format!("`{name}` needs a string, but this is {}", argument.ty),
                None,
            );
        }
        result
    }
}

impl<'a> Walker<'a, '_> {
    /// `t.getHours()`, `t.getDayOfWeek('Asia/Shanghai')`, `d.getMinutes()`.
    fn getter(
        &mut self,
        name: &str,
        subject: Option<&Info<'a>>,
        rest: &[Info<'a>],
        at: usize,
    ) -> Type {
        let Some(subject) = subject else {
            return Type::Int;
        };
        let fits = match subject.ty {
            Type::Timestamp => TIMESTAMP_GETTERS.contains(&name) && rest.len() <= 1,
            Type::Duration => DURATION_GETTERS.contains(&name) && rest.is_empty(),
            Type::Dyn => rest.len() <= 1,
            _ => false,
        };
        if !fits {
            self.error(at, format!("`{name}` cannot take {}", subject.ty), None);
        }
        if let [zone] = rest
            && !matches!(zone.ty, Type::String | Type::Dyn)
        {
            self.error(
                zone.start,
                format!("`{name}` takes a time zone name, not {}", zone.ty),
                None,
            );
        }
        Type::Int
    }
}

fn literal_info<'a>(literal: &LiteralValue, at: usize) -> Info<'a> {
    let (ty, constant) = match literal {
        LiteralValue::Boolean(value) => (Type::Bool, Some(Constant::Bool(*value.inner()))),
        LiteralValue::Int(value) => (Type::Int, Some(Constant::Number(*value.inner() as f64))),
        LiteralValue::UInt(value) => (Type::UInt, Some(Constant::Number(*value.inner() as f64))),
        LiteralValue::Double(value) => (Type::Double, Some(Constant::Number(*value.inner()))),
        LiteralValue::String(value) => (
            Type::String,
            Some(Constant::String(value.inner().to_owned())),
        ),
        LiteralValue::Bytes(_) => (Type::Bytes, None),
        LiteralValue::Null => (Type::Null, Some(Constant::Null)),
    };
    Info {
        constant,
        ..Info::of(ty, at)
    }
}

fn symbol(function: &str) -> &str {
    function.trim_matches('_').trim_start_matches('@')
}

fn order(function: &str, ordering: Option<std::cmp::Ordering>) -> bool {
    use std::cmp::Ordering::{Equal, Greater, Less};
    matches!(
        (function, ordering),
        (operators::LESS, Some(Less))
            | (operators::LESS_EQUALS, Some(Less | Equal))
            | (operators::GREATER, Some(Greater))
            | (operators::GREATER_EQUALS, Some(Greater | Equal))
    )
}

fn plural(ty: &Type) -> String {
    ty.to_string()
        .trim_start_matches("an ")
        .trim_start_matches("a ")
        .to_owned()
}

/// `data.total + 1` → "write 1.0 …": the literal side is the one to change.
fn mixing_hint(left: &Info<'_>, right: &Info<'_>) -> String {
    let literal = [left, right]
        .into_iter()
        .find(|side| side.ty == Type::Int && matches!(side.constant, Some(Constant::Number(_))));
    match literal.and_then(|side| match side.constant {
        Some(Constant::Number(value)) => Some(value),
        _ => None,
    }) {
        Some(value) => {
            format!("write {value:.1} for a number, or convert a side with double(…) or int(…)")
        }
        None => "convert one side with double(…) or int(…)".into(),
    }
}
