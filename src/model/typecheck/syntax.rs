//! CEL syntax errors in the process owner's words, at the offending token.
//!
//! The parser (ANTLR) speaks in grammar terms: `extraneous input '100.0'
//! expecting <EOF>`, `mismatched input '<EOF>' expecting {'[', '{', …}`,
//! and its nesting error prints Rust debug output holding the whole
//! expression. Only the first error of an expression is kept: the ones
//! after it are mostly the parser recovering.

/// Longest expression accepted, in characters. The parser and the
/// evaluator recurse once per operator, so a long enough chain (`1 + 1 +
/// …`) overflows a thread's stack; this bound keeps every accepted
/// expression far from that, in the engine's threads too.
pub(crate) const MAX_CHARS: usize = 1_000;

/// How deep the parser lets brackets and calls nest.
const MAX_NESTING: usize = 96;

/// How deep the operations of an expression may nest (`1 + 1 + 1` is two
/// deep). The checks and the evaluator recurse once per level; this keeps
/// them far from the stack limit of any thread, unoptimised builds too.
pub(crate) const MAX_DEPTH: usize = 128;

/// One syntax problem: a byte offset into the expression and the words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct SyntaxError {
    pub offset: usize,
    pub message: String,
    pub hint: Option<String>,
}

/// Refuses an expression too long to parse safely, before parsing it.
pub(crate) fn too_long(source: &str) -> Option<SyntaxError> {
    let length = source.chars().count();
    (length > MAX_CHARS).then(|| SyntaxError {
        offset: 0,
        message: format!(
            "this expression is {length} characters long; an expression may have at most {MAX_CHARS}"
        ),
        hint: Some("split it: several guarded transitions, `set` entries or payload members".into()),
    })
}

/// Refuses an expression whose operations nest deeper than [`MAX_DEPTH`];
/// measured without recursion, so any depth is safe to measure.
pub(crate) fn too_deep(root: &cel::IdedExpr) -> Option<SyntaxError> {
    use cel::common::ast::{EntryExpr, Expr as Node};
    let mut stack = vec![(root, 1)];
    while let Some((node, depth)) = stack.pop() {
        if depth > MAX_DEPTH {
            return Some(SyntaxError {
                offset: 0,
                message: format!("this expression nests operations more than {MAX_DEPTH} deep"),
                hint: Some(
                    "split it: several guarded transitions, `set` entries or payload members"
                        .into(),
                ),
            });
        }
        let below = depth + 1;
        match &node.expr {
            Node::Call(call) => {
                stack.extend(call.target.iter().map(|target| (&**target, below)));
                stack.extend(call.args.iter().map(|arg| (arg, below)));
            }
            Node::Select(select) => stack.push((&select.operand, below)),
            Node::List(list) => stack.extend(list.elements.iter().map(|e| (e, below))),
            Node::Map(map) => {
                for entry in &map.entries {
                    if let EntryExpr::MapEntry(entry) = &entry.expr {
                        stack.push((&entry.key, below));
                        stack.push((&entry.value, below));
                    }
                }
            }
            Node::Struct(object) => {
                for entry in &object.entries {
                    if let EntryExpr::StructField(field) = &entry.expr {
                        stack.push((&field.value, below));
                    }
                }
            }
            Node::Comprehension(comprehension) => {
                for part in [
                    &comprehension.iter_range,
                    &comprehension.accu_init,
                    &comprehension.loop_cond,
                    &comprehension.loop_step,
                    &comprehension.result,
                ] {
                    stack.push((part, below));
                }
            }
            Node::Ident(_) | Node::Literal(_) | Node::Unspecified => {}
        }
    }
    None
}

/// The first syntax error of `source`, which did not compile.
pub(crate) fn first_error(source: &str) -> SyntaxError {
    let errors = match cel::Program::compile(source) {
        Ok(_) => Vec::new(),
        Err(errors) => errors.errors,
    };
    let Some(error) = errors
        .iter()
        .find(|error| error.pos.0 > 0)
        .or(errors.first())
    else {
        return SyntaxError {
            offset: 0,
            message: "this expression does not compile".into(),
            hint: None,
        };
    };
    let offset = byte_offset(source, error.pos.0, error.pos.1);
    let (message, hint) = words(&error.msg, source, offset);
    SyntaxError {
        offset,
        message,
        hint,
    }
}

/// The byte offset of 1-based `line` and `column` (in characters).
fn byte_offset(source: &str, line: isize, column: isize) -> usize {
    let mut offset = 0;
    for (index, text) in source.split_inclusive('\n').enumerate() {
        if index + 1 == usize::try_from(line).unwrap_or(1) {
            let skip = usize::try_from(column - 1).unwrap_or(0);
            return offset
                + text
                    .char_indices()
                    .nth(skip)
                    .map_or(text.trim_end_matches('\n').len(), |(at, _)| at);
        }
        offset += text.len();
    }
    source.len()
}

