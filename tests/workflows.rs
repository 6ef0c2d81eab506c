//! The six shipped workflows load, and hold every name that
//! `spec/processes.md` makes a contract: services and tests drive them by
//! these names, so a rename must fail here first.

use std::collections::{BTreeMap, BTreeSet};
use std::path::PathBuf;
use std::sync::Arc;

use flowkeeper::model::definition::{Definition, Role, Transition};
use flowkeeper::model::{Catalog, Scope};
use flowkeeper::scenario::format::{Expect, ExpectedAction, RejectionKind, StepAction};
use flowkeeper::scenario::{Scenario, load_file, scenario_files};
use serde_json::{Map, Value as Json, json};

/// The contract of one workflow, as `spec/processes.md` lists it.
struct Contract {
    id: &'static str,
    start: &'static str,
    terminal: &'static [&'static str],
    states: &'static [&'static str],
    events: &'static [&'static str],
    data: &'static [&'static str],
    timers: &'static [&'static str],
    slas: &'static [&'static str],
}

const CONTRACTS: &[Contract] = &[
    Contract {
        id: "service_desk",
        start: "submitted",
        terminal: &["closed", "cancelled"],
        states: &[
            "submitted",
            "received",
            "dispatched",
            "handling",
            "on_hold",
            "change_notice",
            "confirmation",
            "closed",
            "cancelled",
        ],
        events: &[
            "receive",
            "dispatch",
            "accept",
            "bounce",
            "hold",
            "transfer",
            "resolve",
            "resume",
            "file_change",
            "reply",
            "confirm",
            "reopen",
            "complain",
            "escalated_complaint",
            "note",
            "cancel",
        ],
        data: &["level", "summary", "source", "group"],
        timers: &[],
        slas: &["response", "dispatch", "handling", "reply"],
    },
    Contract {
        id: "presale",
        start: "inquiry",
        terminal: &["ordered", "lost"],
        states: &["inquiry", "answered", "recommended", "ordered", "lost"],
        events: &["answer", "recommend", "order"],
        data: &["customer", "channel", "question"],
        timers: &[],
        slas: &["response"],
    },
    Contract {
        id: "unpaid_order",
        start: "unpaid",
        terminal: &["paid", "closed_unpaid"],
        states: &[
            "unpaid",
            "phone_reminder",
            "message_reminder",
            "awaiting_payment",
            "paid",
            "closed_unpaid",
        ],
        events: &["remind_due", "pay", "called", "expire"],
        data: &["amount", "customer", "phone"],
        timers: &["remind", "expire"],
        slas: &[],
    },
    Contract {
        id: "callback",
        start: "waiting",
        terminal: &["done", "unreachable"],
        states: &["waiting", "due", "retry_wait", "done", "unreachable"],
        events: &["due", "call"],
        data: &["customer", "phone", "attempts"],
        timers: &[],
        slas: &["callback"],
    },
    Contract {
        id: "customer_tier",
        start: "regular",
        terminal: &["archived"],
        states: &["regular", "key_customer", "archived"],
        events: &["purchase", "archive", "sms", "review"],
        data: &["purchases", "total", "sms_sent"],
        timers: &["sms", "review"],
        slas: &[],
    },
    Contract {
        id: "complaint",
        start: "received",
        terminal: &["closed"],
        states: &[
            "received",
            "rapid_response",
            "handling",
            "follow_up",
            "closed",
        ],
        events: &[
            "classify",
            "resolve",
            "escalate",
            "follow_up_done",
            "follow_up_due",
        ],
        data: &["customer", "text", "severity", "source"],
        timers: &["follow_up_due"],
        slas: &["response", "rapid", "resolution"],
    },
];

fn catalog() -> Catalog {
    match Catalog::load(&[PathBuf::from("workflows")]) {
        Ok(catalog) => catalog,
        Err(diagnostics) => panic!("the shipped workflows do not load:\n{diagnostics}"),
    }
}

