//! The correctness bars of `spec/time.md` as scenarios: office hours,
//! pauses over a weekend, a holiday week and a make-up Saturday on the
//! shipped `service_desk`; cron slots across daylight saving and a restart
//! that missed three daily slots on the workflows of `tests/fixtures/time`
//! (no shipped workflow has a New York clock). Removing one fails here.

use std::path::{Path, PathBuf};

use flowkeeper::scenario::run_tests;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn every_correctness_bar_has_its_scenario() {
    let required = [
        "workflows/tests/service_desk/handling_level_3",
        "workflows/tests/service_desk/hold_over_a_weekend",
        "workflows/tests/service_desk/holiday_week",
        "workflows/tests/service_desk/make_up_saturday",
        "tests/fixtures/time/tests/dst/spring_forward",
        "tests/fixtures/time/tests/dst/fall_back",
        "tests/fixtures/time/tests/daily/restart_after_three_daily_slots",
    ];
    for name in required {
        let file = root().join(format!("{name}.toml"));
        assert!(file.is_file(), "missing scenario {}", file.display());
    }
}

#[tokio::test]
async fn the_time_fixture_scenarios_pass_and_cover_their_workflows() {
    let folder: PathBuf = root().join("tests/fixtures/time");
    let mut report = Vec::new();
    let summary = run_tests(&[folder], &mut report).await.unwrap();
    let report = String::from_utf8(report).unwrap();
    assert_eq!((summary.passed, summary.failed), (3, 0), "{report}");
    for workflow in &summary.coverage {
        assert_eq!(workflow.transitions.percent(), 100, "{report}");
    }
}
