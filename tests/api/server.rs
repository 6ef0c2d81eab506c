//! `serve` as a whole: a real listener, the system clock, the timer loop
//! and graceful shutdown.

use std::time::Duration;

use flowkeeper::api::{DEFAULT_MAX_BODY, ServeOptions, serve_with};
use serde_json::{Value, json};

use crate::helpers::{Backend, fixture};

on_both!(
    a_spawned_server_fires_timers_on_the_system_clock_and_shuts_down_cleanly,
    a_server_refuses_to_start_on_a_file_changed_under_its_version,
);

const TOKEN: &str = "spawned-server-admin-token";

async fn a_spawned_server_fires_timers_on_the_system_clock_and_shuts_down_cleanly(
    backend: Backend,
) {
    let folder = tempfile::tempdir().unwrap();
    let workflows = folder.path().join("workflows");
    std::fs::create_dir(&workflows).unwrap();
    std::fs::copy(fixture("quick.toml"), workflows.join("quick.toml")).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let options = ServeOptions {
        listen: listener.local_addr().unwrap(),
        database: backend.url(folder.path()).await,
        workflows,
        settings: folder.path().join("flowkeeper.toml"),
        manual_clock: false,
        clock_start: None,
        max_body: DEFAULT_MAX_BODY,
        admin_token: Some(TOKEN.to_owned()),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let server = tokio::spawn(serve_with(options, listener, async {
        let _ = stopped.await;
    }));

    let client = reqwest::Client::new();
    let created: Value = client
        .post(format!("{base}/v1/instances"))
        .bearer_auth(TOKEN)
        .json(&json!({"workflow": "quick", "key": "Q-1"}))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(created["state"], "waiting", "{created}");
    let id = created["id"].as_str().unwrap().to_owned();

    let mut state = Value::Null;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(250)).await;
        let instance: Value = client
            .get(format!("{base}/v1/instances/{id}"))
            .bearer_auth(TOKEN)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        state = instance["state"].clone();
        if state == "done" {
            break;
        }
    }
    assert_eq!(state, "done", "the 1s timer did not fire within 10s");
    let metrics = client
        .get(format!("{base}/metrics"))
        .bearer_auth(TOKEN)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        metrics.contains("flowkeeper_timer_lag_seconds"),
        "{metrics}"
    );
    assert!(
        metrics.contains("flowkeeper_timers_fired_total"),
        "{metrics}"
    );

    stop.send(()).unwrap();
    let finished = tokio::time::timeout(Duration::from_secs(10), server).await;
    let result = finished
        .expect("serve returns after the shutdown signal")
        .unwrap();
    assert!(result.is_ok(), "{result:?}");
    assert!(
        client.get(format!("{base}/healthz")).send().await.is_err(),
        "the port is closed"
    );
}

/// A file whose content changed under an unchanged `version` is refused at
/// start, as a reload refuses it; raising `version` starts again.
async fn a_server_refuses_to_start_on_a_file_changed_under_its_version(backend: Backend) {
    let folder = tempfile::tempdir().unwrap();
    let workflows = folder.path().join("workflows");
    std::fs::create_dir(&workflows).unwrap();
    let file = workflows.join("quick.toml");
    std::fs::copy(fixture("quick.toml"), &file).unwrap();
    let database = backend.url(folder.path()).await;
    let settings = folder.path().join("flowkeeper.toml");
    let start = |workflows: std::path::PathBuf, database: String| {
        let settings = settings.clone();
        async move {
            let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
            let options = ServeOptions {
                listen: listener.local_addr().unwrap(),
                database,
                workflows,
                settings,
                manual_clock: true,
                clock_start: None,
                max_body: DEFAULT_MAX_BODY,
                admin_token: None,
            };
            // Stops as soon as it has started.
            serve_with(options, listener, async {}).await
        }
    };
    start(workflows.clone(), database.clone()).await.unwrap();

    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        format!("{text}\n# an edit that forgot the version\n"),
    )
    .unwrap();
    let refused = start(workflows.clone(), database.clone())
        .await
        .unwrap_err();
    let message = format!("{refused:#}");
    assert!(message.contains("changed but its `version`"), "{message}");

    let version = text
        .lines()
        .find(|line| line.starts_with("version"))
        .expect("a version line");
    let raised = text.replacen(version, "version = 99", 1);
    std::fs::write(&file, raised).unwrap();
    start(workflows, database).await.unwrap();
}
