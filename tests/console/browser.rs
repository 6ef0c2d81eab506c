//! A person at a real browser: headless Chromium (Debian's `chromium`,
//! driven through `chromedriver` over WebDriver) against a spawned
//! `serve`. It signs in, opens the overview, finds a ticket, posts
//! `receive` and `dispatch` through the forms, sees the graph's highlight
//! move, opens the stuck list and the assessment with its chart, and
//! writes a screenshot of each page to `target/console-shots/`.
//!
//! Without `chromium` and `chromedriver` the test says so and passes,
//! unless `FLOWKEEPER_REQUIRE_CHROMIUM=1` (set by `.ci/run`): then it fails.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};
use flowkeeper::api::{ServeOptions, serve_with};
use serde_json::{Value, json};

const ADMIN_TOKEN: &str = "browser-admin-token-0123456789";
const PASSWORD: &str = "tea4two";

/// `chromium` and `chromedriver`, or why the test cannot run.
fn browser_binaries() -> Result<(PathBuf, PathBuf), String> {
    let find = |names: &[&str]| {
        names.iter().find_map(|name| {
            std::env::var_os("PATH").and_then(|paths| {
                std::env::split_paths(&paths)
                    .map(|dir| dir.join(name))
                    .find(|path| path.is_file())
            })
        })
    };
    let chromium = find(&["chromium", "chromium-browser", "google-chrome"])
        .ok_or("no `chromium` on PATH (apt-get install chromium)")?;
    let driver = find(&["chromedriver"])
        .ok_or("no `chromedriver` on PATH (apt-get install chromium-driver)")?;
    Ok((chromium, driver))
}

/// Kills the child process when the test ends, however it ends.
struct Reaped(Child);

impl Drop for Reaped {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .map(|address| address.port())
        .expect("a free port")
}

/// The shipped workflows in a temp folder, a SQLite file, a manual clock
/// at 2026-10-01 and a known admin token; answers on a port of its own.
async fn spawn_serve(folder: &Path) -> (SocketAddr, tokio::sync::oneshot::Sender<()>) {
    let workflows = folder.join("workflows");
    std::fs::create_dir(&workflows).unwrap();
    let shipped = Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows");
    for entry in std::fs::read_dir(shipped).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|ext| ext == "toml") {
            std::fs::copy(&path, workflows.join(path.file_name().unwrap())).unwrap();
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let options = ServeOptions {
        listen: address,
        database: format!("sqlite://{}", folder.join("console.db").display()),
        workflows,
        settings: folder.join("flowkeeper.toml"),
        manual_clock: true,
        clock_start: Some("2026-10-01T08:00:00Z".parse().unwrap()),
        max_body: 1024 * 1024,
        admin_token: Some(ADMIN_TOKEN.to_owned()),
    };
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        serve_with(options, listener, async {
            let _ = stopped.await;
        })
        .await
        .expect("serve runs");
    });
    (address, stop)
}

async fn api(http: &reqwest::Client, base: &str, path: &str, body: Value) -> Value {
    let answer = http
        .post(format!("{base}{path}"))
        .bearer_auth(ADMIN_TOKEN)
        .json(&body)
        .send()
        .await
        .expect("the API answers");
    assert!(answer.status().is_success(), "{path}: {}", answer.status());
    answer.json().await.expect("JSON")
}

