//! `/ui/stuck`: live instances that need a person, with the reasons; an
//! admin selects several and retries or cancels them in one go. Each one
//! goes through the runtime on its own (its own transaction, history line
//! and audit entry), so one that fails leaves the others done, and the
//! page says which. The list comes 50 at a time, newest first, as the
//! instance list does; the heading counts them all.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use maud::{Markup, html};
use serde::Deserialize;

use super::admin_action::AdminAction;
use super::layout::{self, Nav};
use super::posted::AdminForm;
use super::session::{CSRF_FIELD, Viewer};
use crate::api::instances::instance_id;
use crate::api::problem::Problem;
use crate::api::state::AppState;
use crate::api::views::stuck_views_page;
use crate::runtime::Target;
use crate::store::{Cursor, InstanceFilter};

/// Rows per page.
const PAGE_SIZE: u32 = 50;

/// Which page: the cursor a previous page's **Next page** link carries.
#[derive(Debug, Default, Deserialize)]
pub struct StuckQuery {
    #[serde(default)]
    cursor: String,
}

/// `GET /ui/stuck`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<StuckQuery>,
) -> Response {
    let cursor = query.cursor.trim();
    if cursor.is_empty() {
        return show(&state, &viewer, None, None).await;
    }
    match Cursor::decode(cursor) {
        Some(cursor) => show(&state, &viewer, Some(cursor), None).await,
        None => {
            let done = Done {
                applied: 0,
                failures: vec![
                    viewer
                        .lang
                        .t(
                            "分頁游標無效,已從第一頁開始。",
                            "The page cursor is not valid; this is the first page.",
                        )
                        .to_owned(),
                ],
            };
            show(&state, &viewer, None, Some(done)).await
        }
    }
}

/// What a bulk action did.
struct Done {
    applied: usize,
    failures: Vec<String>,
}

async fn show(
    state: &AppState,
    viewer: &Viewer,
    cursor: Option<Cursor>,
    done: Option<Done>,
) -> Response {
    let lang = viewer.lang;
    let filter = InstanceFilter {
        limit: PAGE_SIZE,
        cursor,
        ..InstanceFilter::default()
    };
    let listed = async {
        let rules = state.runtime().stuck_rules().await?;
        let total = state.runtime().count_stuck(&rules).await?;
        let (stuck, next) = stuck_views_page(state, &rules, &filter).await?;
        Ok::<_, Problem>((total, stuck, next))
    };
    let (total, stuck, next) = match listed.await {
        Ok(listed) => listed,
        Err(problem) => return layout::problem_page(lang, &problem),
    };
    let catalog = state.runtime().catalog();
    let title = lang.t("卡住的實例", "Stuck instances");
    let admin = viewer.is_admin();
    let status = match &done {
        Some(done) if !done.failures.is_empty() => StatusCode::UNPROCESSABLE_ENTITY,
        _ => StatusCode::OK,
    };
    let body = html! {
        h1 { (title) " " span.muted data-total=(total) { "(" (total) ")" } }
        @if let Some(done) = &done {
            @if done.applied > 0 {
                p.notice role="status" { (lang.t("已處理", "Done for")) " " (done.applied) " " (lang.t("個實例。", "instance(s).")) }
            }
            @if !done.failures.is_empty() {
                div.alert role="alert" { @for failure in &done.failures { (failure) br; } }
            }
        }
        @if stuck.is_empty() {
            p.muted { (lang.t("沒有卡住的實例。", "Nothing is stuck.")) }
        } @else {
            form method="post" action="/ui/stuck" {
                input type="hidden" name=(CSRF_FIELD) value=(viewer.csrf());
                table {
                    thead { tr {
                        @if admin { th { span.muted { "✓" } } }
                        th { (lang.t("業務鍵", "Key")) }
                        th { (lang.t("流程", "Workflow")) }
                        th { (lang.t("狀態", "State")) }
                        th { (lang.t("原因", "Reasons")) }
                        th { (lang.t("進入狀態", "In state since")) }
                    } }
                    tbody {
                        @for entry in &stuck {
                            @let item = &entry.instance;
                            @let definition = catalog.get(&item.workflow);
                            tr data-instance=(item.id) {
                                @if admin { td { input type="checkbox" name="instance" value=(item.id) aria-label=(item.key); } }
                                td { a href=(format!("/ui/instances/{}", item.id)) { (item.key) } }
                                td { (definition.map_or(item.workflow.as_str(), |definition| definition.title.as_str())) }
                                td { (definition.and_then(|definition| definition.state(&item.state)).and_then(|declared| declared.title.as_deref()).unwrap_or(&item.state)) }
                                td { ul style="margin:0;padding-left:1rem" { @for reason in &entry.reasons { li { (reason) } } } }
                                td { (viewer.times.text(&item.entered_at)) }
                            }
                        }
                    }
                }
                @if admin { (actions(viewer)) }
            }
        }
        div.pager {
            @if filter.cursor.is_some() {
                a href="/ui/stuck" { "« " (lang.t("第一頁", "First page")) }
            }
            @if let Some(next) = &next {
                a href=(format!("/ui/stuck?cursor={}", next.encode())) { (lang.t("下一頁", "Next page")) " »" }
            }
        }
    };
    layout::page_with(viewer, Nav::Stuck, title, status, body)
}

fn actions(viewer: &Viewer) -> Markup {
    let lang = viewer.lang;
    html! {
        div.card style="margin-top:1rem" {
            div.field {
                label for="bulk-reason" { (lang.t("取消原因 (取消時必填)", "Reason (needed to cancel)")) }
                input id="bulk-reason" type="text" name="reason";
            }
            button type="submit" name="action" value="retry" data-action="retry" { (lang.t("重試所選", "Retry selected")) }
            " "
            button.danger type="submit" name="action" value="cancel" data-action="cancel" { (lang.t("取消所選", "Cancel selected")) }
        }
    }
}

/// `POST /ui/stuck` (admin): `action=retry|cancel`, `instance=<id>` per
/// selected row, `reason` for cancel.
pub async fn bulk(State(state): State<AppState>, AdminForm(form): AdminForm) -> Response {
    let lang = form.viewer.lang;
    let asked = form.given("action").unwrap_or("");
    let reason = form.given("reason").unwrap_or("");
    let ids: Vec<&str> = form
        .fields()
        .iter()
        .filter(|(name, _)| name == "instance")
        .map(|(_, value)| value.as_str())
        .collect();
    let action = match asked {
        "retry" => Some(AdminAction::Retry),
        "cancel" => Some(AdminAction::Cancel { reason }),
        _ => None,
    };
    let mut done = Done {
        applied: 0,
        failures: Vec::new(),
    };
    match action {
        _ if ids.is_empty() => done.failures.push(
            lang.t("請先勾選實例。", "Select at least one instance.")
                .to_owned(),
        ),
        Some(AdminAction::Cancel { .. }) if reason.is_empty() => done.failures.push(
            lang.t("取消需要原因。", "Cancelling needs a reason.")
                .to_owned(),
        ),
        None => done.failures.push(format!(
            "{} `{asked}`",
            lang.t("不明的操作", "Unknown action")
        )),
        Some(action) => {
            for id in ids {
                let result = async {
                    let target = Target::Id(instance_id(id)?);
                    action
                        .run(&state, &target, form.viewer.caller.principal())
                        .await
                }
                .await;
                match result {
                    Ok(()) => done.applied += 1,
                    Err(problem) => done.failures.push(format!("{id}: {}", problem.detail())),
                }
            }
        }
    }
    show(&state, &form.viewer, None, Some(done)).await
}
