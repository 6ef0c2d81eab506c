//! What keeps one client (or one bug) from taking the whole server: a
//! deadline per request, a bound on requests handled at once, a rate of
//! sign-ins per address, and a panic answered as `500` problem+json
//! instead of a dropped connection. The header-read deadline (slowloris)
//! is the connection's, set where `serve` accepts connections.
//!
//! All are read from the `[limits]` section of `flowkeeper.toml`
//! (docs/security.md lists the keys and their defaults).

use std::any::Any;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration as StdDuration;

use axum::Router;
use axum::extract::{Request, State};
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use tokio::sync::Semaphore;
use tokio::time::Instant;
use tower_http::catch_panic::CatchPanicLayer;

use super::auth::remote_addr;
use super::problem::Problem;
use crate::model::Duration;

/// The `[limits]` section of `flowkeeper.toml`; every key has a default.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// The longest a request may take, waiting for a free slot included
    /// (`request_timeout`, default 30 s); past it the answer is `503`.
    pub request_timeout: Duration,
    /// The longest a client may take to send a request's headers
    /// (`header_read_timeout`, default 10 s); past it the connection is
    /// closed. This is what stops slowloris clients holding connections.
    pub header_read_timeout: Duration,
    /// Requests handled at once (`max_concurrent_requests`, default 256);
    /// more wait for a slot.
    pub max_concurrent_requests: u32,
    /// How long a request waits for a slot (`queue_timeout`, default 5 s)
    /// before it is answered `503` with `Retry-After`: an overloaded server
    /// says so at once instead of letting every client time out.
    pub queue_timeout: Duration,
    /// Sign-in attempts (`POST /v1/sessions`) per client address per
    /// minute (`sign_ins_per_minute`, default 20), whatever the names: the
    /// per-name lock-out stops guessing one password, this stops trying
    /// one password on many names.
    pub sign_ins_per_minute: u32,
}

const SECOND: i64 = 1000;

impl Default for Limits {
    fn default() -> Self {
        let seconds = |n: i64| Duration::from_millis(n * SECOND).expect("a positive duration");
        Self {
            request_timeout: seconds(30),
            header_read_timeout: seconds(10),
            max_concurrent_requests: 256,
            queue_timeout: seconds(5),
            sign_ins_per_minute: 20,
        }
    }
}

/// The part of `flowkeeper.toml` this module reads.
#[derive(Debug, Default, Deserialize)]
struct Settings {
    #[serde(default)]
    limits: Limits,
}

/// Why a `[limits]` section was refused.
#[derive(Debug, thiserror::Error)]
pub enum LimitsError {
    #[error(transparent)]
    Toml(#[from] toml::de::Error),
    #[error("[limits] {0} must be at least 1")]
    Zero(&'static str),
}

impl Limits {
    /// The `[limits]` section of a settings file's text (defaults for what
    /// it leaves out); other sections are ignored.
    pub fn from_settings(text: &str) -> Result<Self, LimitsError> {
        let limits = toml::from_str::<Settings>(text)?.limits;
        if limits.max_concurrent_requests == 0 {
            return Err(LimitsError::Zero("max_concurrent_requests"));
        }
        if limits.sign_ins_per_minute == 0 {
            return Err(LimitsError::Zero("sign_ins_per_minute"));
        }
        Ok(limits)
    }

    /// The connection's header-read deadline, for the HTTP server.
    pub fn header_read_timeout(&self) -> StdDuration {
        millis(self.header_read_timeout)
    }
}

fn millis(duration: Duration) -> StdDuration {
    StdDuration::from_millis(duration.as_millis().unsigned_abs())
}

/// Wraps `router` in the limits: panics become `500` (outermost, so a
/// panic anywhere is caught), then `outer` (the metrics, which so see the
/// limits' answers), then the deadline and the slots, then the sign-in rate.
pub fn apply(router: Router, limits: &Limits, outer: impl FnOnce(Router) -> Router) -> Router {
    let guard = Arc::new(Guard {
        timeout: millis(limits.request_timeout),
        queue_timeout: millis(limits.queue_timeout),
        slots: Arc::new(Semaphore::new(
            usize::try_from(limits.max_concurrent_requests).unwrap_or(usize::MAX),
        )),
        sign_ins: SignInRate::new(limits.sign_ins_per_minute),
    });
    let router = router
        .layer(axum::middleware::from_fn_with_state(
            Arc::clone(&guard),
            sign_in_rate,
        ))
        .layer(axum::middleware::from_fn_with_state(guard, bound));
    outer(router).layer(CatchPanicLayer::custom(panicked))
}

struct Guard {
    timeout: StdDuration,
    queue_timeout: StdDuration,
    slots: Arc<Semaphore>,
    sign_ins: SignInRate,
}

/// Probes that must answer even when every slot is taken, so that an
/// orchestrator does not restart a server that is only busy.
fn is_probe(request: &Request) -> bool {
    matches!(request.uri().path(), "/healthz" | "/readyz")
}

/// Waits for a slot (at most the queue timeout), then runs the request;
/// both count against the request's deadline. A request cut off by the
/// deadline is dropped where it stands: the write path's transactions
/// roll back when dropped, so nothing is half-applied.
async fn bound(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    let started = Instant::now();
    let deadline = started + guard.timeout;
    let permit = if is_probe(&request) {
        None
    } else {
        let wait_until = deadline.min(started + guard.queue_timeout);
        match tokio::time::timeout_at(wait_until, Arc::clone(&guard.slots).acquire_owned()).await {
            Ok(Ok(permit)) => Some(permit),
            _ => return overloaded(),
        }
    };
    let answer = tokio::time::timeout_at(deadline, next.run(request)).await;
    drop(permit);
    answer.unwrap_or_else(|_| {
        tracing::warn!(
            timeout_ms = guard.timeout.as_millis(),
            "request cut off by the request timeout"
        );
        with_retry_after(
            Problem::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "timeout",
                "Request timed out",
                format!(
                    "the request took longer than {} ms and was stopped; nothing it did was kept",
                    guard.timeout.as_millis()
                ),
            ),
            1,
        )
    })
}

fn overloaded() -> Response {
    with_retry_after(
        Problem::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "overloaded",
            "Too many requests at once",
            "every request slot stayed busy for the whole queue timeout; retry later",
        ),
        1,
    )
}

