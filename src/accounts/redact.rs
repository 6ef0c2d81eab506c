//! Credentials inside URLs, kept out of messages. A database URL may carry
//! a password (`postgres://app:secret@db/flowkeeper`); a webhook URL may
//! carry credentials or a token in its query string
//! (`https://hooks.example/T0/B1?token=…`). Whatever prints or logs such a
//! URL prints it through one of these.

/// `url` with its password replaced by `***`: enough to see which
/// database was meant. Text that is not a URL comes back unchanged, since
/// it holds no password a URL parser would find either.
pub fn database_url(url: &str) -> String {
    match url::Url::parse(url) {
        Ok(mut parsed) if parsed.password().is_some() => {
            let _ = parsed.set_password(Some("***"));
            parsed.to_string()
        }
        _ => url.to_owned(),
    }
}

/// `url` with its user name, password, query and fragment replaced by
/// `***`: the scheme, host, port and path say where deliveries go,
/// the rest may be a credential.
pub fn endpoint(url: &url::Url) -> String {
    let mut shown = url.clone();
    if !shown.username().is_empty() {
        let _ = shown.set_username("***");
    }
    if shown.password().is_some() {
        let _ = shown.set_password(None);
    }
    if shown.query().is_some() {
        shown.set_query(Some("***"));
    }
    if shown.fragment().is_some() {
        shown.set_fragment(Some("***"));
    }
    shown.to_string()
}

/// Text that failed to parse as a URL, cut before anything that could be a
/// credential (`user:pass@`, `?query`, `#fragment`).
pub fn unparsed(text: &str) -> String {
    let cut = text.find(['?', '#']).unwrap_or(text.len());
    let text = &text[..cut];
    match (text.find("://"), text.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            format!("{}***{}", &text[..scheme_end + 3], &text[at..])
        }
        (None, Some(at)) => format!("***{}", &text[at..]),
        _ => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_database_password_is_hidden_and_the_rest_kept() {
        assert_eq!(
            database_url("postgres://app:s3cret@db:5432/flowkeeper?sslmode=require"),
            "postgres://app:***@db:5432/flowkeeper?sslmode=require"
        );
        assert_eq!(
            database_url("postgres://postgres@127.0.0.1/test"),
            "postgres://postgres@127.0.0.1/test"
        );
        assert_eq!(
            database_url("sqlite://flowkeeper.db"),
            "sqlite://flowkeeper.db"
        );
    }

    #[test]
    fn a_webhook_shows_where_it_goes_and_nothing_that_opens_it() {
        let url = url::Url::parse("https://bot:pw@hooks.example:8443/T0/B1?token=abc#x").unwrap();
        let shown = endpoint(&url);
        assert_eq!(shown, "https://***@hooks.example:8443/T0/B1?***#***");
        for secret in ["bot", "pw", "abc"] {
            assert!(!shown.contains(secret), "{shown}");
        }
        let plain = url::Url::parse("http://crm.example/hook").unwrap();
        assert_eq!(endpoint(&plain), "http://crm.example/hook");
    }

    #[test]
    fn unparsable_text_is_cut_before_credentials() {
        assert_eq!(unparsed("htp:/x y?token=abc"), "htp:/x y");
        assert_eq!(unparsed("http://u:p@host:99999/"), "http://***@host:99999/");
        assert_eq!(unparsed("u:p@host"), "***@host");
    }
}
