//! How long loading a large workflow takes: parse, compile (every CEL
//! expression), and validate (rules and graph checks).
//!
//! `cargo bench --bench load`. The file has 500 states, each with a
//! guarded transition that sets data (two CEL expressions, unique per
//! state), a fallback, a recorded timer event, an entry action and a state
//! timer; ten SLA clocks with data-dependent durations span the chain.
//! CEL parsing is most of the time: the second benchmark gives the cost of
//! one expression, to scale the figure to files with more of them.

use std::hint::black_box;
use std::path::Path;

use criterion::{Criterion, criterion_group, criterion_main};
use flowkeeper::model::{Expr, load_str};

/// A valid workflow with `states` states in a chain, plus a global cancel.
fn workflow(states: usize) -> String {
    let mut text = String::from(
        "id = \"big\"\nversion = 1\ntitle = \"Big\"\nstart = \"s0\"\n\n\
         [data.count]\ntype = \"integer\"\ndefault = 0\n\
         [data.amount]\ntype = \"number\"\nrequired = true\n\
         [data.group]\ntype = \"string\"\n\n\
         [events.next]\nfields.amount = { type = \"number\" }\n\
         [events.tick]\n\
         [events.cancel]\nglobal = true\ntransitions = [{ to = \"cancelled\" }]\n\n",
    );
    for index in 0..states {
        let next = index + 1;
        text.push_str(&format!(
            "[states.s{index}]\ntitle = \"Step {index}\"\nrole = {{ field = \"group\" }}\n\
             on.next = [\n  {{ when = \"event.amount > 100.0 && data.count < {index}\", to = \"s{next}\", set = {{ count = \"data.count + {next}\" }} }},\n  {{ to = \"s{next}\" }},\n]\n\
             on.tick = {{}}\n\
             on_enter = [{{ notify = {{ webhook = \"step\" }} }}]\n\n\
             [timers.t{index}]\nafter = \"{next}m\"\nevent = \"tick\"\nstates = [\"s{index}\"]\n\n"
        ));
    }
    text.push_str(&format!(
        "[states.s{states}]\nterminal = true\n\n[states.cancelled]\nterminal = true\n\n"
    ));
    for (index, start) in (0..states).step_by(50).enumerate() {
        text.push_str(&format!(
            "[slas.clock{index}]\nstart = [\"s{start}\"]\nstop = [\"s{}\"]\nwithin = [{{ when = \"data.amount > 500.0\", duration = \"1h\" }}, {{ duration = \"4h\" }}]\n\n",
            start + 25
        ));
    }
    text
}

fn load(c: &mut Criterion) {
    let text = workflow(500);
    let definition =
        load_str(Path::new("big.toml"), &text).expect("the generated workflow is valid");
    assert_eq!(definition.states.len(), 502);
    c.bench_function("load_str 500 states", |b| {
        b.iter(|| load_str(Path::new("big.toml"), black_box(&text)).expect("valid"))
    });
}

/// The share of one expression in the figure above: CEL parsing is the
/// bulk of a load.
fn expression(c: &mut Criterion) {
    c.bench_function("compile one CEL guard", |b| {
        b.iter(|| {
            Expr::compile(black_box("event.amount > 100.0 && data.count < 7")).expect("valid")
        })
    });
}

criterion_group!(benches, load, expression);
criterion_main!(benches);
