//! Who may post which event to the shipped `service_desk`: every account
//! kind × every state × every event a state accepts, written out as a
//! table and checked against `engine::authorize_event` followed by the
//! engine itself, so `ok` means the event really applied.

use std::path::Path;

use flowkeeper::accounts::{Account, Role};
use flowkeeper::engine::{
    self, CreateInput, EventInput, Instance, Refusal, Rejection, Status, authorize_create,
    authorize_event,
};
use flowkeeper::model::{self, Definition};
use serde_json::{Map, Value as Json, json};
use uuid::Uuid;

use super::{T0, account};

/// The columns: who is asking.
fn callers() -> Vec<Account> {
    vec![
        account("boss", Role::Admin, &[]),
        account("crm", Role::Service, &[]),
        account("auditor", Role::Viewer, &["service_desk"]),
        account("desk", Role::Operator, &["service_desk"]),
        account("bss-op", Role::Operator, &["bss"]),
        account("bss-vendor", Role::Vendor, &["bss"]),
        account("net-op", Role::Operator, &["network"]),
        account("desk-vendor", Role::Vendor, &["service_desk"]),
    ]
}

/// The ticket is dispatched to group `bss`, so `data.group` states belong to
/// team `bss`. `closed` and `cancelled` are terminal (the ticket ended).
/// `required` is what a 403 names; `-` where nobody is refused.
const MATRIX: &str = "
# state        event                required                   admin svc viewer desk bss  vbss net  vdesk
submitted      receive              admin,service,service_desk ok    ok  403    ok   403  403  403  ok
submitted      complain             admin                      ok    403 403    403  403  403  403  403
submitted      escalated_complaint  admin                      ok    403 403    403  403  403  403  403
submitted      note                 admin,service,service_desk ok    ok  403    ok   403  403  403  ok
submitted      cancel               admin,service_desk         ok    403 403    ok   403  403  403  ok
received       dispatch             admin,service,service_desk ok    ok  403    ok   403  403  403  ok
received       complain             admin                      ok    403 403    403  403  403  403  403
received       escalated_complaint  admin                      ok    403 403    403  403  403  403  403
received       note                 admin,service,service_desk ok    ok  403    ok   403  403  403  ok
received       cancel               admin,service_desk         ok    403 403    ok   403  403  403  ok
dispatched     accept               admin,service,bss          ok    ok  403    403  ok   ok   403  403
dispatched     bounce               admin,service,bss          ok    ok  403    403  ok   ok   403  403
dispatched     complain             admin                      ok    403 403    403  403  403  403  403
dispatched     escalated_complaint  admin                      ok    403 403    403  403  403  403  403
dispatched     note                 admin,service,bss          ok    ok  403    403  ok   ok   403  403
dispatched     cancel               admin,service_desk         ok    403 403    ok   403  403  403  ok
handling       hold                 admin,service,bss          ok    ok  403    403  ok   ok   403  403
handling       transfer             admin,service,bss          ok    ok  403    403  ok   ok   403  403
handling       resolve              admin,service,bss          ok    ok  403    403  ok   ok   403  403
handling       complain             admin                      ok    403 403    403  403  403  403  403
handling       escalated_complaint  admin                      ok    403 403    403  403  403  403  403
handling       note                 admin,service,bss          ok    ok  403    403  ok   ok   403  403
handling       cancel               admin,service_desk         ok    403 403    ok   403  403  403  ok
on_hold        resume               admin,service,bss          ok    ok  403    403  ok   ok   403  403
on_hold        complain             admin                      ok    403 403    403  403  403  403  403
on_hold        escalated_complaint  admin                      ok    403 403    403  403  403  403  403
on_hold        note                 admin,service,bss          ok    ok  403    403  ok   ok   403  403
on_hold        cancel               admin,service_desk         ok    403 403    ok   403  403  403  ok
change_notice  file_change          admin,service,bss          ok    ok  403    403  ok   ok   403  403
change_notice  complain             admin                      ok    403 403    403  403  403  403  403
change_notice  escalated_complaint  admin                      ok    403 403    403  403  403  403  403
change_notice  note                 admin,service,bss          ok    ok  403    403  ok   ok   403  403
change_notice  cancel               admin,service_desk         ok    403 403    ok   403  403  403  ok
confirmation   reply                admin,service,service_desk ok    ok  403    ok   403  403  403  ok
confirmation   confirm              admin,service,service_desk ok    ok  403    ok   403  403  403  ok
confirmation   reopen               admin,service,service_desk ok    ok  403    ok   403  403  403  ok
confirmation   complain             admin                      ok    403 403    403  403  403  403  403
confirmation   escalated_complaint  admin                      ok    403 403    403  403  403  403  403
confirmation   note                 admin,service,service_desk ok    ok  403    ok   403  403  403  ok
confirmation   cancel               admin,service_desk         ok    403 403    ok   403  403  403  ok
closed         complain             admin                      ok    403 403    403  403  403  403  403
closed         escalated_complaint  admin                      409   403 403    403  403  403  403  403
closed         note                 admin,service              ok    ok  403    403  403  403  403  403
closed         cancel               admin,service_desk         409   403 403    409  403  403  403  409
cancelled      complain             admin                      ok    403 403    403  403  403  403  403
cancelled      escalated_complaint  admin                      409   403 403    403  403  403  403  403
cancelled      note                 admin,service              ok    ok  403    403  403  403  403  403
cancelled      cancel               admin,service_desk         409   403 403    409  403  403  403  409
";

