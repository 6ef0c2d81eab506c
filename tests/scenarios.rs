//! The shipped scenarios (`workflows/tests/**`) all pass through the real
//! runtime, and together take every transition of the six workflows; a
//! broken scenario fails with a message that says where and what.

use std::path::{Path, PathBuf};

use flowkeeper::scenario::{Stage, run, run_tests};

fn workflows() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows")
}

#[tokio::test]
async fn every_shipped_scenario_passes_and_covers_every_transition() {
    let mut report = Vec::new();
    let summary = run_tests(&[workflows()], &mut report).await.unwrap();
    let report = String::from_utf8(report).unwrap();
    assert_eq!(summary.failed, 0, "{report}");
    assert!(summary.passed >= 33, "{report}");
    assert!(
        report.contains(&format!("{} passed, 0 failed", summary.passed)),
        "{report}"
    );
    let ids: Vec<&str> = summary
        .coverage
        .iter()
        .map(|w| w.workflow.as_str())
        .collect();
    assert_eq!(
        ids,
        [
            "callback",
            "complaint",
            "customer_tier",
            "presale",
            "service_desk",
            "unpaid_order"
        ],
        "{report}"
    );
    for workflow in &summary.coverage {
        assert_eq!(workflow.transitions.percent(), 100, "{report}");
        assert_eq!(workflow.states.percent(), 100, "{report}");
        assert_eq!(workflow.guard_branches.percent(), 100, "{report}");
        assert!(workflow.untested.is_empty(), "{report}");
    }
    println!("{report}");
}

/// The boundaries `spec/processes.md` calls out each have a shipped
/// scenario; removing one must fail here, not go unnoticed.
#[test]
fn the_boundary_scenarios_are_shipped() {
    let required = [
        "unpaid_order/exactly_100_gets_a_message",
        "unpaid_order/expires_after_72_hours",
        "customer_tier/exactly_two_purchases_and_500_yuan",
        "customer_tier/exactly_500_in_one_purchase",
        "customer_tier/weekly_sms",
        "callback/three_unanswered_calls",
        "callback/issue_opens_a_complaint",
        "service_desk/hold_pauses_handling",
        "service_desk/reopen_starts_a_new_cycle",
        "presale/answer_then_order",
    ];
    for name in required {
        let file = workflows().join("tests").join(format!("{name}.toml"));
        assert!(file.is_file(), "missing scenario {}", file.display());
    }
}

/// A folder with the shipped workflows and one scenario file, `text`.
fn folder_with_scenario(text: &str) -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(workflows()).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "toml") {
            std::fs::copy(&path, root.path().join(path.file_name().unwrap())).unwrap();
        }
    }
    let folder = root.path().join("tests/unpaid_order");
    std::fs::create_dir_all(&folder).unwrap();
    let file = folder.join("broken.toml");
    std::fs::write(&file, text).unwrap();
    (root, file)
}

const BROKEN: &str = r#"workflow = "unpaid_order"
title = "exactly 100 yuan, wrongly expected to get a call"

[start]
key = "O-9"
data = { amount = 100.0, customer = "c-9" }

[[steps]]
advance = "29m"

[[steps]]
advance = "1m"
[steps.expect]
state = "phone_reminder"
timers = ["expire"]
"#;

#[tokio::test]
async fn a_broken_scenario_names_its_file_step_field_and_both_values() {
    let (root, file) = folder_with_scenario(BROKEN);
    let mut report = Vec::new();
    let summary = run_tests(&[root.path().to_path_buf()], &mut report)
        .await
        .unwrap();
    let report = String::from_utf8(report).unwrap();
    assert!(!summary.success(), "{report}");
    assert_eq!((summary.passed, summary.failed), (0, 1), "{report}");
    let expected = format!(
        "FAIL unpaid_order/broken: exactly 100 yuan, wrongly expected to get a call\n    \
         {}:11:1: step 2 (advance 1m)\n      \
         state\n        \
         expected: phone_reminder\n        \
         actual:   message_reminder\n",
        file.display()
    );
    assert!(report.contains(&expected), "{report}");
    // The timers did hold: only what differs is reported.
    assert!(!report.contains("timers"), "{report}");
    assert!(report.contains("0 passed, 1 failed"), "{report}");

    // The same failure, as a value.
    let catalog = flowkeeper::model::Catalog::load(&[root.path().to_path_buf()]).unwrap();
    let scenario = flowkeeper::scenario::load_file(&file).unwrap();
    let failure = run(&catalog, &scenario).await.unwrap().failure.unwrap();
    assert_eq!(failure.stage, Stage::Step(2));
    assert_eq!((failure.place.line, failure.place.column), (11, 1));
    assert_eq!(failure.mismatches.len(), 1);
    assert_eq!(failure.mismatches[0].field, "state");
}

