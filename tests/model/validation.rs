//! One test per validation rule: a small workflow file and the exact
//! diagnostics it must produce, as `line:column: message (hint: …)`.

use std::path::Path;

use flowkeeper::model::{Catalog, check_str, load_str};

/// A valid workflow the cases below start from: `a --go--> b (terminal)`.
const BASE: &str = r#"id = "t"
version = 1
title = "T"
start = "a"

[data.n]
type = "integer"

[states.a]
on.go = "b"

[states.b]
terminal = true

[events.go]
"#;

/// Checks `text` and compares every diagnostic (errors and warnings), in
/// order.
fn check(text: &str, expected: &[&str]) {
    let report = check_str(Path::new("t.toml"), text);
    let found: Vec<String> = report
        .diagnostics()
        .0
        .iter()
        .map(|d| d.to_string().trim_start_matches("t.toml:").to_owned())
        .collect();
    assert_eq!(report.definition().is_some(), !report.has_errors());
    assert_eq!(found, expected, "\nfound:\n{}\n", found.join("\n"));
}

/// BASE with `extra` appended.
fn with(extra: &str) -> String {
    format!("{BASE}{extra}")
}

#[test]
fn the_base_is_valid() {
    check(BASE, &[]);
}

#[test]
fn unknown_target_state() {
    check(
        &BASE.replace(r#"on.go = "b""#, r#"on.go = "bb""#),
        &["10:9: unknown state `bb` (hint: did you mean `b`?)"],
    );
}

#[test]
fn unreachable_state() {
    check(
        &with("\n[states.c]\nterminal = true\n"),
        &["17:9: state `c` cannot be reached from `a`"],
    );
}

#[test]
fn non_terminal_state_without_way_out() {
    let text = BASE.replace(r#"on.go = "b""#, "on.go = \"b\"\non.back = \"c\"")
        + "\n[events.back]\n[states.c]\ntitle = \"C\"\n";
    check(
        &text,
        &[
            "19:9: state `c` is not terminal but has no way out (hint: add a transition to another state, or set terminal = true)",
        ],
    );
}

#[test]
fn terminal_state_with_event_transitions() {
    check(
        &BASE.replace("terminal = true", "terminal = true\non.go = \"a\""),
        &[
            "14:4: terminal state `b` handles `go`, but an ended instance takes no transitions (hint: remove `terminal = true`, or make the event global with after_end = true to record it on ended instances)",
        ],
    );
}

#[test]
fn terminal_state_with_eventless_transitions() {
    check(
        &BASE.replace(
            "terminal = true",
            "terminal = true\nalways = [{ to = \"a\" }]",
        ),
        &[
            "14:1: terminal state `b` has eventless transitions, but an ended instance takes no transitions",
        ],
    );
}

#[test]
fn event_handled_nowhere() {
    check(
        &with("\n[events.ping]\ntitle = \"Ping\"\n"),
        &[
            "17:9: event `ping` is handled in no state and is not global, so it can never be accepted (hint: handle it in a state's `on` (e.g. on.ping = {} to record it), or set global = true)",
        ],
    );
}

#[test]
fn timer_with_unknown_state_and_event() {
    check(
        &with("\n[timers.t]\nafter = \"1h\"\nevent = \"gone\"\nstates = [\"aa\"]\n"),
        &[
            "19:9: unknown event `gone` (hint: did you mean `go`?)",
            "20:11: unknown state `aa` (hint: did you mean `a`?)",
        ],
    );
}

#[test]
fn timer_event_handled_in_none_of_its_states() {
    // `t` spans `c`, which handles `tick`, and `a`, which does not: fine.
    // `u` runs only in `a`: it could never do anything.
    let text = BASE.replace(r#"on.go = "b""#, "on.go = \"b\"\non.back = \"c\"")
        + "\n[events.back]\n[events.tick]\n[states.c]\non.go = \"b\"\non.tick = {}\n\
           [timers.t]\nafter = \"1h\"\nevent = \"tick\"\nstates = [\"c\", \"a\"]\n\
           [timers.u]\nafter = \"1h\"\nevent = \"tick\"\nstates = [\"a\"]\n";
    check(
        &text,
        &[
            "30:10: timer `u` fires `tick`, which none of its states (a) handles (hint: add on.tick to state `a`, or make the event global)",
        ],
    );
}

#[test]
fn sla_with_unknown_state_and_event() {
    check(
        &with(
            "\n[slas.s]\nstart = [\"a\"]\nstop = [\"c\"]\nstop_events = [\"og\"]\nwithin = \"1h\"\n",
        ),
        &["19:9: unknown state `c`", "20:16: unknown event `og`"],
    );
}

#[test]
fn sla_that_starts_but_never_stops() {
    let text = BASE.replace(r#"on.go = "b""#, "on.go = \"b\"\non.back = \"c\"")
        + "\n[states.c]\non.go = \"a\"\n[events.back]\n[slas.s]\nstart = [\"b\"]\nstop = [\"c\"]\nwithin = \"1h\"\n";
    check(
        &text,
        &[
            "21:7: SLA `s` can start but never stop: no `stop` state is reachable from its start states and no `stop_events` event is accepted on the way",
        ],
    );
}

#[test]
fn sla_without_start_or_stop() {
    check(
        &with("\n[slas.s]\nstart = []\nwithin = \"1h\"\n"),
        &[
            "17:7: SLA `s` has neither `stop` states nor `stop_events`, so it never stops (hint: add stop = [\"<state>\"] or stop_events = [\"<event>\"])",
            "18:9: SLA `s` has no start state, so it never runs",
        ],
    );
}

#[test]
fn bad_durations() {
    check(
        &with(
            "\n[timers.t]\nafter = \"soon\"\nevent = \"go\"\nstates = [\"a\"]\n[slas.s]\nstart = [\"a\"]\nstop = [\"b\"]\nwithin = \"1 month\"\n",
        ),
        &[
            "18:9: `soon` is not a duration; write e.g. \"90s\", \"10m\", \"4h\", \"7d\" or \"1h 30m\"",
            "24:10: `1 month` uses months or years, whose length varies; use days or weeks",
        ],
    );
}

#[test]
fn expression_that_does_not_compile() {
    check(
        &BASE.replace(
            r#"on.go = "b""#,
            r#"on.go = { when = "data.n >", to = "b" }"#,
        ),
        &[
            "10:27: the expression ends too soon (hint: expected a value: a number, a 'string', true, false, data.<field>, (…))",
        ],
    );
}

#[test]
fn expression_reading_undeclared_field_and_variable() {
    check(
        &BASE.replace(
            r#"on.go = "b""#,
            r#"on.go = { when = "data.m > 1 && dta.n > 1", to = "b" }"#,
        ),
        &[
            "10:19: `data.m` is read, but there is no data field `m`",
            "10:33: unknown name `dta` (hint: did you mean `data`?)",
        ],
    );
}

#[test]
fn expression_reading_an_event_field_the_event_lacks() {
    check(
        &BASE.replace(
            r#"on.go = "b""#,
            r#"on.go = { when = "event.why == 'x'", to = "b" }"#,
        ),
        &["10:19: `event.why` is read, but this event does not carry `why`"],
    );
}

#[test]
fn eventless_transition_reading_the_event() {
    check(
        &BASE.replace(
            r#"on.go = "b""#,
            "on.go = \"b\"\nalways = [{ when = \"event.n > 1\", to = \"b\" }]",
        ),
        &[
            "11:21: `event.n` is read, but no event is at hand here (hint: eventless transitions, entry actions, SLA durations and `at` timers see only data, key and state)",
        ],
    );
}

#[test]
fn unknown_keys_in_every_entry_are_all_reported() {
    let text = BASE
        .replace(r#"on.go = "b""#, "on.go = \"b\"\nterminl = true")
        .replace("terminal = true", "terminal = true\ntitel = \"B\"");
    check(
        &text,
        &[
            "11:1: unknown key `terminl` (hint: did you mean `terminal`?)",
            "15:1: unknown key `titel` (hint: did you mean `title`?)",
        ],
    );
}

#[test]
fn unknown_top_level_key() {
    check(
        &with("\n[stats.c]\n"),
        &["17:2: unknown key `stats` (hint: did you mean `states`?)"],
    );
}

#[test]
fn wrong_value_type() {
    check(
        &BASE.replace("terminal = true", "terminal = \"yes\""),
        &["13:12: `terminal` must be true or false, not the string \"yes\""],
    );
}

#[test]
fn on_entry_of_the_wrong_shape() {
    check(
        &BASE.replace(r#"on.go = "b""#, "on.go = 5"),
        &[
            "10:9: an `on` entry must be a state name, a transition table or a list of transitions (hint: e.g. resolve = \"closed\" or resolve = { when = \"data.ok\", to = \"closed\" })",
        ],
    );
}

#[test]
fn duplicate_key() {
    check(
        &BASE.replace("terminal = true", "terminal = true\nterminal = false"),
        &[
            "14:1: `terminal` is defined twice in the same table (hint: TOML allows each key once; merge the two definitions)",
        ],
    );
}

#[test]
fn duplicate_table() {
    check(
        &with("\n[states.b]\ntitle = \"B\"\n"),
        &[
            "17:9: `b` is defined twice in the same table (hint: TOML allows each key once; merge the two definitions)",
        ],
    );
}

#[test]
fn timer_named_like_an_sla_deadline() {
    check(
        &with("\n[timers.\"sla:x\"]\nafter = \"1h\"\nevent = \"go\"\nstates = [\"a\"]\n"),
        &[
            "17:9: timer name `sla:x` must hold only letters, digits and `_`, and not start with a digit (hint: the `sla:` prefix is reserved for SLA deadlines)",
        ],
    );
}

#[test]
fn merged_event_field_with_another_type_than_the_data_field() {
    check(
        &BASE.replace(
            "[events.go]",
            "[events.go]\nfields.n = { type = \"string\" }",
        ),
        &[
            "16:21: event `go` merges `n` as string, but data field `n` is integer (hint: use the data field's type, or set merge = false on the event)",
        ],
    );
}

#[test]
fn two_events_merging_one_field_with_two_types() {
    let text = BASE.replace(r#"on.go = "b""#, "on.go = \"b\"\non.stay = {}")
        .replace("[events.go]", "[events.go]\nfields.m = { type = \"string\" }\n[events.stay]\nfields.m = { type = \"boolean\" }");
    check(
        &text,
        &[
            "19:21: event `stay` merges `m` as boolean, but event `go` merges it as string (hint: declare [data.m] with one type)",
        ],
    );
}

#[test]
fn terminal_start_state() {
    check(
        &BASE.replace(r#"start = "a""#, r#"start = "b""#),
        &["4:9: the start state `b` is terminal, so every instance would end as it starts"],
    );
}

#[test]
fn unknown_start_state() {
    check(
        &BASE.replace(r#"start = "a""#, r#"start = "A""#),
        &["4:9: unknown state `A`"],
    );
}

#[test]
fn role_from_an_undeclared_field() {
    check(
        &BASE.replace(
            r#"on.go = "b""#,
            "on.go = \"b\"\nrole = { field = \"group\" }",
        ),
        &["11:1: role reads undeclared data field `group`"],
    );
}

#[test]
fn set_on_an_undeclared_field() {
    check(
        &BASE.replace(
            r#"on.go = "b""#,
            r#"on.go = { to = "b", set = { m = "1" } }"#,
        ),
        &["10:29: `set` names undeclared data field `m`"],
    );
}

#[test]
fn eventless_loop() {
    let text = BASE.replace(r#"on.go = "b""#, "on.go = \"b\"\nalways = [{ to = \"c\" }]")
        + "\n[states.c]\nalways = [{ when = \"data.n > 1\", to = \"b\" }, { to = \"a\" }]\n";
    check(
        &text,
        &[
            "11:1: eventless transitions loop forever: a → c → a (hint: give one of them a `when` that becomes false)",
        ],
    );
}

#[test]
fn transition_after_a_fallback() {
    check(
        &BASE.replace(
            r#"on.go = "b""#,
            "on.go = [{ to = \"b\" }, { when = \"data.n > 1\", to = \"b\" }]",
        ),
        &[
            "10:24: this transition is never tried: the one before it has no `when` (hint: put the transition without `when` last)",
        ],
    );
}

#[test]
fn transitions_on_an_event_that_is_not_global() {
    check(
        &BASE.replace("[events.go]", "[events.go]\ntransitions = [{ to = \"b\" }]"),
        &[
            "16:1: event `go` has `transitions` but is not global; only global events take them (hint: set global = true, or move the transitions into the states' `on`)",
        ],
    );
}

#[test]
fn sla_duration_case_after_the_fallback() {
    check(
        &with(
            "\n[slas.s]\nstart = [\"a\"]\nstop = [\"b\"]\nwithin = [{ duration = \"1h\" }, { when = \"data.n == 1\", duration = \"2h\" }]\n",
        ),
        &[
            "20:10: the durations of SLA `s` need a last case without `when` (hint: add { duration = \"48h\" } as the fallback)",
            "20:32: this case is never used: the one before it has no `when` (hint: put the case without `when` last)",
        ],
    );
}

/// Loads the files into a fresh folder as one catalog; returns the
/// diagnostics as `file:line:column: message`, file names only.
fn check_catalog(files: &[(&str, &str)], expected: &[&str]) {
    let folder = tempfile::tempdir().unwrap();
    for (name, text) in files {
        std::fs::write(folder.path().join(name), text).unwrap();
    }
    let found: Vec<String> = match Catalog::load(&[folder.path().to_path_buf()]) {
        Ok(_) => Vec::new(),
        Err(diagnostics) => diagnostics
            .0
            .iter()
            .map(|d| {
                let prefix = format!("{}/", folder.path().display());
                d.to_string().replace(&prefix, "")
            })
            .collect(),
    };
    assert_eq!(found, expected, "\nfound:\n{}\n", found.join("\n"));
}

/// A child workflow: `order` requires `amount`; `pay` carries `method`.
const CHILD: &str = r#"id = "child"
version = 1
title = "Child"
start = "open"

[data.amount]
type = "number"
required = true

[states.open]
on.pay = "done"

[states.done]
terminal = true

[events.pay]
fields.method = { type = "string" }
"#;

/// BASE with `actions` on its `go` transition, written as one inline table.
fn parent(actions: &str) -> String {
    BASE.replace(
        r#"on.go = "b""#,
        &format!("on.go = {{ to = \"b\", actions = [{actions}] }}"),
    )
}

#[test]
fn catalog_accepts_valid_spawn_and_send() {
    let text = parent(
        r#"{ spawn = { workflow = "child", key = "key", data = { amount = "1.0" } } }, { send = { workflow = "child", key = "key", event = "pay", data = { method = "'cash'" } } }"#,
    );
    check_catalog(&[("child.toml", CHILD), ("t.toml", &text)], &[]);
}

#[test]
fn catalog_spawn_of_an_unknown_workflow() {
    let text = parent(r#"{ spawn = { workflow = "chld", key = "key" } }"#);
    check_catalog(
        &[("child.toml", CHILD), ("t.toml", &text)],
        &["t.toml:10:55: unknown workflow `chld` (hint: did you mean `child`?)"],
    );
}

#[test]
fn catalog_spawn_with_undeclared_and_missing_fields() {
    let text =
        parent(r#"{ spawn = { workflow = "child", key = "key", data = { amout = "1.0" } } }"#);
    check_catalog(
        &[("child.toml", CHILD), ("t.toml", &text)],
        &[
            "t.toml:10:34: spawn of `child` does not give required data field `amount` (hint: add amount = \"<expression>\" to its `data`)",
            "t.toml:10:86: spawn of `child` gives `amout`, which is not a declared data field there (hint: did you mean `amount`?)",
        ],
    );
}

#[test]
fn catalog_send_of_an_unknown_event_and_field() {
    let text = parent(
        r#"{ send = { workflow = "child", key = "key", event = "payy" } }, { send = { workflow = "child", key = "key", event = "pay", data = { how = "'cash'" } } }"#,
    );
    check_catalog(
        &[("child.toml", CHILD), ("t.toml", &text)],
        &[
            "t.toml:10:84: workflow `child` has no event `payy` (hint: did you mean `pay`?)",
            "t.toml:10:164: event `pay` of `child` gives `how`, which is not a declared field there",
        ],
    );
}

#[test]
fn catalog_reports_actions_in_lists_and_on_enter() {
    let text = BASE.replace(
        r#"on.go = "b""#,
        "on.go = [{ to = \"b\", actions = [{ spawn = { workflow = \"x\", key = \"key\" } }] }]",
    ) .replace("terminal = true", "terminal = true\non_enter = [{ send = { workflow = \"y\", key = \"key\", event = \"go\" } }]");
    check_catalog(
        &[("t.toml", &text)],
        &[
            "t.toml:10:56: unknown workflow `x`",
            "t.toml:14:35: unknown workflow `y`",
        ],
    );
}

#[test]
fn catalog_workflow_id_used_twice() {
    check_catalog(
        &[("child.toml", CHILD), ("copy.toml", CHILD)],
        &[
            "copy.toml:1:6: warning: the workflow id `child` differs from the file name `copy` (hint: rename the file to child.toml, or set id = \"copy\")",
            "copy.toml:1:6: workflow id `child` is also used by child.toml",
        ],
    );
}

#[test]
fn after_end_needs_a_global_event_that_keeps_the_state() {
    check(
        &with(
            "after_end = true\n\n[events.poke]\nglobal = true\nafter_end = true\ntransitions = [{ to = \"a\" }]\n",
        ),
        &[
            "16:13: event `go` has `after_end` but is not global; only global events reach ended instances (hint: set global = true, or remove after_end)",
            "20:13: event `poke` has `after_end`, but its transitions change the state, which an ended instance never does (hint: remove after_end, or take `to` out of its transitions)",
        ],
    );
}

/// BASE where `a` belongs to a fixed team and `b`'s role is read from an
/// enum field, with `go` limited to `by`.
fn guarded(by: &str) -> String {
    BASE.replace("[states.a]\n", "[states.a]\nrole = \"desk\"\n")
        .replace(
            "[data.n]\ntype = \"integer\"\n",
            "[data.n]\ntype = \"integer\"\n\n[data.group]\ntype = \"enum\"\nvalues = [\"bss\", \"network\"]\n",
        )
        .replace("terminal = true\n", "terminal = true\nrole = { field = \"group\" }\n")
        + &format!("by = {by}\n")
}

#[test]
fn catalog_accepts_by_naming_roles_fixed_teams_and_enum_teams() {
    let text = guarded(r#"["admin", "vendor", "desk", "network"]"#);
    check_catalog(&[("t.toml", &text)], &[]);
    // A team that only another workflow of the folder names is known too.
    let other = CHILD.replace("[states.open]\n", "[states.open]\nrole = \"billing\"\n");
    let text = guarded(r#"["billing"]"#);
    check_catalog(&[("child.toml", &other), ("t.toml", &text)], &[]);
}

#[test]
fn catalog_by_naming_an_unknown_role_or_team() {
    check_catalog(
        &[("t.toml", &guarded(r#"["admni", "helpdesk"]"#))],
        &[
            "t.toml:22:7: `by` names `admni`, which is neither an account role (admin, operator, service, viewer, vendor) nor a team any workflow names (hint: did you mean `admin`?)",
            "t.toml:22:16: `by` names `helpdesk`, which is neither an account role (admin, operator, service, viewer, vendor) nor a team any workflow names (hint: a team is a state's fixed `role`, or a value of an enum field a `role = { field }` reads)",
        ],
    );
}

/// The example at the top of the format documentation must stay valid.
#[test]
fn the_documented_example_is_valid() {
    let doc = include_str!("../../docs/workflow-format.md");
    let start = doc.find("```toml\n").expect("an example") + "```toml\n".len();
    let end = start + doc[start..].find("```").expect("a closing fence");
    let report = check_str(Path::new("workflows/ticket.toml"), &doc[start..end]);
    assert!(
        report.diagnostics().0.is_empty(),
        "{}",
        report.diagnostics()
    );
}

#[test]
fn unknown_key_inside_a_transition() {
    let text = BASE.replace(
        r#"on.go = "b""#,
        "on.go = { too = \"b\" }\non.back = [{ to = \"b\" }, { wen = \"true\", to = \"b\" }]",
    );
    check(
        &text,
        &[
            "10:11: unknown key `too` (hint: did you mean `to`?)",
            "11:28: unknown key `wen` (hint: did you mean `when`?)",
        ],
    );
}

#[test]
fn role_and_within_of_the_wrong_shape() {
    let text = BASE.replace(r#"on.go = "b""#, "on.go = \"b\"\nrole = 5")
        + "\n[slas.s]\nstart = [\"a\"]\nstop = [\"b\"]\nwithin = 10\n";
    check(
        &text,
        &[
            "11:8: a role must be a role name or { field = \"<data field>\" } (hint: e.g. role = \"service_desk\" or role = { field = \"group\" })",
            "21:10: `within` must be a duration or a list of { when, duration } cases (hint: e.g. within = \"4h\")",
        ],
    );
}

#[test]
fn unknown_action() {
    let text = BASE.replace(
        r#"on.go = "b""#,
        "on.go = { to = \"b\", actions = [{ email = { to = \"x\" } }] }",
    );
    check(
        &text,
        &[
            "10:34: unknown action `email` (hint: an action is { notify = {…} }, { spawn = {…} } or { send = {…} })",
        ],
    );
}

// The cases of issue 16, one test each: message and line:column.

/// BASE with data fields of every kind, for the type rules.
fn typed(transition: &str) -> String {
    BASE.replace(r#"on.go = "b""#, &format!("on.go = {transition}"))
        .replace(
            "[data.n]\ntype = \"integer\"",
            "[data.n]\ntype = \"integer\"\n[data.g]\ntype = \"string\"\n[data.x]\ntype = \"number\"\n[data.s]\ntype = \"enum\"\nvalues = [\"user\", \"event\"]",
        )
}

#[test]
fn a_guard_that_is_not_a_boolean() {
    check(
        &typed(r#"{ when = "data.n + 1", to = "b" }"#),
        &[
            "17:19: a condition must give true or false, but this gives an integer (hint: compare it, e.g. data.level > 1)",
        ],
    );
}

#[test]
fn a_guard_comparing_a_string_with_a_number() {
    check(
        &typed(r#"{ when = "data.g > 100", to = "b" }"#),
        &[
            "17:26: `>` compares a string with an integer (hint: both sides must be numbers, or both strings)",
        ],
    );
}

#[test]
fn a_set_writing_a_string_into_an_integer_field() {
    check(
        &typed(r#"{ to = "b", set = { n = "'high'" } }"#),
        &["17:34: `n` is an integer field, but this gives a string"],
    );
}

#[test]
fn arithmetic_mixing_integers_and_numbers() {
    check(
        &typed(r#"{ to = "b", set = { x = "data.x + 1" } }"#),
        &[
            "17:41: `+` mixes a number and an integer, which CEL does not do in arithmetic (hint: write 1.0 for a number, or convert a side with double(…) or int(…))",
        ],
    );
}

#[test]
fn an_enum_compared_with_a_value_it_never_has_is_a_warning() {
    check(
        &typed(r#"{ when = "data.s == 'robot'", to = "b" }"#),
        &[
            "17:29: warning: 'robot' is not one of the values of `s`, so this is always false (hint: the values are user, event)",
        ],
    );
}

#[test]
fn a_recurring_timer_faster_than_a_second() {
    check(
        &with("\n[timers.t]\nevery = \"5ms\"\nevent = \"go\"\nstates = [\"a\"]\n"),
        &[
            "18:9: `5ms` is shorter than the shortest period of a recurring timer, 1s (hint: a recurring timer fires at most once a second; write every = \"1s\" or more)",
        ],
    );
}

#[test]
fn an_eventless_transition_without_when_and_to() {
    check(
        &BASE.replace(
            r#"on.go = "b""#,
            "on.go = \"b\"\nalways = [{ set = { n = \"data.n + 1\" } }]",
        ),
        &[
            "11:11: this eventless transition of `a` stays in the state and always applies, so it would run again after every step and the instance would never settle (hint: give it a `when` that its `set` makes false, or a `to`)",
        ],
    );
}

#[test]
fn an_eventless_loop_through_a_guard_that_is_always_true() {
    let text = BASE.replace(
        r#"on.go = "b""#,
        "on.go = \"b\"\nalways = [{ when = \"1 == 1\", to = \"c\" }]",
    ) + "\n[states.c]\nalways = [{ to = \"a\" }]\n";
    check(
        &text,
        &[
            "11:1: eventless transitions loop forever: a → c → a (hint: the `when` in `a` is always true; give it a condition that can become false)",
            "11:20: warning: this condition is always true (hint: leave `when` out to say \"otherwise\")",
        ],
    );
}

#[test]
fn graph_checks_run_despite_name_errors() {
    // `zz` is unknown, and `c` cannot be reached: both are reported.
    let text = BASE.replace(
        r#"on.go = "b""#,
        "on.go = { when = \"data.zz > 1\", to = \"b\" }",
    ) + "\n[states.c]\nterminal = true\n";
    check(
        &text,
        &[
            "10:19: `data.zz` is read, but there is no data field `zz`",
            "17:9: state `c` cannot be reached from `a`",
        ],
    );
}

#[test]
fn an_unknown_target_does_not_make_its_intended_state_unreachable() {
    check(
        &BASE.replace(r#"on.go = "b""#, r#"on.go = "bb""#),
        &["10:9: unknown state `bb` (hint: did you mean `b`?)"],
    );
}

#[test]
fn an_unreadable_state_does_not_hide_the_others_or_make_them_unreachable() {
    let text = BASE.replace(r#"on.go = "b""#, "on.go = \"c\"\nterminal = \"no\"")
        + "\n[states.c]\non.go = \"b\"\ntitel = \"C\"\n";
    check(
        &text,
        &[
            "11:12: `terminal` must be true or false, not the string \"no\"",
            "20:1: unknown key `titel` (hint: did you mean `title`?)",
        ],
    );
}

#[test]
fn every_missing_top_level_key_is_reported() {
    check(
        "[data.n]\ntype = \"integer\"\n",
        &[
            "1:1: missing key `id` (hint: add the workflow's id, the file name without .toml: id = \"service_desk\")",
            "1:1: missing key `version` (hint: add version = 1, and raise it on every change)",
            "1:1: missing key `title` (hint: add a title for people: title = \"Service desk\")",
            "1:1: missing key `start` (hint: add the state new instances start in: start = \"submitted\")",
            "1:1: missing key `states` (hint: add a [states.<name>] table for each state)",
        ],
    );
}

#[test]
fn a_quoted_version_names_the_key() {
    check(
        &BASE.replace("version = 1", "version = \"2\""),
        &[
            "2:11: `version` must be a whole number, not the string \"2\" (hint: write the number without quotes: version = 2)",
        ],
    );
}

#[test]
fn a_syntax_error_points_at_the_bad_token() {
    check(
        &BASE.replace(
            r#"on.go = "b""#,
            r#"on.go = { when = "data.n > 100 100.0", to = "b" }"#,
        ),
        &["10:32: unexpected `100.0` (hint: join two conditions with && or ||)"],
    );
}

#[test]
fn positions_inside_escaped_and_multi_line_strings() {
    let escaped = BASE.replace(
        r#"on.go = "b""#,
        r#"on.go = { when = "data.n > 1 && \"\u00e9\" == 'x' &&", to = "b" }"#,
    );
    check(
        &escaped,
        &[
            "10:53: the expression ends too soon (hint: expected a value: a number, a 'string', true, false, data.<field>, (…))",
        ],
    );
    let multi_line = BASE.replace(
        r#"on.go = "b""#,
        "on.go = { when = \"\"\"\ndata.n > 1 &&\n   data.n < \"3\"\"\"\", to = \"b\" }",
    );
    check(
        &multi_line,
        &[
            "12:11: `<` compares an integer with a string (hint: both sides must be numbers, or both strings)",
        ],
    );
}

#[test]
fn deeply_nested_expressions_are_refused_in_words() {
    let deep = format!("{}data.n > 1{}", "(".repeat(100), ")".repeat(100));
    let text = BASE.replace(
        r#"on.go = "b""#,
        &format!("on.go = {{ when = \"{deep}\", to = \"b\" }}"),
    );
    check(
        &text,
        &[
            "10:115: this expression nests brackets or calls more than 96 levels deep (hint: split it into simpler expressions)",
        ],
    );
    let long = format!("1{} > 0", " + 1".repeat(300));
    let text = BASE.replace(
        r#"on.go = "b""#,
        &format!("on.go = {{ when = \"{long}\", to = \"b\" }}"),
    );
    check(
        &text,
        &[
            "10:19: this expression is 1205 characters long; an expression may have at most 1000 (hint: split it: several guarded transitions, `set` entries or payload members)",
        ],
    );
}

#[test]
fn a_byte_order_mark_does_not_shift_columns() {
    check(
        &format!("\u{feff}{}", BASE.replace("id = \"t\"", "id = 5")),
        &["1:6: `id` must be a string, not the number 5"],
    );
}

#[test]
fn keys_nested_too_deeply_are_reported_where_they_are() {
    let deep = vec!["a"; 90].join(".");
    check(
        &with(&format!("\n[states.c.{deep}]\nx = 1\n")),
        &[
            "17:1: this is nested more than 80 levels deep, more than flowkeeper reads (hint: a workflow file needs only a few levels of tables)",
        ],
    );
    let value = format!("{}1{}", "[".repeat(90), "]".repeat(90));
    let found = match load_str(
        Path::new("t.toml"),
        &with(&format!("\n[states.c]\nx = {value}\n")),
    ) {
        Err(diagnostics) => diagnostics.to_string(),
        Ok(_) => String::new(),
    };
    assert!(found.starts_with("t.toml:18:"), "{found}");
}

#[test]
fn a_duplicated_table_is_reported_once() {
    check(
        &with("\n[states.b]\nterminal = true\ntitle = \"B\"\n"),
        &[
            "17:9: `b` is defined twice in the same table (hint: TOML allows each key once; merge the two definitions)",
        ],
    );
}

#[test]
fn a_long_eventless_chain_is_checked_in_linear_work() {
    let chain = |states: usize| {
        let mut text = String::from("id = \"t\"\nversion = 1\ntitle = \"T\"\nstart = \"s0\"\n");
        for index in 0..states {
            text += &format!(
                "[states.s{index}]\nalways = [{{ to = \"s{}\" }}]\n",
                index + 1
            );
        }
        text += &format!("[states.s{states}]\nterminal = true\n");
        text
    };
    let work = |states: usize| {
        let report = flowkeeper::model::check_str(Path::new("t.toml"), &chain(states));
        assert!(!report.has_errors(), "{}", report.diagnostics());
        report.work()
    };
    let (small, large) = (work(1_000), work(4_000));
    assert!(
        large < small * 5,
        "work grew from {small} to {large} for 4× the states"
    );
}