fn with_retry_after(problem: Problem, seconds: u64) -> Response {
    let mut response = problem.into_response();
    response
        .headers_mut()
        .insert(RETRY_AFTER, HeaderValue::from(seconds));
    response
}

/// `429` for the next sign-in from an address that used its minute's share.
async fn sign_in_rate(State(guard): State<Arc<Guard>>, request: Request, next: Next) -> Response {
    if request.method() != Method::POST || request.uri().path() != "/v1/sessions" {
        return next.run(request).await;
    }
    let (parts, body) = request.into_parts();
    let address = remote_addr(&parts).unwrap_or_default();
    if let Err(retry_after) = guard.sign_ins.admit(&address, Instant::now()) {
        return with_retry_after(
            Problem::new(
                StatusCode::TOO_MANY_REQUESTS,
                "too-many-attempts",
                "Too many sign-ins from this address",
                format!("too many sign-ins from this address; try again in {retry_after} seconds"),
            ),
            retry_after,
        );
    }
    next.run(Request::from_parts(parts, body)).await
}

/// Sign-ins per address in fixed one-minute windows. The table forgets
/// finished windows when it grows, so invented addresses cannot grow it
/// without bound; past [`SignInRate::MAX_ADDRESSES`] live windows, the
/// newcomers share one.
struct SignInRate {
    per_minute: u32,
    windows: Mutex<HashMap<String, (Instant, u32)>>,
}

impl SignInRate {
    const WINDOW: StdDuration = StdDuration::from_secs(60);
    const MAX_ADDRESSES: usize = 10_000;

    fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// Counts an attempt; `Err(seconds)` until the window ends when the
    /// address already used its share.
    fn admit(&self, address: &str, now: Instant) -> Result<(), u64> {
        let mut windows = self
            .windows
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if windows.len() >= Self::MAX_ADDRESSES && !windows.contains_key(address) {
            windows.retain(|_, (started, _)| now.duration_since(*started) < Self::WINDOW);
        }
        let key = if windows.len() >= Self::MAX_ADDRESSES && !windows.contains_key(address) {
            "(crowd)"
        } else {
            address
        };
        let window = windows.entry(key.to_owned()).or_insert((now, 0));
        if now.duration_since(window.0) >= Self::WINDOW {
            *window = (now, 0);
        }
        if window.1 >= self.per_minute {
            let left = Self::WINDOW.saturating_sub(now.duration_since(window.0));
            return Err(left.as_secs().max(1));
        }
        window.1 += 1;
        Ok(())
    }
}

/// A handler panicked: the client gets `500` problem+json, the log the
/// panic's message (the request's span names the route and the actor).
fn panicked(payload: Box<dyn Any + Send + 'static>) -> Response {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = message, "a request handler panicked");
    Problem::internal("the server failed while handling this request; nothing it did was kept")
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_overrides_and_typos() {
        assert_eq!(Limits::from_settings("").unwrap(), Limits::default());
        let set = Limits::from_settings(
            "[limits]\nrequest_timeout = \"5s\"\nmax_concurrent_requests = 8\n",
        )
        .unwrap();
        assert_eq!(set.request_timeout.as_millis(), 5_000);
        assert_eq!(set.max_concurrent_requests, 8);
        assert_eq!(
            set.header_read_timeout,
            Limits::default().header_read_timeout
        );
        let typo = Limits::from_settings("[limits]\nrequest_timout = \"5s\"\n").unwrap_err();
        assert!(typo.to_string().contains("request_timout"), "{typo}");
        let zero = Limits::from_settings("[limits]\nsign_ins_per_minute = 0\n").unwrap_err();
        assert!(zero.to_string().contains("sign_ins_per_minute"), "{zero}");
    }

    #[test]
    fn an_address_gets_its_share_per_minute() {
        let rate = SignInRate::new(2);
        let start = Instant::now();
        assert_eq!(rate.admit("10.0.0.1", start), Ok(()));
        assert_eq!(rate.admit("10.0.0.1", start), Ok(()));
        assert_eq!(
            rate.admit("10.0.0.1", start + StdDuration::from_secs(20)),
            Err(40)
        );
        assert_eq!(rate.admit("10.0.0.2", start), Ok(()), "another address");
        assert_eq!(
            rate.admit("10.0.0.1", start + StdDuration::from_secs(60)),
            Ok(()),
            "a new minute"
        );
    }

    #[test]
    fn invented_addresses_do_not_grow_the_table_without_bound() {
        let rate = SignInRate::new(1);
        let start = Instant::now();
        for n in 0..SignInRate::MAX_ADDRESSES + 50 {
            let _ = rate.admit(&format!("a{n}"), start);
        }
        assert!(rate.windows.lock().unwrap().len() <= SignInRate::MAX_ADDRESSES + 1);
        assert!(
            rate.admit("newcomer", start).is_err(),
            "the crowd shares one"
        );
    }
}