#[tokio::test]
async fn an_unexpected_refusal_and_a_missing_instance_are_failures_too() {
    let text = r#"workflow = "unpaid_order"
title = "paying twice"

[start]
key = "O-10"
data = { amount = 10.0, customer = "c-10" }

[[steps]]
event = "pay"

[[steps]]
event = "pay"
"#;
    let (root, _file) = folder_with_scenario(text);
    let mut report = Vec::new();
    run_tests(&[root.path().to_path_buf()], &mut report)
        .await
        .unwrap();
    let report = String::from_utf8(report).unwrap();
    assert!(report.contains("step 2 (event `pay`)"), "{report}");
    assert!(
        report.contains("outcome\n        expected: accepted\n        actual:   instance_ended"),
        "{report}"
    );

    let text = r#"workflow = "unpaid_order"
title = "a callback that does not exist yet"

[start]
key = "O-11"
data = { amount = 10.0, customer = "c-11" }

[[steps]]
event = "call"
workflow = "callback"
data = { result = "satisfied" }
[steps.expect]
state = "done"
"#;
    let (root, _file) = folder_with_scenario(text);
    let mut report = Vec::new();
    run_tests(&[root.path().to_path_buf()], &mut report)
        .await
        .unwrap();
    let report = String::from_utf8(report).unwrap();
    assert!(
        report.contains("step 1 (event `call` to `callback` `O-11`)"),
        "{report}"
    );
    assert!(
        report.contains("actual:   no `callback` instance has key `O-11`"),
        "{report}"
    );
}

#[tokio::test]
async fn coverage_lists_what_one_scenario_leaves_untested() {
    let file = workflows().join("tests/unpaid_order/exactly_100_gets_a_message.toml");
    let mut report = Vec::new();
    let summary = run_tests(&[file], &mut report).await.unwrap();
    let report = String::from_utf8(report).unwrap();
    assert_eq!(summary.passed, 1, "{report}");
    let [unpaid] = &summary.coverage[..] else {
        panic!("only the scenario's workflow is reported: {report}");
    };
    assert_eq!(unpaid.workflow, "unpaid_order");
    // unpaid, message_reminder, paid of 6.
    assert_eq!(
        (unpaid.states.covered, unpaid.states.total),
        (3, 6),
        "{report}"
    );
    assert!(unpaid.transitions.percent() < 100, "{report}");
    for gap in [
        "state `phone_reminder` never entered",
        "transition `unpaid` --remind_due #1--> `phone_reminder` never taken",
        "guard `data.amount > 100.0` of `unpaid` --remind_due #1--> `phone_reminder` never true",
        "transition (any state) --expire #1--> `closed_unpaid` never taken",
    ] {
        assert!(
            unpaid.untested.iter().any(|line| line == gap),
            "{gap}: {report}"
        );
        assert!(report.contains(&format!("untested: {gap}")), "{report}");
    }
    assert!(
        !unpaid
            .untested
            .iter()
            .any(|line| line.contains("guard `data.amount > 100.0`")
                && line.ends_with("never false")),
        "the 100 yuan order showed the guard false: {report}"
    );
}

