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
    let dir = project(&[]);
    let output = flowkeeper(&["validate"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(stdout(&output), "1 workflow valid\n");
}

/// The repository's `workflows/` folder, copied so a test may change it.
fn shipped(changes: &[(&str, &str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let workflows = dir.path().join("workflows");
    std::fs::create_dir(&workflows).unwrap();
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows");
    for entry in std::fs::read_dir(source).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "toml") {
            let mut text = std::fs::read_to_string(&path).unwrap();
            let name = path.file_name().unwrap().to_str().unwrap();
            for (file, from, to) in changes {
                if *file == name {
                    assert!(text.contains(from), "{from} not in {file}");
                    text = text.replacen(from, to, 1);
                }
            }
            std::fs::write(workflows.join(name), text).unwrap();
        }
    }
    dir
}

#[test]
fn validate_checks_the_shipped_folder_with_its_assessment_configuration() {
    let dir = shipped(&[]);
    let output = flowkeeper(&["validate", "--deny-warnings"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(
        stdout(&output),
        "6 workflows, 1 calendar and assessment.toml valid\n"
    );
}

#[test]
fn validate_checks_assessment_toml_as_what_it_is() {
    let dir = shipped(&[(
        "assessment.toml",
        "workflow = \"service_desk\"",
        "workflow = \"service_dsk\"",
    )]);
    for args in [
        &["validate"][..],
        &["validate", "workflows/assessment.toml"],
    ] {
        let output = flowkeeper(args, dir.path());
        assert_eq!(output.status.code(), Some(1));
        let text = stdout(&output);
        assert!(
            text.starts_with("workflows/assessment.toml:33:12: no workflow `service_dsk` is loaded (hint: did you mean `service_desk`?)\n"),
            "{text}"
        );
    }
}

#[test]
fn validate_resolves_a_single_file_against_its_folder() {
    let dir = shipped(&[]);
    let output = flowkeeper(&["validate", "workflows/callback.toml"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(stdout(&output), "1 workflow valid\n");
    // A broken neighbour is not reported, and does not hide the file's own problems.
    let dir = shipped(&[
        ("complaint.toml", "version = ", "version = \"x\" #"),
        ("callback.toml", "title = ", "titel = "),
    ]);
    let output = flowkeeper(&["validate", "workflows/callback.toml"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    let text = stdout(&output);
    assert!(!text.contains("complaint.toml"), "{text}");
    assert!(
        text.contains("workflows/callback.toml:") && text.contains("unknown key `titel`"),
        "{text}"
    );
}

#[test]
fn warnings_pass_unless_denied() {
    let ticket = std::fs::read_to_string(super::ticket_fixture()).unwrap();
    let dir = project(&[(
        "renamed.toml",
        &ticket.replace("id = \"ticket\"", "id = \"other\""),
    )]);
    let output = flowkeeper(&["validate", "workflows/renamed.toml"], dir.path());
    assert_eq!(output.status.code(), Some(0), "{}", stdout(&output));
    assert_eq!(
        stdout(&output),
        "workflows/renamed.toml:4:6: warning: the workflow id `other` differs from the file name `renamed` (hint: rename the file to other.toml, or set id = \"renamed\")\n\
         1 workflow valid, with 1 warning\n"
    );
    let denied = flowkeeper(
        &["validate", "--deny-warnings", "workflows/renamed.toml"],
        dir.path(),
    );
    assert_eq!(denied.status.code(), Some(1));
    assert!(
        stdout(&denied).ends_with("1 problem (0 errors, 1 warning) in 1 of 1 file\n"),
        "{}",
        stdout(&denied)
    );
}

#[test]
fn validate_reports_where_a_file_is_not_utf8() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = b"id = \"t\"\ntitle = \"caf".to_vec();
    bytes.extend([0xff, 0xfe]);
    bytes.extend(b"\"\n");
    std::fs::write(dir.path().join("t.toml"), bytes).unwrap();
    let output = flowkeeper(&["validate", "t.toml"], dir.path());
    assert_eq!(output.status.code(), Some(1));
    assert_eq!(
        stdout(&output),
        "t.toml:2:13: the file is not valid UTF-8: bytes 0xFF 0xFE cannot start or continue a character (hint: save the file as UTF-8 (most editors offer it under \"encoding\"))\n\
         1 problem in 1 of 1 file\n"
    );
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
        "error: while loading workflows/bad.toml: \
         workflows/bad.toml:1:1: missing key `version` (hint: add version = 1, and raise it on every change)\n\
         workflows/bad.toml:1:1: missing key `title` (hint: add a title for people: title = \"Service desk\")\n\
         workflows/bad.toml:1:1: missing key `start` (hint: add the state new instances start in: start = \"submitted\")\n\
         workflows/bad.toml:1:1: missing key `states` (hint: add a [states.<name>] table for each state)\n"
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
