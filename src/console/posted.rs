//! A form posted to the console, checked before its handler runs: who sent
//! it (without a session, to the sign-in page), its fields, its CSRF token
//! and, for an [`AdminForm`], the role. A form that fails a check is
//! answered 403 with a page that says why, and changes nothing.

use axum::Form;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::response::{IntoResponse, Response};

use super::session::Viewer;
use crate::api::state::AppState;

/// A form whose CSRF token is this viewer's.
pub struct PostedForm {
    pub viewer: Viewer,
    fields: Vec<(String, String)>,
}

impl PostedForm {
    /// Every field in the order sent (a name may come more than once).
    pub fn fields(&self) -> &[(String, String)] {
        &self.fields
    }

    /// The first value sent for `name`, as sent.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.fields
            .iter()
            .find(|(field, _)| field == name)
            .map(|(_, value)| value.as_str())
    }

    /// The first value sent for `name`, trimmed; `None` when it is missing
    /// or blank.
    pub fn given(&self, name: &str) -> Option<&str> {
        self.value(name)
            .map(str::trim)
            .filter(|value| !value.is_empty())
    }
}

impl FromRequest<AppState> for PostedForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let (mut parts, body) = request.into_parts();
        let viewer = Viewer::from_request_parts(&mut parts, state).await?;
        let Form(fields) =
            Form::<Vec<(String, String)>>::from_request(Request::from_parts(parts, body), state)
                .await
                .map_err(IntoResponse::into_response)?;
        viewer
            .check_csrf(&fields)
            .map_err(IntoResponse::into_response)?;
        Ok(PostedForm { viewer, fields })
    }
}

/// A form only an admin may send: its token checked first, then the role
/// (as [`super::session::AdminViewer`] checks it for a page).
pub struct AdminForm(pub PostedForm);

impl FromRequest<AppState> for AdminForm {
    type Rejection = Response;

    async fn from_request(request: Request, state: &AppState) -> Result<Self, Response> {
        let form = PostedForm::from_request(request, state).await?;
        form.viewer
            .require_admin()
            .map_err(IntoResponse::into_response)?;
        Ok(AdminForm(form))
    }
}
