//! Group commit under SIGKILL: a real `flowkeeper serve` takes concurrent
//! REST load (its requests committed in shared transactions) and is killed
//! several times mid-stream. Whatever was acknowledged must be applied
//! exactly once; an event in flight at a kill at most once, whether it is
//! sent again (same id) after the restart or never.

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use flowkeeper::engine::HistoryKind;
use flowkeeper::store::testing;
use serde_json::json;
use tempfile::TempDir;

use crate::crash::COUNTER;
use crate::support::TestDb;

on_both_db!(killed_server_applies_acknowledged_batched_events_once);

/// Concurrent clients, each posting to an instance of its own, one request
/// after another.
const CLIENTS: usize = 16;
/// Server processes killed, one after another.
const KILLS: usize = 4;
/// Events acknowledged in a round before its server is killed.
const ACKS_PER_ROUND: usize = 120;
const TOKEN: &str = "serve-crash-admin-token-0123456789";

/// A client's events: `<client>-<n>` in order; what became of each.
#[derive(Default)]
struct Client {
    next: usize,
    acked: BTreeSet<String>,
    /// In flight when the server died: sent again in the next round
    /// (`resend`) or abandoned.
    unknown: Option<String>,
    abandoned: BTreeSet<String>,
}

async fn killed_server_applies_acknowledged_batched_events_once(db: &TestDb) {
    let folder = tempfile::tempdir().expect("temp dir");
    let workflows = folder.path().join("workflows");
    std::fs::create_dir(&workflows).expect("workflow dir");
    std::fs::write(workflows.join("counter.toml"), COUNTER).expect("write workflow");
    let url = match &db.schema {
        Some(schema) => testing::url_with_schema(&db.url, schema),
        None => db.url.clone(),
    };
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .expect("HTTP client");
    let mut clients: Vec<Client> = (0..CLIENTS).map(|_| Client::default()).collect();
    let mut batched_rounds = 0;
    for round in 0..=KILLS {
        let server = Server::start(&url, &workflows, &folder).await;
        // Odd rounds send the events left in flight by the kill again
        // first; even rounds abandon them.
        if round % 2 == 0 {
            for client in &mut clients {
                client.abandoned.extend(client.unknown.take());
            }
        }
        let acks = Arc::new(AtomicUsize::new(0));
        let tasks: Vec<_> = clients
            .iter_mut()
            .enumerate()
            .map(|(n, client)| {
                let state = std::mem::take(client);
                let (http, base, acks) = (http.clone(), server.base.clone(), Arc::clone(&acks));
                tokio::spawn(run_client(http, base, n, state, acks))
            })
            .collect();
        wait_for(&acks, ACKS_PER_ROUND).await;
        if server.batches(&http).await > 0.0 {
            batched_rounds += 1;
        }
        // The last kill only stops the load before the check.
        server.kill();
        for (slot, task) in clients.iter_mut().zip(tasks) {
            *slot = task.await.expect("client task");
        }
    }
    assert!(
        batched_rounds > 0,
        "no round committed a shared batch: the kills did not test group commit"
    );
    check(db, &clients).await;
}

/// Posts the client's events one after another until the server stops
/// answering; first the one left unknown by the last kill, when kept.
async fn run_client(
    http: reqwest::Client,
    base: String,
    n: usize,
    mut client: Client,
    acks: Arc<AtomicUsize>,
) -> Client {
    let key = format!("K{n}");
    let created = http
        .post(format!("{base}/v1/instances"))
        .bearer_auth(TOKEN)
        .header("idempotency-key", format!("create-{key}"))
        .json(&json!({ "workflow": "counter", "key": key }))
        .send()
        .await;
    match created {
        Ok(response) if response.status().as_u16() == 201 => {}
        Ok(response) => panic!("create {key}: {}", response.status()),
        Err(_) => return client,
    }
    loop {
        let id = client.unknown.take().unwrap_or_else(|| {
            client.next += 1;
            format!("{n}-{}", client.next)
        });
        let sent = http
            .post(format!(
                "{base}/v1/workflows/counter/instances/{key}/events"
            ))
            .bearer_auth(TOKEN)
            .json(&json!({ "event": "bump", "id": id, "data": { "eid": id } }))
            .send()
            .await;
        match sent {
            Ok(response) if response.status().as_u16() == 200 => {
                client.acked.insert(id);
                acks.fetch_add(1, Ordering::Relaxed);
            }
            // The server died with the request in flight, or is going.
            Ok(response) if response.status().as_u16() == 503 => {
                client.unknown = Some(id);
                return client;
            }
            Ok(response) => panic!("event {id}: {}", response.status()),
            Err(_) => {
                client.unknown = Some(id);
                return client;
            }
        }
    }
}