fn workflow<'c>(catalog: &'c Catalog, id: &str) -> &'c Definition {
    catalog
        .get(id)
        .unwrap_or_else(|| panic!("workflow `{id}` is missing"))
}

#[test]
fn the_six_workflows_load_with_every_contract_name() {
    let catalog = catalog();
    let ids: Vec<&str> = catalog.iter().map(|d| d.id.as_str()).collect();
    let mut expected: Vec<&str> = CONTRACTS.iter().map(|c| c.id).collect();
    expected.sort();
    assert_eq!(ids, expected);
    for contract in CONTRACTS {
        let definition = workflow(&catalog, contract.id);
        let id = contract.id;
        assert_eq!(definition.start, contract.start, "{id}: start");
        let states: Vec<&str> = definition.states.keys().map(String::as_str).collect();
        assert_eq!(states, contract.states, "{id}: states");
        for (name, state) in &definition.states {
            let terminal = contract.terminal.contains(&name.as_str());
            assert_eq!(state.terminal, terminal, "{id}: is `{name}` terminal?");
            assert!(state.title.is_some(), "{id}: state `{name}` has no title");
        }
        for event in contract.events {
            assert!(
                definition.events.contains_key(*event),
                "{id}: event `{event}`"
            );
        }
        for field in contract.data {
            assert!(definition.data.contains_key(*field), "{id}: data `{field}`");
        }
        for timer in contract.timers {
            assert!(
                definition.timers.contains_key(*timer),
                "{id}: timer `{timer}`"
            );
        }
        let slas: Vec<&str> = definition.slas.keys().map(String::as_str).collect();
        assert_eq!(slas, contract.slas, "{id}: SLA clocks");
    }
}

#[test]
fn every_file_declares_its_schema_and_matches_its_id() {
    for contract in CONTRACTS {
        let path = format!("workflows/{}.toml", contract.id);
        let text = std::fs::read_to_string(&path).expect(&path);
        assert!(
            text.starts_with("#:schema ./workflow.schema.json\n"),
            "{path} must start with the schema header"
        );
        let id_line = format!("\nid = \"{}\"\n", contract.id);
        assert!(text.contains(&id_line), "{path} must hold {id_line:?}");
    }
}

#[test]
fn roles_follow_the_contract() {
    let catalog = catalog();
    let desk = workflow(&catalog, "service_desk");
    let group = Some(Role::Field("group".into()));
    for state in ["dispatched", "handling", "on_hold", "change_notice"] {
        assert_eq!(desk.states[state].role, group, "service_desk.{state}");
    }
    let fixed = |name: &str| Some(Role::Fixed(name.into()));
    for state in ["submitted", "received", "confirmation"] {
        assert_eq!(desk.states[state].role, fixed("service_desk"));
    }
    assert_eq!(desk.slas["handling"].role, group);
    let complaint = workflow(&catalog, "complaint");
    assert_eq!(
        complaint.states["rapid_response"].role,
        fixed("rapid_response_team")
    );
    let order = workflow(&catalog, "unpaid_order");
    assert_eq!(
        order.states["phone_reminder"].role,
        fixed("customer_service")
    );
    assert_eq!(order.states["unpaid"].role, None);
}

/// The first transition whose guard holds, as the engine picks it.
fn pick<'d>(transitions: &'d [Transition], data: &Json, event: &Json) -> Option<&'d Transition> {
    let data: &Map<String, Json> = data.as_object().expect("data is an object");
    let event: &Map<String, Json> = event.as_object().expect("event is an object");
    let scope = Scope {
        data,
        event,
        key: "K-1",
        state: "",
    };
    transitions.iter().find(|transition| {
        transition
            .guard
            .as_ref()
            .is_none_or(|guard| guard.eval_bool(&scope).expect("guard evaluates"))
    })
}

fn target(transitions: &[Transition], data: Json, event: Json) -> Option<&str> {
    pick(transitions, &data, &event).and_then(|transition| transition.to.as_deref())
}

