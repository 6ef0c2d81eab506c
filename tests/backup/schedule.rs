//! Scheduled backups as `serve` runs them: the first at start, recorded in
//! the audit log by `engine`, shown in the status `/readyz` reports, the
//! oldest files pruned to `keep`, and a failure counted.

use std::sync::Arc;
use std::time::Duration;

use flowkeeper::backup::schedule::{self, BackupLoop, BackupSchedule, BackupStatus};
use flowkeeper::backup::{self, Progress};
use flowkeeper::model::Catalog;
use flowkeeper::runtime::{ManualClock, Runtime};
use flowkeeper::store::AuditQuery;

use crate::support::{Db, Kind, REAL_START, shipped_workflows};

async fn runtime(db: &Db, real: &ManualClock) -> Arc<Runtime> {
    let catalog = Catalog::load(&[shipped_workflows()]).unwrap();
    Arc::new(
        Runtime::new(
            db.store.clone(),
            catalog,
            Arc::new(ManualClock::new(REAL_START)),
        )
        .await
        .unwrap()
        .with_real_clock(Arc::new(real.clone())),
    )
}

fn files_in(dir: &std::path::Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|entry| entry.unwrap().file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn the_loop_backs_up_at_start_records_it_and_stops() {
    let folder = tempfile::tempdir().unwrap();
    let db = Db::fresh(Kind::Sqlite, folder.path(), "served")
        .await
        .unwrap();
    let real = ManualClock::new(REAL_START);
    let runtime = runtime(&db, &real).await;
    let dir = folder.path().join("backups");
    let settings = format!(
        "[backup]\nevery = \"1d\"\ndir = \"{}\"\nkeep = 2\n",
        dir.display()
    );
    let plan = BackupSchedule::from_settings(&settings).unwrap().unwrap();
    let status = Arc::new(BackupStatus::default());
    assert_eq!(status.scheduled_health(), None);
    let running = BackupLoop::start(Arc::clone(&runtime), plan, Arc::clone(&status));
    let mut waited = 0;
    while files_in(&dir).is_empty() && waited < 200 {
        tokio::time::sleep(Duration::from_millis(50)).await;
        waited += 1;
    }
    running.stop().await;
    assert_eq!(files_in(&dir), ["flowkeeper-20261001T080000Z.fkb"]);
    let health = status.scheduled_health().expect("backups are scheduled");
    assert_eq!(
        health.last_success.as_deref(),
        Some("2026-10-01T08:00:00.000Z")
    );
    assert_eq!(health.failures, 0);
    backup::verify(
        &dir.join("flowkeeper-20261001T080000Z.fkb"),
        &Progress::hidden(),
    )
    .unwrap();
    let page = db
        .store
        .audit_page(&AuditQuery {
            action: Some("backup.create".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.entries.len(), 1);
    assert_eq!(page.entries[0].actor, "engine");
    db.drop().await;
}

#[tokio::test]
async fn rounds_keep_the_newest_files_and_count_failures() {
    let folder = tempfile::tempdir().unwrap();
    let db = Db::fresh(Kind::Sqlite, folder.path(), "served")
        .await
        .unwrap();
    let real = ManualClock::new(REAL_START);
    let runtime = runtime(&db, &real).await;
    let dir = folder.path().join("backups");
    let plan = BackupSchedule {
        every: "1h".parse().unwrap(),
        dir: dir.clone(),
        keep: 2,
    };
    let status = BackupStatus::default();
    for _ in 0..3 {
        assert!(schedule::run_once(&runtime, &plan, &status).await.is_some());
        real.advance(3_600_000);
    }
    assert_eq!(
        files_in(&dir),
        [
            "flowkeeper-20261001T090000Z.fkb",
            "flowkeeper-20261001T100000Z.fkb"
        ]
    );
    // A folder that cannot be made: the round fails, is counted and audited.
    let blocked = folder.path().join("a-file");
    std::fs::write(&blocked, b"not a folder").unwrap();
    let broken = BackupSchedule {
        dir: blocked.join("backups"),
        ..plan
    };
    assert!(
        schedule::run_once(&runtime, &broken, &status)
            .await
            .is_none()
    );
    assert_eq!(status.health().failures, 1);
    let page = db
        .store
        .audit_page(&AuditQuery {
            action: Some("backup.fail".into()),
            limit: 10,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.entries.len(), 1);
    db.drop().await;
}
