//! A person at the console: a cookie jar over the in-process router,
//! signing in through the form and posting forms with their CSRF token.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::json;

use crate::helpers::{Answer, TestApp};

/// The password every test person gets.
pub const PASSWORD: &str = "tea4two";

/// A page as the browser got it.
pub struct Page {
    pub status: StatusCode,
    pub location: Option<String>,
    pub set_cookies: Vec<String>,
    pub html: String,
}

impl Page {
    fn from(answer: Answer) -> Self {
        let location = answer
            .headers
            .get(header::LOCATION)
            .and_then(|value| value.to_str().ok())
            .map(str::to_owned);
        let set_cookies = answer
            .headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|value| value.to_str().ok())
            .map(str::to_owned)
            .collect();
        let html = match answer.body {
            serde_json::Value::String(text) => text,
            serde_json::Value::Null => String::new(),
            other => other.to_string(),
        };
        Page {
            status: answer.status,
            location,
            set_cookies,
            html,
        }
    }

    /// The first CSRF token in the page.
    pub fn csrf(&self) -> String {
        value_of(&self.html, r#"name="_csrf" value=""#).expect("a form with a CSRF token")
    }

    /// The value of the first `<input name=… value=…>` after `marker`.
    pub fn value_after(&self, marker: &str, input: &str) -> String {
        let start = self
            .html
            .find(marker)
            .unwrap_or_else(|| panic!("no `{marker}` in the page"));
        value_of(&self.html[start..], &format!(r#"name="{input}" value=""#))
            .unwrap_or_else(|| panic!("no input `{input}` after `{marker}`"))
    }

    /// Asserts the markers every page has: `<html lang>` and a `<title>`.
    pub fn assert_document(&self) {
        assert!(
            self.html.contains(r#"<html lang="zh-Hant">"#)
                || self.html.contains(r#"<html lang="en">"#),
            "no <html lang>: {}",
            &self.html[..self.html.len().min(300)]
        );
        assert!(self.html.contains("<title>"), "no <title>");
    }
}

fn value_of(html: &str, prefix: &str) -> Option<String> {
    let start = html.find(prefix)? + prefix.len();
    let end = html[start..].find('"')?;
    Some(html[start..start + end].to_owned())
}

/// A signed-in person.
pub struct User<'a> {
    pub app: &'a TestApp,
    pub cookie: String,
}

/// Creates an account with a password (through the API as the test admin).
pub async fn person(app: &TestApp, name: &str, role: &str, teams: &[&str]) {
    let created = app
        .post(
            "/v1/admin/accounts",
            json!({"name": name, "role": role, "teams": teams, "password": PASSWORD}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
}

/// GET without a session.
pub async fn anonymous(app: &TestApp, path: &str, cookie: Option<&str>) -> Page {
    let mut request = Request::builder().method(Method::GET).uri(path);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    Page::from(app.raw(request.body(Body::empty()).unwrap()).await)
}

/// Posts the sign-in form as a browser would: the form's CSRF value with
/// its cookie.
pub async fn sign_in_form(app: &TestApp, name: &str, password: &str) -> Page {
    let form = anonymous(app, "/ui/login?next=%2Fui%2Fstuck", None).await;
    assert_eq!(form.status, StatusCode::OK);
    let login_cookie = form
        .set_cookies
        .iter()
        .find(|cookie| cookie.starts_with("flowkeeper_login="))
        .expect("the sign-in form sets its CSRF cookie")
        .split(';')
        .next()
        .unwrap()
        .to_owned();
    let body = url::form_urlencoded::Serializer::new(String::new())
        .append_pair("_csrf", &form.csrf())
        .append_pair("next", "/ui/stuck")
        .append_pair("name", name)
        .append_pair("password", password)
        .finish();
    let request = Request::builder()
        .method(Method::POST)
        .uri("/ui/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, login_cookie)
        .body(Body::from(body))
        .unwrap();
    Page::from(app.raw(request).await)
}

impl<'a> User<'a> {
    /// Signs `name` in through the form.
    pub async fn sign_in(app: &'a TestApp, name: &str) -> User<'a> {
        let page = sign_in_form(app, name, PASSWORD).await;
        assert_eq!(page.status, StatusCode::SEE_OTHER, "{}", page.html);
        let cookie = page
            .set_cookies
            .iter()
            .find(|cookie| cookie.starts_with("flowkeeper_session="))
            .expect("a session cookie")
            .split(';')
            .next()
            .unwrap()
            .to_owned();
        User { app, cookie }
    }

    pub async fn get(&self, path: &str) -> Page {
        anonymous(self.app, path, Some(&self.cookie)).await
    }

    /// Posts a form (name/value pairs, sent as the browser sends them).
    pub async fn post(&self, path: &str, pairs: &[(&str, &str)]) -> Page {
        let mut body = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in pairs {
            body.append_pair(name, value);
        }
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, &self.cookie)
            .body(Body::from(body.finish()))
            .unwrap();
        Page::from(self.app.raw(request).await)
    }
}

/// Starts a `service_desk` ticket through the API; returns its id.
pub async fn ticket(app: &TestApp, key: &str, summary: &str) -> String {
    let created = app
        .post(
            "/v1/instances",
            json!({"workflow": "service_desk", "key": key, "data": {"level": 2, "summary": summary}}),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{:?}", created.body);
    created.body["id"].as_str().unwrap().to_owned()
}
