//! The SVG drawing as a browser renders it, with real fonts: every text
//! stays inside the picture, every state's text inside its box, and no edge
//! label covers a state. Runs Debian's `chromium` headless on one page
//! holding every shipped workflow (plain and with marks); skips with a
//! printed reason when Chromium is not installed (`.ci/run` installs it).
//! The page and a screenshot stay in `target/graph-shots/`.

use std::path::{Path, PathBuf};
use std::process::Command;

use flowkeeper::model::{export, load_file};

/// Measures every drawing and writes the problems found into the page.
const CHECK: &str = r#"
const problems = [];
const inside = (a, b, slack) => a.x >= b.x - slack && a.y >= b.y - slack
    && a.x + a.width <= b.x + b.width + slack && a.y + a.height <= b.y + b.height + slack;
const overlap = (a, b) => a.x < b.x + b.width && b.x < a.x + a.width
    && a.y < b.y + b.height && b.y < a.y + a.height;
for (const svg of document.querySelectorAll('svg.flowkeeper-graph')) {
  const name = svg.id;
  const view = svg.viewBox.baseVal;
  const canvas = {x: view.x, y: view.y, width: view.width, height: view.height};
  const boxes = [...svg.querySelectorAll('g.state')].map(g => [g.dataset.state, g.querySelector('rect').getBBox()]);
  for (const text of svg.querySelectorAll('text')) {
    const box = text.getBBox();
    if (!inside(box, canvas, 0)) problems.push(`${name}: "${text.textContent}" leaves the picture`);
  }
  for (const g of svg.querySelectorAll('g.state')) {
    const rect = g.querySelector('rect').getBBox();
    for (const text of g.querySelectorAll(':scope > text')) {
      if (!inside(text.getBBox(), rect, 0)) problems.push(`${name}: "${text.textContent}" sticks out of its box`);
    }
  }
  for (const text of svg.querySelectorAll('g.transition text, g.stay text')) {
    const box = text.getBBox();
    for (const [state, rect] of boxes) {
      if (overlap(box, rect)) problems.push(`${name}: label "${text.textContent}" covers state ${state}`);
    }
  }
}
document.body.dataset.problems = JSON.stringify(problems);
"#;

fn chromium() -> Option<PathBuf> {
    ["chromium", "chromium-browser"].iter().find_map(|name| {
        std::env::var_os("PATH")?
            .to_str()?
            .split(':')
            .map(|dir| Path::new(dir).join(name))
            .find(|path| path.is_file())
    })
}

fn shipped() -> Vec<PathBuf> {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&folder)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .collect();
    files.sort();
    files
}

#[test]
fn every_shipped_workflow_draws_without_cut_or_covered_text_in_chromium() {
    let mut page = String::from(
        "<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>graphs</title>\
         <body style=\"margin:0;background:#eee\">",
    );
    let mut drawn = 0;
    for file in shipped() {
        // calendars.toml and assessment.toml are not workflows
        let Ok(definition) = load_file(&file) else {
            continue;
        };
        let path: Vec<String> = definition.states.keys().take(3).cloned().collect();
        let marks = export::GraphMarks {
            current: path.last().cloned(),
            path,
        };
        for (suffix, marks) in [("", export::GraphMarks::default()), ("-marked", marks)] {
            let svg = export::svg_with(&definition, &marks).unwrap();
            let id = format!("{}{suffix}", definition.id);
            page.push_str(&format!(
                "<div style=\"margin:8px\">{}</div>",
                svg.replacen("<svg ", &format!("<svg id=\"{id}\" "), 1,)
            ));
            drawn += 1;
        }
    }
    assert!(drawn >= 12, "only {drawn} drawings");
    page.push_str(&format!("<script>{CHECK}</script></body></html>"));
    let shots = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/graph-shots");
    std::fs::create_dir_all(&shots).unwrap();
    let html = shots.join("all.html");
    std::fs::write(&html, &page).unwrap();
    let Some(chromium) = chromium() else {
        eprintln!("skipped: chromium is not installed (apt-get install chromium)");
        return;
    };
    let output = Command::new(&chromium)
        .args(["--headless", "--no-sandbox", "--disable-gpu", "--dump-dom"])
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    let dom = String::from_utf8_lossy(&output.stdout);
    let Some(start) = dom.find("data-problems=\"") else {
        panic!(
            "the check did not run: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    };
    let rest = &dom[start + "data-problems=\"".len()..];
    let problems = &rest[..rest.find('"').unwrap_or(rest.len())];
    assert_eq!(problems, "[]", "{}", problems.replace("&quot;", "\""));
    let shot = shots.join("all.png");
    let status = Command::new(&chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--hide-scrollbars",
        ])
        .arg(format!("--screenshot={}", shot.display()))
        .arg("--window-size=1400,6000")
        .arg(format!("file://{}", html.display()))
        .output()
        .unwrap();
    assert!(status.status.success() && shot.is_file());
}
