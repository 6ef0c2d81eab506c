//! Workflow files: the format (`raw`), loading and validation, and the
//! compiled [`Definition`] the engine runs. No IO beyond reading the files
//! it is asked to load; no clock, no database.

mod compile;
pub mod definition;
mod diagnostic;
mod duration;
pub mod export;
mod expr;
pub mod fields;
mod links;
pub mod raw;
mod rules;
mod shape;
pub mod source;
pub mod validate;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::calendar::{self, Calendars};

pub use compile::{load_str, load_with};
pub use definition::Definition;
pub use diagnostic::{Diagnostic, Diagnostics, LineIndex, did_you_mean};
pub use duration::{Duration, DurationError, DurationParts};
pub use expr::{Expr, ExprError, References, Scope};

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

/// The files of a workflows folder that are not workflows.
const NOT_WORKFLOWS: [&str; 2] = ["assessment.toml", calendar::CALENDARS_FILE];

/// The workflow files found under `paths` (files as given, folders searched
/// for `*.toml` at their top level, sorted), skipping `assessment.toml` and
/// `calendars.toml`, which are not workflows.
pub fn workflow_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Diagnostics> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let entries =
                std::fs::read_dir(path).map_err(|error| Diagnostics::unreadable(path, &error))?;
            let mut found: Vec<PathBuf> = entries
                .filter_map(|entry| entry.ok().map(|entry| entry.path()))
                .filter(|file| file.extension().is_some_and(|ext| ext == "toml"))
                .filter(|file| {
                    file.file_name()
                        .and_then(|name| name.to_str())
                        .is_some_and(|name| !NOT_WORKFLOWS.contains(&name))
                })
                .collect();
            found.sort();
            files.extend(found);
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

/// Every workflow of a folder, loaded together so that references between
/// workflows (spawn, send) are checked too, with the calendars they name.
#[derive(Debug, Clone, Default)]
pub struct Catalog {
    workflows: BTreeMap<String, Arc<Definition>>,
    calendars: Arc<Calendars>,
}

impl Catalog {
    /// Loads every file; reports the problems of all files at once. The
    /// calendars are those of the first folder given (or of the folder of
    /// the first file); when they have problems, only those are reported.
    pub fn load(paths: &[PathBuf]) -> Result<Self, Diagnostics> {
        let folder = match paths.first() {
            Some(path) if path.is_dir() => path.as_path(),
            Some(path) => path.parent().unwrap_or(Path::new(".")),
            None => Path::new("."),
        };
        let calendars = calendar::load_folder(folder)?;
        let mut diagnostics = Vec::new();
        let mut loaded = Vec::new();
        for file in workflow_files(paths)? {
            let text = match Diagnostics::read(&file) {
                Ok(text) => text,
                Err(Diagnostics(found)) => {
                    diagnostics.extend(found);
                    continue;
                }
            };
            match load_with(&file, &text, &calendars) {
                Ok(definition) => loaded.push(links::Loaded { file, definition }),
                Err(Diagnostics(found)) => diagnostics.extend(found),
            }
        }
        // References are checked only when every file loaded: a file that
        // failed would make its workflow look unknown to the others.
        if diagnostics.is_empty() {
            diagnostics = links::check(&loaded);
        }
        if diagnostics.is_empty() {
            let workflows = loaded
                .into_iter()
                .map(|loaded| (loaded.definition.id.clone(), Arc::new(loaded.definition)))
                .collect();
            Ok(Self {
                workflows,
                calendars: Arc::new(calendars),
            })
        } else {
            Err(Diagnostics(diagnostics).sorted())
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
