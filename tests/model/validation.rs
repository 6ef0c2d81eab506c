//! One test per validation rule: a small workflow file and the exact
//! diagnostics it must produce, as `line:column: message (hint: …)`.

use std::path::Path;

use flowkeeper::model::{Catalog, load_str};

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

/// Loads `text` and compares every diagnostic, in order.
fn check(text: &str, expected: &[&str]) {
    let found: Vec<String> = match load_str(Path::new("t.toml"), text) {
        Ok(_) => Vec::new(),
        Err(diagnostics) => diagnostics
            .0
            .iter()
            .map(|d| d.to_string().trim_start_matches("t.toml:").to_owned())
            .collect(),
    };
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
            "10:18: expression `data.n >` does not compile: Syntax error: mismatched input '<EOF>' expecting {'[', '{', '(', '.', '-', '!', 'true', 'false', 'null', NUM_FLOAT, NUM_INT, NUM_UINT, STRING, BYTES, IDENTIFIER}",
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
            "10:18: expression `data.m > 1 && dta.n > 1` reads unknown variable `dta` (use data, event, key or state) (hint: did you mean `data`?)",
            "10:18: expression `data.m > 1 && dta.n > 1` reads undeclared data field `m`",
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
        &[
            "10:18: expression `event.why == 'x'` reads `event.why`, which this event does not carry",
        ],
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
            "11:20: expression `event.n > 1` reads `event.n`, but no event is at hand here (hint: eventless transitions, entry actions and SLA durations see only data, key and state)",
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
        &["13:12: invalid type: string \"yes\", expected a boolean"],
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
        &["11:1: eventless transitions loop forever: a → c → a (hint: give one of them a `when`)"],
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
        &["copy.toml:1:6: workflow id `child` is also used by child.toml"],
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
    check(&doc[start..end], &[]);
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
