//! Which files of a workflows folder a reload accepts.
//!
//! Each file is judged on its own: one that does not validate keeps its
//! last good version loaded while the other changed files load, and a file
//! whose content changed under an unchanged `version` is refused the same
//! way, since a version is immutable once instances may run it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use crate::calendar;
use crate::model::source::{Seg, SourceMap};
use crate::model::{
    Catalog, Definition, LineIndex, Severity, check_file, check_workflows, workflow_files,
};

/// A file a reload did not take, and why (`file:line:column: message`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RefusedFile {
    pub file: String,
    pub problems: Vec<String>,
}

/// What re-reading the folder found: the catalog to make current and the
/// files whose last good version stays.
#[derive(Debug, Clone)]
pub struct Reloaded {
    pub catalog: Catalog,
    pub refused: Vec<RefusedFile>,
}

/// Re-reads `folder` against the `current` catalog. `stored_hash` answers
/// the content hash kept for a workflow version (the store's, which knows
/// versions from before a restart), so a changed file under an old number
/// is caught too.
pub fn reread(
    folder: &Path,
    current: &Catalog,
    stored_hash: &dyn Fn(&str, u32) -> Option<String>,
) -> Reloaded {
    let unchanged = |refused| Reloaded {
        catalog: current.clone(),
        refused,
    };
    let calendars = match calendar::load_folder(folder) {
        Ok(calendars) => Arc::new(calendars),
        Err(problems) => {
            return unchanged(vec![refused_file(
                &folder.join(calendar::CALENDARS_FILE),
                problems.0.iter().map(ToString::to_string).collect(),
            )]);
        }
    };
    let files = match workflow_files(&[folder.to_path_buf()]) {
        Ok(files) => files,
        Err(problems) => {
            return unchanged(vec![refused_file(
                folder,
                problems.0.iter().map(ToString::to_string).collect(),
            )]);
        }
    };
    // Checked together for the links between workflows (spawn, send).
    let checked = check_workflows(&files, &[], Some(&calendars));
    let mut errors: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    for problem in &checked.diagnostics.0 {
        if problem.severity == Severity::Error {
            errors
                .entry(problem.file.clone())
                .or_default()
                .push(problem.to_string());
        }
    }
    let mut workflows: BTreeMap<String, Arc<Definition>> = current
        .iter()
        .map(|definition| (definition.id.clone(), Arc::clone(definition)))
        .collect();
    let mut seen = Vec::new();
    let mut every_file_named_its_workflow = true;
    let mut refused = Vec::new();
    for file in &files {
        let report = check_file(file, Some(&calendars));
        match report.partial().map(|partial| partial.id.clone()) {
            Some(id) => seen.push(id),
            None => every_file_named_its_workflow = false,
        }
        if let Some(problems) = errors.remove(file) {
            refused.push(refused_file(file, problems));
            continue;
        }
        let Ok(definition) = report.into_result() else {
            every_file_named_its_workflow = false;
            continue;
        };
        if let Some(problem) = version_reused(file, &definition, current, stored_hash) {
            refused.push(refused_file(file, vec![problem]));
            continue;
        }
        workflows.insert(definition.id.clone(), Arc::new(definition));
    }
    // A workflow whose file is gone is unloaded (its running instances
    // keep their stored version); when some file did not even say which
    // workflow it is, nothing is unloaded on a guess.
    if every_file_named_its_workflow {
        workflows.retain(|id, _| seen.contains(id));
    }
    Reloaded {
        catalog: Catalog::from_shared(workflows.into_values(), calendars),
        refused,
    }
}

/// Why `definition` may not load: its `version` is known with other content.
fn version_reused(
    file: &Path,
    definition: &Definition,
    current: &Catalog,
    stored_hash: &dyn Fn(&str, u32) -> Option<String>,
) -> Option<String> {
    let known = current
        .get(&definition.id)
        .filter(|loaded| loaded.version == definition.version)
        .map(|loaded| loaded.source.hash.clone())
        .or_else(|| stored_hash(&definition.id, definition.version))?;
    (known != definition.source.hash).then(|| {
        let text = &definition.source.text;
        let at = SourceMap::new(text).span(&[Seg::from("version")]);
        let message = format!(
            "the content of `{}` changed but its `version` ({}) did not; versions are \
             immutable, so raise `version` (the version loaded before stays)",
            definition.id, definition.version,
        );
        LineIndex::new(file, text)
            .diagnostic(at, message, None)
            .to_string()
    })
}

fn refused_file(file: &Path, problems: Vec<String>) -> RefusedFile {
    RefusedFile {
        file: file.display().to_string(),
        problems,
    }
}
