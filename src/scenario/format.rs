//! The scenario file, `workflows/tests/<workflow>/<name>.toml`:
//!
//! ```toml
//! workflow = "unpaid_order"
//! title = "exactly 100 yuan gets a message, not a call"
//!
//! [start]
//! key = "O-1"
//! data = { amount = 100.0, customer = "c-1" }
//! at = "2026-10-01T08:00:00Z"
//!
//! [[steps]]
//! advance = "30m"
//! [steps.expect]
//! state = "message_reminder"
//! actions = [{ notify = "reminder" }]
//! ```
//!
//! Parsing checks the shape only: names of states, events and fields are
//! checked by the runner against the workflow, which it loads anyway. Every
//! problem comes back as a [`Diagnostic`] with `file:line:column`, like the
//! workflow loader's. The meaning of each key is in `docs/process-owners.md`.

use std::path::{Path, PathBuf};

use indexmap::IndexMap;
use serde::Deserialize;
use serde_json::{Map, Value as Json};

use crate::engine::{Millis, Rejection, Status};
use crate::model::source::SourceMap;
use crate::model::{Diagnostics, Duration, LineIndex};
use crate::path;

/// When a scenario starts if its `[start]` gives no `at`:
/// 2026-01-01T00:00:00Z. Fixed, so that runs are reproducible.
pub const DEFAULT_START: Millis = 1_767_225_600_000;

/// One parsed scenario file.
#[derive(Debug, Clone, PartialEq)]
pub struct Scenario {
    /// The file it came from, for messages.
    pub file: PathBuf,
    /// The workflow whose instance the scenario creates.
    pub workflow: String,
    /// What the scenario shows, in the process owner's words.
    pub title: String,
    pub start: Start,
    /// Run in order; each sees the outcome of the ones before.
    pub steps: Vec<Step>,
}

/// The instance the scenario creates, and when.
#[derive(Debug, Clone, PartialEq)]
pub struct Start {
    pub key: String,
    pub data: Map<String, Json>,
    /// The virtual clock's first reading.
    pub at: Millis,
    /// Checked right after creation.
    pub expect: Expect,
    pub place: Place,
}

/// Where something is written in the file (1-based), so that a failed
/// expectation can point at its step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Place {
    pub line: usize,
    pub column: usize,
}

/// One step: do something, then check what is expected.
#[derive(Debug, Clone, PartialEq)]
pub struct Step {
    pub action: StepAction,
    /// The instance the event goes to and the expectations look at:
    /// the scenario's own unless the step names another (e.g. a spawned one).
    pub target: Target,
    pub expect: Expect,
    pub place: Place,
}

/// What a step does.
#[derive(Debug, Clone, PartialEq)]
pub enum StepAction {
    /// Post this event with this data to the target instance.
    Event {
        name: String,
        data: Map<String, Json>,
    },
    /// Move the virtual clock on; every timer that falls due on the way
    /// fires, in due order, before the next step.
    Advance(Duration),
    /// Move the virtual clock on at once, as if the server had been down
    /// that long: nothing fires on the way; then every timer due by the new
    /// time fires, late (recurring timers catch up as their `catch_up` says).
    Jump(Duration),
}

/// An instance, by workflow and business key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub workflow: String,
    pub key: String,
}

