//! `/ui/instances/{id}`: one instance as a person works it: its data, SLA
//! clocks, timers, incident, the graph with where it is and where it has
//! been, the history as a timeline, a form per event this account may
//! post now, and the admin actions.
//!
//! Forms post to the runtime calls the REST API uses, with the account as
//! the actor. A success redirects back to the page (so reloading does not
//! post again; each event form also carries a one-time event id, so a
//! double click applies once). A refusal shows the page again with the
//! problem's detail and the allowed events, and changes nothing.

use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use maud::{Markup, html};

use super::admin_action::AdminAction;
use super::fields;
use super::graph;
use super::layout::{self, Nav, badge};
use super::posted::{AdminForm, PostedForm};
use super::session::{CSRF_FIELD, Viewer};
use super::times::span;
use crate::api::instances::instance_id;
use crate::api::problem::Problem;
use crate::api::state::AppState;
use crate::api::views::{find, instance as instance_view};
use crate::api::wire::{HistoryView, InstanceView, SlaView};
use crate::engine::{Instance, Status, authorize_event};
use crate::model::Definition;
use crate::runtime::Target;

/// The hidden input carrying a form's one-time event id.
const EVENT_ID_FIELD: &str = "_event_id";

/// `GET /ui/instances/{id}`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Response {
    show(&state, &viewer, &id, None).await
}

/// The page, with `refused` (what went wrong with a posted form) on top.
async fn show(state: &AppState, viewer: &Viewer, id: &str, refused: Option<Refused>) -> Response {
    match render(state, viewer, id, refused).await {
        Ok(response) => response,
        Err(problem) => layout::problem_page(viewer.lang, &problem),
    }
}

/// Why a posted form changed nothing.
enum Refused {
    Problem(Problem),
    Form(Vec<String>),
}

impl From<Problem> for Refused {
    fn from(problem: Problem) -> Self {
        Refused::Problem(problem)
    }
}

impl Refused {
    fn status(&self) -> StatusCode {
        match self {
            Refused::Problem(problem) => problem.status(),
            Refused::Form(_) => StatusCode::UNPROCESSABLE_ENTITY,
        }
    }
}

async fn render(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    refused: Option<Refused>,
) -> Result<Response, Problem> {
    let instance = find(state, &Target::Id(instance_id(id)?)).await?;
    let definition = state.runtime().definition_of(&instance).await?;
    let view = instance_view(state, &instance).await?;
    let history: Vec<HistoryView> = state
        .store()
        .history(instance.id)
        .await?
        .iter()
        .map(HistoryView::from)
        .collect();
    let lang = viewer.lang;
    let path: Vec<String> = std::iter::once(definition.start.to_string())
        .chain(history.iter().filter_map(|line| line.to.clone()))
        .collect();
    let title = format!("{} {}", definition.title, instance.key);
    let state_title = definition
        .state(&instance.state)
        .and_then(|declared| declared.title.as_deref())
        .unwrap_or(&instance.state);
    let status = refused.as_ref().map_or(StatusCode::OK, Refused::status);
    let body = html! {
        p.muted {
            a href="/ui/instances" { (lang.t("實例", "Instances")) } " › "
            a href=(format!("/ui/workflows/{}", definition.id)) { (definition.title) } " v" (instance.version)
        }
        h1 {
            (instance.key) " "
            span.muted { (state_title) } " "
            (badge(&view.status, &view.status))
        }
        @if let Some(refused) = &refused {
            @match refused {
                Refused::Problem(problem) => (layout::alert(lang, problem)),
                Refused::Form(errors) => div.alert role="alert" {
                    @for error in errors { (error) br; }
                },
            }
        }
        @if let Some(incident) = &view.incident {
            div.alert role="alert" data-incident=(incident.id) {
                strong { (lang.t("事故", "Incident")) " (" (incident.kind) "): " }
                (incident.message) " — " (viewer.times.text(&incident.created_at))
                @if viewer.is_admin() { " " (lang.t("可用下方「重試」處理。", "Use Retry below.")) }
            }
        }
        div.cols {
            div {
                div.card {
                    h2 { (lang.t("流程圖", "Graph")) }
                    (graph::figure(&definition, Some(&instance.state), &path))
                }
                div.card {
                    h2 { (lang.t("歷程", "History")) }
                    (timeline(viewer, &definition, &history))
                }
            }
            div {
                div.card {
                    h2 { (lang.t("可執行的事件", "Events you may post")) }
                    (event_forms(viewer, &definition, &instance, &view))
                }
                div.card {
                    h2 { (lang.t("資料", "Data")) }
                    (data(viewer, &definition, &instance, &view))
                }
                div.card {
                    h2 { (lang.t("SLA 時鐘", "SLA clocks")) }
                    (slas(viewer, &definition, &view.slas))
                }
                div.card {
                    h2 { (lang.t("計時器", "Timers")) }
                    @if view.timers.is_empty() { p.muted { (lang.t("沒有等待中的計時器。", "No timer waiting.")) } }
                    @else {
                        table {
                            thead { tr { th { (lang.t("名稱", "Name")) } th { (lang.t("事件", "Event")) } th { (lang.t("到期", "Due")) } } }
                            tbody { @for timer in &view.timers {
                                tr { td { (timer.name) } td { code { (timer.event) } } td { (viewer.times.text(&timer.due_at)) } }
                            } }
                        }
                    }
                }
                @if viewer.is_admin() {
                    div.card {
                        h2 { (lang.t("管理操作", "Admin actions")) }
                        (admin_forms(viewer, &definition, &instance))
                    }
                }
            }
        }
    };
    Ok(layout::page_with(
        viewer,
        Nav::Instances,
        &title,
        status,
        body,
    ))
}

