//! How fast the console's pages answer with 100 000 instances in the store.
//!
//! `cargo bench --bench console` (SQLite; PostgreSQL too when
//! `FLOWKEEPER_TEST_DATABASE_URL` is set). One real ticket is started
//! through the runtime, then 100 000 copies of it are written straight to
//! the store in varied states (a fifth live, the rest completed or
//! cancelled), the live ones with their timers and SLA cycles. The clock
//! then stands after the last copy: one live copy in 10 has its SLA
//! cycle and timers overdue (stuck, 2 000 in all), the others are due
//! tomorrow. PostgreSQL then gets the `VACUUM ANALYZE` autovacuum would
//! soon run. Each page is asked for 30 times through the real router with
//! a signed-in session; the median and the 95th percentile are printed,
//! next to the raw store calls the pages rest on (listing, counts, the
//! stuck count, page and whole list). Ends with `metric <name> <value>`
//! lines (milliseconds).

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use flowkeeper::api::{AppState, DEFAULT_MAX_BODY, router};
use flowkeeper::engine::Status;
use flowkeeper::model::Catalog;
use flowkeeper::runtime::{ManualClock, Runtime, SignIn};
use flowkeeper::store::{InstanceFilter, Store, testing};
use serde_json::json;
use tower::ServiceExt;
use uuid::Uuid;

const INSTANCES: usize = 100_000;
const RUNS: usize = 30;
/// 2026-10-01T08:00:00Z.
const START: i64 = 1_790_841_600_000;
/// When the pages are asked for: an hour after the last copy was created.
const NOW: i64 = START + INSTANCES as i64 * 1000 + 3_600_000;
/// One live copy in this many is stuck (its deadlines passed).
const STUCK_EVERY: usize = 10;

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a tokio runtime");
    runtime.block_on(async {
        let folder = tempfile::tempdir().expect("a temp folder");
        let sqlite = Store::connect(&format!(
            "sqlite://{}",
            folder.path().join("bench.db").display()
        ))
        .await
        .expect("SQLite");
        measure("sqlite", sqlite).await;
        if let Some(url) = testing::postgres_url() {
            let (store, schema) = testing::fresh_schema(&url, "console_bench", 8)
                .await
                .expect("PostgreSQL");
            measure("postgres", store.clone()).await;
            testing::drop_schema(&store, &schema)
                .await
                .expect("drop the schema");
        }
    });
}

fn percentile(sorted: &[Duration], share: f64) -> f64 {
    let index = ((sorted.len() as f64 - 1.0) * share).round() as usize;
    sorted[index].as_secs_f64() * 1000.0
}

async fn timed<F, Fut>(mut run: F) -> (f64, f64)
where
    F: FnMut() -> Fut,
    Fut: Future<Output = ()>,
{
    run().await;
    let mut times = Vec::with_capacity(RUNS);
    for _ in 0..RUNS {
        let start = Instant::now();
        run().await;
        times.push(start.elapsed());
    }
    times.sort();
    (percentile(&times, 0.5), percentile(&times, 0.95))
}

