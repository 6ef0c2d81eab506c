//! `flowkeeper test`: finds scenario files, runs each, prints one line per
//! scenario (`ok   service_desk/reopen_starts_a_new_cycle`, or `FAIL …` and
//! what differed), a `N passed, M failed` line and the coverage of the
//! workflows the scenarios are about.

use std::collections::BTreeSet;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::coverage::{Coverage, WorkflowCoverage};
use super::runner::{self, RunError};
use super::{load_file, scenario_files};
use crate::model::{Catalog, Diagnostics};

/// The folder searched when no path is given.
pub const DEFAULT_FOLDER: &str = "workflows";

/// The verdict of a whole run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    pub passed: usize,
    pub failed: usize,
    /// One entry per workflow that a scenario was about, by id.
    pub coverage: Vec<WorkflowCoverage>,
}

impl Summary {
    /// Whether every scenario passed (and there was at least one): the
    /// command's exit status.
    pub fn success(&self) -> bool {
        self.failed == 0 && self.passed > 0
    }
}

/// Why no verdict could be given at all.
#[derive(Debug, thiserror::Error)]
pub enum TestError {
    #[error("the workflows in `{folder}` do not load:\n{diagnostics}")]
    Workflows {
        folder: PathBuf,
        diagnostics: Diagnostics,
    },
    #[error("cannot list the scenarios:\n{0}")]
    Scenarios(Diagnostics),
    #[error("no scenario files found under {0}")]
    NoScenarios(String),
    #[error("`{0}` does not exist")]
    Missing(PathBuf),
    #[error("a scenario could not be run: {0}")]
    Run(#[from] RunError),
    #[error("cannot write the report: {0}")]
    Output(#[from] io::Error),
}

/// Runs the scenarios under `paths` (default `workflows`) and writes the
/// report to `out`. The workflows are loaded from the folder the scenarios
/// belong to (the parent of their `tests` folder), all of them, so that
/// spawns and sends between workflows run as in production.
pub async fn run_tests(paths: &[PathBuf], out: &mut impl Write) -> Result<Summary, TestError> {
    let paths = if paths.is_empty() {
        vec![PathBuf::from(DEFAULT_FOLDER)]
    } else {
        paths.to_vec()
    };
    if let Some(missing) = paths.iter().find(|path| !path.exists()) {
        return Err(TestError::Missing(missing.clone()));
    }
    let folder = workflows_folder(&paths);
    let catalog = Catalog::load(std::slice::from_ref(&folder)).map_err(|diagnostics| {
        TestError::Workflows {
            folder: folder.clone(),
            diagnostics,
        }
    })?;
    let files = scenario_files(&paths).map_err(TestError::Scenarios)?;
    if files.is_empty() {
        let searched: Vec<String> = paths.iter().map(|p| p.display().to_string()).collect();
        return Err(TestError::NoScenarios(searched.join(", ")));
    }
    let mut coverage = Coverage::new(&catalog);
    let mut about = BTreeSet::new();
    let (mut passed, mut failed) = (0, 0);
    for file in &files {
        let name = scenario_name(file);
        let scenario = match load_file(file) {
            Ok(scenario) => scenario,
            Err(diagnostics) => {
                failed += 1;
                writeln!(out, "FAIL {name}")?;
                write_indented(out, &diagnostics.to_string())?;
                continue;
            }
        };
        about.insert(scenario.workflow.clone());
        let run = runner::run(&catalog, &scenario).await?;
        for (workflow, history) in &run.histories {
            coverage.record_history(workflow, history);
        }
        for refusal in &run.no_guard_held {
            coverage.record_no_guard_held(&refusal.workflow, &refusal.state, &refusal.event);
        }
        match run.failure {
            None => {
                passed += 1;
                writeln!(out, "ok   {name}")?;
            }
            Some(failure) => {
                failed += 1;
                writeln!(out, "FAIL {name}: {}", scenario.title)?;
                write_indented(out, &failure.to_string())?;
            }
        }
    }
    writeln!(out, "\n{passed} passed, {failed} failed")?;
    let coverage: Vec<WorkflowCoverage> = coverage
        .report()
        .into_iter()
        .filter(|workflow| about.contains(&workflow.workflow))
        .collect();
    if !coverage.is_empty() {
        writeln!(out, "\ncoverage:")?;
        for workflow in &coverage {
            write!(out, "{workflow}")?;
        }
    }
    Ok(Summary {
        passed,
        failed,
        coverage,
    })
}

/// The workflows folder: the first path that has a `tests` folder, else the
/// parent of the `tests` folder a path lies in, else `workflows`.
fn workflows_folder(paths: &[PathBuf]) -> PathBuf {
    for path in paths {
        if path.join("tests").is_dir() {
            return path.clone();
        }
        let tests = path
            .ancestors()
            .find(|ancestor| ancestor.file_name().is_some_and(|name| name == "tests"));
        if let Some(parent) = tests.and_then(Path::parent) {
            return if parent.as_os_str().is_empty() {
                PathBuf::from(".")
            } else {
                parent.to_path_buf()
            };
        }
    }
    PathBuf::from(DEFAULT_FOLDER)
}

/// `service_desk/reopen_starts_a_new_cycle` for
/// `workflows/tests/service_desk/reopen_starts_a_new_cycle.toml`.
fn scenario_name(file: &Path) -> String {
    let stem = file.file_stem().unwrap_or_default().to_string_lossy();
    match file.parent().and_then(Path::file_name) {
        Some(folder) if folder != "tests" => format!("{}/{stem}", folder.to_string_lossy()),
        _ => stem.into_owned(),
    }
}

fn write_indented(out: &mut impl Write, text: &str) -> io::Result<()> {
    for line in text.lines() {
        writeln!(out, "    {line}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_workflows_folder_from_any_scenario_path() {
        let root = tempfile::tempdir().unwrap();
        let workflows = root.path().join("flows");
        let tests = workflows.join("tests/complaint");
        std::fs::create_dir_all(&tests).unwrap();
        assert_eq!(
            workflows_folder(std::slice::from_ref(&workflows)),
            workflows
        );
        assert_eq!(workflows_folder(std::slice::from_ref(&tests)), workflows);
        assert_eq!(workflows_folder(&[tests.join("a.toml")]), workflows);
        assert_eq!(
            workflows_folder(&[PathBuf::from("tests/a.toml")]),
            PathBuf::from(".")
        );
        assert_eq!(
            workflows_folder(&[root.path().to_path_buf()]),
            PathBuf::from("workflows")
        );
    }

    #[test]
    fn names_a_scenario_by_its_folder_and_file() {
        let file = Path::new("workflows/tests/service_desk/reopen.toml");
        assert_eq!(scenario_name(file), "service_desk/reopen");
        assert_eq!(
            scenario_name(Path::new("workflows/tests/loose.toml")),
            "loose"
        );
    }
}
