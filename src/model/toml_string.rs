//! Where each character of a TOML string value was written.
//!
//! An expression is the *decoded* value of a TOML string: `"a \"b\""`
//! holds `a "b"`, a multi-line string drops its first newline and the
//! whitespace after a line-ending backslash. To point at the offending
//! token of an expression, an offset into the value is mapped back to the
//! byte of the file that produced it.

/// The decoded value of one string token and, for each byte of it (and one
/// past the end), the offset in the token of the character it came from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Decoded {
    pub value: String,
    origins: Vec<usize>,
}

impl Decoded {
    /// The token offset that produced byte `offset` of the value (the end
    /// of the value maps to the closing quote).
    pub fn origin(&self, offset: usize) -> usize {
        self.origins[offset.min(self.origins.len() - 1)]
    }
}

/// Decodes a string token as TOML writes it: `"basic"`, `'literal'`,
/// `"""multi-line basic"""` or `'''multi-line literal'''`. `None` for
/// anything else (a number, a table).
pub(crate) fn decode(token: &str) -> Option<Decoded> {
    let (quote, multi_line) = if token.starts_with("\"\"\"") {
        ('"', true)
    } else if token.starts_with("'''") {
        ('\'', true)
    } else if token.starts_with('"') {
        ('"', false)
    } else if token.starts_with('\'') {
        ('\'', false)
    } else {
        return None;
    };
    let delimiter = if multi_line { 3 } else { 1 };
    if token.len() < 2 * delimiter {
        return None;
    }
    let mut start = delimiter;
    let end = token.len() - delimiter;
    if multi_line {
        if token[start..end].starts_with("\r\n") {
            start += 2;
        } else if token[start..end].starts_with('\n') {
            start += 1;
        }
    }
    let mut decoded = Decoded {
        value: String::new(),
        origins: Vec::new(),
    };
    let content = &token[start..end];
    if quote == '\'' {
        for (at, c) in content.char_indices() {
            decoded.push(c, start + at);
        }
    } else {
        basic(content, start, &mut decoded)?;
    }
    decoded.origins.push(end);
    Some(decoded)
}

impl Decoded {
    fn push(&mut self, c: char, origin: usize) {
        self.value.push(c);
        self.origins
            .extend(std::iter::repeat_n(origin, c.len_utf8()));
    }
}

/// Decodes the escapes of a basic string whose content starts at `base`.
fn basic(content: &str, base: usize, decoded: &mut Decoded) -> Option<()> {
    let mut chars = content.char_indices().peekable();
    while let Some((at, c)) = chars.next() {
        if c != '\\' {
            decoded.push(c, base + at);
            continue;
        }
        let (_, escape) = chars.next()?;
        let simple = match escape {
            'b' => Some('\u{8}'),
            't' => Some('\t'),
            'n' => Some('\n'),
            'f' => Some('\u{c}'),
            'r' => Some('\r'),
            'e' => Some('\u{1b}'),
            '"' => Some('"'),
            '\\' => Some('\\'),
            _ => None,
        };
        if let Some(simple) = simple {
            decoded.push(simple, base + at);
            continue;
        }
        let digits = match escape {
            'x' => 2,
            'u' => 4,
            'U' => 8,
            ' ' | '\t' | '\r' | '\n' => {
                // A line-ending backslash: the whitespace and newlines
                // after it are not part of the value.
                while chars.next_if(|(_, c)| c.is_whitespace()).is_some() {}
                continue;
            }
            _ => return None,
        };
        let mut code = 0;
        for _ in 0..digits {
            let (_, digit) = chars.next()?;
            code = code * 16 + digit.to_digit(16)?;
        }
        decoded.push(char::from_u32(code)?, base + at);
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn origin_of(token: &str, needle: &str) -> usize {
        let decoded = decode(token).unwrap();
        let at = decoded.value.find(needle).unwrap();
        decoded.origin(at)
    }

    #[test]
    fn basic_strings_map_escapes_back_to_their_backslash() {
        let token = r#""a \"b\" \u00e9 > x""#;
        let decoded = decode(token).unwrap();
        assert_eq!(decoded.value, "a \"b\" é > x");
        assert_eq!(&token[origin_of(token, "é")..][..6], "\\u00e9");
        assert_eq!(&token[origin_of(token, ">")..][..1], ">");
    }

    #[test]
    fn literal_strings_are_verbatim() {
        let token = r"'data.a \ > 1'";
        assert_eq!(decode(token).unwrap().value, r"data.a \ > 1");
        assert_eq!(&token[origin_of(token, ">")..][..1], ">");
    }

    #[test]
    fn multi_line_strings_drop_the_first_newline_and_line_continuations() {
        let token = "\"\"\"\ndata.a > 1 && \\\n    data.b < 2\"\"\"";
        let decoded = decode(token).unwrap();
        assert_eq!(decoded.value, "data.a > 1 && data.b < 2");
        assert_eq!(&token[origin_of(token, "<")..][..1], "<");
        let literal = "'''\nx\n  > y'''";
        assert_eq!(decode(literal).unwrap().value, "x\n  > y");
        assert_eq!(&literal[origin_of(literal, ">")..][..1], ">");
    }

    #[test]
    fn non_strings_and_broken_escapes_are_not_decoded() {
        assert_eq!(decode("12"), None);
        assert_eq!(decode(r#""\q""#), None);
    }
}