#[test]
fn a_reminder_calls_only_above_100_yuan() {
    let catalog = catalog();
    let remind = &workflow(&catalog, "unpaid_order").states["unpaid"].on["remind_due"];
    let by_amount = |amount: f64| target(remind, json!({ "amount": amount }), json!({}));
    assert_eq!(by_amount(100.0), Some("message_reminder"));
    assert_eq!(by_amount(100.01), Some("phone_reminder"));
    assert_eq!(by_amount(0.0), Some("message_reminder"));
}

#[test]
fn a_key_customer_needs_more_than_2_purchases_or_more_than_500_yuan() {
    let catalog = catalog();
    let always = &workflow(&catalog, "customer_tier").states["regular"].always;
    let tier = |purchases: i64, total: f64| {
        target(
            always,
            json!({ "purchases": purchases, "total": total }),
            json!({}),
        )
    };
    assert_eq!(tier(2, 500.0), None);
    assert_eq!(tier(3, 10.0), Some("key_customer"));
    assert_eq!(tier(1, 500.01), Some("key_customer"));
}

#[test]
fn the_third_unanswered_call_gives_up() {
    let catalog = catalog();
    let call = &workflow(&catalog, "callback").states["due"].on["call"];
    let after = |attempts: i64, result: &str| {
        target(
            call,
            json!({ "attempts": attempts, "customer": "c" }),
            json!({ "result": result }),
        )
    };
    assert_eq!(after(0, "no_answer"), Some("retry_wait"));
    assert_eq!(after(1, "no_answer"), Some("retry_wait"));
    assert_eq!(after(2, "no_answer"), Some("unreachable"));
    assert_eq!(after(2, "satisfied"), Some("done"));
    assert_eq!(after(0, "issue"), Some("done"));
}

#[test]
fn the_sms_payload_counts_every_fourth_message_as_a_promotion() {
    let catalog = catalog();
    let sms = &workflow(&catalog, "customer_tier").states["regular"].on["sms"][0];
    let (_, set) = &sms.set[0];
    let payload = match &sms.actions[0] {
        flowkeeper::model::definition::Action::Notify { payload, .. } => payload,
        other => panic!("sms should notify, not {other:?}"),
    };
    let (_, kind) = payload
        .iter()
        .find(|(name, _)| name == "kind")
        .expect("kind");
    let mut data = json!({ "sms_sent": 0 })
        .as_object()
        .cloned()
        .expect("object");
    let empty = Map::new();
    let mut kinds = Vec::new();
    for _ in 0..8 {
        let scope = Scope {
            data: &data,
            event: &empty,
            key: "c-1",
            state: "regular",
        };
        let sent = set.eval(&scope).expect("set evaluates");
        data.insert("sms_sent".into(), sent);
        let scope = Scope {
            data: &data,
            event: &empty,
            key: "c-1",
            state: "regular",
        };
        kinds.push(kind.eval(&scope).expect("kind evaluates"));
    }
    let care = json!("care");
    let promotion = json!("promotion");
    assert_eq!(
        kinds,
        [
            &care, &care, &care, &promotion, &care, &care, &care, &promotion
        ]
        .map(Clone::clone)
    );
}

#[test]
fn the_callback_spawn_copes_with_a_missing_phone() {
    let catalog = catalog();
    let paid = &workflow(&catalog, "unpaid_order").states["paid"];
    let flowkeeper::model::definition::Action::Spawn { data, key, .. } = &paid.on_enter[0] else {
        panic!("paid should spawn the callback first");
    };
    let (_, phone) = data
        .iter()
        .find(|(name, _)| name == "phone")
        .expect("phone");
    let without = json!({ "amount": 10.0, "customer": "c" })
        .as_object()
        .cloned()
        .expect("object");
    let with = json!({ "phone": "555" })
        .as_object()
        .cloned()
        .expect("object");
    let empty = Map::new();
    let scope = |data| Scope {
        data,
        event: &empty,
        key: "O-1",
        state: "paid",
    };
    assert_eq!(phone.eval(&scope(&without)), Ok(Json::Null));
    assert_eq!(phone.eval(&scope(&with)), Ok(json!("555")));
    assert_eq!(key.eval(&scope(&without)), Ok(json!("O-1")));
}

