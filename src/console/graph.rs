//! The workflow graph in a page: the same drawing as
//! `GET /v1/workflows/{id}/graph?format=svg` (global events listed once
//! beside it, terminal states marked), inlined so that for an instance its
//! current state (`class="state current"`) and the path it took are
//! highlighted. Every state is a `<g data-state="…">`.

use maud::{Markup, PreEscaped, html};

use crate::model::Definition;
use crate::model::export::{self, GraphMarks};

/// The drawing; `current` and `path` only for an instance.
pub fn figure(definition: &Definition, current: Option<&str>, path: &[String]) -> Markup {
    let marks = GraphMarks {
        current: current.map(str::to_owned),
        path: path.to_vec(),
    };
    html! {
        figure.graph {
            @match export::svg_with(definition, &marks) {
                Ok(svg) => (PreEscaped(strip_prolog(&svg).to_owned())),
                Err(error) => p.muted { (error.to_string()) },
            }
        }
    }
}

/// The SVG element alone: an XML declaration may not appear inside HTML.
fn strip_prolog(svg: &str) -> &str {
    svg.find("<svg").map_or(svg, |start| &svg[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prolog_is_dropped() {
        assert_eq!(
            strip_prolog("<?xml version=\"1.0\"?>\n<svg a=\"1\"/>"),
            "<svg a=\"1\"/>"
        );
    }
}
