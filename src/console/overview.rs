//! `/ui/`: what needs attention at a glance: live instances per workflow
//! and state, the stuck count, SLA misses today, open incidents and the
//! last backup.

use std::collections::BTreeMap;

use axum::extract::State;
use axum::response::Response;
use maud::html;

use super::i18n::Lang;
use super::layout::{self, Nav};
use super::session::Viewer;
use crate::api::problem::Problem;
use crate::api::state::AppState;
use crate::audit::AuditAction;
use crate::store::{Fault, StateCount};

/// `GET /ui/`.
pub async fn page(State(state): State<AppState>, viewer: Viewer) -> Response {
    match render(&state, &viewer).await {
        Ok(response) => response,
        Err(problem) => layout::problem_page(viewer.lang, &problem),
    }
}

async fn render(state: &AppState, viewer: &Viewer) -> Result<Response, Problem> {
    let lang = viewer.lang;
    let times = &viewer.times;
    let store = state.store();
    let counts = store.live_counts().await?;
    let stuck = state.runtime().stuck_count().await?;
    let misses = store.sla_misses_since(times.start_of_today()).await?;
    let incidents = store.open_incident_count().await?;
    let backup = store
        .last_audit_at(AuditAction::BackupCreate, state.runtime().real_now() + 1)
        .await?;
    // The same judgement as `/readyz`: writes failing (a full disk, the
    // database gone) show here as they do to a load balancer.
    let writes = store.readiness(state.runtime().real_now()).await;
    let last_write = store.last_write_at().await?;
    let catalog = state.runtime().catalog();
    let mut by_workflow: BTreeMap<&str, Vec<&StateCount>> = BTreeMap::new();
    for count in &counts {
        by_workflow.entry(&count.workflow).or_default().push(count);
    }
    let live: i64 = counts.iter().map(|count| count.live).sum();
    let title = lang.t("總覽", "Overview");
    let body = html! {
        h1 { (title) }
        div.grid {
            div.card {
                div.muted { (lang.t("進行中的實例", "Live instances")) }
                div.stat { (live) }
                a href="/ui/instances?status=active" { (lang.t("查看全部", "See all")) }
            }
            div.card {
                div.muted { (lang.t("卡住的實例", "Stuck instances")) }
                div.stat.bad[stuck > 0] data-stuck=(stuck) { (stuck) }
                a href="/ui/stuck" { (lang.t("處理", "Deal with them")) }
            }
            div.card {
                div.muted { (lang.t("今日 SLA 逾時", "SLA misses today")) }
                div.stat.bad[misses > 0] { (misses) }
                span.muted { (lang.t("自", "since")) " " (times.at(times.start_of_today())) }
            }
            div.card {
                div.muted { (lang.t("未解決的事故", "Open incidents")) }
                div.stat.bad[incidents > 0] { (incidents) }
                a href="/ui/instances?stuck=true" { (lang.t("相關實例", "Affected instances")) }
            }
            div.card {
                div.muted { (lang.t("資料庫寫入", "Database writes")) }
                @match &writes {
                    Ok(()) => div.stat style="font-size:1.2rem" data-writes="ok" { (lang.t("正常", "working")) },
                    Err(not_ready) => div.stat.bad style="font-size:1.2rem" data-writes=(not_ready.fault().as_str()) {
                        (fault_text(lang, not_ready.fault()))
                    },
                }
                span.muted data-last-write=[last_write] {
                    (lang.t("上次寫入", "last write")) " "
                    @match last_write {
                        Some(at) => (times.at(at)),
                        None => (lang.t("尚無", "none yet")),
                    }
                }
            }
            div.card {
                div.muted { (lang.t("上次備份", "Last backup")) }
                @match backup {
                    Some(at) => div.stat style="font-size:1.2rem" { (times.at(at)) },
                    None => div.stat.bad style="font-size:1.2rem" { (lang.t("尚無紀錄", "none recorded")) },
                }
            }
        }
        h2 { (lang.t("各流程各狀態的進行中實例", "Live instances per workflow and state")) }
        @if by_workflow.is_empty() {
            p.muted { (lang.t("目前沒有進行中的實例。", "No live instances.")) }
        }
        div.grid {
            @for (workflow, states) in &by_workflow {
                @let definition = catalog.get(workflow);
                div.card {
                    h3 {
                        a href=(format!("/ui/workflows/{workflow}")) {
                            (definition.map_or(*workflow, |definition| definition.title.as_str()))
                        }
                        " " span.muted { code { (workflow) } }
                    }
                    table {
                        thead { tr { th { (lang.t("狀態", "State")) } th.num { (lang.t("數量", "Live")) } } }
                        tbody {
                            @for count in states {
                                @let state_title = definition
                                    .and_then(|definition| definition.state(&count.state))
                                    .and_then(|declared| declared.title.as_deref());
                                tr {
                                    td {
                                        a href=(instances_link(workflow, &count.state)) {
                                            (state_title.unwrap_or(&count.state))
                                        }
                                        @if state_title.is_some() { " " span.muted { code { (count.state) } } }
                                    }
                                    td.num { (count.live) }
                                }
                            }
                        }
                    }
                }
            }
        }
    };
    Ok(layout::page(viewer, Nav::Overview, title, body))
}

/// What a writes fault means to the person looking, never the database's
/// own error text (that is in the log).
fn fault_text(lang: Lang, fault: Fault) -> &'static str {
    match fault {
        Fault::Full => lang.t("儲存空間已滿", "storage is full"),
        Fault::Unavailable => lang.t("資料庫無法使用", "database unavailable"),
        Fault::Busy => lang.t("資料庫忙碌", "database busy"),
        Fault::Other => lang.t("寫入失敗 (見日誌)", "writes fail (see the log)"),
    }
}

fn instances_link(workflow: &str, state: &str) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    query
        .append_pair("workflow", workflow)
        .append_pair("state", state)
        .append_pair("status", "active");
    format!("/ui/instances?{}", query.finish())
}