/// What must hold after a step. Every key is optional; an absent key is not
/// checked.
#[derive(Debug, Clone, Default, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Expect {
    /// The state the instance is in.
    pub state: Option<String>,
    /// `active`, `completed` or `cancelled`.
    pub status: Option<Status>,
    /// These data fields have these values; other fields are not checked.
    /// Numbers compare by value (`3` equals `3.0`).
    #[serde(default)]
    pub data: Map<String, Json>,
    /// Exactly the events the instance accepts now (in any order).
    pub allowed: Option<Vec<String>>,
    /// SLA clock → the outcome of its latest cycle, or the list of the
    /// outcomes of all its cycles (`[]`: no cycle ever started).
    #[serde(default)]
    pub slas: IndexMap<String, SlaExpect>,
    /// Exactly the workflow timers pending now (SLA deadlines excluded: check
    /// those with `slas`).
    pub timers: Option<Vec<String>>,
    /// Exactly the actions the target instance emitted during this step, in
    /// any order (`[]`: none). Order is left out because timers due at the
    /// same instant may fire in either order.
    pub actions: Option<Vec<ExpectedAction>>,
    /// Other instances that exist after this step (spawned, or started by a
    /// `send`), each with what must hold of it.
    #[serde(default)]
    pub spawned: Vec<ExpectedInstance>,
    /// The step must be refused for this reason; nothing changes.
    pub rejected: Option<RejectionKind>,
    /// SLA clock → the due instant of its open cycle (RFC 3339, any offset).
    #[serde(default)]
    pub sla_due: IndexMap<String, Instant>,
    /// Workflow timer → the instant it is due next (RFC 3339, any offset).
    #[serde(default)]
    pub timer_due: IndexMap<String, Instant>,
    /// Exactly the late firings of recurring timers during this step (in any
    /// order), each with the slot it stood for (`[]`: none was late).
    pub caught_up: Option<Vec<CaughtUp>>,
}

/// An instant as the scenario writes it, RFC 3339 with an offset; the
/// offset is kept so that a mismatch shows the actual instant in the same
/// local time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(try_from = "String")]
pub struct Instant {
    pub at: Millis,
    /// `None`: written in UTC with `Z`.
    offset: Option<jiff::tz::Offset>,
}

impl Instant {
    /// `at` as RFC 3339 in this instant's offset.
    pub fn show(&self, at: Millis) -> String {
        match (jiff::Timestamp::from_millisecond(at), self.offset) {
            (Ok(at), Some(offset)) => at.display_with_offset(offset).to_string(),
            (Ok(at), None) => at.to_string(),
            (Err(_), _) => at.to_string(),
        }
    }
}

impl TryFrom<String> for Instant {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let refuse =
            || format!("`{text}` is not an RFC 3339 instant, e.g. \"2026-10-20T14:00:00+08:00\"");
        let at: jiff::Timestamp = text.parse().map_err(|_| refuse())?;
        let pieces = jiff::fmt::temporal::Pieces::parse(&text).map_err(|_| refuse())?;
        let offset = match pieces.offset() {
            Some(jiff::fmt::temporal::PiecesOffset::Numeric(numeric)) => Some(numeric.offset()),
            _ => None,
        };
        Ok(Self {
            at: at.as_millisecond(),
            offset,
        })
    }
}

/// A late firing of a recurring timer and the slot it stood for.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CaughtUp {
    pub timer: String,
    pub slot: Instant,
}

/// The expected outcome(s) of one SLA clock.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(
    untagged,
    expecting = "an SLA status (\"met\", \"missed\", \"running\" or \"paused\") or a list of them, one per cycle"
)]
pub enum SlaExpect {
    /// The latest cycle.
    Latest(SlaStatus),
    /// Every cycle, oldest first.
    Cycles(Vec<SlaStatus>),
}

/// Where one cycle of an SLA clock stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SlaStatus {
    /// Stopped by its due instant.
    Met,
    /// Its clock ran past the due instant (whether it stopped later or not).
    Missed,
    /// Counting, not yet decided.
    Running,
    /// Not counting: the instance is in one of the clock's pause states.
    Paused,
}

/// An action expected from the target instance.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(try_from = "ActionSpec")]
pub enum ExpectedAction {
    /// `{ notify = "webhook", payload = { … } }`: payload members are a subset.
    Notify {
        webhook: String,
        payload: Map<String, Json>,
    },
    /// `{ spawn = "workflow", key = "…", data = { … } }`.
    Spawn {
        workflow: String,
        key: Option<String>,
        data: Map<String, Json>,
    },
    /// `{ send = "workflow", key = "…", event = "…", data = { … } }`.
    Send {
        workflow: String,
        key: Option<String>,
        event: Option<String>,
        data: Map<String, Json>,
    },
}

/// An action as written: one of `notify`, `spawn`, `send`, and the details
/// that kind allows.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ActionSpec {
    notify: Option<String>,
    spawn: Option<String>,
    send: Option<String>,
    key: Option<String>,
    event: Option<String>,
    data: Option<Map<String, Json>>,
    payload: Option<Map<String, Json>>,
}