/// Checks every name a scenario uses against the workflows, so that a typo
/// fails here with its file and line rather than as a puzzling run.
struct ScenarioCheck<'c> {
    catalog: &'c Catalog,
    problems: Vec<String>,
    /// (workflow, event) posted by a step, and (workflow, state) expected.
    events_posted: BTreeSet<(String, String)>,
    states_seen: BTreeSet<(String, String)>,
}

impl ScenarioCheck<'_> {
    fn problem(&mut self, scenario: &Scenario, line: usize, message: String) {
        let file = scenario.file.display();
        self.problems.push(format!("{file}:{line}: {message}"));
    }

    fn definition(
        &mut self,
        scenario: &Scenario,
        line: usize,
        id: &str,
    ) -> Option<Arc<Definition>> {
        let found = self.catalog.get(id).cloned();
        if found.is_none() {
            self.problem(scenario, line, format!("unknown workflow `{id}`"));
        }
        found
    }

    fn scenario(&mut self, scenario: &Scenario) {
        let line = scenario.start.place.line;
        let Some(definition) = self.definition(scenario, line, &scenario.workflow) else {
            return;
        };
        for field in scenario.start.data.keys() {
            if !definition.data.contains_key(field) {
                self.problem(scenario, line, format!("undeclared start data `{field}`"));
            }
        }
        self.expect(scenario, line, &definition, &scenario.start.expect);
        for step in &scenario.steps {
            let line = step.place.line;
            let Some(target) = self.definition(scenario, line, &step.target.workflow) else {
                continue;
            };
            if let StepAction::Event { name, data } = &step.action {
                self.events_posted.insert((target.id.clone(), name.clone()));
                match target.events.get(name) {
                    None => self.problem(scenario, line, format!("unknown event `{name}`")),
                    Some(event) => {
                        let invalid = step.expect.rejected == Some(RejectionKind::DataInvalid);
                        for field in data
                            .keys()
                            .filter(|field| !event.fields.contains_key(*field))
                        {
                            if !invalid {
                                self.problem(
                                    scenario,
                                    line,
                                    format!("`{name}` has no field `{field}`"),
                                );
                            }
                        }
                    }
                }
            }
            self.expect(scenario, line, &target, &step.expect);
        }
    }

    fn expect(
        &mut self,
        scenario: &Scenario,
        line: usize,
        definition: &Definition,
        expect: &Expect,
    ) {
        let id = definition.id.clone();
        if let Some(state) = &expect.state {
            self.state(scenario, line, definition, state);
        }
        let fields = expect
            .data
            .keys()
            .filter(|field| !definition.data.contains_key(*field));
        let events = expect
            .allowed
            .iter()
            .flatten()
            .filter(|e| !definition.events.contains_key(*e));
        let slas = expect
            .slas
            .keys()
            .filter(|sla| !definition.slas.contains_key(*sla));
        let timers = expect
            .timers
            .iter()
            .flatten()
            .filter(|t| !definition.timers.contains_key(*t));
        let unknown: Vec<String> = fields
            .map(|name| format!("data `{name}`"))
            .chain(events.map(|name| format!("event `{name}`")))
            .chain(slas.map(|name| format!("SLA `{name}`")))
            .chain(timers.map(|name| format!("timer `{name}`")))
            .collect();
        for name in unknown {
            self.problem(scenario, line, format!("`{id}` has no {name}"));
        }
        for action in expect.actions.iter().flatten() {
            if let ExpectedAction::Spawn { workflow, .. } | ExpectedAction::Send { workflow, .. } =
                action
            {
                self.definition(scenario, line, workflow);
            }
        }
        for other in &expect.spawned {
            let Some(spawned) = self.definition(scenario, line, &other.workflow) else {
                continue;
            };
            if let Some(state) = &other.state {
                self.state(scenario, line, &spawned, state);
            }
            for field in other
                .data
                .keys()
                .filter(|field| !spawned.data.contains_key(*field))
            {
                self.problem(
                    scenario,
                    line,
                    format!("`{}` has no data `{field}`", spawned.id),
                );
            }
        }
    }

    fn state(&mut self, scenario: &Scenario, line: usize, definition: &Definition, state: &str) {
        if definition.states.contains_key(state) {
            self.states_seen
                .insert((definition.id.clone(), state.to_owned()));
        } else {
            let id = &definition.id;
            self.problem(scenario, line, format!("`{id}` has no state `{state}`"));
        }
    }
}

