//! Who may do what to an instance: the rules of docs/security.md
//! ("Authorization by state role"), as pure functions of the definition,
//! the instance and the caller's account. The runtime asks them where the
//! current state is known, inside the transaction that applies the event,
//! so the state judged is the state changed.
//!
//! 1. Admins may post any event the workflow allows.
//! 2. An event with `by = [...]` only by accounts whose role or one of
//!    whose teams is listed (and admins).
//! 3. Without `by`: services may; operators and vendors when the role of
//!    the state the instance is in, resolved on this instance, is one of
//!    their teams. Global events too.
//! 4. Viewers read only. Creating: admins, services, operators of the start
//!    state's role; never vendors.
//! 5. A refusal names `required`: roles and teams any one of which would
//!    have been allowed.
//! 6. An ended instance takes only events marked `after_end`.
//!
//! System actors (timers, SLA deadlines, other workflows) are not accounts
//! and are not judged here: what they post, the workflow itself declared.

use serde_json::{Map, Value as Json};

use super::types::{Instance, Status};
use crate::accounts::{Account, Role};
use crate::model::Definition;

/// Why an account may not do what it asked. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// `403`: any one of `required` (account roles and team names) would
    /// have been allowed.
    #[error("{why}")]
    Forbidden { required: Vec<String>, why: Why },
    /// `409 instance-ended`: the instance has ended and the event is not
    /// one accepted after the end.
    #[error("the instance has ended ({}) and `{event}` is not accepted after the end", status.as_str())]
    Ended { event: String, status: Status },
}

/// The rule that refused, in the caller's terms.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Why {
    #[error("viewer accounts read only")]
    ViewerReadsOnly,
    #[error("vendor accounts never create instances")]
    VendorCreates,
    #[error("event `{event}` may be posted only by the roles and teams it lists in `by`")]
    NotListed { event: String },
    #[error("in state `{state}` {}", responsible(role.as_deref()))]
    NotResponsible { state: String, role: Option<String> },
}

fn responsible(role: Option<&str>) -> String {
    match role {
        Some(role) => {
            format!("team `{role}` is responsible, which is not one of this account's teams")
        }
        None => "no team is responsible, so only admins and services act".to_owned(),
    }
}

/// Whether `account` may post `event` to `instance` now (rules 1–6).
pub fn authorize_event(
    definition: &Definition,
    instance: &Instance,
    event: &str,
    account: &Account,
) -> Result<(), Refusal> {
    let listed = definition
        .events
        .get(event)
        .map(|declared| declared.by.as_slice())
        .filter(|by| !by.is_empty());
    if let Some(listed) = listed {
        let admitted = account.role == Role::Admin
            || account.role != Role::Viewer
                && (listed.iter().any(|name| name == account.role.as_str())
                    || listed.iter().any(|name| account.works_for(name)));
        if !admitted {
            return Err(forbid(
                required(listed.iter().cloned()),
                Why::NotListed {
                    event: event.to_owned(),
                },
                account,
            ));
        }
    } else {
        let role = definition
            .state(&instance.state)
            .and_then(|state| state.role.as_ref())
            .and_then(|role| role.resolve(&instance.data))
            .map(String::from);
        let admitted = match account.role {
            Role::Admin | Role::Service => true,
            Role::Operator | Role::Vendor => {
                role.as_deref().is_some_and(|role| account.works_for(role))
            }
            Role::Viewer => false,
        };
        if !admitted {
            let why = Why::NotResponsible {
                state: instance.state.to_string(),
                role: role.clone(),
            };
            return Err(forbid(
                required(["service".to_owned()].into_iter().chain(role)),
                why,
                account,
            ));
        }
    }
    if instance.status != Status::Active && !definition.accepts_after_end(event) {
        return Err(Refusal::Ended {
            event: event.to_owned(),
            status: instance.status,
        });
    }
    Ok(())
}

/// Whether `account` may start an instance of `definition` with `data`
/// (rule 4): the start state's role is resolved on the data given.
pub fn authorize_create(
    definition: &Definition,
    data: &Map<String, Json>,
    account: &Account,
) -> Result<(), Refusal> {
    let role = definition
        .state(&definition.start)
        .and_then(|state| state.role.as_ref())
        .and_then(|role| role.resolve(data))
        .map(String::from);
    let admitted = match account.role {
        Role::Admin | Role::Service => true,
        Role::Operator => role.as_deref().is_some_and(|role| account.works_for(role)),
        Role::Vendor | Role::Viewer => false,
    };
    if admitted {
        return Ok(());
    }
    let why = match account.role {
        Role::Vendor => Why::VendorCreates,
        _ => Why::NotResponsible {
            state: definition.start.to_string(),
            role: role.clone(),
        },
    };
    Err(forbid(
        required(["service".to_owned()].into_iter().chain(role)),
        why,
        account,
    ))
}

/// `admin` first, then the others in order, each once.
fn required(others: impl IntoIterator<Item = String>) -> Vec<String> {
    let mut names = vec![Role::Admin.as_str().to_owned()];
    for name in others {
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

/// The refusal, with the rule that applies to the caller's role when it is
/// a blanket one.
fn forbid(required: Vec<String>, why: Why, account: &Account) -> Refusal {
    let why = match account.role {
        Role::Viewer => Why::ViewerReadsOnly,
        _ => why,
    };
    Refusal::Forbidden { required, why }
}