impl TryFrom<ActionSpec> for ExpectedAction {
    type Error = String;

    fn try_from(spec: ActionSpec) -> Result<Self, String> {
        let refuse = |key: &str, kind: &str| Err(format!("`{key}` does not go with `{kind}`"));
        match (spec.notify, spec.spawn, spec.send) {
            (Some(webhook), None, None) => {
                if spec.key.is_some() {
                    return refuse("key", "notify");
                }
                if spec.event.is_some() {
                    return refuse("event", "notify");
                }
                if spec.data.is_some() {
                    return refuse("data", "notify (use `payload`)");
                }
                Ok(Self::Notify {
                    webhook,
                    payload: spec.payload.unwrap_or_default(),
                })
            }
            (None, Some(workflow), None) => {
                if spec.event.is_some() {
                    return refuse("event", "spawn");
                }
                if spec.payload.is_some() {
                    return refuse("payload", "spawn (use `data`)");
                }
                Ok(Self::Spawn {
                    workflow,
                    key: spec.key,
                    data: spec.data.unwrap_or_default(),
                })
            }
            (None, None, Some(workflow)) => {
                if spec.payload.is_some() {
                    return refuse("payload", "send (use `data`)");
                }
                Ok(Self::Send {
                    workflow,
                    key: spec.key,
                    event: spec.event,
                    data: spec.data.unwrap_or_default(),
                })
            }
            _ => Err("an expected action names exactly one of `notify`, `spawn` and `send`".into()),
        }
    }
}

/// Another instance expected to exist.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpectedInstance {
    pub workflow: String,
    pub key: String,
    pub state: Option<String>,
    pub status: Option<Status>,
    /// A subset of its data, as for [`Expect::data`].
    #[serde(default)]
    pub data: Map<String, Json>,
}

/// Why a step is expected to be refused: the kinds of
/// [`Rejection`] a process owner can provoke on purpose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RejectionKind {
    EventNotAllowed,
    NoGuardHolds,
    DataInvalid,
    InstanceEnded,
}

impl RejectionKind {
    /// The kind of an engine rejection; `None` for the ones that are
    /// faults of the workflow (a failing expression, a loop, …), which no
    /// scenario should expect.
    pub fn of(rejection: &Rejection) -> Option<Self> {
        match rejection {
            Rejection::EventNotAllowed { .. } => Some(Self::EventNotAllowed),
            Rejection::NoGuardHolds { .. } => Some(Self::NoGuardHolds),
            Rejection::DataInvalid { .. } => Some(Self::DataInvalid),
            Rejection::InstanceEnded { .. } => Some(Self::InstanceEnded),
            Rejection::Expression(_)
            | Rejection::EventlessLoop { .. }
            | Rejection::NoSuchTimer { .. }
            | Rejection::UnknownState { .. } => None,
        }
    }
}

/// The file as written.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ScenarioSpec {
    workflow: String,
    title: String,
    start: StartSpec,
    #[serde(default)]
    steps: Vec<StepSpec>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StartSpec {
    key: String,
    #[serde(default)]
    data: Map<String, Json>,
    at: Option<jiff::Timestamp>,
    #[serde(default)]
    expect: Expect,
}

/// A step as written; exactly one of `event` and `advance`.
#[derive(Deserialize)]
#[serde(try_from = "StepFields")]
struct StepSpec {
    action: StepAction,
    workflow: Option<String>,
    key: Option<String>,
    expect: Expect,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFields {
    event: Option<String>,
    advance: Option<Duration>,
    jump: Option<Duration>,
    data: Option<Map<String, Json>>,
    workflow: Option<String>,
    key: Option<String>,
    #[serde(default)]
    expect: Expect,
}

impl TryFrom<StepFields> for StepSpec {
    type Error = String;