async fn wait_until_up(url: &str) {
    for _ in 0..100 {
        if reqwest::get(url).await.is_ok() {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{url} never answered");
}

async fn shot(client: &Client, name: &str) {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/console-shots");
    std::fs::create_dir_all(&folder).unwrap();
    let png = client.screenshot().await.expect("a screenshot");
    std::fs::write(folder.join(format!("{name}.png")), png).unwrap();
}

async fn current_state(client: &Client) -> String {
    client
        .find(Locator::Css("svg g.state.current"))
        .await
        .expect("a highlighted state")
        .attr("data-state")
        .await
        .unwrap()
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_person_works_a_ticket_in_chromium() {
    let (chromium, driver) = match browser_binaries() {
        Ok(found) => found,
        Err(why) if std::env::var("FLOWKEEPER_REQUIRE_CHROMIUM").as_deref() == Ok("1") => {
            panic!("FLOWKEEPER_REQUIRE_CHROMIUM=1 but {why}")
        }
        Err(why) => {
            eprintln!("skipping the Chromium test: {why}");
            return;
        }
    };
    let folder = tempfile::tempdir().unwrap();
    let (address, stop) = spawn_serve(folder.path()).await;
    let base = format!("http://{address}");
    wait_until_up(&format!("{base}/healthz")).await;
    let http = reqwest::Client::new();
    for (name, role, teams) in [
        ("ada", "admin", json!([])),
        ("mei", "operator", json!(["service_desk"])),
    ] {
        api(
            &http,
            &base,
            "/v1/admin/accounts",
            json!({"name": name, "role": role, "teams": teams, "password": PASSWORD}),
        )
        .await;
    }
    let ticket = api(
        &http,
        &base,
        "/v1/instances",
        json!({"workflow": "service_desk", "key": "IT-2026-0042", "data": {"level": 2, "summary": "三樓印表機卡紙 <script>alert(1)</script>"}}),
    )
    .await;
    let id = ticket["id"].as_str().unwrap().to_owned();
    api(&http, &base, "/v1/instances", json!({"workflow": "service_desk", "key": "IT-2026-0041", "data": {"level": 1, "summary": "VPN 斷線"}})).await;

    let port = free_port();
    let _driver = Reaped(
        Command::new(&driver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("chromedriver starts"),
    );
    wait_until_up(&format!("http://127.0.0.1:{port}/status")).await;
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        json!({
            "binary": chromium,
            "args": ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     "--window-size=1366,1400", "--lang=zh-TW", "--force-device-scale-factor=1"],
        }),
    );
    let client = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&format!("http://127.0.0.1:{port}"))
        .await
        .expect("a Chromium session");

    let outcome = async {
        // Signing in: the overview asks for it, then comes back.
        client.goto(&format!("{base}/ui/")).await?;
        assert!(client.current_url().await?.path().starts_with("/ui/login"));
        client
            .find(Locator::Css("input[name=name]"))
            .await?
            .send_keys("mei")
            .await?;
        client
            .find(Locator::Css("input[name=password]"))
            .await?
            .send_keys(PASSWORD)
            .await?;
        shot(&client, "01-login").await;
        client
            .find(Locator::Css("form button[type=submit]"))
            .await?
            .click()
            .await?;
        client.wait().for_element(Locator::Css("div.stat")).await?;
        assert_eq!(client.current_url().await?.path(), "/ui/");
        shot(&client, "02-overview").await;

        // Finding the ticket by its key.
        client.goto(&format!("{base}/ui/instances")).await?;
        client
            .find(Locator::Css("input[name=key]"))
            .await?
            .send_keys("IT-2026-0042")
            .await?;
        client
            .find(Locator::Css("form.filters button[type=submit]"))
            .await?
            .click()
            .await?;
        client
            .wait()
            .for_element(Locator::LinkText("IT-2026-0042"))
            .await?
            .click()
            .await?;
        client
            .wait()
            .for_element(Locator::Css("svg g.state.current"))
            .await?;
        assert_eq!(current_state(&client).await, "submitted");
        let source = client.source().await?;
        assert!(
            !source.contains("<script>alert(1)"),
            "the summary is escaped"
        );
        shot(&client, "03-instance-submitted").await;

        // receive, then dispatch with its required group.
        client
            .find(Locator::Css("form[data-event=receive] button"))
            .await?
            .click()
            .await?;
        client
            .wait()
            .for_element(Locator::Css("form[data-event=dispatch]"))
            .await?;
        assert_eq!(current_state(&client).await, "received");
        client
            .find(Locator::Css("form[data-event=dispatch] input[name=group]"))
            .await?
            .send_keys("service_desk")
            .await?;
        client
            .find(Locator::Css("form[data-event=dispatch] button"))
            .await?
            .click()
            .await?;
        client
            .wait()
            .for_element(Locator::Css("g.current[data-state=dispatched]"))
            .await?;
        assert_eq!(current_state(&client).await, "dispatched");
        let visited = client
            .find_all(Locator::Css("svg g.state.visited"))
            .await?
            .len();
        assert!(visited >= 2, "the path taken is marked ({visited})");
        shot(&client, "04-instance-dispatched").await;

        // The stuck list and the assessment with its chart.
        client.goto(&format!("{base}/ui/stuck")).await?;
        client.wait().for_element(Locator::Css("h1")).await?;
        shot(&client, "05-stuck").await;
        client
            .goto(&format!("{base}/ui/assessment?month=2026-10"))
            .await?;
        client
            .wait()
            .for_element(Locator::Css("svg[data-chart=points]"))
            .await?;
        shot(&client, "06-assessment").await;

        // The admin's pages, to look at.
        client
            .goto(&format!("{base}/ui/workflows/service_desk"))
            .await?;
        shot(&client, "07-workflow").await;
        let logout = client.find(Locator::Css("header form button")).await?;
        logout.click().await?;
        client
            .wait()
            .for_element(Locator::Css("input[name=password]"))
            .await?;
        client
            .find(Locator::Css("input[name=name]"))
            .await?
            .send_keys("ada")
            .await?;
        client
            .find(Locator::Css("input[name=password]"))
            .await?
            .send_keys(PASSWORD)
            .await?;
        client
            .find(Locator::Css("form button[type=submit]"))
            .await?
            .click()
            .await?;
        client.wait().for_element(Locator::Css("div.stat")).await?;
        client
            .goto(&format!("{base}/ui/instances/{id}?lang=en"))
            .await?;
        client
            .wait()
            .for_element(Locator::Css("form[data-action=cancel]"))
            .await?;
        shot(&client, "08-instance-admin-en").await;
        for (path, name) in [
            ("/ui/audit", "09-audit"),
            ("/ui/accounts", "10-accounts"),
            ("/ui/security", "11-security"),
            ("/ui/instances", "12-instances"),
        ] {
            client.goto(&format!("{base}{path}")).await?;
            client.wait().for_element(Locator::Css("h1")).await?;
            shot(&client, name).await;
        }
        client.goto(&format!("{base}/ui/api/")).await?;
        client
            .wait()
            .for_element(Locator::Css(".swagger-ui .info"))
            .await?;
        shot(&client, "13-api").await;
        Ok::<_, fantoccini::error::CmdError>(())
    }
    .await;
    let _ = client.close().await;
    let _ = stop.send(());
    outcome.expect("the browser steps");
}