fn data(
    viewer: &Viewer,
    definition: &Definition,
    instance: &Instance,
    view: &InstanceView,
) -> Markup {
    let lang = viewer.lang;
    html! {
        dl.kv {
            dt { (definition.key_title.as_deref().unwrap_or(lang.t("業務鍵", "Key"))) } dd { (instance.key) }
            dt { (lang.t("建立", "Created")) } dd { (viewer.times.at(instance.created_at)) }
            dt { (lang.t("進入目前狀態", "In this state since")) } dd { (viewer.times.at(instance.entered_at)) " (" (span(viewer.times.now - instance.entered_at)) ")" }
            @for (name, value) in &view.data {
                dt title=(name) { (definition.data.get(name).and_then(|field| field.title.as_deref()).unwrap_or(name)) }
                dd { (fields::display(value)) }
            }
        }
    }
}

fn slas(viewer: &Viewer, definition: &Definition, slas: &[SlaView]) -> Markup {
    let lang = viewer.lang;
    let now = viewer.times.now;
    html! {
        @if slas.is_empty() { p.muted { (lang.t("沒有進行中的 SLA 時鐘。", "No SLA clock running.")) } }
        @for sla in slas {
            @let started = crate::api::wire::parse_timestamp(&sla.started_at).unwrap_or(now);
            @let due = crate::api::wire::parse_timestamp(&sla.due_at).unwrap_or(now);
            @let share = if due > started { ((now - started) as f64 / (due - started) as f64).clamp(0.0, 1.0) } else { 1.0 };
            @let late = now > due;
            div.sla data-sla=(sla.name) {
                h3 {
                    (definition.slas.get(&sla.name).and_then(|declared| declared.title.as_deref()).unwrap_or(&sla.name))
                    " " span.muted { "#" (sla.cycle) }
                    " "
                    @match sla.outcome.as_deref() {
                        Some(outcome) => { (badge(outcome, outcome_text(lang, outcome))) }
                        None => { @if sla.paused { (badge("paused", lang.t("暫停中", "paused"))) } @else { (badge("active", lang.t("計時中", "running"))) } }
                    }
                }
                div class=(if late { "progress late" } else if share > 0.75 { "progress near" } else { "progress" })
                    role="progressbar" aria-valuemin="0" aria-valuemax="100" aria-valuenow=(format!("{:.0}", share * 100.0)) {
                    span style=(format!("width: {:.1}%", share * 100.0)) {}
                }
                dl.kv {
                    dt { (lang.t("開始", "Started")) } dd { (viewer.times.text(&sla.started_at)) }
                    dt { (lang.t("到期", "Due")) } dd { (viewer.times.text(&sla.due_at)) @if let Some(calendar) = &sla.calendar { " · " (calendar) } }
                    dt { (lang.t("剩餘", "Remaining")) }
                    dd {
                        @if sla.paused { (lang.t("暫停中 (不計時)", "paused (not counting)")) }
                        @else if late { span.stat.bad style="font-size:1rem" { (lang.t("已逾時", "overdue by")) " " (span(now - due)) } }
                        @else { (span(due - now)) }
                    }
                }
            }
        }
    }
}

