//! `/ui/workflows` and `/ui/workflows/{id}`: what each loaded workflow
//! declares (graph, states with titles and roles, events with who may post
//! them and their fields, timers, SLA clocks) and which versions have
//! instances, live and in all.

use axum::extract::{Path, State};
use axum::response::Response;
use maud::{Markup, html};

use super::graph;
use super::i18n::Lang;
use super::layout::{self, Nav};
use super::session::Viewer;
use crate::api::problem::Problem;
use crate::api::state::AppState;
use crate::model::Definition;
use crate::model::definition::{Role, Schedule};
use crate::store::VersionCount;

/// `GET /ui/workflows`.
pub async fn list(State(state): State<AppState>, viewer: Viewer) -> Response {
    let lang = viewer.lang;
    let counts = match state.store().version_counts().await {
        Ok(counts) => counts,
        Err(error) => return layout::problem_page(lang, &Problem::from(error)),
    };
    let catalog = state.runtime().catalog();
    let title = lang.t("流程", "Workflows");
    let body = html! {
        h1 { (title) }
        table {
            thead { tr {
                th { (lang.t("名稱", "Title")) } th { "id" } th.num { (lang.t("版本", "Version")) }
                th.num { (lang.t("狀態數", "States")) } th.num { (lang.t("進行中", "Live")) } th.num { (lang.t("全部實例", "All instances")) }
            } }
            tbody {
                @for definition in catalog.iter() {
                    @let mine = counts.iter().filter(|count| count.workflow == definition.id);
                    @let (live, total) = mine.fold((0, 0), |(live, total), count| (live + count.live, total + count.total));
                    tr {
                        td { a href=(format!("/ui/workflows/{}", definition.id)) { (definition.title) } }
                        td { code { (definition.id) } }
                        td.num { (definition.version) }
                        td.num { (definition.states.len()) }
                        td.num { (live) }
                        td.num { (total) }
                    }
                }
            }
        }
    };
    layout::page(&viewer, Nav::Workflows, title, body)
}

/// `GET /ui/workflows/{id}`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Response {
    let lang = viewer.lang;
    let catalog = state.runtime().catalog();
    let Some(definition) = catalog.get(&id) else {
        return layout::problem_page(lang, &Problem::not_found(format!("no workflow `{id}`")));
    };
    let counts = match state.store().version_counts().await {
        Ok(counts) => counts,
        Err(error) => return layout::problem_page(lang, &Problem::from(error)),
    };
    let versions: Vec<&VersionCount> = counts.iter().filter(|count| count.workflow == id).collect();
    let body = html! {
        p.muted { a href="/ui/workflows" { (lang.t("流程", "Workflows")) } " › " code { (definition.id) } " v" (definition.version) }
        h1 { (definition.title) }
        @if let Some(description) = &definition.description { p { (description) } }
        div.card { (graph::figure(definition, None, &[])) }
        div.cols {
            div {
                div.card { h2 { (lang.t("狀態", "States")) } (states(lang, definition)) }
                div.card { h2 { (lang.t("事件", "Events")) } (events(lang, definition)) }
            }
            div {
                div.card {
                    h2 { (lang.t("版本", "Versions")) }
                    table {
                        thead { tr { th.num { (lang.t("版本", "Version")) } th.num { (lang.t("進行中", "Live")) } th.num { (lang.t("全部", "All")) } } }
                        tbody {
                            @if versions.iter().all(|count| count.version != i64::from(definition.version)) {
                                tr { td.num { (definition.version) " " span.badge { (lang.t("目前", "current")) } } td.num { "0" } td.num { "0" } }
                            }
                            @for count in &versions {
                                tr {
                                    td.num {
                                        (count.version)
                                        @if count.version == i64::from(definition.version) { " " span.badge { (lang.t("目前", "current")) } }
                                    }
                                    td.num { a href=(format!("/ui/instances?workflow={}&status=active", definition.id)) { (count.live) } }
                                    td.num { (count.total) }
                                }
                            }
                        }
                    }
                }
                div.card { h2 { (lang.t("SLA 時鐘", "SLA clocks")) } (slas(lang, definition)) }
                div.card { h2 { (lang.t("計時器", "Timers")) } (timers(lang, definition)) }
            }
        }
    };
    layout::page(&viewer, Nav::Workflows, &definition.title, body)
}

