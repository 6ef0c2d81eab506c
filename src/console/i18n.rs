//! Chinese (Traditional, like the workflow titles) and English labels.
//!
//! The language comes from `?lang=zh|en` (remembered in a cookie), else the
//! cookie, else the browser's `Accept-Language`, else Chinese: the people
//! who work the tickets read Chinese.

use crate::api::cookies::cookie;
use axum::extract::FromRequestParts;
use axum::http::header::ACCEPT_LANGUAGE;
use axum::http::request::Parts;

/// The cookie that remembers a `?lang=` choice.
pub const LANG_COOKIE: &str = "flowkeeper_lang";

/// A page's language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    /// The `lang` attribute of `<html>`.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::Zh => "zh-Hant",
            Lang::En => "en",
        }
    }

    /// The short form used in `?lang=` and the cookie.
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh",
            Lang::En => "en",
        }
    }

    /// The other language, for the switch in the header.
    pub fn other(self) -> Lang {
        match self {
            Lang::Zh => Lang::En,
            Lang::En => Lang::Zh,
        }
    }

    /// The label in this language.
    pub fn t<'a>(self, zh: &'a str, en: &'a str) -> &'a str {
        match self {
            Lang::Zh => zh,
            Lang::En => en,
        }
    }

    fn parse(text: &str) -> Option<Lang> {
        let text = text.trim().to_ascii_lowercase();
        if text.starts_with("zh") {
            Some(Lang::Zh)
        } else if text.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// The language of a request, and whether `?lang=` chose it (then the
    /// answer sets the cookie).
    pub fn of(parts: &Parts) -> (Lang, bool) {
        let asked = parts.uri.query().and_then(|query| {
            url::form_urlencoded::parse(query.as_bytes())
                .find(|(name, _)| name == "lang")
                .and_then(|(_, value)| Lang::parse(&value))
        });
        if let Some(lang) = asked {
            return (lang, true);
        }
        let remembered = cookie(&parts.headers, LANG_COOKIE).and_then(Lang::parse);
        if let Some(lang) = remembered {
            return (lang, false);
        }
        let preferred = parts
            .headers
            .get(ACCEPT_LANGUAGE)
            .and_then(|value| value.to_str().ok())
            .and_then(|text| text.split(',').next())
            .and_then(|first| Lang::parse(first.split(';').next().unwrap_or(first)));
        (preferred.unwrap_or(Lang::Zh), false)
    }
}

/// The language alone, for pages shown before signing in.
#[derive(Debug, Clone, Copy)]
pub struct PageLang {
    pub lang: Lang,
    pub chosen: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for PageLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let (lang, chosen) = Lang::of(parts);
        Ok(PageLang { lang, chosen })
    }
}

#[cfg(test)]
mod tests {
    use axum::http::Request;

    use super::*;

    fn lang(uri: &str, headers: &[(&str, &str)]) -> (Lang, bool) {
        let mut request = Request::builder().uri(uri);
        for (name, value) in headers {
            request = request.header(*name, *value);
        }
        Lang::of(&request.body(()).unwrap().into_parts().0)
    }

    #[test]
    fn the_query_beats_the_cookie_which_beats_the_browser() {
        assert_eq!(
            lang("/ui/?lang=en", &[("cookie", "flowkeeper_lang=zh")]),
            (Lang::En, true)
        );
        assert_eq!(
            lang(
                "/ui/",
                &[
                    ("cookie", "a=b; flowkeeper_lang=en"),
                    ("accept-language", "zh-TW")
                ]
            ),
            (Lang::En, false)
        );
        assert_eq!(
            lang("/ui/", &[("accept-language", "en-US,en;q=0.9")]),
            (Lang::En, false)
        );
        assert_eq!(
            lang("/ui/", &[("accept-language", "fr")]),
            (Lang::Zh, false)
        );
        assert_eq!(lang("/ui/", &[]), (Lang::Zh, false));
    }
}
