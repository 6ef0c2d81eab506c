//! Reading a request's cookies: the API's session, and the console's
//! sign-in form token and language.

use axum::http::HeaderMap;
use axum::http::header::COOKIE;

/// The value of the first cookie called `name` with a value, across every
/// `Cookie` header of the request; `None` when there is none (an empty
/// value counts as none: that is how a cleared cookie comes back).
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|text| text.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(found, value)| *found == name && !value.is_empty())
        .map(|(_, value)| value)
}

#[cfg(test)]
mod tests {
    use axum::http::HeaderValue;

    use super::*;

    #[test]
    fn finds_a_named_cookie_with_a_value_in_any_header() {
        let mut headers = HeaderMap::new();
        headers.append(COOKIE, HeaderValue::from_static("a=1; flowkeeper_session="));
        headers.append(
            COOKIE,
            HeaderValue::from_static("b=2;flowkeeper_session=s3cret"),
        );
        assert_eq!(cookie(&headers, "flowkeeper_session"), Some("s3cret"));
        assert_eq!(cookie(&headers, "a"), Some("1"));
        assert_eq!(cookie(&headers, "c"), None);
        assert_eq!(cookie(&HeaderMap::new(), "a"), None);
    }
}
