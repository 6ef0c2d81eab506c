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
    assert!(report.contains(&format!("{} passed, 0 failed", summary.passed)), "{report}");
    let ids: Vec<&str> = summary.coverage.iter().map(|w| w.workflow.as_str()).collect();
    assert_eq!(
        ids,
        ["callback", "complaint", "customer_tier", "presale", "service_desk", "unpaid_order"],
        "{report}"
    );
    for workflow in &summary.coverage {
        assert_eq!(workflow.transitions.percent(), 100, "{report}");
        assert_eq!(workflow.states.percent(), 100, "{report}");
    }
    println!("{report}");
}
