//! A backup taken while 8 writers post events is one consistent moment:
//! restored, every event is either wholly in (its history line, the
//! instance's state and revision, its audit entry) or wholly out, and the
//! audit chain verifies.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use flowkeeper::backup::{self, Progress, RestoreOptions};
use flowkeeper::engine::{AccountName, Actor};
use flowkeeper::model::Catalog;
use flowkeeper::runtime::{ManualClock, Runtime, Target};
use serde_json::{Map, Value as Json};

use crate::support::{Db, Kind, REAL_START, dump};

const WRITERS: usize = 8;

const FLIP: &str = r#"
id = "flip"
version = 1
title = "Flip"
start = "a"

[states.a]
on.flip = "b"

[states.b]
on.flip = "a"

[events.flip]
title = "Flip"
"#;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_under_eight_writers_is_consistent_on_sqlite() {
    under_writers(Kind::Sqlite).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_backup_under_eight_writers_is_consistent_on_postgres() {
    under_writers(Kind::Postgres).await;
}

async fn under_writers(kind: Kind) {
    let folder = tempfile::tempdir().unwrap();
    let Some(source) = Db::fresh(kind, folder.path(), "source").await else {
        return;
    };
    let workflows = folder.path().join("workflows");
    std::fs::create_dir(&workflows).unwrap();
    std::fs::write(workflows.join("flip.toml"), FLIP).unwrap();
    let catalog = Catalog::load(&[workflows]).unwrap();
    let runtime = Arc::new(
        Runtime::new(
            source.store.clone(),
            catalog,
            Arc::new(ManualClock::new(REAL_START)),
        )
        .await
        .unwrap(),
    );
    let actor = Actor::Account(AccountName::parse("writer").unwrap());
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for writer in 0..WRITERS {
        let runtime = Arc::clone(&runtime);
        let stop = Arc::clone(&stop);
        let actor = actor.clone();
        writers.push(tokio::spawn(async move {
            let instance = runtime
                .create("flip", &format!("w{writer}"), Map::new(), &actor, None)
                .await
                .unwrap();
            let mut posted = 0usize;
            while !stop.load(Ordering::Relaxed) || posted < 20 {
                runtime
                    .post_event(&Target::Id(instance.id), "flip", Map::new(), &actor, None)
                    .await
                    .unwrap();
                posted += 1;
            }
            posted
        }));
    }
    // Let them get going, then back up in the middle of it.
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    let file = folder.path().join("busy.fkb");
    backup::take(&source.store, &file, REAL_START, &Progress::hidden())
        .await
        .expect("the backup");
    stop.store(true, Ordering::Relaxed);
    let mut posted = 0;
    for writer in writers {
        posted += writer.await.unwrap();
    }

    let target = Db::fresh(Kind::Sqlite, folder.path(), "target")
        .await
        .unwrap();
    let options = RestoreOptions {
        force: false,
        actor: "admin".into(),
        remote_addr: None,
        now: REAL_START,
    };
    backup::restore(
        &target.store,
        &file,
        backup::verify(&file, &Progress::hidden()).unwrap(),
        &options,
        &Progress::hidden(),
    )
    .await
    .expect("the restore");
    let check = target.store.verify_audit().await.unwrap();
    assert_eq!(check.first_bad_seq, None);

    let tables = dump(&target.store).await;
    let mut lines: BTreeMap<String, usize> = BTreeMap::new();
    for row in &tables["history"] {
        *lines
            .entry(row[0].as_str().unwrap().to_owned())
            .or_default() += 1;
    }
    let mut audited: BTreeMap<String, usize> = BTreeMap::new();
    for row in &tables["audit"] {
        if let Some(id) = row[4].as_str().unwrap().strip_prefix("instance:") {
            *audited.entry(id.to_owned()).or_default() += 1;
        }
    }
    let mut flips_in_backup = 0;
    let mut revision_base = None;
    for instance in &tables["instances"] {
        let id = instance[0].as_str().unwrap();
        let history = lines[id];
        // One line and one audit entry for the create and for each flip.
        assert_eq!(audited[id], history, "instance {id}");
        let flips = history - 1;
        flips_in_backup += flips;
        let state = if flips % 2 == 0 { "a" } else { "b" };
        assert_eq!(instance[5], Json::from(state), "instance {id}");
        // The revision counts changes as the history does, from one base.
        let base = instance[14].as_i64().unwrap() - history as i64;
        assert_eq!(*revision_base.get_or_insert(base), base, "revision of {id}");
    }
    assert!(flips_in_backup > 0, "the backup saw no writes");
    assert!(
        flips_in_backup < posted,
        "the backup saw every write: not taken mid-way"
    );
    source.drop().await;
    target.drop().await;
}