struct Row<'a> {
    state: &'a str,
    event: &'a str,
    required: Vec<String>,
    cells: Vec<&'a str>,
}

fn rows() -> Vec<Row<'static>> {
    MATRIX
        .lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let words: Vec<&str> = line.split_whitespace().collect();
            assert_eq!(words.len(), 3 + callers().len(), "row `{line}`");
            Row {
                state: words[0],
                event: words[1],
                required: words[2].split(',').map(str::to_owned).collect(),
                cells: words[3..].to_vec(),
            }
        })
        .collect()
}

fn service_desk() -> Definition {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("workflows/service_desk.toml");
    model::load_file(&path).expect("the shipped service_desk loads")
}

fn object(value: Json) -> Map<String, Json> {
    value.as_object().cloned().expect("an object")
}

/// A ticket of group `bss` standing in `state`.
fn ticket_in(definition: &Definition, state: &str) -> Instance {
    let input = CreateInput {
        id: Uuid::now_v7(),
        key: "T-1".into(),
        data: object(json!({"level": 2, "summary": "printer on fire", "group": "bss"})),
        actor: "crm".into(),
    };
    let mut instance = engine::create(definition, input, T0)
        .expect("the ticket is created")
        .instance;
    instance.state = state.into();
    if definition.states[state].terminal {
        instance.status = Status::Completed;
    }
    instance
}

/// Data that satisfies each event's required fields.
fn data_for(event: &str) -> Map<String, Json> {
    object(match event {
        "dispatch" | "transfer" => json!({"group": "bss"}),
        "file_change" => json!({"change_ref": "CR-1"}),
        "confirm" => json!({"satisfied": true}),
        "complain" | "escalated_complaint" | "note" => json!({"text": "…"}),
        _ => json!({}),
    })
}

/// What `caller` gets when posting `event`: `ok`, `403` or `409`.
fn outcome(definition: &Definition, ticket: &Instance, event: &str, caller: &Account) -> String {
    match authorize_event(definition, ticket, event, caller) {
        Err(Refusal::Forbidden { .. }) => return "403".into(),
        Err(Refusal::Ended { .. }) => return "409".into(),
        Ok(()) => {}
    }
    let input = EventInput {
        name: event.into(),
        data: data_for(event),
        actor: caller.name.to_string().into(),
    };
    match engine::apply(definition, ticket.clone(), &input, T0 + 1) {
        Ok(_) => "ok".into(),
        Err(Rejection::InstanceEnded { .. } | Rejection::EventNotAllowed { .. }) => "409".into(),
        Err(other) => format!("engine refused: {other}"),
    }
}

