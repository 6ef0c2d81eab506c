//! The time keys of workflow files (`cron`, `at`, `zone`, `calendar`,
//! `catch_up`, SLA `calendar`) and `calendars.toml` in a catalog: every
//! mistake reported as `file:line:column: message (hint: …)`.

use std::path::Path;

use flowkeeper::calendar::{self, Calendars};
use flowkeeper::model::{Catalog, load_with};

const CALENDARS: &str = r#"[calendars.office]
zone = "Asia/Shanghai"
hours = { mon = ["09:00-12:00", "13:30-18:00"], tue = "mon", wed = "mon", thu = "mon", fri = "mon" }
"#;

/// A valid workflow the cases start from.
const BASE: &str = r#"id = "t"
version = 1
title = "T"
start = "a"

[data.when]
type = "string"

[states.a]
on.go = "b"
on.tick = {}

[states.b]
terminal = true

[events.go]
[events.tick]
"#;

fn calendars() -> Calendars {
    calendar::load_str(Path::new("calendars.toml"), CALENDARS, None).unwrap()
}

/// Loads BASE plus `extra` and compares every diagnostic, in order.
fn check(extra: &str, expected: &[&str]) {
    let text = format!("{BASE}{extra}");
    let found: Vec<String> = match load_with(Path::new("t.toml"), &text, &calendars()) {
        Ok(_) => Vec::new(),
        Err(diagnostics) => diagnostics
            .0
            .iter()
            .map(|d| d.to_string().trim_start_matches("t.toml:").to_owned())
            .collect(),
    };
    assert_eq!(found, expected, "\nfound:\n{}\n", found.join("\n"));
}

#[test]
fn every_timer_kind_and_calendar_loads() {
    check(
        r#"
[timers.daily]
cron = "0 9 * * *"
calendar = "office"
catch_up = "skip"
event = "tick"

[timers.nightly]
cron = "30 2 * * *"
zone = "America/New_York"
event = "tick"

[timers.visit]
at = "has(data.when) ? data.when : null"
event = "tick"

[timers.nudge]
after = "2d"
calendar = "office"
event = "tick"

[timers.weekly]
every = "1w"
calendar = "always"
catch_up = "all"
event = "tick"

[slas.s]
start = ["a"]
stop = ["b"]
calendar = "office"
within = [{ when = "data.when == 'now'", duration = "1h", calendar = "always" }, { duration = "2d" }]
"#,
        &[],
    );
}

#[test]
fn a_timer_has_exactly_one_schedule() {
    check(
        "\n[timers.x]\nafter = \"1h\"\ncron = \"0 9 * * *\"\nevent = \"tick\"\n",
        &["19:9: timer `x` needs exactly one of `after`, `every`, `cron` and `at`"],
    );
    check(
        "\n[timers.x]\nevent = \"tick\"\n",
        &["19:9: timer `x` needs exactly one of `after`, `every`, `cron` and `at`"],
    );
}

#[test]
fn keys_that_do_not_go_with_the_schedule() {
    check(
        "\n[timers.x]\nafter = \"1h\"\nzone = \"UTC\"\ncatch_up = \"all\"\nevent = \"tick\"\n",
        &[
            "21:8: `zone` does not go with `after`: only a `cron` timer has a zone; the others count time from an instant",
            "22:12: `catch_up` does not go with `after`: only recurring timers (`every`, `cron`) can miss slots",
        ],
    );
    check(
        "\n[timers.x]\nat = \"data.when\"\ncalendar = \"office\"\nevent = \"tick\"\n",
        &[
            "21:12: `calendar` does not go with `at`: an `at` timer fires at an instant, which no calendar moves",
        ],
    );
    check(
        "\n[timers.x]\ncron = \"0 9 * * *\"\nzone = \"UTC\"\ncalendar = \"office\"\nevent = \"tick\"\n",
        &[
            "21:8: timer `x` has both `zone` and `calendar` (hint: a calendar has its own zone: keep one of the two)",
        ],
    );
}

#[test]
fn unknown_calendars_zones_and_bad_patterns() {
    check(
        "\n[timers.x]\ncron = \"0 9 * *\"\nevent = \"tick\"\n",
        &[
            "20:8: `0 9 * *` is not a cron pattern: Invalid pattern: Pattern must have between 5 and 7 fields. (hint: e.g. \"0 9 * * *\" (09:00 daily) or \"0 9 * * mon\" (Mondays))",
        ],
    );
    check(
        "\n[timers.x]\ncron = \"0 0 30 2 *\"\nevent = \"tick\"\n",
        &[
            "20:8: cron pattern `0 0 30 2 *` never matches a date (hint: e.g. \"0 9 * * *\" (09:00 daily) or \"0 9 * * mon\" (Mondays))",
        ],
    );
    check(
        "\n[timers.x]\ncron = \"0 9 * * *\"\nzone = \"Asia/Shangai\"\nevent = \"tick\"\n",
        &[
            "21:8: unknown time zone `Asia/Shangai` (hint: use an IANA name such as \"Asia/Shanghai\" or \"UTC\")",
        ],
    );
    check(
        "\n[timers.x]\nafter = \"1d\"\ncalendar = \"ofice\"\nevent = \"tick\"\n",
        &["21:12: unknown calendar `ofice` (hint: did you mean `office`?)"],
    );
    check(
        "\n[slas.s]\nstart = [\"a\"]\nstop = [\"b\"]\nwithin = [{ duration = \"1h\", calendar = \"shop\" }]\n",
        &[
            "22:41: unknown calendar `shop` (hint: calendars are declared in calendars.toml beside the workflows)",
        ],
    );
    check(
        "\n[timers.x]\nevery = \"1d\"\ncatch_up = \"twice\"\nevent = \"tick\"\n",
        &["21:12: unknown variant `twice`, expected one of `once`, `all`, `skip`"],
    );
}

