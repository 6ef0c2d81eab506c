//! Load errors that point into the file: `file:line:column: message`.

use std::cell::Cell;
use std::fmt;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// Whether a problem stops the file from loading.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    /// The file is refused.
    Error,
    /// The file loads, but something in it is almost certainly a mistake
    /// (a guard that is always true, an id that does not match the file
    /// name). `flowkeeper validate --deny-warnings` refuses these too.
    Warning,
}

/// One problem in a workflow file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
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
            match self.severity {
                Severity::Error => "",
                Severity::Warning => "warning: ",
            },
        )?;
        f.write_str(&self.message)?;
        if let Some(hint) = &self.hint {
            write!(f, " (hint: {hint})")?;
        }
        Ok(())
    }
}

/// Every problem found in one load, in file order.
#[derive(Debug, Clone, Default, PartialEq, Eq, thiserror::Error)]
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
            severity: Severity::Error,
            file: path.to_path_buf(),
            line: 1,
            column: 1,
            message: format!("cannot read: {error}"),
            hint: None,
        }])
    }

    /// Reads a TOML file (workflow, scenario, assessment) as text, without
    /// a leading byte order mark. Bytes that are not UTF-8 are reported
    /// where they are, each with its line and column.
    pub fn read(path: &Path) -> Result<String, Self> {
        let bytes = std::fs::read(path).map_err(|error| Self::unreadable(path, &error))?;
        match String::from_utf8(bytes) {
            Ok(text) => Ok(without_bom(&text).to_owned()),
            Err(error) => Err(Self(not_utf8(path, error.as_bytes()))),
        }
    }

    /// Sorts by position so the output reads top to bottom.
    pub fn sorted(mut self) -> Self {
        self.0
            .sort_by(|a, b| (&a.file, a.line, a.column).cmp(&(&b.file, b.line, b.column)));
        self.0.dedup();
        self
    }

    /// Whether any problem is an error (not only warnings).
    pub fn has_errors(&self) -> bool {
        self.0.iter().any(|d| d.severity == Severity::Error)
    }
}

/// `text` without the UTF-8 byte order mark some editors write first:
/// it is not part of the document, and left in it would shift every column
/// of the first line.
pub fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// At most this many bad byte sequences are listed per file.
const MAX_ENCODING_PROBLEMS: usize = 10;

/// One diagnostic per invalid UTF-8 sequence in `bytes`, at its line and
/// column (columns count the characters before it on its line).
fn not_utf8(path: &Path, bytes: &[u8]) -> Vec<Diagnostic> {
    // Bad sequences next to each other are one problem: (line, column,
    // bytes, the column right after them).
    let mut runs: Vec<(usize, usize, Vec<u8>, usize)> = Vec::new();
    let (mut line, mut column) = (1, 1);
    for chunk in bytes.utf8_chunks() {
        for c in chunk.valid().chars() {
            if c == '\n' {
                line += 1;
                column = 1;
            } else if !(line == 1 && column == 1 && c == '\u{feff}') {
                column += 1;
            }
        }
        let invalid = chunk.invalid();
        if invalid.is_empty() {
            continue;
        }
        match runs.last_mut() {
            Some(run) if run.0 == line && run.3 == column => {
                run.2.extend(invalid);
                run.3 += 1;
            }
            _ => runs.push((line, column, invalid.to_vec(), column + 1)),
        }
        column += 1;
    }
    let mut problems = Vec::new();
    for (line, column, invalid, _) in runs.into_iter().take(MAX_ENCODING_PROBLEMS) {
        let shown: Vec<String> = invalid.iter().map(|byte| format!("0x{byte:02X}")).collect();
        problems.push(Diagnostic {
            severity: Severity::Error,
            file: path.to_path_buf(),
            line,
            column,
            message: format!(
                "the file is not valid UTF-8: byte{} {} cannot start or continue a character",
                if invalid.len() == 1 { "" } else { "s" },
                shown.join(" ")
            ),
            hint: Some("save the file as UTF-8 (most editors offer it under \"encoding\")".into()),
        });
    }
    problems
}

/// Turns byte offsets of one file into line and column.
///
/// The line starts are found once, on the first diagnostic, so a file with
/// thousands of problems costs a binary search each rather than a scan.
#[derive(Debug, Clone)]
pub struct LineIndex<'a> {
    file: &'a Path,
    text: &'a str,
    line_starts: OnceLock<Vec<usize>>,
}

impl<'a> LineIndex<'a> {
    pub fn new(file: &'a Path, text: &'a str) -> Self {
        Self {
            file,
            text,
            line_starts: OnceLock::new(),
        }
    }

    /// The file the positions are in.
    pub fn file(&self) -> &'a Path {
        self.file
    }

    /// 1-based line and column (in characters) of byte `offset`.
    pub fn position(&self, offset: usize) -> (usize, usize) {
        let offset = self.text.floor_char_boundary(offset.min(self.text.len()));
        let starts = self.line_starts.get_or_init(|| {
            std::iter::once(0)
                .chain(self.text.match_indices('\n').map(|(at, _)| at + 1))
                .collect()
        });
        let line = starts.partition_point(|&start| start <= offset);
        let line_start = starts[line - 1];
        let column = self.text[line_start..offset].chars().count() + 1;
        (line, column)
    }

    /// A TOML syntax or shape error from `toml`, at the position it names.
    pub fn toml_error(&self, error: &toml::de::Error) -> Diagnostics {
        let span = error.span().unwrap_or(0..0);
        let message = error.message().trim().replace('\n', " ");
        Diagnostics(vec![self.diagnostic(span, message, None)])
    }

    /// An error at the start of `span`.
    pub fn diagnostic(
        &self,
        span: Range<usize>,
        message: String,
        hint: Option<String>,
    ) -> Diagnostic {
        self.at(Severity::Error, span.start, message, hint)
    }

    /// A diagnostic of `severity` at byte `offset`.
    pub fn at(
        &self,
        severity: Severity,
        offset: usize,
        message: String,
        hint: Option<String>,
    ) -> Diagnostic {
        let (line, column) = self.position(offset);
        Diagnostic {
            severity,
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

/// "did you mean" hints for one file. Each costs a pass over the
/// candidates, so a file with thousands of misspelt names gets them for
/// its first [`Hints::LIMIT`] only: checking stays linear in the file.
#[derive(Debug, Default)]
pub(crate) struct Hints {
    given: Cell<usize>,
    compared: Cell<u64>,
}

impl Hints {
    pub const LIMIT: usize = 100;

    /// Like [`did_you_mean`], within the budget.
    pub fn did_you_mean<'c>(
        &self,
        name: &str,
        candidates: impl IntoIterator<Item = &'c str>,
    ) -> Option<String> {
        if self.given.get() >= Self::LIMIT {
            return None;
        }
        self.given.set(self.given.get() + 1);
        let counted = candidates.into_iter().inspect(|_| {
            self.compared.set(self.compared.get() + 1);
        });
        did_you_mean(name, counted)
    }

    /// Candidates compared so far (part of the work count).
    pub fn compared(&self) -> u64 {
        self.compared.get()
    }
}
