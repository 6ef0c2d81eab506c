//! The filter forms of the list pages (instances, audit log). A GET form
//! sends every field, the empty ones too, and an empty field means "any";
//! a link to another page of the list keeps the filters that are set.

/// The text of a filter field, trimmed; `None` when it was left empty.
pub fn given(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}

/// `path` with the `filters` that are set and, when given, the cursor of
/// the page to show.
pub fn page_link(path: &str, filters: &[(&str, &str)], cursor: Option<&str>) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in filters {
        if !value.is_empty() {
            query.append_pair(name, value);
        }
    }
    if let Some(cursor) = cursor {
        query.append_pair("cursor", cursor);
    }
    format!("{path}?{}", query.finish())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_fields_mean_any_and_stay_out_of_page_links() {
        assert_eq!(given("  ops "), Some("ops".to_owned()));
        assert_eq!(given("   "), None);
        assert_eq!(
            page_link("/ui/audit", &[("actor", "a b"), ("action", "")], Some("s7")),
            "/ui/audit?actor=a+b&cursor=s7"
        );
        assert_eq!(
            page_link("/ui/instances", &[("key", "")], None),
            "/ui/instances?"
        );
    }
}