fn outcome_text(lang: super::i18n::Lang, outcome: &str) -> &str {
    match outcome {
        "met" => lang.t("達成", "met"),
        "missed" => lang.t("逾時", "missed"),
        other => other,
    }
}

fn timeline(viewer: &Viewer, definition: &Definition, history: &[HistoryView]) -> Markup {
    let lang = viewer.lang;
    let state_title = |name: &str| -> String {
        definition
            .state(name)
            .and_then(|declared| declared.title.clone())
            .unwrap_or_else(|| name.to_owned())
    };
    html! {
        ol.timeline {
            @for line in history.iter().rev() {
                li data-seq=(line.seq) {
                    div {
                        span.what {
                            @match &line.event {
                                Some(event) => { (definition.events.get(event).and_then(|declared| declared.title.as_deref()).unwrap_or(event)) " " code { (event) } }
                                None => { (line.kind) }
                            }
                        }
                        @if let (Some(from), Some(to)) = (&line.from, &line.to) {
                            " " span.muted { (state_title(from)) " → " (state_title(to)) }
                        } @else if let Some(to) = &line.to {
                            " " span.muted { "→ " (state_title(to)) }
                        }
                    }
                    div.muted {
                        (viewer.times.text(&line.at)) " · " (lang.t("由", "by")) " " span.actor { (line.actor) }
                        " · #" (line.seq) " · " (line.kind)
                    }
                    @if line.data.as_object().is_some_and(|data| !data.is_empty()) {
                        pre { (serde_json::to_string_pretty(&line.data).unwrap_or_default()) }
                    }
                }
            }
        }
    }
}

/// One form per event allowed in this state that this account may post.
fn event_forms(
    viewer: &Viewer,
    definition: &Arc<Definition>,
    instance: &Instance,
    view: &InstanceView,
) -> Markup {
    let lang = viewer.lang;
    let account = viewer.caller.account();
    let mine: Vec<&str> = view
        .allowed_events
        .iter()
        .map(String::as_str)
        .filter(|event| authorize_event(definition, instance, event, account).is_ok())
        .collect();
    html! {
        @if mine.is_empty() {
            p.muted {
                @if instance.status == Status::Active {
                    (lang.t("此帳號在目前狀態沒有可執行的事件。", "This account may post no event in this state."))
                } @else {
                    (lang.t("此實例已結束。", "This instance has ended."))
                }
            }
        }
        div.events {
            @for event in mine {
                @let declared = definition.events.get(event);
                form data-event=(event) method="post" action=(format!("/ui/instances/{}/events/{event}", instance.id)) {
                    h3 { (declared.and_then(|declared| declared.title.as_deref()).unwrap_or(event)) " " span.muted { code { (event) } } }
                    input type="hidden" name=(CSRF_FIELD) value=(viewer.csrf());
                    input type="hidden" name=(EVENT_ID_FIELD) value=(hex::encode(rand::random::<[u8; 16]>()));
                    @if let Some(declared) = declared {
                        (fields::inputs(lang, event, &declared.fields))
                    }
                    button type="submit" { (lang.t("送出", "Post")) " " (event) }
                }
            }
        }
    }
}