    fn try_from(fields: StepFields) -> Result<Self, String> {
        let action = match (fields.event, fields.advance, fields.jump) {
            (Some(name), None, None) => StepAction::Event {
                name,
                data: fields.data.unwrap_or_default(),
            },
            (None, Some(duration), None) if fields.data.is_none() => StepAction::Advance(duration),
            (None, None, Some(duration)) if fields.data.is_none() => StepAction::Jump(duration),
            (None, _, _) if fields.data.is_some() => {
                return Err("`data` goes with an `event` step, not a clock step".into());
            }
            _ => {
                return Err(
                    "a step has exactly one of `event = \"name\"`, `advance = \"30m\"` and `jump = \"3d\"`".into(),
                );
            }
        };
        Ok(Self {
            action,
            workflow: fields.workflow,
            key: fields.key,
            expect: fields.expect,
        })
    }
}

/// Parses one scenario; `file` is only used in messages.
pub fn parse(file: &Path, text: &str) -> Result<Scenario, Diagnostics> {
    let lines = LineIndex::new(file, text);
    let spec: ScenarioSpec = toml::from_str(text).map_err(|error| lines.toml_error(&error))?;
    let map = SourceMap::new(text);
    let place = |path: crate::model::source::Path| {
        let found = lines.diagnostic(map.span(&path), String::new(), None);
        Place {
            line: found.line,
            column: found.column,
        }
    };
    let start = Start {
        place: place(path!["start"]),
        key: spec.start.key,
        data: spec.start.data,
        at: spec
            .start
            .at
            .map_or(DEFAULT_START, |at| at.as_millisecond()),
        expect: spec.start.expect,
    };
    let steps = spec
        .steps
        .into_iter()
        .enumerate()
        .map(|(index, step)| Step {
            place: place(path!["steps", index]),
            target: Target {
                workflow: step.workflow.unwrap_or_else(|| spec.workflow.clone()),
                key: step.key.unwrap_or_else(|| start.key.clone()),
            },
            action: step.action,
            expect: step.expect,
        })
        .collect();
    Ok(Scenario {
        file: file.to_path_buf(),
        workflow: spec.workflow,
        title: spec.title,
        start,
        steps,
    })
}

/// Reads and parses one scenario file.
pub fn load_file(path: &Path) -> Result<Scenario, Diagnostics> {
    parse(path, &Diagnostics::read(path)?)
}

/// The scenario files under `paths`, sorted: a file is taken as given; a
/// folder with a `tests` folder inside (the workflows folder) is searched
/// in `tests`, any other folder in itself, both at every depth.
pub fn scenario_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>, Diagnostics> {
    let mut files = Vec::new();
    for path in paths {
        if path.is_dir() {
            let tests = path.join("tests");
            let root = if tests.is_dir() { tests } else { path.clone() };
            collect_toml(&root, &mut files)?;
        } else {
            files.push(path.clone());
        }
    }
    Ok(files)
}

fn collect_toml(folder: &Path, files: &mut Vec<PathBuf>) -> Result<(), Diagnostics> {
    let entries =
        std::fs::read_dir(folder).map_err(|error| Diagnostics::unreadable(folder, &error))?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(|entry| entry.ok().map(|entry| entry.path()))
        .collect();
    found.sort();
    for path in found {
        if path.is_dir() {
            collect_toml(&path, files)?;
        } else if path.extension().is_some_and(|ext| ext == "toml") {
            files.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parse_ok(text: &str) -> Scenario {
        match parse(Path::new("s.toml"), text) {
            Ok(scenario) => scenario,
            Err(diagnostics) => panic!("{diagnostics}"),
        }
    }

    /// The first diagnostic as `line:column: message`.
    fn error(text: &str) -> String {
        let diagnostics = parse(Path::new("s.toml"), text).expect_err("should not parse");
        let first = &diagnostics.0[0];
        format!("{}:{}: {}", first.line, first.column, first.message)
    }

    const HEAD: &str = "workflow = \"unpaid_order\"\ntitle = \"t\"\n[start]\nkey = \"O-1\"\n";

    #[test]
    fn reads_steps_targets_and_expectations() {
        let text = format!(
            "{HEAD}data = {{ amount = 100.0, customer = \"c-1\" }}\nat = \"2026-10-01T08:00:00Z\"\n\
             [start.expect]\ntimers = [\"remind\", \"expire\"]\n\
             [[steps]]\nadvance = \"30m\"\n[steps.expect]\nstate = \"message_reminder\"\n\
             actions = [{{ notify = \"reminder\" }}]\nslas = {{ handling = \"met\", reply = [\"missed\", \"running\"] }}\n\
             [[steps]]\nevent = \"pay\"\n[steps.expect]\nstatus = \"completed\"\n\
             spawned = [{{ workflow = \"callback\", key = \"O-1\", state = \"waiting\" }}]\n\
             [[steps]]\nevent = \"purchase\"\nworkflow = \"customer_tier\"\nkey = \"c-1\"\ndata = {{ amount = 5.0 }}\n\
             [steps.expect]\nrejected = \"no_guard_holds\"\n"
        );
        let scenario = parse_ok(&text);
        assert_eq!(scenario.start.at, 1_790_841_600_000);
        assert_eq!(scenario.start.data["amount"], json!(100.0));
        assert_eq!(
            scenario.start.expect.timers,
            Some(vec!["remind".into(), "expire".into()])
        );
        let [advance, pay, purchase] = &scenario.steps[..] else {
            panic!("three steps expected, got {:?}", scenario.steps);
        };
        assert_eq!(
            advance.action,
            StepAction::Advance(Duration::parse("30m").unwrap())
        );
        assert_eq!(advance.place, Place { line: 9, column: 1 });
        assert_eq!(
            advance.expect.actions,
            Some(vec![ExpectedAction::Notify {
                webhook: "reminder".into(),
                payload: Map::new()
            }])
        );
        assert_eq!(
            advance.expect.slas["handling"],
            SlaExpect::Latest(SlaStatus::Met)
        );
        assert_eq!(
            advance.expect.slas["reply"],
            SlaExpect::Cycles(vec![SlaStatus::Missed, SlaStatus::Running])
        );
        assert_eq!(
            pay.target,
            Target {
                workflow: "unpaid_order".into(),
                key: "O-1".into()
            }
        );
        assert_eq!(pay.expect.status, Some(Status::Completed));
        assert_eq!(pay.expect.spawned[0].state.as_deref(), Some("waiting"));
        assert_eq!(
            purchase.target,
            Target {
                workflow: "customer_tier".into(),
                key: "c-1".into()
            }
        );
        assert_eq!(
            purchase.action,
            StepAction::Event {
                name: "purchase".into(),
                data: json!({ "amount": 5.0 }).as_object().unwrap().clone()
            }
        );
        assert_eq!(purchase.expect.rejected, Some(RejectionKind::NoGuardHolds));
    }

    #[test]
    fn reads_jumps_and_expected_instants() {
        let text = format!(
            "{HEAD}[[steps]]\njump = \"2d 22h\"\n[steps.expect]\n\
             sla_due = {{ handling = \"2026-10-20T14:00:00+08:00\" }}\n\
             timer_due = {{ daily = \"2026-10-22T01:00:00Z\" }}\n\
             caught_up = [{{ timer = \"daily\", slot = \"2026-10-19T09:00:00+08:00\" }}]\n"
        );
        let scenario = parse_ok(&text);
        let step = &scenario.steps[0];
        assert_eq!(
            step.action,
            StepAction::Jump(Duration::parse("70h").unwrap())
        );
        let due = step.expect.sla_due["handling"];
        assert_eq!(due.at, 1_792_476_000_000);
        assert_eq!(due.show(due.at), "2026-10-20T14:00:00+08:00");
        assert_eq!(
            step.expect.timer_due["daily"].show(due.at),
            "2026-10-20T06:00:00Z"
        );
        let late = &step.expect.caught_up.as_ref().unwrap()[0];
        assert_eq!(late.timer, "daily");
        assert_eq!(late.slot.show(late.slot.at), "2026-10-19T09:00:00+08:00");
        let wrong = error(&format!(
            "{HEAD}[[steps]]\njump = \"1h\"\n[steps.expect]\nsla_due = {{ handling = \"Tuesday\" }}\n"
        ));
        assert!(
            wrong.starts_with("8:24: `Tuesday` is not an RFC 3339 instant"),
            "{wrong}"
        );
        let both = error(&format!(
            "{HEAD}[[steps]]\njump = \"1h\"\nadvance = \"1h\"\n"
        ));
        assert!(both.starts_with("5:1: a step has exactly one of"), "{both}");
    }

    #[test]
    fn a_start_without_a_time_uses_the_fixed_default() {
        let scenario = parse_ok(HEAD);
        assert_eq!(scenario.start.at, DEFAULT_START);
        assert_eq!(
            jiff::Timestamp::from_millisecond(DEFAULT_START)
                .unwrap()
                .to_string(),
            "2026-01-01T00:00:00Z"
        );
        assert!(scenario.steps.is_empty());
    }

    #[test]
    fn mistakes_point_at_their_line_and_column() {
        let cases = [
            (
                format!("{HEAD}[[steps]]\nevent = \"pay\"\nadvance = \"1h\"\n"),
                "5:1: a step has exactly one of",
            ),
            (
                format!("{HEAD}[[steps]]\nadvance = \"1h\"\ndata = {{ a = 1 }}\n"),
                "5:1: `data` goes with an `event` step",
            ),
            (
                format!("{HEAD}[[steps]]\nadvance = \"soon\"\n"),
                "6:11: `soon` is not a duration",
            ),
            (
                format!("{HEAD}[[steps]]\nevent = \"pay\"\n[steps.expect]\nstat = \"paid\"\n"),
                "8:1: unknown field `stat`",
            ),
            (
                format!(
                    "{HEAD}[[steps]]\nevent = \"pay\"\n[steps.expect]\nslas = {{ reply = \"late\" }}\n"
                ),
                "8:18: an SLA status",
            ),
            (
                format!(
                    "{HEAD}[[steps]]\nevent = \"pay\"\n[steps.expect]\nactions = [{{ notify = \"a\", spawn = \"b\" }}]\n"
                ),
                "8:11: an expected action names exactly one",
            ),
            (
                format!(
                    "{HEAD}[[steps]]\nevent = \"pay\"\n[steps.expect]\nactions = [{{ notify = \"a\", data = {{}} }}]\n"
                ),
                "8:11: `data` does not go with `notify (use `payload`)`",
            ),
            (
                format!("{HEAD}[[steps]]\nevent = \"pay\"\n[steps.expect]\nrejected = \"nope\"\n"),
                "8:12: unknown variant `nope`",
            ),
            (format!("{HEAD}at = \"tomorrow\"\n"), "5:6: "),
            (
                "workflow = \"x\"\n".to_owned(),
                "1:1: missing field `title`",
            ),
        ];
        for (text, expected) in cases {
            let found = error(&text);
            assert!(
                found.starts_with(expected),
                "expected `{expected}…`, got `{found}` for:\n{text}"
            );
        }
    }

    #[test]
    fn rejection_kinds_map_the_engine_refusals() {
        let ended = Rejection::InstanceEnded {
            status: Status::Completed,
        };
        assert_eq!(
            RejectionKind::of(&ended),
            Some(RejectionKind::InstanceEnded)
        );
        let missing = Rejection::NoSuchTimer { name: "x".into() };
        assert_eq!(RejectionKind::of(&missing), None);
    }

    #[test]
    fn finds_scenarios_under_the_tests_folder_at_every_depth() {
        let root = tempfile::tempdir().unwrap();
        let deep = root.path().join("tests/complaint");
        std::fs::create_dir_all(&deep).unwrap();
        std::fs::write(root.path().join("complaint.toml"), "").unwrap();
        std::fs::write(deep.join("b.toml"), "").unwrap();
        std::fs::write(deep.join("a.toml"), "").unwrap();
        std::fs::write(deep.join("notes.md"), "").unwrap();
        let files = scenario_files(&[root.path().to_path_buf()]).unwrap();
        assert_eq!(files, [deep.join("a.toml"), deep.join("b.toml")]);
        let missing = scenario_files(&[root.path().join("nowhere")]).unwrap();
        assert_eq!(missing, [root.path().join("nowhere")]);
        let error = load_file(&root.path().join("nowhere")).unwrap_err();
        assert!(error.to_string().contains("cannot read"), "{error}");
    }
}
