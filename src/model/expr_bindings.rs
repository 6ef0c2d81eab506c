//! What an expression's variables stand for during one evaluation, built so
//! that an evaluation costs what the expression reads, not what the
//! instance holds.
//!
//! The standard library (every function and overload CEL has) is built once
//! for the process; each evaluation gets a context over it and a resolver
//! that answers `data`, `event`, `key` and `state` from the step's scope,
//! borrowing its text instead of copying it. An expression that only selects
//! fields (`data.level == 1`, `has(event.group)`) sees `data` and `event` as
//! views that convert the one field asked for; one that uses an object whole
//! (`data` as a payload, `'x' in data`, `size(event)`) gets it converted
//! whole, as every expression did before.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock};

use cel::common::traits::Indexer;
use cel::common::types::{
    CelBool, CelDouble, CelInt, CelList, CelMap, CelMapKey, CelNull, CelString, MAP_TYPE, Type,
};
use cel::common::value::{CowVal, Val};
use cel::context::VariableResolver;
use cel::{Env, ExecutionError};
use serde_json::{Map, Value as Json};

/// What an expression may read when it runs.
#[derive(Debug, Clone, Copy)]
pub struct Scope<'a> {
    pub data: &'a Map<String, Json>,
    pub event: &'a Map<String, Json>,
    pub key: &'a str,
    pub state: &'a str,
}

/// The standard environment, shared by every evaluation: building it
/// registers the whole standard library, which was most of an evaluation's
/// cost when each one built its own.
pub(super) static STDLIB: LazyLock<Arc<Env>> = LazyLock::new(|| Arc::new(Env::stdlib()));

/// How an expression reads one of the object variables (`data`, `event`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) enum Use {
    /// Never, or only through `.field` selections.
    #[default]
    Fields,
    /// As a value of its own: passed, compared, indexed, iterated, sized.
    Whole,
}

/// How an expression reads `data` and `event`, found once when it compiles.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Reads {
    pub data: Use,
    pub event: Use,
}

/// The variables of one evaluation, answering CEL's look-ups.
pub(super) struct Bindings<'a> {
    data: Object<'a>,
    event: Object<'a>,
    key: CelString<'a>,
    state: CelString<'a>,
}

impl<'a> Bindings<'a> {
    pub fn new(scope: &Scope<'a>, reads: Reads) -> Self {
        Self {
            data: Object::new(scope.data, reads.data),
            event: Object::new(scope.event, reads.event),
            key: CelString::from(scope.key),
            state: CelString::from(scope.state),
        }
    }
}

impl VariableResolver for Bindings<'_> {
    fn resolve<'b>(&'b self, variable: &str) -> Option<CowVal<'b, 'b>> {
        match variable {
            "data" => Some(self.data.value()),
            "event" => Some(self.event.value()),
            "key" => Some(CowVal::Borrowed(&self.key)),
            "state" => Some(CowVal::Borrowed(&self.state)),
            _ => None,
        }
    }
}

/// `data` or `event` as the expression needs it.
struct Object<'a> {
    fields: Fields<'a>,
    whole: bool,
}

impl<'a> Object<'a> {
    fn new(object: &'a Map<String, Json>, reads: Use) -> Self {
        Self {
            fields: Fields(object),
            whole: reads == Use::Whole,
        }
    }

    fn value(&self) -> CowVal<'_, '_> {
        if self.whole {
            CowVal::owned(object(self.fields.0))
        } else {
            CowVal::Borrowed(&self.fields)
        }
    }
}

/// A JSON object read one field at a time: `.field` converts that field
/// alone. Only bound for expressions that do nothing else with the object,
/// so it needs no other capability of a CEL map.
#[derive(Debug, Clone, Copy)]
struct Fields<'a>(&'a Map<String, Json>);

impl Val for Fields<'_> {
    fn get_type(&self) -> &Type {
        &MAP_TYPE
    }

    fn cel_type() -> &'static Type {
        &MAP_TYPE
    }

    fn as_indexer<'b, 'v>(&'b self) -> Option<&'b (dyn Indexer + 'v)>
    where
        Self: 'v,
    {
        Some(self)
    }

    fn clone_as_boxed<'v>(&self) -> Box<dyn Val + 'v>
    where
        Self: 'v,
    {
        Box::new(*self)
    }
}

impl Indexer for Fields<'_> {
    fn get<'b, 'v>(&'b self, index: &dyn Val) -> Result<CowVal<'b, 'v>, ExecutionError>
    where
        Self: 'v,
    {
        // The same answers a converted map gives: a missing field is
        // `NoSuchKey` (which `has()` reads as false).
        let Some(name) = index.downcast_ref::<CelString>() else {
            return Err(ExecutionError::UnexpectedType {
                got: index.get_type().name().to_owned(),
                want: "map key".to_owned(),
            });
        };
        match self.0.get(name.inner()) {
            Some(value) => Ok(CowVal::Owned(to_val(value))),
            None => Err(ExecutionError::NoSuchKey(Arc::new(name.inner().to_owned()))),
        }
    }

    fn steal<'v>(self: Box<Self>, index: &dyn Val) -> Result<Box<dyn Val + 'v>, ExecutionError>
    where
        Self: 'v,
    {
        self.get(index).map(CowVal::into_owned)
    }
}

/// JSON → CEL, borrowing text. Integers stay integers; other numbers
/// become doubles.
fn to_val(value: &Json) -> Box<dyn Val + '_> {
    match value {
        Json::Null => Box::new(CelNull),
        Json::Bool(flag) => Box::new(CelBool::from(*flag)),
        Json::Number(number) => match number.as_i64() {
            Some(integer) => Box::new(CelInt::from(integer)),
            None => Box::new(CelDouble::from(number.as_f64().unwrap_or(f64::NAN))),
        },
        Json::String(text) => Box::new(CelString::from(text.as_str())),
        Json::Array(items) => Box::new(CelList::from(items.iter().map(to_val).collect::<Vec<_>>())),
        Json::Object(entries) => Box::new(object(entries)),
    }
}

fn object(entries: &Map<String, Json>) -> CelMap<'_> {
    let map: HashMap<CelMapKey<'_>, Box<dyn Val + '_>> = entries
        .iter()
        .map(|(name, value)| (CelMapKey::from(name.as_str()), to_val(value)))
        .collect();
    CelMap::from(map)
}