fn words(message: &str, source: &str, offset: usize) -> (String, Option<String>) {
    let message = message.strip_prefix("Syntax error: ").unwrap_or(message);
    if message.contains("Recursion limit") {
        return (
            format!("this expression nests brackets or calls more than {MAX_NESTING} levels deep"),
            Some("split it into simpler expressions".into()),
        );
    }
    if let Some(token) = message.strip_prefix("token recognition error at: ") {
        let token = token.trim_matches('\'');
        let hint = if token.starts_with(['\'', '"']) {
            "a string is not closed: add the closing quote".to_owned()
        } else if !token.is_ascii() {
            format!("names use ASCII letters, digits and `_`; text goes in quotes, e.g. '{token}'")
        } else {
            "expressions use names, numbers, 'strings' and operators such as && || == < + ?:"
                .to_owned()
        };
        return (format!("`{token}` cannot appear here"), Some(hint));
    }
    for prefix in [
        "mismatched input ",
        "extraneous input ",
        "no viable alternative at input ",
    ] {
        if let Some(rest) = message.strip_prefix(prefix) {
            let (token, expected) = match rest.split_once(" expecting ") {
                Some((token, expected)) => (token, Some(expected)),
                None => (rest, None),
            };
            let token = token.trim_matches('\'');
            if token == "<EOF>" || offset >= source.len() {
                return (
                    "the expression ends too soon".into(),
                    expected.map(|expected| format!("expected {}", expected_in_words(expected))),
                );
            }
            let token = token.rsplit(' ').next().unwrap_or(token);
            let hint = match expected {
                Some("<EOF>") => Some("join two conditions with && or ||".to_owned()),
                Some(expected) => Some(format!("expected {}", expected_in_words(expected))),
                None => None,
            };
            return (format!("unexpected `{token}`"), hint);
        }
    }
    if let Some(rest) = message.strip_prefix("missing ")
        && let Some((missing, at)) = rest.split_once(" at ")
    {
        return (
            format!(
                "`{}` is missing before `{}`",
                missing.trim_matches('\''),
                at.trim_matches('\'')
            ),
            None,
        );
    }
    let short: String = message.chars().take(160).collect();
    (short, None)
}

/// `{'[', '{', '(', …, IDENTIFIER}` → "a value"; `{')', ','}` → "`)` or `,`".
fn expected_in_words(expected: &str) -> String {
    if expected.contains("IDENTIFIER") || expected.contains("NUM_INT") {
        return "a value: a number, a 'string', true, false, data.<field>, (…)".into();
    }
    if expected == "<EOF>" {
        return "the end of the expression".into();
    }
    let tokens: Vec<String> = expected
        .trim_matches(['{', '}'])
        .split(", ")
        .map(|token| format!("`{}`", token.trim_matches('\'')))
        .collect();
    match tokens.as_slice() {
        [] => expected.to_owned(),
        [only] => only.clone(),
        [first @ .., last] => format!("{} or {last}", first.join(", ")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_stray_token_is_reported_where_it_is() {
        let source = "data.group > 100 100.0";
        let error = first_error(source);
        assert_eq!(&source[error.offset..], "100.0");
        assert_eq!(error.message, "unexpected `100.0`");
        assert_eq!(
            error.hint.as_deref(),
            Some("join two conditions with && or ||")
        );
    }

    #[test]
    fn an_expression_ending_early_points_at_its_end() {
        let error = first_error("data.a >");
        assert_eq!(error.offset, 8);
        assert_eq!(error.message, "the expression ends too soon");
    }

    #[test]
    fn positions_on_later_lines_and_after_wide_characters() {
        let source = "'é' == data.a &&\n  b.c )";
        let error = first_error(source);
        assert_eq!(&source[error.offset..], ")");
        let wide = first_error("'é' + é");
        assert_eq!(wide.offset, "'é' + ".len());
        assert!(wide.hint.unwrap().contains("quotes"));
    }

    #[test]
    fn deep_nesting_is_named_without_repeating_the_expression() {
        let source = format!("{}1{}", "(".repeat(100), ")".repeat(100));
        let error = first_error(&source);
        assert!(
            error.message.contains("more than 96 levels"),
            "{}",
            error.message
        );
        assert!(error.message.len() < 100);
    }

    #[test]
    fn deep_chains_are_refused_after_parsing() {
        let program = |source: &str| cel::Program::compile(source).unwrap();
        let deep = format!("1{}", " + 1".repeat(MAX_DEPTH));
        assert!(too_deep(program(&deep).expression()).is_some());
        let shallow = format!("1{}", " + 1".repeat(MAX_DEPTH - 2));
        assert!(too_deep(program(&shallow).expression()).is_none());
    }

    #[test]
    fn long_expressions_are_refused_before_parsing() {
        assert!(too_long(&"1 + ".repeat(400)).is_some());
        assert!(too_long("data.a > 1").is_none());
    }
}
