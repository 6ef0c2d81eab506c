//! `flowkeeper validate`: every file of a workflows folder, checked as what
//! it is, with every problem of every file in one answer.
//!
//! The files are listed and told apart by [`model::files`]; each kind has
//! one checker here, run in the order their dependencies need (workflows
//! first, then the files that borrow names from them). A new kind of file
//! is one variant of [`FileKind`] and one checker called from [`check`].

use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::assess;
use crate::calendar::{self, Calendars};
use crate::model::{self, Catalog, Definition, Diagnostic, Diagnostics, FileKind, Severity};

/// What checking the files found.
#[derive(Debug, Default)]
pub struct Outcome {
    /// Errors and warnings of the named files, in file order.
    pub diagnostics: Diagnostics,
    /// The files checked (context files not counted).
    pub files: usize,
    /// How many of them are workflows.
    pub workflows: usize,
    /// The others, in words: `1 calendar`, `assessment.toml`.
    pub others: Vec<String>,
}

impl Outcome {
    pub fn errors(&self) -> usize {
        self.count(Severity::Error)
    }

    pub fn warnings(&self) -> usize {
        self.count(Severity::Warning)
    }

    fn count(&self, severity: Severity) -> usize {
        self.diagnostics
            .0
            .iter()
            .filter(|diagnostic| diagnostic.severity == severity)
            .count()
    }

    /// The files with at least one problem.
    pub fn files_with_problems(&self) -> usize {
        let mut files: Vec<&PathBuf> = self.diagnostics.0.iter().map(|d| &d.file).collect();
        files.dedup();
        files.len()
    }
}

/// Checks the files `paths` name (folders: every `*.toml` at their top
/// level; single files: against the other workflows of their folder).
/// Fails only when a folder cannot be listed.
pub fn check(paths: &[PathBuf]) -> Result<Outcome, Diagnostics> {
    check_with_stored(paths, None)
}

/// [`check`], with the workflow versions a database keeps (workflow,
/// version, source), against which the migration plans of
/// `<folder>/migrations/` are checked too.
pub fn check_with_stored(
    paths: &[PathBuf],
    stored: Option<&[(String, u32, String)]>,
) -> Result<Outcome, Diagnostics> {
    let files = model::files(paths)?;
    let mut found = Vec::new();
    let mut others = Vec::new();
    // Calendars first: the workflows name them.
    let folder = model::calendars_folder(paths);
    let calendars = calendar::load_folder(folder);
    let named_calendars = files.of_kind(FileKind::Calendars).count() > 0;
    match &calendars {
        Ok(loaded) if named_calendars => {
            let declared = declared_calendars(loaded);
            others.push(format!(
                "{declared} calendar{}",
                if declared == 1 { "" } else { "s" }
            ));
        }
        Err(problems) if named_calendars => found.extend(problems.0.iter().cloned()),
        _ => {}
    }
    let workflows: Vec<PathBuf> = files.of_kind(FileKind::Workflow).cloned().collect();
    let checked = model::check_workflows(&workflows, &files.context, calendars.as_ref().ok());
    found.extend(checked.diagnostics.0);
    let catalog = Catalog::from_shared(checked.definitions, calendars.unwrap_or_default().into());
    for config in files.of_kind(FileKind::Assessment) {
        found.extend(assessment(config, &catalog));
        others.push("assessment.toml".to_owned());
    }
    let mut plans = 0;
    for folder in paths.iter().filter(|path| path.is_dir()) {
        let (count, problems) = crate::versions::plan::check_folder(
            folder,
            &|workflow, version| plan_version(&catalog, stored, workflow, version),
            stored.is_some(),
        );
        plans += count;
        found.extend(problems);
    }
    if plans > 0 {
        others.push(format!(
            "{plans} migration plan{}",
            if plans == 1 { "" } else { "s" }
        ));
    }
    Ok(Outcome {
        diagnostics: Diagnostics(found).sorted(),
        files: files.named.len(),
        workflows: workflows.len(),
        others,
    })
}

/// A workflow version for a migration plan: the folder's, else a stored one
/// (compiled with the folder's calendars).
fn plan_version(
    catalog: &Catalog,
    stored: Option<&[(String, u32, String)]>,
    workflow: &str,
    version: u32,
) -> Option<Arc<Definition>> {
    if let Some(loaded) = catalog.get(workflow).filter(|d| d.version == version) {
        return Some(Arc::clone(loaded));
    }
    let (_, _, source) = stored?
        .iter()
        .rev()
        .find(|(id, number, _)| id == workflow && *number == version)?;
    let name = PathBuf::from(format!("{workflow}@{version}.toml"));
    model::load_stored(&name, source, catalog.calendars())
        .ok()
        .map(Arc::new)
}

/// The calendars `calendars.toml` declares (`always` is built in).
fn declared_calendars(calendars: &Calendars) -> usize {
    calendars
        .names()
        .filter(|name| *name != calendar::ALWAYS)
        .count()
}

/// `assessment.toml`: its own rules, then the workflow names it borrows.
fn assessment(path: &Path, catalog: &Catalog) -> Vec<Diagnostic> {
    match assess::load_file(path) {
        Ok(config) => match config.check_names(catalog) {
            Ok(()) => Vec::new(),
            Err(problems) => problems.0,
        },
        Err(problems) => problems.0,
    }
}