#[tokio::test]
async fn an_incident_opened_by_a_step_fails_it() {
    // A workflow that spawns the same callback twice: the second spawn
    // finds the key taken and is refused.
    let spawner = r#"id = "spawner"
version = 1
title = "spawns one callback twice"
start = "a"

[states.a]
on.go = { to = "b", actions = [
    { spawn = { workflow = "callback", key = "key", data = { customer = "'c-1'" } } },
    { spawn = { workflow = "callback", key = "key", data = { customer = "'c-1'" } } },
] }

[states.b]
terminal = true

[events.go]
"#;
    let text = r#"workflow = "spawner"
title = "the second spawn is refused"

[start]
key = "S-1"

[[steps]]
event = "go"
[steps.expect]
state = "b"
"#;
    let (root, file) = folder_with_scenario(text);
    std::fs::write(root.path().join("spawner.toml"), spawner).unwrap();
    let catalog = flowkeeper::model::Catalog::load(&[root.path().to_path_buf()]).unwrap();
    let scenario = flowkeeper::scenario::load_file(&file).unwrap();
    let failure = run(&catalog, &scenario).await.unwrap().failure.unwrap();
    assert_eq!(failure.stage, Stage::Step(1));
    let [incident] = &failure.mismatches[..] else {
        panic!("only the incident differs: {failure}");
    };
    assert_eq!(incident.field, "incidents");
    assert!(
        incident.actual.starts_with("spawn: spawn `callback` `S-1`"),
        "{failure}"
    );
    assert!(incident.actual.contains("already has key"), "{failure}");
}

#[tokio::test]
async fn a_name_the_workflows_lack_fails_before_the_run_with_a_hint() {
    let text = r#"workflow = "unpaid_order"
title = "a typo"

[start]
key = "O-13"
data = { amount = 10.0, customer = "c-13" }

[[steps]]
advance = "30m"
[steps.expect]
state = "mesage_reminder"
slas = { reply = "met" }
spawned = [{ workflow = "calback", key = "O-13" }]
"#;
    let (root, file) = folder_with_scenario(text);
    let catalog = flowkeeper::model::Catalog::load(&[root.path().to_path_buf()]).unwrap();
    let scenario = flowkeeper::scenario::load_file(&file).unwrap();
    let run = run(&catalog, &scenario).await.unwrap();
    assert!(run.histories.is_empty(), "nothing ran");
    let failure = run.failure.unwrap();
    assert_eq!(failure.stage, Stage::Step(1));
    let found: Vec<(&str, &str, &str)> = failure
        .mismatches
        .iter()
        .map(|m| (m.field.as_str(), m.expected.as_str(), m.actual.as_str()))
        .collect();
    assert_eq!(
        found,
        [
            (
                "unknown state",
                "a state of `unpaid_order`",
                "`mesage_reminder` (did you mean `message_reminder`?)"
            ),
            (
                "unknown SLA clock",
                "an SLA clock of `unpaid_order`",
                "`reply`"
            ),
            (
                "unknown workflow",
                "a workflow of the folder",
                "`calback` (did you mean `callback`?)"
            ),
        ]
    );
}

fn flowkeeper_test(args: &[&Path]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_flowkeeper"))
        .arg("test")
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn the_test_command_exits_0_when_all_pass_and_1_when_one_fails() {
    let folder = workflows().join("tests/complaint");
    let output = flowkeeper_test(&[&folder]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(0), "{stdout}");
    assert!(stdout.starts_with("ok   complaint/"), "{stdout}");
    assert!(stdout.contains("\n4 passed, 0 failed\n"), "{stdout}");
    assert!(stdout.contains("\ncoverage:\n  complaint "), "{stdout}");

    let (root, file) = folder_with_scenario(BROKEN);
    let output = flowkeeper_test(&[root.path()]);
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert_eq!(output.status.code(), Some(1), "{stdout}");
    assert!(
        stdout.contains(&format!("{}:11:1: step 2", file.display())),
        "{stdout}"
    );
    assert!(stdout.contains("0 passed, 1 failed"), "{stdout}");

    let missing = root.path().join("nowhere");
    let output = flowkeeper_test(&[&missing]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("nowhere` does not exist"), "{stderr}");
}
