//! The types of CEL values as the engine evaluates them, and how they
//! combine.
//!
//! The engine hands CEL `integer` fields as `int` and `number` fields as
//! `double` (a number field always holds a double, see `model::fields`),
//! and CEL refuses arithmetic that mixes the two, while comparisons mix
//! freely. These rules follow what `cel` 0.15 does at run time, so what
//! passes here does not fail there for a type reason.

use std::fmt;

use crate::model::raw::FieldKind;

/// A CEL type. `Dyn` is "not known before run time" (a list's elements,
/// a whole `data` map): it is accepted everywhere.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Type {
    Bool,
    Int,
    UInt,
    Double,
    String,
    Bytes,
    Null,
    List(Box<Type>),
    Map(Box<Type>, Box<Type>),
    /// `timestamp('2026-01-01T09:00:00Z')`.
    Timestamp,
    /// `duration('1h')`.
    Duration,
    /// A type as a value, e.g. `int` in `type(x) == int`.
    Kind,
    Dyn,
}

impl Type {
    /// How a declared field reads in CEL.
    pub fn of_field(kind: FieldKind) -> Self {
        match kind {
            FieldKind::String | FieldKind::Enum => Type::String,
            FieldKind::Integer => Type::Int,
            FieldKind::Number => Type::Double,
            FieldKind::Boolean => Type::Bool,
            FieldKind::List => Type::List(Box::new(Type::Dyn)),
        }
    }

    pub fn is_dyn(&self) -> bool {
        matches!(self, Type::Dyn)
    }

    pub fn is_number(&self) -> bool {
        matches!(self, Type::Int | Type::UInt | Type::Double)
    }

    /// Whether a value of this type may be `==` to one of `other`: the
    /// engine answers `false` for values of different kinds, which in a
    /// guard is almost always a mistake.
    pub fn comparable_with(&self, other: &Type) -> bool {
        match (self, other) {
            (Type::Dyn, _) | (_, Type::Dyn) | (Type::Null, _) | (_, Type::Null) => true,
            (a, b) if a.is_number() && b.is_number() => true,
            (Type::List(a), Type::List(b)) => a.comparable_with(b),
            (Type::Map(ka, va), Type::Map(kb, vb)) => {
                ka.comparable_with(kb) && va.comparable_with(vb)
            }
            (a, b) => a == b,
        }
    }

    /// Whether `<`, `<=`, `>`, `>=` apply: numbers of any kind, or two
    /// strings, two byte strings, two booleans.
    pub fn orderable_with(&self, other: &Type) -> bool {
        match (self, other) {
            (Type::Dyn, b) | (b, Type::Dyn) => {
                b.is_dyn()
                    || b.is_number()
                    || matches!(
                        b,
                        Type::String | Type::Bytes | Type::Bool | Type::Timestamp | Type::Duration
                    )
            }
            (a, b) if a.is_number() && b.is_number() => true,
            (Type::String, Type::String)
            | (Type::Bytes, Type::Bytes)
            | (Type::Bool, Type::Bool)
            | (Type::Timestamp, Type::Timestamp)
            | (Type::Duration, Type::Duration) => true,
            _ => false,
        }
    }

    /// The type of a value that is either `self` or `other` (the branches
    /// of `?:`, the elements of a list literal).
    pub fn join(&self, other: &Type) -> Type {
        match (self, other) {
            (a, b) if a == b => a.clone(),
            (Type::List(a), Type::List(b)) => Type::List(Box::new(a.join(b))),
            (Type::Map(ka, va), Type::Map(kb, vb)) => {
                Type::Map(Box::new(ka.join(kb)), Box::new(va.join(vb)))
            }
            _ => Type::Dyn,
        }
    }

    /// Whether the value can be written as JSON (payloads, spawned data).
    pub fn is_json(&self) -> bool {
        match self {
            Type::Bytes | Type::Duration | Type::Kind => false,
            Type::List(item) => item.is_json(),
            Type::Map(key, value) => key.is_json() && value.is_json(),
            _ => true,
        }
    }
}

impl fmt::Display for Type {
    /// The type in the words of the file format: `integer` fields are
    /// integers, `number` fields are numbers.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Type::Bool => "a boolean",
            Type::Int => "an integer",
            Type::UInt => "an unsigned integer",
            Type::Double => "a number",
            Type::String => "a string",
            Type::Bytes => "bytes",
            Type::Null => "null",
            Type::List(_) => "a list",
            Type::Map(..) => "a map",
            Type::Timestamp => "a timestamp",
            Type::Duration => "a duration",
            Type::Kind => "a type",
            Type::Dyn => "a value",
        })
    }
}

/// Whether a value of type `value` can be stored in a field of `kind`, as
/// `model::fields::check_value` will decide at run time; `Err` says why not.
pub(crate) fn assignable(kind: FieldKind, value: &Type) -> Result<(), Option<&'static str>> {
    let fits = match (kind, value) {
        (_, Type::Dyn) => true,
        (FieldKind::Integer, Type::Int | Type::UInt) => true,
        (FieldKind::Integer, Type::Double) => {
            return Err(Some("a number can have a fraction: convert it with int(…)"));
        }
        (FieldKind::Number, t) => t.is_number(),
        (FieldKind::String | FieldKind::Enum, Type::String) => true,
        // Written out as RFC 3339.
        (FieldKind::String, Type::Timestamp) => true,
        (FieldKind::String | FieldKind::Enum, t) if t.is_number() || *t == Type::Bool => {
            return Err(Some("convert it with string(…)"));
        }
        (FieldKind::Boolean, Type::Bool) => true,
        (FieldKind::List, Type::List(_)) => true,
        _ => false,
    };
    if fits { Ok(()) } else { Err(None) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_compare_with_each_other_but_not_with_strings() {
        assert!(Type::Int.comparable_with(&Type::Double));
        assert!(Type::Int.orderable_with(&Type::Double));
        assert!(!Type::String.comparable_with(&Type::Int));
        assert!(!Type::String.orderable_with(&Type::Int));
        assert!(Type::Dyn.orderable_with(&Type::String));
        assert!(!Type::Dyn.orderable_with(&Type::List(Box::new(Type::Int))));
    }

    #[test]
    fn fields_accept_what_the_engine_stores() {
        assert_eq!(assignable(FieldKind::Number, &Type::Int), Ok(()));
        assert!(assignable(FieldKind::Integer, &Type::Double).is_err());
        assert_eq!(assignable(FieldKind::Integer, &Type::String), Err(None));
        assert_eq!(assignable(FieldKind::Enum, &Type::String), Ok(()));
        assert_eq!(assignable(FieldKind::List, &Type::Dyn), Ok(()));
    }
}