#[test]
fn an_at_expression_sees_no_event() {
    check(
        "\n[timers.x]\nat = \"event.when\"\nevent = \"tick\"\n",
        &[
            "20:6: expression `event.when` reads `event.when`, but no event is at hand here (hint: eventless transitions, entry actions and SLA durations see only data, key and state)",
        ],
    );
}

/// A catalog folder: the calendars are checked first, then the workflows
/// are compiled against them; `calendars.toml` is not a workflow.
#[test]
fn a_catalog_loads_the_calendars_beside_its_workflows() {
    let folder = tempfile::tempdir().unwrap();
    let workflow =
        format!("{BASE}\n[timers.x]\nafter = \"1d\"\ncalendar = \"office\"\nevent = \"tick\"\n");
    std::fs::write(folder.path().join("t.toml"), &workflow).unwrap();
    let missing = Catalog::load(&[folder.path().to_path_buf()]).unwrap_err();
    assert!(
        missing.to_string().ends_with(
            "t.toml:21:12: unknown calendar `office` (hint: calendars are declared in calendars.toml beside the workflows)"
        ),
        "{missing}"
    );
    std::fs::write(folder.path().join("calendars.toml"), CALENDARS).unwrap();
    let catalog = Catalog::load(&[folder.path().to_path_buf()]).unwrap();
    assert_eq!(catalog.iter().count(), 1);
    assert!(catalog.calendars().get("office").is_some());
    let file_only = Catalog::load(&[folder.path().join("t.toml")]).unwrap();
    assert!(file_only.calendars().get("office").is_some());
    std::fs::write(
        folder.path().join("calendars.toml"),
        CALENDARS.replace("Asia/Shanghai", "Asia/Shangai"),
    )
    .unwrap();
    let broken = Catalog::load(&[folder.path().to_path_buf()]).unwrap_err();
    assert_eq!(broken.0.len(), 1, "{broken}");
    assert!(
        broken.to_string().ends_with(
            "calendars.toml:2:8: unknown time zone `Asia/Shangai` (hint: use an IANA name such as \"Asia/Shanghai\" or \"UTC\")"
        ),
        "{broken}"
    );
}

/// `workflows/calendars.toml` names `./calendars.schema.json` in its
/// `#:schema` header: the shipped copy is the schema this build generates,
/// and the shipped calendars load and validate against it.
#[test]
fn the_shipped_calendars_and_their_schema_agree() {
    let folder = Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows");
    let shipped: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(folder.join("calendars.schema.json")).unwrap(),
    )
    .unwrap();
    assert_eq!(
        shipped,
        calendar::json_schema(),
        "regenerate it: cargo run -- schema calendars > workflows/calendars.schema.json"
    );
    let text = std::fs::read_to_string(folder.join("calendars.toml")).unwrap();
    assert!(text.starts_with("#:schema ./calendars.schema.json\n"));
    let instance: serde_json::Value = toml::from_str(&text).unwrap();
    let validator = jsonschema::draft7::new(&shipped).unwrap();
    assert!(validator.is_valid(&instance));
    let calendars = calendar::load_folder(&folder).unwrap_or_else(|problems| panic!("{problems}"));
    assert!(calendars.get("office").is_some());
    let mut typo = instance.clone();
    typo["calendars"]["office"]["holiday"] = serde_json::json!([]);
    assert!(!validator.is_valid(&typo));
}

/// `flowkeeper validate` checks `calendars.toml` with the workflows and
/// counts it among the files.
#[test]
fn validate_reports_calendars_and_counts_them() {
    let dir = tempfile::tempdir().unwrap();
    let workflows = dir.path().join("workflows");
    std::fs::create_dir(&workflows).unwrap();
    let workflow =
        format!("{BASE}\n[timers.x]\nafter = \"1d\"\ncalendar = \"office\"\nevent = \"tick\"\n");
    std::fs::write(workflows.join("t.toml"), workflow).unwrap();
    std::fs::write(workflows.join("calendars.toml"), CALENDARS).unwrap();
    let run = || {
        std::process::Command::new(env!("CARGO_BIN_EXE_flowkeeper"))
            .arg("validate")
            .current_dir(dir.path())
            .output()
            .unwrap()
    };
    let valid = run();
    assert_eq!(valid.status.code(), Some(0));
    assert_eq!(
        String::from_utf8_lossy(&valid.stdout),
        "1 workflow and 1 calendar valid\n"
    );
    std::fs::write(
        workflows.join("calendars.toml"),
        CALENDARS.replace("09:00-12:00", "9-12"),
    )
    .unwrap();
    let invalid = run();
    assert_eq!(invalid.status.code(), Some(1));
    assert_eq!(
        String::from_utf8_lossy(&invalid.stdout),
        "workflows/calendars.toml:3:18: `9-12` is not an open range \"HH:MM-HH:MM\" (hint: e.g. \"09:00-12:00\"; a day ends at \"24:00\")\n\
         1 problem in 1 of 2 files\n"
    );
}
