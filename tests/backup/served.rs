//! Scheduled backups through a real `flowkeeper serve` process, on SQLite
//! and (when configured) PostgreSQL: the first backup is taken at start,
//! `--verify` passes on it, `keep` prunes the oldest files, `/metrics` and
//! `/readyz` show the last success; a backup into a folder that cannot be
//! made is logged and counted, and the last success still shows, read back
//! from the audit log.
//!
//! `every` is at least one minute, so one server run sees one round: the
//! older files `keep` prunes are real backups taken beforehand with
//! `flowkeeper backup --out` under older scheduled names.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use crate::answers::ADMIN;
use crate::support::{Db, Kind, flowkeeper, shipped_workflows};

#[tokio::test]
async fn a_served_store_is_backed_up_on_sqlite() {
    scheduled(Kind::Sqlite).await;
}

#[tokio::test]
async fn a_served_store_is_backed_up_on_postgres() {
    scheduled(Kind::Postgres).await;
}

const OLDEST: &str = "flowkeeper-20200101T000000Z.fkb";
const OLDER: &str = "flowkeeper-20200102T000000Z.fkb";

async fn scheduled(kind: Kind) {
    let folder = tempfile::tempdir().unwrap();
    let Some(db) = Db::fresh(kind, folder.path(), "served").await else {
        return;
    };
    let dir = folder.path().join("backups");
    std::fs::create_dir(&dir).unwrap();
    for name in [OLDEST, OLDER] {
        let out = dir.join(name);
        let (ok, _, stderr) = flowkeeper(&[
            "backup",
            "--database",
            &db.url,
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(ok, "{stderr}");
    }

    // A round at start: a new file, the oldest pruned, `keep = 2`.
    let server = Server::start(&db.url, folder.path(), &dir, "ok").await;
    let fresh = wait_for(|| {
        let files = backup_files(&dir);
        (files.len() == 2 && files[0] == OLDER).then(|| files[1].clone())
    });
    assert!(fresh.starts_with("flowkeeper-20"), "{fresh}");
    for name in [OLDER, fresh.as_str()] {
        let path = dir.join(name);
        let (ok, stdout, stderr) = flowkeeper(&["backup", "--verify", path.to_str().unwrap()]);
        assert!(ok, "{name}: {stderr}");
        assert!(stdout.contains("every checksum matches"), "{stdout}");
    }
    let size = std::fs::metadata(dir.join(&fresh)).unwrap().len();
    let taken_at = stamp_of(&fresh);

    let metrics = server.metrics().await;
    assert_eq!(
        metric(&metrics, "flowkeeper_backups_total{outcome=\"ok\"}"),
        Some(1.0)
    );
    assert_eq!(
        metric(&metrics, "flowkeeper_backup_last_size_bytes"),
        Some(size as f64)
    );
    let last = metric(&metrics, "flowkeeper_backup_last_success_timestamp_seconds")
        .expect("the last success in /metrics");
    // Dated when it finished: at or after the start its file is named by.
    let finished = last - taken_at;
    assert!((0.0..60.0).contains(&finished), "{metrics}");
    let ready = server.readyz().await;
    assert_eq!(ready["status"], "ok");
    let last_success: jiff::Timestamp = ready["backup"]["last_success"]
        .as_str()
        .expect("the last success")
        .parse()
        .unwrap();
    assert_eq!(last_success.as_millisecond() / 1000, last as i64, "{ready}");
    assert_eq!(ready["backup"]["failures"], 0);
    let log = server.stop();
    assert!(log.contains("backup written"), "{log}");

    // A folder that cannot be made: the round fails, is logged and
    // counted; the last success is read back from the audit log.
    let blocked = folder.path().join("a-file");
    std::fs::write(&blocked, b"not a folder").unwrap();
    let server = Server::start(&db.url, folder.path(), &blocked.join("backups"), "broken").await;
    let failures = wait_for_async(|| async {
        let metrics = server.metrics().await;
        metric(&metrics, "flowkeeper_backups_total{outcome=\"failed\"}").map(|_| metrics)
    })
    .await;
    assert_eq!(
        metric(&failures, "flowkeeper_backups_total{outcome=\"failed\"}"),
        Some(1.0)
    );
    assert_eq!(
        metric(&failures, "flowkeeper_backups_total{outcome=\"ok\"}"),
        None
    );
    let still = metric(
        &failures,
        "flowkeeper_backup_last_success_timestamp_seconds",
    )
    .expect("the last success survives the restart");
    assert_eq!(
        still.floor(),
        last.floor(),
        "the audit log's time of the success"
    );
    let ready = server.readyz().await;
    assert_eq!(ready["backup"]["failures"], 1, "{ready}");
    let log = server.stop();
    assert!(log.contains("scheduled backup failed"), "{log}");
    assert_eq!(backup_files(&dir).len(), 2, "nothing was written anywhere");
    db.drop().await;
}

/// A `flowkeeper serve` child process with a `[backup]` table.
struct Server {
    child: Child,
    base: String,
    log: PathBuf,
    client: reqwest::Client,
}

impl Server {
    async fn start(url: &str, folder: &Path, dir: &Path, name: &str) -> Self {
        let settings = folder.join(format!("{name}.toml"));
        std::fs::write(
            &settings,
            format!(
                "[backup]\nevery = \"1m\"\ndir = \"{}\"\nkeep = 2\n",
                dir.display()
            ),
        )
        .unwrap();
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let log = folder.join(format!("{name}.log"));
        let child = Command::new(env!("CARGO_BIN_EXE_flowkeeper"))
            .args(["serve", "--database", url, "--listen"])
            .arg(format!("127.0.0.1:{port}"))
            .arg("--workflows")
            .arg(shipped_workflows())
            .arg("--settings")
            .arg(&settings)
            .current_dir(folder)
            .env_remove("FLOWKEEPER_DATABASE_URL")
            .env("FLOWKEEPER_ADMIN_TOKEN", ADMIN)
            .env("RUST_LOG", "info")
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(&log).unwrap())
            .spawn()
            .expect("start flowkeeper serve");
        let server = Self {
            child,
            base: format!("http://127.0.0.1:{port}"),
            log,
            client: reqwest::Client::new(),
        };
        wait_for_async(|| async {
            let answer = server
                .client
                .get(format!("{}/healthz", server.base))
                .send()
                .await;
            answer.ok().filter(|answer| answer.status().is_success())
        })
        .await;
        server
    }

    async fn metrics(&self) -> String {
        let answer = self
            .client
            .get(format!("{}/metrics", self.base))
            .bearer_auth(ADMIN)
            .send()
            .await
            .expect("/metrics");
        assert!(answer.status().is_success());
        answer.text().await.unwrap()
    }

    async fn readyz(&self) -> serde_json::Value {
        let answer = self
            .client
            .get(format!("{}/readyz", self.base))
            .send()
            .await
            .expect("/readyz");
        assert!(answer.status().is_success());
        answer.json().await.unwrap()
    }

    /// Kills the server and returns what it logged.
    fn stop(mut self) -> String {
        let _ = self.child.kill();
        let _ = self.child.wait();
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The scheduled backups in `dir` (finished ones: no `.partial`), sorted.
fn backup_files(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|entry| entry.unwrap().file_name().into_string().unwrap())
                .filter(|name| name.starts_with("flowkeeper-") && name.ends_with(".fkb"))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

/// The Unix seconds a file like `flowkeeper-20261126T043000Z.fkb` is
/// named by.
fn stamp_of(name: &str) -> f64 {
    let stamp = &name["flowkeeper-".len().."flowkeeper-".len() + 16];
    let time = jiff::civil::DateTime::strptime("%Y%m%dT%H%M%SZ", stamp).unwrap();
    time.to_zoned(jiff::tz::TimeZone::UTC)
        .unwrap()
        .timestamp()
        .as_second() as f64
}

/// The value of the sample `name` (with its labels) in a Prometheus text.
fn metric(text: &str, name: &str) -> Option<f64> {
    text.lines()
        .filter(|line| !line.starts_with('#'))
        .find_map(|line| {
            line.strip_prefix(name)?
                .strip_prefix(' ')?
                .trim()
                .parse()
                .ok()
        })
}

const PATIENCE: Duration = Duration::from_secs(60);

fn wait_for<T>(mut check: impl FnMut() -> Option<T>) -> T {
    let started = Instant::now();
    loop {
        if let Some(found) = check() {
            return found;
        }
        assert!(started.elapsed() < PATIENCE, "gave up waiting");
        std::thread::sleep(Duration::from_millis(100));
    }
}

async fn wait_for_async<T, F: Future<Output = Option<T>>>(mut check: impl FnMut() -> F) -> T {
    let started = Instant::now();
    loop {
        if let Some(found) = check().await {
            return found;
        }
        assert!(started.elapsed() < PATIENCE, "gave up waiting");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}