fn admin_forms(viewer: &Viewer, definition: &Definition, instance: &Instance) -> Markup {
    let lang = viewer.lang;
    let form = |action: &str, fields: Markup| {
        html! {
            form data-action=(action) method="post" action=(format!("/ui/instances/{}/{action}", instance.id)) {
                input type="hidden" name=(CSRF_FIELD) value=(viewer.csrf());
                (fields)
            }
        }
    };
    let reason = |input: &str, label: &str| {
        html! {
            div.field { label for=(input) { (label) " " span.req { "*" } }
                input id=(input) type="text" name="reason" required; }
        }
    };
    html! {
        @if instance.status != Status::Active {
            p.muted { (lang.t("已結束的實例不能取消或移動。", "An ended instance cannot be cancelled or moved.")) }
        } @else {
            (form("cancel", html! {
                (reason("cancel-reason", lang.t("取消原因", "Reason to cancel")))
                button.danger type="submit" { (lang.t("取消實例", "Cancel instance")) }
            }))
            hr;
            (form("move", html! {
                div.field { label for="move-to" { (lang.t("移到狀態", "Move to state")) }
                    select id="move-to" name="to" required {
                        @for state in definition.states.values() {
                            @if state.name != instance.state {
                                option value=(state.name) { (state.title.as_deref().unwrap_or(&state.name)) " (" (state.name) ")" }
                            }
                        }
                    }
                }
                (reason("move-reason", lang.t("原因", "Reason")))
                button.quiet type="submit" { (lang.t("移動", "Move")) }
            }))
            hr;
        }
        (form("retry", html! {
            p.muted { (lang.t("解決未結的事故並立即觸發逾期的計時器。", "Resolves open incidents and fires overdue timers now.")) }
            button.quiet type="submit" { (lang.t("重試", "Retry")) }
        }))
    }
}

/// `POST /ui/instances/{id}/events/{event}`.
pub async fn post_event(
    State(state): State<AppState>,
    Path((id, event)): Path<(String, String)>,
    form: PostedForm,
) -> Response {
    let outcome = async {
        let target = Target::Id(instance_id(&id)?);
        let instance = find(&state, &target).await?;
        let definition = state
            .runtime()
            .definition_of(&instance)
            .await
            .map_err(Problem::from)?;
        let data = match definition.events.get(&event) {
            Some(declared) => fields::read(form.viewer.lang, &declared.fields, form.fields())
                .map_err(Refused::Form)?,
            None => serde_json::Map::new(),
        };
        let event_id = form
            .value(EVENT_ID_FIELD)
            .filter(|value| !value.is_empty() && value.len() <= 255);
        let by = form.viewer.caller.principal();
        state
            .runtime()
            .post_event(&target, &event, data, by, event_id)
            .await
            .map_err(Problem::from)?;
        Ok::<(), Refused>(())
    }
    .await;
    finish(&state, &form.viewer, &id, outcome).await
}

/// `POST /ui/instances/{id}/cancel` (admin).
pub async fn cancel(
    State(state): State<AppState>,
    Path(id): Path<String>,
    AdminForm(form): AdminForm,
) -> Response {
    let reason = form.given("reason").unwrap_or("");
    act(&state, &form, &id, AdminAction::Cancel { reason }).await
}

/// `POST /ui/instances/{id}/move` (admin).
pub async fn move_to(
    State(state): State<AppState>,
    Path(id): Path<String>,
    AdminForm(form): AdminForm,
) -> Response {
    let to = form.value("to").unwrap_or("");
    let reason = form.given("reason").unwrap_or("");
    act(&state, &form, &id, AdminAction::Move { to, reason }).await
}

/// `POST /ui/instances/{id}/retry` (admin): as `POST /v1/instances/{id}/retry`.
pub async fn retry(
    State(state): State<AppState>,
    Path(id): Path<String>,
    AdminForm(form): AdminForm,
) -> Response {
    act(&state, &form, &id, AdminAction::Retry).await
}

/// What the admin forms share: the action on the instance, then the page.
async fn act(state: &AppState, form: &PostedForm, id: &str, action: AdminAction<'_>) -> Response {
    let outcome = async {
        let target = Target::Id(instance_id(id)?);
        action
            .run(state, &target, form.viewer.caller.principal())
            .await
    }
    .await;
    finish(state, &form.viewer, id, outcome.map_err(Refused::Problem)).await
}

/// Back to the page after a change, or the page with what was refused.
async fn finish(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    outcome: Result<(), Refused>,
) -> Response {
    match outcome {
        Ok(()) => Redirect::to(&format!("/ui/instances/{id}")).into_response(),
        Err(refused) => show(state, viewer, id, Some(refused)).await,
    }
}