#[test]
fn every_scenario_parses_and_names_only_what_its_workflows_have() {
    let catalog = catalog();
    let files = scenario_files(&[PathBuf::from("workflows")]).expect("workflows/tests is readable");
    let mut check = ScenarioCheck {
        catalog: &catalog,
        problems: Vec::new(),
        events_posted: BTreeSet::new(),
        states_seen: BTreeSet::new(),
    };
    let mut per_workflow: BTreeMap<String, usize> = BTreeMap::new();
    for file in &files {
        let scenario = load_file(file).unwrap_or_else(|diagnostics| panic!("{diagnostics}"));
        let folder = file.parent().and_then(|folder| folder.file_name());
        assert_eq!(
            folder.and_then(|name| name.to_str()),
            Some(scenario.workflow.as_str()),
            "{} should live in workflows/tests/{}/",
            file.display(),
            scenario.workflow
        );
        *per_workflow.entry(scenario.workflow.clone()).or_default() += 1;
        check.scenario(&scenario);
    }
    assert!(check.problems.is_empty(), "{}", check.problems.join("\n"));
    for contract in CONTRACTS {
        let count = per_workflow.get(contract.id).copied().unwrap_or(0);
        assert!(count >= 3, "{} has only {count} scenarios", contract.id);
    }
    // Every state is expected somewhere, and every event is either posted by
    // a step or fired by a timer the scenarios advance past.
    for definition in catalog.iter() {
        let id = &definition.id;
        for state in definition.states.keys() {
            let seen = check.states_seen.contains(&(id.clone(), state.clone()));
            assert!(seen, "no scenario expects {id} to reach `{state}`");
        }
        let timer_events: BTreeSet<&str> = definition
            .timers
            .values()
            .map(|timer| timer.event.as_str())
            .collect();
        for event in definition.events.keys() {
            let posted = check.events_posted.contains(&(id.clone(), event.clone()));
            assert!(
                posted || timer_events.contains(event.as_str()),
                "no scenario posts {id}'s event `{event}`"
            );
        }
    }
}

#[test]
fn spawn_and_send_name_real_workflows_events_and_fields() {
    use flowkeeper::model::definition::Action;
    let catalog = catalog();
    let mut checked = 0;
    for definition in catalog.iter() {
        let states = definition.states.values();
        let transitions = states
            .clone()
            .flat_map(|state| state.on.values().flatten().chain(state.always.iter()));
        let actions = states
            .flat_map(|state| state.on_enter.iter())
            .chain(transitions.flat_map(|transition| transition.actions.iter()));
        for action in actions {
            let (id, event, data) = match action {
                Action::Notify { .. } => continue,
                Action::Spawn { workflow, data, .. } => (workflow, None, data),
                Action::Send {
                    workflow,
                    event,
                    data,
                    ..
                } => (workflow, Some(event), data),
            };
            let from = &definition.id;
            let target = workflow(&catalog, id);
            let fields = match event {
                None => &target.data,
                Some(event) => match target.events.get(event) {
                    Some(declared) => &declared.fields,
                    None => panic!("{from} sends unknown event `{event}` to {id}"),
                },
            };
            for (field, _) in data {
                assert!(
                    fields.contains_key(field),
                    "{from} gives {id} undeclared `{field}`"
                );
            }
            checked += 1;
        }
    }
    // presale → unpaid_order, unpaid_order → callback and customer_tier,
    // callback → complaint.
    assert_eq!(checked, 5);
}
