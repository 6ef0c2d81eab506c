//! Where each key and value of a TOML file was written.
//!
//! The typed structs in `raw` stay free of span wrappers (which do not mix
//! with untagged enums or schemars); instead the loader looks a value up
//! here by its path, e.g. `states.handling.on.resolve[0].to`.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::OnceLock;

use toml::de::{DeTable, DeValue};

/// One step of a path into the document.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Seg {
    Key(String),
    Index(usize),
}

impl From<&str> for Seg {
    fn from(key: &str) -> Self {
        Seg::Key(key.to_owned())
    }
}

impl From<&String> for Seg {
    fn from(key: &String) -> Self {
        Seg::Key(key.clone())
    }
}

impl From<usize> for Seg {
    fn from(index: usize) -> Self {
        Seg::Index(index)
    }
}

/// A path from the document root.
pub type Path = Vec<Seg>;

/// Builds a path: `path!["states", name, "on", event, 0]`.
#[macro_export]
macro_rules! path {
    ($($seg:expr),* $(,)?) => {{
        let path: $crate::model::source::Path = vec![$($crate::model::source::Seg::from($seg)),*];
        path
    }};
}

#[derive(Debug, Clone)]
struct Place {
    key: Option<Range<usize>>,
    value: Range<usize>,
    is_table: bool,
}

/// The spans of every key and value in one document.
///
/// Indexing a large file costs more than parsing it, and a valid file
/// never needs a span, so the index is built on the first lookup.
#[derive(Debug, Default, Clone)]
pub struct SourceMap {
    text: String,
    places: OnceLock<HashMap<Path, Place>>,
}

impl SourceMap {
    /// A map of `text`; a document that does not parse yields an empty map
    /// (the parse error itself carries the position).
    pub fn new(text: &str) -> Self {
        Self {
            text: text.to_owned(),
            places: OnceLock::new(),
        }
    }

    fn places(&self) -> &HashMap<Path, Place> {
        self.places.get_or_init(|| {
            let mut places = HashMap::new();
            if let Ok(root) = DeTable::parse(&self.text) {
                index_table(&mut places, &mut Vec::new(), root.get_ref());
            }
            places
        })
    }

    /// The best span for a message about `path`: the value for scalars and
    /// arrays, the key for tables; the nearest ancestor when the path is not
    /// in the file (a missing key points at its table).
    pub fn span(&self, path: &[Seg]) -> Range<usize> {
        for len in (0..=path.len()).rev() {
            if let Some(place) = self.places().get(&path[..len]) {
                return match (&place.key, place.is_table) {
                    (Some(key), true) => key.clone(),
                    _ => place.value.clone(),
                };
            }
        }
        0..0
    }

    /// Whether `path` itself was written in the file (not just an ancestor).
    pub fn contains(&self, path: &[Seg]) -> bool {
        self.places().contains_key(path)
    }

    /// The position of byte `offset` of the string `value` written at
    /// `path` (an expression), in the file: escapes, quotes and multi-line
    /// strings accounted for. Falls back to the start of the value when
    /// the text there is not that string.
    pub fn inside_string(&self, path: &[Seg], value: &str, offset: usize) -> Range<usize> {
        let span = self.span(path);
        let decoded = self
            .text
            .get(span.clone())
            .and_then(super::toml_string::decode)
            .filter(|decoded| decoded.value == value);
        match decoded {
            Some(decoded) => {
                let at = span.start + decoded.origin(offset);
                at..at
            }
            None => span,
        }
    }

    /// The span of the key itself (for messages about a name).
    pub fn key_span(&self, path: &[Seg]) -> Range<usize> {
        match self.places().get(path) {
            Some(Place { key: Some(key), .. }) => key.clone(),
            _ => self.span(path),
        }
    }
}

fn index_table(places: &mut HashMap<Path, Place>, path: &mut Path, table: &DeTable<'_>) {
    for (key, value) in table {
        path.push(Seg::Key(key.get_ref().to_string()));
        index_value(
            places,
            path,
            Some(key.span()),
            value.span(),
            value.get_ref(),
        );
        path.pop();
    }
}

fn index_value(
    places: &mut HashMap<Path, Place>,
    path: &mut Path,
    key: Option<Range<usize>>,
    span: Range<usize>,
    value: &DeValue<'_>,
) {
    let is_table = matches!(value, DeValue::Table(_));
    places.insert(
        path.clone(),
        Place {
            key,
            value: span,
            is_table,
        },
    );
    match value {
        DeValue::Table(table) => index_table(places, path, table),
        DeValue::Array(items) => {
            for (index, item) in items.iter().enumerate() {
                path.push(Seg::Index(index));
                index_value(places, path, None, item.span(), item.get_ref());
                path.pop();
            }
        }
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_values_keys_and_missing_paths() {
        let text = "[states.a]\ntitle = \"A\"\n[[states.a.on.go]]\nto = \"b\"\n";
        let map = SourceMap::new(text);
        let to = map.span(&path!["states", "a", "on", "go", 0, "to"]);
        assert_eq!(&text[to], "\"b\"");
        let state = map.span(&path!["states", "a"]);
        assert_eq!(&text[state], "a");
        let missing = map.span(&path!["states", "a", "terminal"]);
        assert_eq!(&text[missing], "a");
    }
}
