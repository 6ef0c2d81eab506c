//! Workflow files: the format (`raw`), loading and validation, and the
//! compiled [`Definition`] the engine runs. No IO beyond reading the files
//! it is asked to load; no clock, no database.

mod compile;
pub mod definition;
mod diagnostic;
mod duration;
pub mod export;
mod expr;
mod expr_bindings;
pub mod fields;
mod folder;
mod graph;
mod links;
mod name;
pub mod raw;
mod rules;
mod shape;
pub mod source;
mod toml_string;
mod typecheck;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::calendar::{self, Calendars};

pub use compile::{Report, check_str, check_with, load_stored, load_str, load_with};
pub use definition::Definition;
pub use diagnostic::{Diagnostic, Diagnostics, LineIndex, Severity, did_you_mean};
pub use duration::{Duration, DurationError, DurationParts, MIN_TIMER_PERIOD};
pub use expr::{Expr, ExprError, References};
pub use expr_bindings::Scope;
pub use folder::{FileKind, Files, files, workflow_files};
pub use name::Name;

/// The JSON Schema (draft-07) of a workflow file, derived from
/// [`raw::WorkflowFile`], for editors (Taplo / Even Better TOML) and for
/// anyone generating workflow files.
pub fn json_schema() -> serde_json::Value {
    let schema = schemars::generate::SchemaSettings::draft07()
        .into_generator()
        .into_root_schema_for::<raw::WorkflowFile>();
    schema.to_value()
}

/// Loads and validates one workflow file, with the calendars of its folder
/// (`calendars.toml` beside it).
pub fn load_file(path: &Path) -> Result<Definition, Diagnostics> {
    let folder = path.parent().unwrap_or(Path::new("."));
    let calendars = calendar::load_folder(folder)?;
    load_with(path, &Diagnostics::read(path)?, &calendars)
}

/// Checks one workflow file: every error and warning. `calendars` are its
/// folder's (`None` when they did not load: any calendar name stands).
pub fn check_file(path: &Path, calendars: Option<&Calendars>) -> Report {
    match Diagnostics::read(path) {
        Ok(text) => check_with(path, &text, calendars),
        Err(diagnostics) => Report::unreadable(diagnostics),
    }
}

/// Workflow files checked together, so that references between them
/// (spawn, send) are checked too.
#[derive(Debug, Default)]
pub struct CheckedWorkflows {
    /// The problems of the named files, in file order.
    pub diagnostics: Diagnostics,
    /// Every workflow as far as it loaded (named and context files): its
    /// id and names are sound even when its file has errors, for the
    /// files that borrow names from workflows (`assessment.toml`).
    pub definitions: Vec<Arc<Definition>>,
    /// Elementary steps taken, see [`Report::work`].
    pub work: u64,
}

/// Checks the `named` workflow files, resolving what they refer to among
/// themselves and the `context` files (whose problems are not reported),
/// with the calendars of their folder (`None`: those did not load).
pub fn check_workflows(
    named: &[PathBuf],
    context: &[PathBuf],
    calendars: Option<&Calendars>,
) -> CheckedWorkflows {
    let reports: Vec<(&PathBuf, bool, Report)> = named
        .iter()
        .map(|file| (file, true))
        .chain(context.iter().map(|file| (file, false)))
        .map(|(file, report)| (file, report, check_file(file, calendars)))
        .collect();
    let mut checked = CheckedWorkflows::default();
    let mut found = Vec::new();
    for (_, report, outcome) in &reports {
        checked.work += outcome.work();
        if *report {
            found.extend(outcome.diagnostics().0.iter().cloned());
        }
    }
    let loaded: Vec<links::Loaded<'_>> = reports
        .iter()
        .filter_map(|(file, report, outcome)| {
            Some(links::Loaded {
                file,
                definition: outcome.partial()?,
                sound: !outcome.has_errors(),
                report: *report,
            })
        })
        .collect();
    found.extend(links::check(&loaded));
    checked.definitions = reports
        .into_iter()
        .filter_map(|(_, _, outcome)| outcome.into_partial().map(Arc::new))
        .collect();
    checked.diagnostics = Diagnostics(found).sorted();
    checked
}

/// The folder whose `calendars.toml` the files of `paths` use: the first
/// folder given, or the folder of the first file.
pub fn calendars_folder(paths: &[PathBuf]) -> &Path {
    match paths.first() {
        Some(path) if path.is_dir() => path.as_path(),
        Some(path) => match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent,
            _ => Path::new("."),
        },
        None => Path::new("."),
    }
}

/// Every workflow of a folder, loaded together so that references between
/// workflows (spawn, send) are checked too, with the calendars they name.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    workflows: BTreeMap<String, Arc<Definition>>,
    calendars: Arc<Calendars>,
}

impl Catalog {
    /// Loads every workflow file (configuration files such as
    /// `assessment.toml` and `calendars.toml` are not workflows) with the
    /// calendars of the first folder given (or of the folder of the first
    /// file); reports the problems of all of them at once. Warnings do not
    /// stop a load.
    pub fn load(paths: &[PathBuf]) -> Result<Self, Diagnostics> {
        let calendars = calendar::load_folder(calendars_folder(paths));
        let checked = check_workflows(&workflow_files(paths)?, &[], calendars.as_ref().ok());
        let calendars = match calendars {
            Ok(calendars) if !checked.diagnostics.has_errors() => calendars,
            Ok(_) => return Err(checked.diagnostics),
            Err(Diagnostics(mut problems)) => {
                problems.extend(checked.diagnostics.0);
                return Err(Diagnostics(problems).sorted());
            }
        };
        Ok(Self::from_shared(checked.definitions, Arc::new(calendars)))
    }

    /// A catalog of definitions already shared (a folder's check).
    pub fn from_shared(
        definitions: impl IntoIterator<Item = Arc<Definition>>,
        calendars: Arc<Calendars>,
    ) -> Self {
        let workflows = definitions
            .into_iter()
            .map(|definition| (definition.id.clone(), definition))
            .collect();
        Self {
            workflows,
            calendars,
        }
    }

    /// A catalog of already-loaded definitions (tests, the store's versions).
    pub fn from_definitions(definitions: impl IntoIterator<Item = Definition>) -> Self {
        let workflows = definitions
            .into_iter()
            .map(|definition| (definition.id.clone(), Arc::new(definition)))
            .collect();
        Self {
            workflows,
            calendars: Arc::default(),
        }
    }

    /// The calendars the workflows were compiled with: stored versions of
    /// them are compiled with these too.
    pub fn calendars(&self) -> &Arc<Calendars> {
        &self.calendars
    }

    pub fn get(&self, id: &str) -> Option<&Arc<Definition>> {
        self.workflows.get(id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &Arc<Definition>> {
        self.workflows.values()
    }
}
