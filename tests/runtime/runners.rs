//! Two runner processes on one PostgreSQL split the due timers between them
//! with `SKIP LOCKED` claims, and every timer fires exactly once.

use std::sync::{Arc, LazyLock};
use std::time::Instant;

use flowkeeper::runtime::{Runtime, SystemClock};
use flowkeeper::store::InstanceFilter;
use serde_json::Map;

use crate::driver::{Driver, fired};
use crate::support::{actor, catalog, postgres, ticker};

/// The fixture workflow of these tests, its timer due after 1m.
static TICKER: LazyLock<String> = LazyLock::new(|| ticker("1m"));

const INSTANCES: usize = 10_000;
const CREATORS: usize = 16;

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_runners_fire_ten_thousand_timers_exactly_once() {
    let Some(db) = postgres().await else { return };
    let started = Instant::now();
    let runtime = Arc::new(
        Runtime::new(
            db.store.clone(),
            catalog(&[TICKER.as_str()]),
            Arc::new(SystemClock),
        )
        .await
        .unwrap(),
    );
    let creators: Vec<_> = (0..CREATORS)
        .map(|creator| {
            let runtime = Arc::clone(&runtime);
            tokio::spawn(async move {
                for n in (creator..INSTANCES).step_by(CREATORS) {
                    let key = format!("T-{n}");
                    runtime
                        .create("ticker", &key, Map::new(), &actor("test"), None)
                        .await
                        .unwrap();
                }
            })
        })
        .collect();
    for creator in creators {
        creator.await.unwrap();
    }
    eprintln!("created {INSTANCES} in {:?}", started.elapsed());

    let driver = Driver::new(&db, &[("ticker.toml", TICKER.as_str())]);
    let args = |runner| {
        [
            "fire-timers",
            "--clock-offset",
            "10m",
            "--wait-for-go",
            "--runner",
            runner,
        ]
    };
    let mut runners = [driver.spawn(&args("a")), driver.spawn(&args("b"))];
    for runner in &runners {
        assert_eq!(runner.read(1), ["ready"]);
    }
    let firing = Instant::now();
    for runner in &mut runners {
        runner.send(&["go".to_owned()]);
    }
    let counts: Vec<usize> = runners.map(|runner| fired(&runner.finish())).to_vec();
    eprintln!("fired {counts:?} in {:?}", firing.elapsed());

    assert_eq!(counts.iter().sum::<usize>(), INSTANCES, "{counts:?}");
    assert!(
        counts.iter().all(|count| *count > 0),
        "both runners fired some: {counts:?}"
    );
    // One created and one timer line per instance, and no timer left...
    let counts = db.store.row_counts().await.unwrap();
    assert_eq!(counts["history"], 2 * INSTANCES as i64);
    assert_eq!(counts["timers"], 0);
    // ...and each timer's event applied exactly once.
    let mut ticked = 0;
    let mut filter = InstanceFilter {
        limit: 500,
        ..InstanceFilter::default()
    };
    loop {
        let page = db.store.list_instances(&filter).await.unwrap();
        for instance in &page.instances {
            assert_eq!(instance.data["ticks"], 1, "{}", instance.key);
            ticked += 1;
        }
        match page.next_cursor {
            Some(cursor) => filter.cursor = Some(cursor),
            None => break,
        }
    }
    assert_eq!(ticked, INSTANCES);
    db.drop_schema().await;
}
