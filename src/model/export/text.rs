//! Text in the SVG: how wide it will be, and how to write it safely.
//!
//! The drawing must reserve room for every label before a browser renders
//! it, so widths are estimated from character classes of common sans-serif
//! faces (DejaVu Sans, Noto Sans, Helvetica), rounded up; East Asian wide
//! characters (`unicode-width` 2) take a full em. Over-estimating costs a
//! little white space, under-estimating cuts a label: the figures err wide.

use unicode_width::UnicodeWidthChar;

/// The face a piece of text is set in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Face {
    Sans,
    Bold,
    Mono,
}

/// The estimated width in pixels of `text` at `size` pixels.
pub fn width(text: &str, size: f64, face: Face) -> f64 {
    let ems: f64 = text.chars().map(|c| em(c, face)).sum();
    let bold = if face == Face::Bold { 1.08 } else { 1.0 };
    ems * size * bold
}

fn em(c: char, face: Face) -> f64 {
    let columns = c.width().unwrap_or(0);
    if columns == 0 {
        return 0.0;
    }
    if columns >= 2 {
        return if face == Face::Mono { 1.2 } else { 1.02 };
    }
    if face == Face::Mono {
        return 0.61;
    }
    match c {
        'i' | 'l' | 'j' | 'I' | '.' | ',' | ':' | ';' | '\'' | '|' | '!' => 0.3,
        'f' | 't' | 'r' | ' ' | '(' | ')' | '[' | ']' | '{' | '}' | '-' | '"' | '/' => 0.4,
        'm' | 'w' | 'M' | 'W' | '@' | '%' => 0.92,
        'A'..='Z' | '&' | '=' | '<' | '>' | '+' | '~' | '#' => 0.72,
        _ if c.is_ascii() => 0.6,
        _ => 0.7,
    }
}

/// `text` with the five XML specials escaped, and line breaks as spaces
/// (every label is laid out as single lines).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' | '\r' | '\t' => out.push(' '),
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wide_characters_take_twice_the_room_of_narrow_ones() {
        let latin = width("ab", 14.0, Face::Sans);
        let chinese = width("問題", 14.0, Face::Sans);
        assert!(chinese > 1.6 * latin, "{chinese} vs {latin}");
        assert_eq!(width("", 14.0, Face::Mono), 0.0);
        assert!(width("W", 14.0, Face::Bold) > width("W", 14.0, Face::Sans));
    }

    #[test]
    fn escape_keeps_markup_as_text() {
        assert_eq!(
            escape("<a href=\"x\">&'\n"),
            "&lt;a href=&quot;x&quot;&gt;&amp;&#39; "
        );
    }
}
