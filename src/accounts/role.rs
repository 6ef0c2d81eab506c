//! The five account roles.

use std::fmt;

use serde::{Deserialize, Serialize};

/// What kind of account this is; what each may do is written down in
/// docs/security.md and decided by `engine::authorize` (events, creating
/// instances) and the API (administration, reading).
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    PartialOrd,
    Ord,
    Hash,
    Serialize,
    Deserialize,
    utoipa::ToSchema,
)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Administers everything and may post any event (IT 運營中心主管).
    Admin,
    /// Staff working the tasks of their teams.
    Operator,
    /// Another program: creates instances and posts events with API tokens,
    /// never with a password.
    Service,
    /// Reads only.
    Viewer,
    /// A supplier's technician on a temporary account (4.2.6 1)): like an
    /// operator, but with a short lifetime, an approval, and never admin.
    Vendor,
}

impl Role {
    pub const ALL: [Role; 5] = [
        Role::Admin,
        Role::Operator,
        Role::Service,
        Role::Viewer,
        Role::Vendor,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Operator => "operator",
            Role::Service => "service",
            Role::Viewer => "viewer",
            Role::Vendor => "vendor",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|role| role.as_str() == text)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_text_and_json() {
        for role in Role::ALL {
            assert_eq!(Role::parse(role.as_str()), Some(role));
            let json = serde_json::to_string(&role).unwrap();
            assert_eq!(json, format!("\"{role}\""));
        }
        assert_eq!(Role::parse("root"), None);
        assert_eq!(Role::parse("Admin"), None);
    }
}
