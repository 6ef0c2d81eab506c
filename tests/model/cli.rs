//! The `flowkeeper` binary on temporary files: exit codes and output.

use std::path::Path;
use std::process::{Command, Output};

fn flowkeeper(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_flowkeeper"))
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap()
}

fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// A folder holding `workflows/` with the fixture and `extra` files.
fn project(extra: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let workflows = dir.path().join("workflows");
    std::fs::create_dir(&workflows).unwrap();
    std::fs::copy(super::ticket_fixture(), workflows.join("ticket.toml")).unwrap();
    for (name, text) in extra {
        std::fs::write(workflows.join(name), text).unwrap();
    }
    dir
}

#[test]
fn validate_defaults_to_the_workflows_folder_and_exits_0() {
    let dir = project(&[("assessment.toml", "not a workflow = at all")]);
    let output = flowkeeper(&["validate"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(stdout(&output), "1 workflow valid\n");
}

#[test]
fn validate_prints_every_problem_with_its_position_and_exits_1() {
    let bad = "id = \"bad\"\nversion = 1\ntitle = \"B\"\nstart = \"a\"\n[states.a]\non.go = \"bb\"\ntitel = \"A\"\n[events.go]\n";
    let dir = project(&[("bad.toml", bad)]);
    let output = flowkeeper(
        &["validate", "workflows/bad.toml", "workflows/ticket.toml"],
        dir.path(),
    );
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        "workflows/bad.toml:7:1: unknown key `titel` (hint: did you mean `title`?)\n\
         1 problem in 1 of 2 files\n"
    );
}

#[test]
fn validate_reports_compile_problems_of_several_files() {
    let bad = std::fs::read_to_string(super::ticket_fixture())
        .unwrap()
        .replace("on.hold = \"waiting\"", "on.hold = \"wating\"");
    let dir = project(&[(
        "other.toml",
        &bad.replace("id = \"ticket\"", "id = \"other\""),
    )]);
    let output = flowkeeper(&["validate", "workflows"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(
        text.starts_with(
            "workflows/other.toml:39:11: unknown state `wating` (hint: did you mean `waiting`?)\n"
        ),
        "{text}"
    );
    assert!(text.ends_with("1 problem in 1 of 2 files\n"), "{text}");
}

#[test]
fn validate_of_a_folder_without_workflows_fails() {
    let dir = tempfile::tempdir().unwrap();
    let output = flowkeeper(&["validate", "."], dir.path());
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(stderr(&output), "error: no workflow files (*.toml) in .\n");
}

#[test]
fn graph_prints_mermaid_by_default_and_dot_or_svg_on_request() {
    let dir = project(&[]);
    let mermaid = flowkeeper(&["graph", "workflows/ticket.toml"], dir.path());
    assert_eq!(mermaid.status.code(), Some(0));
    assert!(stdout(&mermaid).starts_with("stateDiagram-v2\n"));
    let dot = flowkeeper(
        &["graph", "workflows/ticket.toml", "--format", "dot"],
        dir.path(),
    );
    assert_eq!(dot.status.code(), Some(0));
    assert!(stdout(&dot).starts_with("digraph \"ticket\" {\n"));
    let svg = flowkeeper(
        &["graph", "workflows/ticket.toml", "--format", "svg"],
        dir.path(),
    );
    assert_eq!(svg.status.code(), Some(0));
    assert!(stdout(&svg).contains("<svg"));
}

#[test]
fn graph_of_an_invalid_file_fails_with_the_problems() {
    let dir = project(&[("bad.toml", "id = \"bad\"\n")]);
    let output = flowkeeper(&["graph", "workflows/bad.toml"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stderr(&output),
        "error: while loading workflows/bad.toml: workflows/bad.toml:1:1: missing field `version`\n"
    );
}

#[test]
fn schema_prints_the_json_schema() {
    let dir = tempfile::tempdir().unwrap();
    let output = flowkeeper(&["schema"], dir.path());
    assert_eq!(output.status.code(), Some(0));
    let schema: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(schema, flowkeeper::model::json_schema());
}
