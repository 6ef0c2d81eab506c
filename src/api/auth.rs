//! Bearer tokens and roles.
//!
//! A token is 32 random bytes written as hex; the database keeps only its
//! SHA-256, so a leaked database holds no working credentials. Every route
//! except `/healthz` and `/readyz` takes a [`Caller`], which is how a missing
//! or bad token becomes 401 before the handler runs; the handler then asks
//! [`Caller::allow`] for what it is about to do (403 when the role may not).

use std::fmt;

use axum::extract::FromRequestParts;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use rand::RngCore;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;
use uuid::Uuid;

use super::problem::Problem;
use super::state::AppState;
use crate::engine::{AccountName, Actor, Millis};
use crate::store::TokenRow;

/// What a token may do. The five roles of api.md; `vendor` works like
/// `operator` (temporary staff working tasks) and differs only in that its
/// tokens are meant to carry an expiry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Operator,
    Service,
    Viewer,
    Vendor,
}

/// The kinds of request a role is checked against.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Any GET of workflows, instances, history, metrics, the document.
    Read,
    /// `POST /v1/instances`.
    Create,
    /// Posting an event to an instance.
    PostEvent,
    /// Everything under `/v1/admin` and cancel / move / retry.
    Admin,
}

impl Role {
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
        [
            Role::Admin,
            Role::Operator,
            Role::Service,
            Role::Viewer,
            Role::Vendor,
        ]
        .into_iter()
        .find(|role| role.as_str() == text)
    }

    /// The role matrix of docs/api.md, in one place.
    pub fn may(self, permission: Permission) -> bool {
        match permission {
            Permission::Read => true,
            Permission::PostEvent => self != Role::Viewer,
            Permission::Create => matches!(self, Role::Admin | Role::Service),
            Permission::Admin => self == Role::Admin,
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// A freshly minted secret. Only [`Secret::hash`] is ever stored.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// 32 bytes from the operating system's generator, as 64 hex digits.
    pub fn generate() -> Self {
        let mut bytes = [0u8; 32];
        rand::rng().fill_bytes(&mut bytes);
        Self(hex::encode(bytes))
    }

    /// A secret given by the operator (`FLOWKEEPER_ADMIN_TOKEN`).
    pub fn given(text: &str) -> Self {
        Self(text.to_owned())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// What the database keeps and looks up: lower-case hex SHA-256.
    pub fn hash(&self) -> String {
        hash_token(&self.0)
    }
}

impl fmt::Debug for Secret {
    /// Never prints the secret itself, so it cannot end up in a log line.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(…)")
    }
}

fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// A new token row `id` for `name` with `role`; the secret goes back to the
/// caller once.
pub fn mint(
    id: Uuid,
    name: &AccountName,
    role: Role,
    now: Millis,
    expires_at: Option<Millis>,
    approved_by: Option<&AccountName>,
) -> (Secret, TokenRow) {
    let secret = Secret::generate();
    let row = row_for(id, &secret, name, role, now, expires_at, approved_by);
    (secret, row)
}

/// The row `id` that stores `secret`.
pub fn row_for(
    id: Uuid,
    secret: &Secret,
    name: &AccountName,
    role: Role,
    now: Millis,
    expires_at: Option<Millis>,
    approved_by: Option<&AccountName>,
) -> TokenRow {
    TokenRow {
        id: id.hyphenated().to_string(),
        name: name.as_str().to_owned(),
        role: role.as_str().to_owned(),
        hash: secret.hash(),
        created_at: now,
        expires_at,
        approved_by: approved_by.map(|name| name.as_str().to_owned()),
        revoked_at: None,
    }
}

/// The authenticated sender of a request: who (recorded as the actor of
/// every change) and with which role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Caller {
    name: AccountName,
    role: Role,
}

impl Caller {
    pub fn name(&self) -> &AccountName {
        &self.name
    }

    /// Who the changes of this request are recorded as.
    pub fn actor(&self) -> Actor {
        Actor::Account(self.name.clone())
    }

    pub fn role(&self) -> Role {
        self.role
    }

    /// 403 unless the role may do this.
    pub fn allow(&self, permission: Permission) -> Result<(), Problem> {
        if self.role.may(permission) {
            Ok(())
        } else {
            Err(Problem::forbidden(format!(
                "the role `{}` may not do this",
                self.role
            )))
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let token = bearer(parts)?;
        let row = state
            .store()
            .find_token(&hash_token(token))
            .await
            .map_err(|error| Problem::unavailable(format!("cannot check the token: {error}")))?
            .ok_or_else(|| Problem::unauthorized("unknown token"))?;
        if !row.is_live(state.now()) {
            return Err(Problem::unauthorized("the token is revoked or expired"));
        }
        let role = Role::parse(&row.role)
            .ok_or_else(|| Problem::unauthorized("the token has an unknown role"))?;
        let name = AccountName::parse(&row.name)
            .map_err(|_| Problem::unauthorized("the token's holder is not a valid account name"))?;
        tracing::Span::current().record("actor", name.as_str());
        Ok(Caller { name, role })
    }
}

fn bearer(parts: &Parts) -> Result<&str, Problem> {
    let header = parts
        .headers
        .get(AUTHORIZATION)
        .ok_or_else(|| Problem::unauthorized("send `Authorization: Bearer <token>`"))?;
    let text = header
        .to_str()
        .map_err(|_| Problem::unauthorized("the Authorization header is not text"))?;
    match text.split_once(' ') {
        Some((scheme, token))
            if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
        {
            Ok(token.trim())
        }
        _ => Err(Problem::unauthorized(
            "send `Authorization: Bearer <token>`",
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_role_matrix_matches_the_documentation() {
        use Permission::*;
        let expected = [
            (Role::Admin, [true, true, true, true]),
            (Role::Service, [true, true, true, false]),
            (Role::Operator, [true, false, true, false]),
            (Role::Vendor, [true, false, true, false]),
            (Role::Viewer, [true, false, false, false]),
        ];
        for (role, allowed) in expected {
            let actual = [Read, Create, PostEvent, Admin].map(|permission| role.may(permission));
            assert_eq!(actual, allowed, "{role}");
        }
    }

    #[test]
    fn secrets_are_64_hex_digits_and_only_their_hash_is_stored() {
        let name = |text| AccountName::parse(text).unwrap();
        let (secret, row) = mint(
            Uuid::nil(),
            &name("ci"),
            Role::Service,
            0,
            None,
            Some(&name("root")),
        );
        assert_eq!(secret.expose().len(), 64);
        assert!(secret.expose().chars().all(|c| c.is_ascii_hexdigit()));
        assert_ne!(row.hash, secret.expose());
        assert_eq!(row.hash, hash_token(secret.expose()));
        assert_ne!(Secret::generate(), secret);
        assert_eq!(format!("{secret:?}"), "Secret(…)");
    }

    #[test]
    fn roles_round_trip_through_text() {
        for role in [
            Role::Admin,
            Role::Operator,
            Role::Service,
            Role::Viewer,
            Role::Vendor,
        ] {
            assert_eq!(Role::parse(role.as_str()), Some(role));
        }
        assert_eq!(Role::parse("root"), None);
    }
}
