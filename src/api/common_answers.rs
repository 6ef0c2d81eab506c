//! The answers an operation gives by construction rather than by its own
//! logic, written into the OpenAPI document in one place so that no
//! handler's annotation can forget one (schemathesis found 14 operations
//! that answered an undocumented 401):
//!
//! - an operation that takes a token ([`super::auth::Caller`], declared as
//!   `security`) answers `401` without a usable one;
//! - an administration operation (`/v1/admin/…`, tag `admin`) answers `403`
//!   to other roles;
//! - an operation with a JSON body ([`super::extract::JsonBody`]) answers
//!   `400` for malformed JSON, `413` past the body limit, `415` without
//!   `Content-Type: application/json`;
//! - every operation answers `503` when its deadline passes, no request
//!   slot frees up, or the database does not answer ([`super::limits`]).
//!
//! A handler's own description of one of these statuses wins.

use utoipa::openapi::path::Operation;
use utoipa::openapi::{Content, OpenApi, Ref, RefOr, Response};

/// Adds the answers above to every operation of `document` that lacks them.
pub fn add(document: &mut OpenApi) {
    for (path, item) in &mut document.paths.paths {
        let operations = [
            &mut item.get,
            &mut item.put,
            &mut item.post,
            &mut item.delete,
            &mut item.patch,
        ];
        for operation in operations.into_iter().flatten() {
            add_to(path, operation);
        }
    }
}

fn add_to(path: &str, operation: &mut Operation) {
    let secured = operation
        .security
        .as_ref()
        .is_some_and(|requirements| !requirements.is_empty());
    let admin = path.starts_with("/v1/admin/")
        || operation
            .tags
            .as_ref()
            .is_some_and(|tags| tags.iter().any(|tag| tag == "admin"));
    let mut answers = Vec::new();
    if secured {
        answers.push((
            "401",
            "No token, or one that is unknown, expired or revoked",
        ));
    }
    if secured && admin {
        answers.push(("403", "Not an admin; `required` names who may"));
    }
    if operation.request_body.is_some() {
        answers.push(("400", "Malformed JSON or an unknown member"));
        answers.push(("413", "The body is over the limit (`--max-body`)"));
        answers.push((
            "415",
            "The body was sent without `Content-Type: application/json`",
        ));
    }
    answers.push((
        "503",
        "The request timed out, every request slot stayed busy, or the database does not answer; `Retry-After` may say when to retry",
    ));
    for (status, description) in answers {
        operation
            .responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| problem(description));
    }
}

fn problem(description: &str) -> RefOr<Response> {
    let mut response = Response::new(description);
    response.content.insert(
        "application/problem+json".to_owned(),
        RefOr::T(Content::new(Some(Ref::from_schema_name("ProblemBody")))),
    );
    RefOr::T(response)
}

#[cfg(test)]
mod tests {
    #[test]
    fn every_secured_operation_documents_401_and_bodies_415() {
        let document = super::super::openapi();
        for (path, item) in &document.paths.paths {
            for operation in [&item.get, &item.post, &item.patch, &item.delete]
                .into_iter()
                .flatten()
            {
                let has = |status: &str| operation.responses.responses.contains_key(status);
                if operation.security.is_some() {
                    assert!(has("401"), "{path}");
                }
                if operation.request_body.is_some() {
                    assert!(has("415") && has("413") && has("400"), "{path}");
                }
                if path.starts_with("/v1/admin/") {
                    assert!(has("403"), "{path}");
                }
                assert!(has("503"), "{path}");
            }
        }
    }
}