fn role(role: Option<&Role>) -> String {
    match role {
        Some(Role::Fixed(name)) => name.to_string(),
        Some(Role::Field(field)) => format!("data.{field}"),
        None => "—".to_owned(),
    }
}

fn states(lang: Lang, definition: &Definition) -> Markup {
    html! {
        table {
            thead { tr { th { (lang.t("狀態", "State")) } th { (lang.t("負責", "Role")) } th { (lang.t("離開方式", "Ways out")) } } }
            tbody {
                @for state in definition.states.values() {
                    tr data-state=(state.name) {
                        td {
                            (state.title.as_deref().unwrap_or(&state.name)) " " span.muted { code { (state.name) } }
                            @if state.name == definition.start { " " span.badge { (lang.t("起點", "start")) } }
                            @if state.terminal { " " span.badge.completed { (lang.t("終點", "end")) } }
                        }
                        td { (role(state.role.as_ref())) }
                        td {
                            @for (index, event) in state.on.keys().enumerate() {
                                @if index > 0 { ", " }
                                code { (event) }
                            }
                            @if let Some(after) = &state.stuck_after { br; span.muted { (lang.t("卡住門檻", "stuck after")) " " (after.to_string()) } }
                        }
                    }
                }
            }
        }
    }
}

fn events(lang: Lang, definition: &Definition) -> Markup {
    html! {
        table {
            thead { tr { th { (lang.t("事件", "Event")) } th { (lang.t("誰可送出", "Who may post")) } th { (lang.t("欄位", "Fields")) } } }
            tbody {
                @for event in definition.events.values() {
                    tr {
                        td {
                            (event.title.as_deref().unwrap_or(&event.name)) " " span.muted { code { (event.name) } }
                            @if event.global { " " span.badge { (lang.t("全域", "global")) } }
                        }
                        td { @if event.by.is_empty() { span.muted { (lang.t("狀態負責人", "the state's role")) } } @else { (event.by.join(", ")) } }
                        td {
                            @for (name, field) in &event.fields {
                                code { (name) } span.muted { ": " (format!("{:?}", field.kind).to_lowercase()) }
                                @if field.required { span.req { "*" } }
                                " "
                            }
                        }
                    }
                }
            }
        }
    }
}

fn timers(lang: Lang, definition: &Definition) -> Markup {
    html! {
        @if definition.timers.is_empty() { p.muted { "—" } }
        @else {
            table {
                thead { tr { th { (lang.t("名稱", "Name")) } th { (lang.t("排程", "Schedule")) } th { (lang.t("事件", "Event")) } th { (lang.t("狀態", "States")) } } }
                tbody { @for timer in definition.timers.values() {
                    tr {
                        td { (timer.name) }
                        td { (schedule(&timer.schedule)) }
                        td { code { (timer.event) } }
                        td { @if timer.states.is_empty() { span.muted { (lang.t("整個實例", "whole instance")) } } @else { (timer.states.join(", ")) } }
                    }
                } }
            }
        }
    }
}

fn schedule(schedule: &Schedule) -> String {
    match schedule {
        Schedule::After(duration) => format!("after {duration}"),
        Schedule::Every(duration) => format!("every {duration}"),
        Schedule::Cron(cron) => format!("cron {} ({})", cron.pattern(), cron.zone_name()),
        Schedule::At(expr) => format!("at {}", expr.source()),
    }
}

fn slas(lang: Lang, definition: &Definition) -> Markup {
    html! {
        @if definition.slas.is_empty() { p.muted { "—" } }
        @for sla in definition.slas.values() {
            h3 { (sla.title.as_deref().unwrap_or(&sla.name)) " " span.muted { code { (sla.name) } } }
            dl.kv {
                dt { (lang.t("開始於", "Starts in")) } dd { (sla.start.join(", ")) }
                dt { (lang.t("停止於", "Stops in")) } dd { (sla.stop.join(", ")) @if !sla.stop_events.is_empty() { " · " (sla.stop_events.join(", ")) } }
                @if !sla.pause.is_empty() { dt { (lang.t("暫停於", "Paused in")) } dd { (sla.pause.join(", ")) } }
                dt { (lang.t("時限", "Within")) }
                dd {
                    @for within in &sla.within {
                        (within.duration.to_string())
                        @if let Some(when) = &within.when { " " span.muted { "when " code { (when.source()) } } }
                        br;
                    }
                }
                dt { (lang.t("計入", "Counts for")) } dd { (role(sla.role.as_ref())) }
            }
        }
    }
}
