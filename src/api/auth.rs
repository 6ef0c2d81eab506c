//! Who is calling.
//!
//! Every route except `/healthz`, `/readyz`, `/openapi.json` and
//! `POST /v1/sessions` takes a [`Caller`]: a bearer secret (an API token or
//! a sign-in session; the console sends its session as the
//! [`SESSION_COOKIE`] instead) that the runtime resolves to a usable
//! account, else 401 before the handler runs; the runtime answers from
//! memory while no credential changed anywhere, so a revoked token or a
//! disabled account is refused on the very next request
//! (`store/credentials.rs`, docs/security.md). Every role may read, so a
//! reading handler only takes a `Caller`; an administration handler takes
//! an [`Admin`] instead (403 unless admin); what an account may post or
//! create is decided by the runtime against the workflow (docs/security.md).

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::header::AUTHORIZATION;

use super::cookies::cookie;
use axum::http::request::Parts;

use super::problem::Problem;
use super::state::AppState;
use crate::accounts::{Account, AccountName};
pub use crate::accounts::{Role, Secret};
use crate::runtime::{Credential, Principal};

/// The cookie the console keeps its session in (HttpOnly, SameSite=Strict).
pub const SESSION_COOKIE: &str = "flowkeeper_session";

/// The authenticated sender of a request: its account (whose name is the
/// actor of every change), how it authenticated, and from where. Every role
/// may read, so a handler that only reads takes one (`_: Caller`) just to
/// answer 401 without a usable token.
#[derive(Debug, Clone)]
pub struct Caller {
    account: Arc<Account>,
    credential: Credential,
    remote_addr: Option<String>,
}

impl Caller {
    pub fn account(&self) -> &Account {
        &self.account
    }

    pub fn name(&self) -> &AccountName {
        &self.account.name
    }

    pub fn role(&self) -> Role {
        self.account.role
    }

    /// The token or session this request came with.
    pub fn credential(&self) -> Credential {
        self.credential
    }

    pub fn remote_addr(&self) -> Option<&str> {
        self.remote_addr.as_deref()
    }

    /// The sender as the runtime sees it: authorized against the workflow,
    /// recorded with its address.
    pub fn principal(&self) -> Principal {
        Principal::Account {
            account: Arc::clone(&self.account),
            remote_addr: self.remote_addr.clone(),
        }
    }
}

impl FromRequestParts<AppState> for Caller {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let secret = presented_secret(parts)?;
        let authenticated = state.runtime().authenticate(&secret).await?;
        tracing::Span::current().record("actor", authenticated.account.name.as_str());
        Ok(Caller {
            account: authenticated.account,
            credential: authenticated.credential,
            remote_addr: remote_addr(parts),
        })
    }
}

/// A [`Caller`] with the admin role: what every handler under `/v1/admin`
/// and cancel / move / retry take, so the role is checked once, before the
/// handler reads its path, query or body. Anyone else gets 403 naming
/// `admin` as required (and 401 first without a usable token).
#[derive(Debug, Clone)]
pub struct Admin(pub Caller);

impl FromRequestParts<AppState> for Admin {
    type Rejection = Problem;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Problem> {
        let caller = Caller::from_request_parts(parts, state).await?;
        if caller.role() != Role::Admin {
            return Err(Problem::forbidden(format!(
                "this needs an admin account; `{}` is {}",
                caller.name(),
                caller.role()
            ))
            .with("required", vec![Role::Admin.as_str()]));
        }
        Ok(Admin(caller))
    }
}

/// The client's address, for handlers without a [`Caller`] (signing in).
#[derive(Debug, Clone)]
pub struct RemoteAddr(pub Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for RemoteAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(RemoteAddr(remote_addr(parts)))
    }
}

/// The client's IP address, when the server was started with connection
/// info (a forwarded-for header is not trusted: anyone can send one).
pub fn remote_addr(parts: &Parts) -> Option<String> {
    parts
        .extensions
        .get::<ConnectInfo<SocketAddr>>()
        .map(|ConnectInfo(address)| address.ip().to_string())
}

/// The bearer token of the `Authorization` header, else the session cookie.
fn presented_secret(parts: &Parts) -> Result<String, Problem> {
    let missing = || Problem::unauthorized("send `Authorization: Bearer <token>`");
    if let Some(header) = parts.headers.get(AUTHORIZATION) {
        let text = header
            .to_str()
            .map_err(|_| Problem::unauthorized("the Authorization header is not text"))?;
        return match text.split_once(' ') {
            Some((scheme, token))
                if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() =>
            {
                Ok(token.trim().to_owned())
            }
            _ => Err(missing()),
        };
    }
    cookie(&parts.headers, SESSION_COOKIE)
        .map(str::to_owned)
        .ok_or_else(missing)
}

#[cfg(test)]
mod tests {
    use axum::http::Request;

    use super::*;

    fn parts(headers: &[(&str, &str)]) -> Parts {
        let mut request = Request::builder();
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        request.body(()).unwrap().into_parts().0
    }

    #[test]
    fn the_secret_comes_from_the_bearer_header_else_the_session_cookie() {
        let bearer = parts(&[
            ("authorization", "Bearer abc"),
            ("cookie", "flowkeeper_session=xyz"),
        ]);
        assert_eq!(presented_secret(&bearer).unwrap(), "abc");
        let cookie = parts(&[("cookie", "theme=dark; flowkeeper_session=xyz; lang=zh")]);
        assert_eq!(presented_secret(&cookie).unwrap(), "xyz");
        for bad in [
            parts(&[]),
            parts(&[("authorization", "Basic abc")]),
            parts(&[("authorization", "Bearer  ")]),
            parts(&[("cookie", "flowkeeper_session=")]),
        ] {
            assert_eq!(
                presented_secret(&bad).unwrap_err().status(),
                axum::http::StatusCode::UNAUTHORIZED
            );
        }
    }
}
