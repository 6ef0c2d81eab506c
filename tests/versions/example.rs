//! The worked example of `docs/process-owners.md`: service_desk version 2
//! passes its scenario, differs from version 1 as the doc says, and its
//! plan checks against the two versions.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use flowkeeper::model;
use flowkeeper::scenario::run_tests;
use flowkeeper::versions::diff::{diff, removed_states, render};
use flowkeeper::versions::plan::{self, PlanFile};

fn example() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/examples/service_desk-v2")
}

fn versions() -> (Arc<model::Definition>, Arc<model::Definition>) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let old = model::load_file(&root.join("workflows/service_desk.toml")).expect("version 1");
    let new = model::load_file(&example().join("service_desk.toml")).expect("version 2");
    (Arc::new(old), Arc::new(new))
}

#[tokio::test]
async fn version_2_passes_its_scenario() {
    let mut report = Vec::new();
    let summary = run_tests(&[example()], &mut report).await.unwrap();
    let report = String::from_utf8(report).unwrap();
    assert!(summary.success(), "{report}");
    assert_eq!(summary.passed, 1, "{report}");
}

#[test]
fn the_diff_says_what_the_doc_says() {
    let (old, new) = versions();
    let sections = diff(&old, &new);
    let text = render(&old, &new, &sections);
    for line in [
        "service_desk: version 1 → version 2",
        "added state `waiting_vendor`",
        "removed state `on_hold`",
        "added event `vendor_replied`",
        "in `handling`, `hold` now goes to `waiting_vendor` instead of `on_hold`",
        "added timer `vendor_chase`",
        "SLA clock `handling`: pauses in `waiting_vendor` (was `on_hold`)",
        "added field `priority`",
    ] {
        assert!(text.contains(line), "missing {line:?} in\n{text}");
    }
    assert_eq!(removed_states(&old, &new), ["on_hold"]);
    assert!(diff(&old, &old).is_empty());
}

#[test]
fn the_plan_checks_and_a_broken_one_points_at_its_mistakes() {
    let (old, new) = versions();
    let file = example().join("migrations/service_desk-1-to-2.toml");
    let text = std::fs::read_to_string(&file).unwrap();
    let parsed = PlanFile::parse(&file, &text).unwrap();
    let checked = plan::check(&file, &text, &parsed, &old, &new, None).expect("the plan checks");
    assert_eq!(checked.target_state("on_hold"), "waiting_vendor");
    assert_eq!(checked.target_state("handling"), "handling");

    let name = Path::new("broken.toml");
    let broken =
        "workflow = \"service_desk\"\nfrom = 1\nto = 2\n[states]\non_hold = \"waiting_vendr\"\n";
    let parsed = PlanFile::parse(name, broken).unwrap();
    let problems = plan::check(name, broken, &parsed, &old, &new, None)
        .unwrap_err()
        .to_string();
    assert!(
        problems.contains("broken.toml:5:11: version 2 has no state `waiting_vendr` (hint: did you mean `waiting_vendor`?)"),
        "{problems}"
    );
    assert!(
        problems.contains("field `priority` is required in version 2"),
        "{problems}"
    );

    let unmapped =
        "workflow = \"service_desk\"\nfrom = 1\nto = 2\n[data]\npriority = \"'normal'\"\n";
    let parsed = PlanFile::parse(name, unmapped).unwrap();
    let problems = plan::check(name, unmapped, &parsed, &old, &new, None)
        .unwrap_err()
        .to_string();
    assert!(
        problems.contains("state `on_hold` is gone in version 2"),
        "{problems}"
    );
    // With a database that knows nobody stands in `on_hold`, no mapping is needed.
    let nobody = Default::default();
    assert!(plan::check(name, unmapped, &parsed, &old, &new, Some(&nobody)).is_ok());
}
