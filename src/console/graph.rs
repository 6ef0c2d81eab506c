//! The workflow graph in a page: the same SVG drawing as
//! `GET /v1/workflows/{id}/graph?format=svg`, and under it the states as a
//! rail of chips in declaration order, each with `data-state`, the current
//! one `class="current"`, the ones the instance passed through `visited`,
//! terminal ones framed. The rail works with JavaScript off, reads on a
//! phone, and is what tests and people look at for "where is it now".

use maud::{Markup, PreEscaped, html};

use super::i18n::Lang;
use crate::model::Definition;
use crate::model::export;

/// The drawing and the rail; `current` and `path` only for an instance.
pub fn figure(
    lang: Lang,
    definition: &Definition,
    current: Option<&str>,
    path: &[String],
) -> Markup {
    let drawing = export::svg(definition);
    html! {
        figure.graph {
            @match &drawing {
                Ok(svg) => (PreEscaped(strip_prolog(svg))),
                Err(error) => p.muted { (error.to_string()) },
            }
            ol.rail aria-label=(lang.t("狀態", "States")) {
                @for state in definition.states.values() {
                    @let here = current == Some(state.name.as_str());
                    @let visited = path.iter().any(|name| *name == state.name);
                    li data-state=(state.name)
                        class=(classes(here, visited, state.terminal))
                        title=(state.name) {
                        (state.title.as_deref().unwrap_or(&state.name))
                        @if state.terminal { " ■" }
                    }
                }
            }
            @let globals: Vec<_> = definition.events.values().filter(|event| event.global).collect();
            @if !globals.is_empty() {
                p.muted {
                    (lang.t("任何狀態皆可:", "From any state:")) " "
                    @for (index, event) in globals.iter().enumerate() {
                        @if index > 0 { ", " }
                        (event.title.as_deref().unwrap_or(&event.name)) " " code { (event.name) }
                    }
                }
            }
        }
    }
}

fn classes(here: bool, visited: bool, terminal: bool) -> String {
    let mut classes = Vec::new();
    if here {
        classes.push("current");
    }
    if visited {
        classes.push("visited");
    }
    if terminal {
        classes.push("terminal");
    }
    classes.join(" ")
}

/// The SVG element alone: an XML declaration may not appear inside HTML.
fn strip_prolog(svg: &str) -> &str {
    svg.find("<svg").map_or(svg, |start| &svg[start..])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_prolog_is_dropped_and_classes_combine() {
        assert_eq!(
            strip_prolog("<?xml version=\"1.0\"?>\n<svg a=\"1\"/>"),
            "<svg a=\"1\"/>"
        );
        assert_eq!(classes(true, true, false), "current visited");
        assert_eq!(classes(false, false, true), "terminal");
    }
}
