//! Extractors whose rejections are problem+json: a body that is not JSON is
//! 400, the wrong content type 415, an over-size body 413, an unknown or
//! malformed query parameter 400. Handlers use these instead of axum's own
//! so no client mistake can come back as plain text.

use axum::extract::{FromRequest, FromRequestParts, Request};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use super::problem::Problem;

/// A JSON request body. It must be a JSON object: serde would otherwise
/// read a struct from an array of its fields in order (`[null, null]`),
/// a form no client means and the API does not document.
#[derive(Debug)]
pub struct JsonBody<T>(pub T);

impl<S, T> FromRequest<S> for JsonBody<T>
where
    S: Send + Sync,
    T: DeserializeOwned,
{
    type Rejection = Problem;

    async fn from_request(request: Request, state: &S) -> Result<Self, Problem> {
        let axum::Json(object) =
            axum::Json::<Map<String, Value>>::from_request(request, state).await?;
        serde_json::from_value(Value::Object(object))
            .map(JsonBody)
            .map_err(|error| Problem::bad_request(format!("the body does not fit: {error}")))
    }
}

/// The query string, parsed strictly (the query types deny unknown fields).
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Query), rejection(Problem))]
pub struct QueryParams<T>(pub T);

/// Path parameters; a segment that does not decode (e.g. `%FF`) is 400.
#[derive(Debug, FromRequestParts)]
#[from_request(via(axum::extract::Path), rejection(Problem))]
pub struct PathParams<T>(pub T);