#[test]
fn the_service_desk_matrix() {
    let definition = service_desk();
    let callers = callers();
    let mut differences = Vec::new();
    for row in rows() {
        let ticket = ticket_in(&definition, row.state);
        for (caller, expected) in callers.iter().zip(&row.cells) {
            let actual = outcome(&definition, &ticket, row.event, caller);
            if actual != *expected {
                differences.push(format!(
                    "{} in `{}` by {} ({}): expected {expected}, got {actual}",
                    row.event, row.state, caller.name, caller.role
                ));
            }
            if let Err(Refusal::Forbidden { required, .. }) =
                authorize_event(&definition, &ticket, row.event, caller)
            {
                assert_eq!(required, row.required, "{} in `{}`", row.event, row.state);
            }
        }
    }
    assert!(differences.is_empty(), "\n{}\n", differences.join("\n"));
}

/// The table leaves out no event any state accepts: every pair it does not
/// list is refused by the engine for everyone, admins included.
#[test]
fn the_matrix_covers_every_accepted_event() {
    let definition = service_desk();
    let rows = rows();
    let admin = account("boss", Role::Admin, &[]);
    for state in definition.states.keys() {
        let ticket = ticket_in(&definition, state);
        for event in definition.events.keys() {
            let listed = rows
                .iter()
                .any(|row| row.state == state && row.event == event);
            if !listed {
                assert_eq!(
                    outcome(&definition, &ticket, event, &admin),
                    "409",
                    "`{event}` in `{state}` is accepted but not in the table"
                );
            }
        }
    }
}

#[test]
fn an_instance_an_administrator_cancelled_takes_only_events_marked_after_end() {
    let definition = service_desk();
    let mut ticket = ticket_in(&definition, "handling");
    ticket.status = Status::Cancelled;
    let admin = account("boss", Role::Admin, &[]);
    assert_eq!(outcome(&definition, &ticket, "note", &admin), "ok");
    assert_eq!(outcome(&definition, &ticket, "complain", &admin), "ok");
    assert_eq!(
        authorize_event(&definition, &ticket, "resolve", &admin),
        Err(Refusal::Ended {
            event: "resolve".into(),
            status: Status::Cancelled
        })
    );
}

#[test]
fn a_refusal_says_which_rule_refused() {
    let definition = service_desk();
    let ticket = ticket_in(&definition, "dispatched");
    let refusal = |caller: &Account, event: &str| {
        authorize_event(&definition, &ticket, event, caller)
            .unwrap_err()
            .to_string()
    };
    assert_eq!(
        refusal(&account("net-op", Role::Operator, &["network"]), "accept"),
        "in state `dispatched` team `bss` is responsible, which is not one of this account's teams"
    );
    assert_eq!(
        refusal(
            &account("desk", Role::Operator, &["service_desk"]),
            "complain"
        ),
        "event `complain` may be posted only by the roles and teams it lists in `by`"
    );
    assert_eq!(
        refusal(&account("auditor", Role::Viewer, &["bss"]), "accept"),
        "viewer accounts read only"
    );
}

#[test]
fn creating_tickets() {
    let definition = service_desk();
    let data = object(json!({"level": 1, "summary": "down"}));
    let allowed = |caller: &Account| authorize_create(&definition, &data, caller);
    assert_eq!(allowed(&account("boss", Role::Admin, &[])), Ok(()));
    assert_eq!(allowed(&account("crm", Role::Service, &[])), Ok(()));
    assert_eq!(
        allowed(&account("desk", Role::Operator, &["service_desk"])),
        Ok(())
    );
    let required = vec![
        "admin".to_owned(),
        "service".to_owned(),
        "service_desk".to_owned(),
    ];
    for caller in [
        account("bss-op", Role::Operator, &["bss"]),
        account("desk-vendor", Role::Vendor, &["service_desk"]),
        account("auditor", Role::Viewer, &["service_desk"]),
    ] {
        let Err(Refusal::Forbidden {
            required: named,
            why,
        }) = allowed(&caller)
        else {
            panic!("{} may not create tickets", caller.name);
        };
        assert_eq!(named, required, "{}", caller.name);
        if caller.role == Role::Vendor {
            assert_eq!(why.to_string(), "vendor accounts never create instances");
        }
    }
}
