//! Who made a change: an account (a person or a service, through its API
//! token), or the system itself. Recorded on every history line.
//!
//! The text form is what history and the API show: the account's name,
//! `timer`, `sla`, `engine`, or `workflow:<id>`. An account name can never
//! read as a system actor: names are `[a-z0-9._-]{2,64}` (no `:`), and the
//! three system words are refused as names.

use std::fmt;
use std::sync::LazyLock;

use crate::model::Name;

/// Who made a change.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Actor {
    /// A person or service, by account name.
    Account(AccountName),
    /// A timer fired.
    Timer,
    /// An SLA deadline passed (`on_breach`).
    Sla,
    /// An eventless transition was taken.
    Engine,
    /// An instance of this workflow, by a spawn or send action.
    Workflow(String),
}

const TIMER: &str = "timer";
const SLA: &str = "sla";
const ENGINE: &str = "engine";
const WORKFLOW_PREFIX: &str = "workflow:";

/// The system actors' text forms as shared names, for the history lines the
/// engine writes on their behalf without making the text each time.
pub(super) static TIMER_ACTOR: LazyLock<Name> = LazyLock::new(|| Name::from(TIMER));
pub(super) static SLA_ACTOR: LazyLock<Name> = LazyLock::new(|| Name::from(SLA));
pub(super) static ENGINE_ACTOR: LazyLock<Name> = LazyLock::new(|| Name::from(ENGINE));

impl Actor {
    /// Reads the text form back (what [`fmt::Display`] wrote).
    pub fn parse(text: &str) -> Result<Self, NameError> {
        Ok(match text {
            TIMER => Actor::Timer,
            SLA => Actor::Sla,
            ENGINE => Actor::Engine,
            _ => match text.strip_prefix(WORKFLOW_PREFIX) {
                Some(workflow) => Actor::Workflow(workflow.to_owned()),
                None => Actor::Account(AccountName::parse(text)?),
            },
        })
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Actor::Account(name) => f.write_str(name.as_str()),
            Actor::Timer => f.write_str(TIMER),
            Actor::Sla => f.write_str(SLA),
            Actor::Engine => f.write_str(ENGINE),
            Actor::Workflow(workflow) => write!(f, "{WORKFLOW_PREFIX}{workflow}"),
        }
    }
}

impl From<AccountName> for Actor {
    fn from(name: AccountName) -> Self {
        Actor::Account(name)
    }
}

/// An account's name: 2 to 64 of `a-z`, `0-9`, `.`, `_`, `-`, and not one
/// of the system actors' words. Exists only valid.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct AccountName(String);

/// Why a name cannot be an account's.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NameError {
    #[error("an account name has 2 to 64 characters, `{0}` has {1}")]
    Length(String, usize),
    #[error(
        "an account name has only lower-case letters, digits, `.`, `_` and `-`; `{0}` has `{1}`"
    )]
    Character(String, char),
    #[error("`{0}` names a system actor and cannot be an account name")]
    Reserved(String),
}

impl AccountName {
    pub fn parse(text: &str) -> Result<Self, NameError> {
        let length = text.chars().count();
        if !(2..=64).contains(&length) {
            return Err(NameError::Length(text.to_owned(), length));
        }
        let allowed = |c: char| c.is_ascii_lowercase() || c.is_ascii_digit() || "._-".contains(c);
        if let Some(bad) = text.chars().find(|c| !allowed(*c)) {
            return Err(NameError::Character(text.to_owned(), bad));
        }
        if [TIMER, SLA, ENGINE].contains(&text) {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn system_actors_and_accounts_read_back_as_written() {
        let actors = [
            Actor::Timer,
            Actor::Sla,
            Actor::Engine,
            Actor::Workflow("presale".into()),
            Actor::Account(AccountName::parse("ops.team-1").unwrap()),
        ];
        for actor in actors {
            assert_eq!(Actor::parse(&actor.to_string()), Ok(actor));
        }
    }

    #[test]
    fn no_account_name_reads_as_a_system_actor() {
        for word in ["timer", "sla", "engine"] {
            assert_eq!(
                AccountName::parse(word),
                Err(NameError::Reserved(word.into()))
            );
        }
        assert!(matches!(
            AccountName::parse("workflow:presale"),
            Err(NameError::Character(_, ':'))
        ));
        assert!(matches!(
            AccountName::parse("Admin"),
            Err(NameError::Character(_, 'A'))
        ));
        assert!(matches!(
            AccountName::parse("a"),
            Err(NameError::Length(..))
        ));
        assert!(AccountName::parse(&"a".repeat(65)).is_err());
        assert!(AccountName::parse(&"a".repeat(64)).is_ok());
    }
}
