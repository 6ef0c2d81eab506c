//! Extractors whose rejections are problem+json: a body that is not JSON is
//! 400, the wrong content type 415, an over-size body 413, an unknown or
//! malformed query parameter 400. Handlers use these instead of axum's own
//! so no client mistake can come back as plain text.

use axum::extract::{FromRequest, FromRequestParts};

use super::problem::Problem;

/// A JSON request body.
#[derive(Debug, FromRequest)]
#[from_request(via(axum::Json), rejection(Problem))]
pub struct JsonBody<T>(pub T);

/// The query string, parsed strictly (the query types deny unknown fields).
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Problem))]
pub struct QueryParams<T>(pub T);

/// Path parameters; a segment that does not decode (e.g. `%FF`) is 400.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Problem))]
pub struct PathParams<T>(pub T);