async fn measure(backend: &str, store: Store) {
    let workflows = Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows");
    let catalog = Catalog::load(std::slice::from_ref(&workflows)).expect("the shipped workflows");
    let clock = Arc::new(ManualClock::new(START));
    let runtime = Arc::new(
        Runtime::new(store.clone(), catalog, clock.clone())
            .await
            .expect("the runtime")
            .with_real_clock(clock.clone()),
    );
    let state = AppState::new(Arc::clone(&runtime), true, workflows);
    let app = router(state, DEFAULT_MAX_BODY);
    let admin = runtime.admin_account().await.expect("the admin account");
    let template = runtime
        .create(
            "service_desk",
            "IT-0",
            json!({"level": 2, "summary": "印表機卡紙"})
                .as_object()
                .unwrap()
                .clone(),
            flowkeeper::runtime::Principal::Account {
                account: Arc::new(admin.clone()),
                remote_addr: None,
            },
            None,
        )
        .await
        .expect("the template ticket");
    let states = [
        "submitted",
        "received",
        "dispatched",
        "handling",
        "confirmation",
    ];
    let fill = Instant::now();
    let copies = (0..INSTANCES).map(|index| {
        let mut copy = template.clone();
        copy.id = Uuid::now_v7();
        copy.key = format!("IT-{index:06}").into();
        copy.created_at = START + index as i64 * 1000;
        copy.updated_at = copy.created_at;
        copy.entered_at = copy.created_at;
        // Deadlines as the template's, counted from this copy's creation;
        // all but one in `STUCK_EVERY` live copies moved to tomorrow.
        let shift = if index % (5 * STUCK_EVERY) == 0 {
            copy.created_at - START
        } else {
            NOW + 86_400_000 - START
        };
        for cycle in &mut copy.slas {
            cycle.started_at = copy.created_at;
            cycle.due_at += shift;
        }
        for timer in &mut copy.timers {
            timer.due_at += shift;
        }
        match index % 5 {
            0 => copy.state = states[index / 5 % states.len()].into(),
            1..=3 => {
                copy.state = "closed".into();
                copy.status = Status::Completed;
                copy.slas.clear();
                copy.timers.clear();
            }
            _ => {
                copy.state = "cancelled".into();
                copy.status = Status::Cancelled;
                copy.slas.clear();
                copy.timers.clear();
            }
        }
        copy
    });
    testing::insert_instances(&store, copies)
        .await
        .expect("the copies");
    println!(
        "[{backend}] wrote {INSTANCES} instances in {:.1} s",
        fill.elapsed().as_secs_f64()
    );
    testing::settle(&store).await.expect("VACUUM ANALYZE");
    clock.set(NOW);

    let password = "bench-password-1";
    let created = runtime
        .create_account(
            flowkeeper::accounts::AccountDraft {
                name: flowkeeper::accounts::AccountName::parse("lead").unwrap(),
                role: flowkeeper::accounts::Role::Admin,
                teams: vec![],
                title: "Lead".to_owned(),
                password: Some(flowkeeper::accounts::PasswordHash::create(
                    &flowkeeper::accounts::Password::parse(password).unwrap(),
                )),
                expires_at: None,
                approval: None,
                emergency: false,
            },
            flowkeeper::runtime::Principal::Account {
                account: Arc::new(admin),
                remote_addr: None,
            },
        )
        .await;
    created.expect("the lead's account");
    let SignIn::Granted(granted) = runtime
        .sign_in("lead", password.to_owned(), None)
        .await
        .expect("sign in")
    else {
        panic!("the lead could not sign in");
    };
    let cookie = format!("flowkeeper_session={}", granted.secret.expose());

    let pages = [
        ("overview", "/ui/".to_owned()),
        ("instances", "/ui/instances".to_owned()),
        (
            "instances_filtered",
            "/ui/instances?workflow=service_desk&state=received&status=active".to_owned(),
        ),
        ("instance", format!("/ui/instances/{}", template.id)),
        ("stuck", "/ui/stuck".to_owned()),
        ("instances_stuck", "/ui/instances?stuck=true".to_owned()),
        ("workflows", "/ui/workflows".to_owned()),
        ("workflow", "/ui/workflows/service_desk".to_owned()),
        ("assessment", "/ui/assessment?month=2026-10".to_owned()),
        ("audit", "/ui/audit".to_owned()),
        ("accounts", "/ui/accounts".to_owned()),
    ];
    let mut metrics = Vec::new();
    for (name, path) in &pages {
        let (p50, p95) = timed(|| {
            let request = Request::get(path.as_str())
                .header(header::COOKIE, &cookie)
                .body(Body::empty())
                .unwrap();
            let app = app.clone();
            async move {
                let response = app.oneshot(request).await.unwrap();
                assert_eq!(response.status(), StatusCode::OK, "{path}");
                axum::body::to_bytes(response.into_body(), usize::MAX)
                    .await
                    .unwrap();
            }
        })
        .await;
        println!("[{backend}] GET {path:<70} p50 {p50:7.2} ms  p95 {p95:7.2} ms");
        metrics.push((format!("console_{backend}_{name}_p50_ms"), p50));
        metrics.push((format!("console_{backend}_{name}_p95_ms"), p95));
    }
    // The raw database doing what the pages rest on.
    let filter = InstanceFilter {
        limit: 50,
        ..InstanceFilter::default()
    };
    let (list, _) = timed(|| async {
        store.list_instances(&filter).await.unwrap();
    })
    .await;
    let (counts, _) = timed(|| async {
        store.live_counts().await.unwrap();
    })
    .await;
    let (stuck_count, _) = timed(|| async {
        runtime.stuck_count().await.unwrap();
    })
    .await;
    let (stuck_page, _) = timed(|| async {
        runtime.stuck_page(&filter).await.unwrap();
    })
    .await;
    let (stuck, _) = timed(|| async {
        runtime.stuck().await.unwrap();
    })
    .await;
    let (versions, _) = timed(|| async {
        store.version_counts().await.unwrap();
    })
    .await;
    let stuck_total = runtime.stuck().await.unwrap().len();
    println!(
        "[{backend}] raw: list 50 {list:.2} ms, live counts {counts:.2} ms, \
         version counts {versions:.2} ms, stuck count {stuck_count:.2} ms, \
         stuck page of 50 {stuck_page:.2} ms, whole stuck list ({stuck_total}) {stuck:.2} ms"
    );
    metrics.push((format!("console_{backend}_raw_list_p50_ms"), list));
    metrics.push((format!("console_{backend}_raw_counts_p50_ms"), counts));
    metrics.push((format!("console_{backend}_raw_versions_p50_ms"), versions));
    metrics.push((
        format!("console_{backend}_raw_stuck_count_p50_ms"),
        stuck_count,
    ));
    metrics.push((
        format!("console_{backend}_raw_stuck_page_p50_ms"),
        stuck_page,
    ));
    metrics.push((format!("console_{backend}_raw_stuck_p50_ms"), stuck));
    for (name, value) in metrics {
        println!("metric {name} {value:.2}");
    }
}
