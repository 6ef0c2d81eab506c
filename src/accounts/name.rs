//! Account names: what people type to sign in and what history and the
//! audit log record as the actor.

use std::fmt;

use serde::{Deserialize, Deserializer, Serialize};

/// Actors the system itself records (timers, SLA deadlines, the engine,
/// `workflow:<id>` for spawn and send): no account may take one of these
/// names, so a history line by `timer` was always written by a timer.
/// `workflow:<id>` needs no entry: `:` is not allowed in account names.
pub const SYSTEM_ACTORS: [&str; 3] = ["timer", "sla", "engine"];

/// A valid account name: 2 to 64 of `a-z`, `0-9`, `.`, `_`, `-`, and not
/// one of the [`SYSTEM_ACTORS`]. Only [`AccountName::parse`] makes one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct AccountName(String);

/// Why a text is not an account name.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("an account name has 2 to 64 characters, `{0}` has {1}")]
    Length(String, usize),
    #[error("an account name holds only a-z, 0-9, `.`, `_` and `-`; `{0}` does not")]
    Characters(String),
    #[error("`{0}` is the name of a system actor and cannot be an account's")]
    Reserved(String),
}

impl AccountName {
    pub fn parse(text: &str) -> Result<Self, NameError> {
        let length = text.chars().count();
        if !(2..=64).contains(&length) {
            return Err(NameError::Length(text.to_owned(), length));
        }
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
        if !text.chars().all(allowed) {
            return Err(NameError::Characters(text.to_owned()));
        }
        if SYSTEM_ACTORS.contains(&text) {
            return Err(NameError::Reserved(text.to_owned()));
        }
        Ok(Self(text.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for AccountName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl<'de> Deserialize<'de> for AccountName {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        Self::parse(&text).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_short_lower_case_words_and_never_a_system_actor() {
        for good in [
            "ab",
            "alice",
            "li.wei",
            "vendor-7",
            "svc_ci",
            &"a".repeat(64),
        ] {
            assert_eq!(AccountName::parse(good).unwrap().as_str(), good);
        }
        let cases = [
            ("a", NameError::Length("a".into(), 1)),
            ("", NameError::Length(String::new(), 0)),
            (&"a".repeat(65), NameError::Length("a".repeat(65), 65)),
            ("Alice", NameError::Characters("Alice".into())),
            ("li wei", NameError::Characters("li wei".into())),
            (
                "workflow:presale",
                NameError::Characters("workflow:presale".into()),
            ),
            ("張三丰", NameError::Characters("張三丰".into())),
            ("timer", NameError::Reserved("timer".into())),
            ("sla", NameError::Reserved("sla".into())),
            ("engine", NameError::Reserved("engine".into())),
        ];
        for (bad, error) in cases {
            assert_eq!(AccountName::parse(bad), Err(error), "{bad}");
        }
    }
}