/// Waits until `count` events were acknowledged in this round.
async fn wait_for(acks: &AtomicUsize, count: usize) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while acks.load(Ordering::Relaxed) < count {
        assert!(Instant::now() < deadline, "the load stalled");
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
}

/// Every acknowledged event once, every other at most once, nothing else,
/// and the counters and the audit chain agree.
async fn check(db: &TestDb, clients: &[Client]) {
    let mut applied: BTreeMap<String, usize> = BTreeMap::new();
    for (n, client) in clients.iter().enumerate() {
        let key = format!("K{n}");
        let instance = db
            .store
            .find_by_key("counter", &key)
            .await
            .unwrap()
            .unwrap_or_else(|| panic!("{key} was never created"));
        let history = db.store.history(instance.id).await.unwrap();
        let seqs: Vec<i64> = history.iter().map(|line| line.seq).collect();
        assert_eq!(seqs, (1..=history.len() as i64).collect::<Vec<_>>());
        let bumps: Vec<String> = history
            .iter()
            .filter(|line| line.entry.kind() == HistoryKind::Event)
            .map(|line| {
                let data = line.entry.data.event_data().expect("event data");
                data["eid"].as_str().expect("eid").to_owned()
            })
            .collect();
        for eid in &bumps {
            *applied.entry(eid.clone()).or_default() += 1;
        }
        assert_eq!(instance.data["count"], json!(bumps.len()), "{key}");
        assert_eq!(instance.revision, 1 + bumps.len() as i64, "{key}");
        for id in &client.acked {
            assert_eq!(applied.get(id), Some(&1), "acknowledged {id}");
        }
        let known: BTreeSet<&String> = client
            .acked
            .iter()
            .chain(&client.abandoned)
            .chain(&client.unknown)
            .collect();
        for eid in &bumps {
            assert!(known.contains(eid), "{eid} was applied but never sent");
        }
    }
    let twice: Vec<_> = applied.iter().filter(|(_, count)| **count > 1).collect();
    assert!(twice.is_empty(), "applied more than once: {twice:?}");
    let acked: usize = clients.iter().map(|client| client.acked.len()).sum();
    let abandoned: usize = clients.iter().map(|client| client.abandoned.len()).sum();
    eprintln!(
        "{acked} acknowledged, {abandoned} abandoned in flight, {} applied",
        applied.len()
    );
    assert!(acked >= ACKS_PER_ROUND * (KILLS + 1));
    let chain = db.store.verify_audit().await.unwrap();
    assert!(chain.ok, "{chain:?}");
}

/// A `flowkeeper serve` child process.
struct Server {
    child: Child,
    base: String,
}

impl Server {
    async fn start(url: &str, workflows: &Path, folder: &TempDir) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|listener| listener.local_addr())
            .expect("a free port")
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_flowkeeper"))
            .arg("serve")
            .arg("--listen")
            .arg(format!("127.0.0.1:{port}"))
            .arg("--database")
            .arg(url)
            .arg("--workflows")
            .arg(workflows)
            .arg("--settings")
            .arg(folder.path().join("flowkeeper.toml"))
            .env("FLOWKEEPER_ADMIN_TOKEN", TOKEN)
            .env("RUST_LOG", "error")
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start flowkeeper serve");
        let server = Server {
            child,
            base: format!("http://127.0.0.1:{port}"),
        };
        server.wait_ready().await;
        server
    }

    async fn wait_ready(&self) {
        let deadline = Instant::now() + Duration::from_secs(30);
        let probe = format!("{}/readyz", self.base);
        loop {
            let ready = reqwest::get(&probe)
                .await
                .is_ok_and(|response| response.status().is_success());
            if ready {
                return;
            }
            assert!(Instant::now() < deadline, "serve did not come up");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }

    /// `flowkeeper_write_batches_total` as `/metrics` shows it.
    async fn batches(&self, http: &reqwest::Client) -> f64 {
        let text = http
            .get(format!("{}/metrics", self.base))
            .bearer_auth(TOKEN)
            .send()
            .await
            .expect("metrics")
            .text()
            .await
            .expect("metrics text");
        text.lines()
            .find_map(|line| line.strip_prefix("flowkeeper_write_batches_total "))
            .and_then(|value| value.trim().parse().ok())
            .unwrap_or(0.0)
    }

    /// SIGKILL.
    fn kill(mut self) {
        self.child.kill().expect("kill serve");
        self.child.wait().expect("reap serve");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
