//! Load errors that point into the file: `file:line:column: message`.

use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};

/// One problem in a workflow file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub file: PathBuf,
    /// 1-based.
    pub line: usize,
    /// 1-based, in characters.
    pub column: usize,
    /// One line, in the process owner's terms.
    pub message: String,
    /// A suggestion, e.g. "did you mean `dispatched`?".
    pub hint: Option<String>,
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}:{}:{}: {}",
            self.file.display(),
            self.line,
            self.column,
            self.message
        )?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

/// Every problem found in one load, in file order.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl fmt::Display for Diagnostics {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (index, diagnostic) in self.0.iter().enumerate() {
            if index > 0 {
                writeln!(f)?;
            }
            write!(f, "{diagnostic}")?;
        }
        Ok(())
    }
}

impl Diagnostics {
    /// A file that could not be read, reported at its first line.
    pub fn unreadable(path: &Path, error: &std::io::Error) -> Self {
        Self(vec![Diagnostic {
            file: path.to_path_buf(),
            line: 1,
            column: 1,
            message: format!("cannot read: {error}"),
            hint: None,
        }])
    }

    /// Reads a TOML file (workflow, scenario, assessment) as text.
    pub fn read(path: &Path) -> Result<String, Self> {
        std::fs::read_to_string(path).map_err(|error| Self::unreadable(path, &error))
    }

    /// Sorts by position so the output reads top to bottom.
    pub fn sorted(mut self) -> Self {
        self.0
            .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        self.0.dedup();
        self
    }
}

/// Turns byte offsets of one file into line and column.
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    file: &'a Path,
    text: &'a str,
}

impl<'a> LineIndex<'a> {
    pub fn new(file: &'a Path, text: &'a str) -> Self {
        Self { file, text }
    }

    /// A TOML syntax or shape error from `toml`, at the position it names.
    pub fn toml_error(&self, error: &toml::de::Error) -> Diagnostics {
        let span = error.span().unwrap_or(0..0);
        let message = error.message().trim().replace('\n', " ");
        Diagnostics(vec![self.diagnostic(span, message, None)])
    }

    /// A diagnostic at the start of `span`.
    pub fn diagnostic(
        &self,
        span: Range<usize>,
        message: String,
        hint: Option<String>,
    ) -> Diagnostic {
        let offset = span.start.min(self.text.len());
        let before = &self.text[..self.text.floor_char_boundary(offset)];
        let line = before.matches('\n').count() + 1;
        let line_start = before.rfind('\n').map_or(0, |newline| newline + 1);
        let column = before[line_start..].chars().count() + 1;
        Diagnostic {
            file: self.file.to_path_buf(),
            line,
            column,
            message,
            hint,
        }
    }
}

/// "did you mean `x`?" when one of `candidates` is close to `name`.
pub fn did_you_mean<'c>(
    name: &str,
    candidates: impl IntoIterator<Item = &'c str>,
) -> Option<String> {
    candidates
        .into_iter()
        .map(|candidate| (strsim::jaro_winkler(name, candidate), candidate))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, candidate)| format!("did you mean `{candidate}`?"))
}
