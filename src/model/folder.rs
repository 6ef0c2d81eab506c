//! The files of a workflows folder and what each one is.
//!
//! A folder holds workflows (`<id>.toml`) and configuration files that are
//! not workflows (`assessment.toml`, `calendars.toml`). [`FileKind::of`] is the one place
//! that tells them apart, so `serve` never loads a configuration file as a
//! workflow and `flowkeeper validate` checks each file as what it is. A new
//! kind of file is a variant here, an arm in [`FileKind::of`], and a checker
//! in `crate::validate`.

use std::path::{Path, PathBuf};

use super::diagnostic::Diagnostics;

/// What a file of a workflows folder holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FileKind {
    /// A workflow definition (`docs/workflow-format.md`).
    Workflow,
    /// The assessment configuration (`docs/assessment.md`).
    Assessment,
    /// The business calendars (`workflows/calendars.toml`).
    Calendars,
}

impl FileKind {
    /// The kind of `path`, by its name.
    pub fn of(path: &Path) -> Self {
        match path.file_name().and_then(|name| name.to_str()) {
            Some("assessment.toml") => FileKind::Assessment,
            Some(crate::calendar::CALENDARS_FILE) => FileKind::Calendars,
            _ => FileKind::Workflow,
        }
    }
}

/// The files a command was given, and the files around them.
#[derive(Debug, Default)]
pub struct Files {
    /// The files to check and report on: the files given, and every
    /// `*.toml` at the top level of the folders given, sorted per folder.
    pub named: Vec<(PathBuf, FileKind)>,
    /// The other workflows of the folders of the files given one by one:
    /// read to resolve what the named files refer to, not reported on.
    pub context: Vec<PathBuf>,
}

impl Files {
    /// The named files of `kind`.
    pub fn of_kind(&self, kind: FileKind) -> impl Iterator<Item = &PathBuf> {
        self.named
            .iter()
            .filter(move |(_, named)| *named == kind)
            .map(|(path, _)| path)
    }
}

/// Lists the files `paths` name (files as given, folders searched for
/// `*.toml` at their top level).
pub fn files(paths: &[PathBuf]) -> Result<Files, Diagnostics> {
    let mut found = Files::default();
    let mut context_folders = Vec::new();
    for path in paths {
        if path.is_dir() {
            for file in toml_files(path)? {
                let kind = FileKind::of(&file);
                found.named.push((file, kind));
            }
        } else {
            found.named.push((path.clone(), FileKind::of(path)));
            let folder = match path.parent() {
                Some(parent) if parent.as_os_str().is_empty() => PathBuf::from("."),
                Some(parent) => parent.to_path_buf(),
                None => PathBuf::from("."),
            };
            if !context_folders.contains(&folder) {
                context_folders.push(folder);
            }
        }
    }
    for folder in context_folders {
        // A folder that cannot be listed only costs the context.
        for file in toml_files(&folder).unwrap_or_default() {
            let named = found.named.iter().any(|(named, _)| same_file(named, &file));
            if !named && FileKind::of(&file) == FileKind::Workflow {
                found.context.push(file);
            }
        }
    }
    Ok(found)
}

/// The workflow files `paths` name, for loading a catalog.
pub fn workflow_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Diagnostics> {
    Ok(files(paths)?.of_kind(FileKind::Workflow).cloned().collect())
}

fn toml_files(folder: &Path) -> Result<Vec<PathBuf>, Diagnostics> {
    let entries =
        std::fs::read_dir(folder).map_err(|error| Diagnostics::unreadable(folder, &error))?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .filter(|file| file.is_file() && file.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    found.sort();
    Ok(found)
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_follow_the_file_name() {
        assert_eq!(
            FileKind::of(Path::new("workflows/assessment.toml")),
            FileKind::Assessment
        );
        assert_eq!(
            FileKind::of(Path::new("workflows/callback.toml")),
            FileKind::Workflow
        );
    }

    #[test]
    fn a_single_file_brings_its_folder_as_context() {
        let folder = tempfile::tempdir().unwrap();
        for name in ["a.toml", "b.toml", "assessment.toml", "notes.txt"] {
            std::fs::write(folder.path().join(name), "").unwrap();
        }
        let files = files(&[folder.path().join("a.toml")]).unwrap();
        assert_eq!(
            files.named,
            [(folder.path().join("a.toml"), FileKind::Workflow)]
        );
        assert_eq!(files.context, [folder.path().join("b.toml")]);
        let whole = super::files(&[folder.path().to_path_buf()]).unwrap();
        assert_eq!(whole.named.len(), 3);
        assert!(whole.context.is_empty());
    }
}
