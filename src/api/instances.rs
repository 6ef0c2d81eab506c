//! `/v1/instances`: create, read, list, post events, history.

use axum::Json;
use axum::extract::State;
use axum::http::header::LINK;
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::auth::Caller;
use super::extract::{JsonBody, PathParams, QueryParams};
use super::problem::{Problem, ProblemBody};
use super::state::AppState;
use super::views;
use super::wire::{
    CreateRequest, EventAnswer, EventRequest, HistoryView, InstancePage, InstanceView,
};
use crate::engine::Status;
use crate::runtime::{CreateInstance, PostEvent, Target};
use crate::store::{Cursor, HistoryRecord, InstanceFilter};

/// The header that makes a create or an event safe to retry.
pub const IDEMPOTENCY_KEY: &str = "idempotency-key";

/// Starts an instance. With an `Idempotency-Key` header a retry returns the
/// first answer and creates nothing.
#[utoipa::path(post, path = "/v1/instances", tag = "instances", security(("bearer" = [])),
    request_body = CreateRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes a retry return the first answer; 1 to 255 visible ASCII characters", pattern = "^[!-~]([ -~]{0,253}[!-~])?$")),
    responses(
        (status = 201, description = "Created", body = InstanceView),
        (status = 400, description = "Malformed JSON", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The account may not start this workflow; `required` names who may", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "Unknown workflow", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "Key held by a live instance, or idempotency key reused with another body", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Data fails the declared fields", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn create(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    JsonBody(request): JsonBody<CreateRequest>,
) -> Result<(StatusCode, Json<InstanceView>), Problem> {
    let idempotency_key = header_text(&headers, IDEMPOTENCY_KEY)?;
    let command = CreateInstance {
        workflow: request.workflow,
        key: request.key,
        data: request.data,
        by: caller.principal(),
        idempotency_key: idempotency_key.map(str::to_owned),
    };
    let instance = state.shared_runtime().run_detached(command).await?;
    tracing::Span::current().record("instance", instance.id.to_string());
    Ok((
        StatusCode::CREATED,
        Json(views::instance(&state, &instance).await?),
    ))
}

/// One instance.
#[utoipa::path(get, path = "/v1/instances/{id}", tag = "instances", security(("bearer" = [])),
    params(("id" = String, Path, description = "Instance id (UUID)")),
    responses(
        (status = 200, description = "The instance", body = InstanceView),
        (status = 404, description = "Unknown instance", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn get(
    State(state): State<AppState>,
    _: Caller,
    PathParams(id): PathParams<String>,
) -> Result<Json<InstanceView>, Problem> {
    let instance = views::find(&state, &Target::Id(instance_id(&id)?)).await?;
    Ok(Json(views::instance(&state, &instance).await?))
}

/// The live instance with this business key, else the newest one.
#[utoipa::path(get, path = "/v1/workflows/{workflow}/instances/{key}", tag = "instances", security(("bearer" = [])),
    params(("workflow" = String, Path), ("key" = String, Path, description = "Business key")),
    responses(
        (status = 200, description = "The instance", body = InstanceView),
        (status = 404, description = "Unknown workflow or key", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn get_by_key(
    State(state): State<AppState>,
    _: Caller,
    PathParams((workflow, key)): PathParams<(String, String)>,
) -> Result<Json<InstanceView>, Problem> {
    let instance = views::find(&state, &Target::Key { workflow, key }).await?;
    Ok(Json(views::instance(&state, &instance).await?))
}

/// Filters of `GET /v1/instances`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub workflow: Option<String>,
    pub state: Option<String>,
    pub key: Option<String>,
    /// `active`, `completed` or `cancelled`.
    #[param(inline)]
    pub status: Option<StatusFilter>,
    /// `true`: only instances the stuck check reports.
    pub stuck: Option<bool>,
    /// 1 to 500, default 50.
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<u32>,
    /// `next_cursor` of the previous page.
    #[param(pattern = "^[0-9a-f]{32}$")]
    pub cursor: Option<String>,
}

/// The `status` filter of `GET /v1/instances`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusFilter {
    Active,
    Completed,
    Cancelled,
}

impl From<StatusFilter> for Status {
    fn from(filter: StatusFilter) -> Self {
        match filter {
            StatusFilter::Active => Status::Active,
            StatusFilter::Completed => Status::Completed,
            StatusFilter::Cancelled => Status::Cancelled,
        }
    }
}

/// Instances, newest first, a page at a time.
#[utoipa::path(get, path = "/v1/instances", tag = "instances", security(("bearer" = [])),
    params(ListQuery),
    responses(
        (status = 200, description = "A page", body = InstancePage),
        (status = 400, description = "Unknown parameter or value", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn list(
    State(state): State<AppState>,
    _: Caller,
    QueryParams(query): QueryParams<ListQuery>,
) -> Result<Json<InstancePage>, Problem> {
    let filter = filter(&query)?;
    if query.stuck == Some(true) {
        return Ok(Json(views::stuck_page(&state, &filter).await?));
    }
    let page = state.store().list_instances(&filter).await?;
    Ok(Json(views::page(&state, page).await?))
}

fn filter(query: &ListQuery) -> Result<InstanceFilter, Problem> {
    let status = query.status.map(Status::from);
    let limit = query.limit.unwrap_or(50);
    if !(1..=500).contains(&limit) {
        return Err(Problem::bad_request("limit must be between 1 and 500"));
    }
    let cursor = match query.cursor.as_deref() {
        None => None,
        Some(text) => Some(
            Cursor::decode(text)
                .ok_or_else(|| Problem::bad_request("the cursor is not one this server issued"))?,
        ),
    };
    Ok(InstanceFilter {
        workflow: query.workflow.clone(),
        state: query.state.clone(),
        key: query.key.clone(),
        status,
        limit,
        cursor,
    })
}

/// Posts an event to an instance found by id.
#[utoipa::path(post, path = "/v1/instances/{id}/events", tag = "instances", security(("bearer" = [])),
    request_body = EventRequest,
    params(("id" = String, Path, description = "Instance id"),
        ("Idempotency-Key" = Option<String>, Header, description = "Used when the body has no `id`; 1 to 255 visible ASCII characters", pattern = "^[!-~]([ -~]{0,253}[!-~])?$")),
    responses(
        (status = 200, description = "Applied (or the first answer to a repeated id)", body = EventAnswer),
        (status = 400, description = "Malformed JSON", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The account may not post this event in the instance's state; `required` names who may", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "Unknown instance", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "Event not allowed (`allowed` lists those that are), instance ended, or event id reused with another body", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Data invalid, or every guard false", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn post_event(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    PathParams(id): PathParams<String>,
    JsonBody(request): JsonBody<EventRequest>,
) -> Result<Json<EventAnswer>, Problem> {
    let target = Target::Id(instance_id(&id)?);
    send(&state, &caller, &headers, target, request).await
}

/// Posts an event to the live instance with a business key.
#[utoipa::path(post, path = "/v1/workflows/{workflow}/instances/{key}/events", tag = "instances", security(("bearer" = [])),
    request_body = EventRequest,
    params(("workflow" = String, Path), ("key" = String, Path, description = "Business key"),
        ("Idempotency-Key" = Option<String>, Header, description = "Used when the body has no `id`; 1 to 255 visible ASCII characters", pattern = "^[!-~]([ -~]{0,253}[!-~])?$")),
    responses(
        (status = 200, description = "Applied (or the first answer to a repeated id)", body = EventAnswer),
        (status = 400, description = "Malformed JSON", body = ProblemBody, content_type = "application/problem+json"),
        (status = 403, description = "The account may not post this event in the instance's state; `required` names who may", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "Unknown workflow or key", body = ProblemBody, content_type = "application/problem+json"),
        (status = 409, description = "Event not allowed, instance ended, or event id reused", body = ProblemBody, content_type = "application/problem+json"),
        (status = 422, description = "Data invalid, or every guard false", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn post_event_by_key(
    State(state): State<AppState>,
    caller: Caller,
    headers: HeaderMap,
    PathParams((workflow, key)): PathParams<(String, String)>,
    JsonBody(request): JsonBody<EventRequest>,
) -> Result<Json<EventAnswer>, Problem> {
    send(
        &state,
        &caller,
        &headers,
        Target::Key { workflow, key },
        request,
    )
    .await
}

async fn send(
    state: &AppState,
    caller: &Caller,
    headers: &HeaderMap,
    target: Target,
    request: EventRequest,
) -> Result<Json<EventAnswer>, Problem> {
    let event_id = match request.id {
        Some(id) => Some(id),
        None => header_text(headers, IDEMPOTENCY_KEY)?.map(str::to_owned),
    };
    let command = PostEvent {
        target: target.clone(),
        event: request.event,
        data: request.data,
        by: caller.principal(),
        event_id,
    };
    let result = state.shared_runtime().run_detached(command).await;
    let workflow = match (&result, &target) {
        (Ok(posted), _) => posted.instance.workflow.to_string(),
        (Err(_), Target::Key { workflow, .. }) => {
            super::metrics::workflow_label(&state.runtime().catalog(), workflow)
        }
        // A refused event by id: one more read names the workflow (only on
        // this path; an unknown id is `other`).
        (Err(_), Target::Id(_)) => views::find(state, &target).await.map_or_else(
            |_| super::metrics::OTHER.to_owned(),
            |instance| instance.workflow.to_string(),
        ),
    };
    let outcome = if result.is_ok() {
        "applied"
    } else {
        "rejected"
    };
    metrics::counter!(super::metrics::EVENTS, "workflow" => workflow, "outcome" => outcome)
        .increment(1);
    let posted = result?;
    tracing::Span::current().record("instance", posted.instance.id.to_string());
    Ok(Json(EventAnswer {
        instance: views::instance(state, &posted.instance).await?,
        transition: posted.transition.as_ref().map(Into::into),
    }))
}

/// Paging of `GET /v1/instances/{id}/history`.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Lines per page, 1 to 1000 (default 1000). A page also ends before it
    /// would pass 1 MiB of JSON.
    #[param(minimum = 1, maximum = 1000)]
    pub limit: Option<u32>,
    /// Where the page starts: the `X-Next-Cursor` of the previous page.
    #[param(pattern = "^[0-9]{1,18}$")]
    pub cursor: Option<String>,
}

/// The most lines one history page holds.
pub const HISTORY_PAGE_MAX: u32 = 1000;
/// A history page ends before its JSON would pass this many bytes (it
/// always holds at least one line), so one instance with huge event data
/// cannot make an answer of unbounded size.
pub const HISTORY_PAGE_BYTES: usize = 1024 * 1024;
/// The header carrying the cursor of the next page (absent on the last).
pub const NEXT_CURSOR: &str = "x-next-cursor";

/// An instance's history, oldest first, a page at a time: the body is the
/// page's lines; when more follow, `X-Next-Cursor` and `Link: rel="next"`
/// say where the next page starts.
#[utoipa::path(get, path = "/v1/instances/{id}/history", tag = "instances", security(("bearer" = [])),
    params(("id" = String, Path, description = "Instance id"), HistoryQuery),
    responses(
        (status = 200, description = "The history in order (one page)", body = Vec<HistoryView>,
            headers(
                ("X-Next-Cursor" = String, description = "The cursor of the next page; absent on the last page"),
                ("Link" = String, description = "`<…?limit=N&cursor=C>; rel=\"next\"` when more lines follow"),
            )),
        (status = 400, description = "Unknown parameter, bad limit or cursor", body = ProblemBody, content_type = "application/problem+json"),
        (status = 404, description = "Unknown instance", body = ProblemBody, content_type = "application/problem+json"),
    ))]
pub async fn history(
    State(state): State<AppState>,
    _: Caller,
    PathParams(id): PathParams<String>,
    QueryParams(query): QueryParams<HistoryQuery>,
) -> Result<Response, Problem> {
    let limit = query.limit.unwrap_or(HISTORY_PAGE_MAX);
    if !(1..=HISTORY_PAGE_MAX).contains(&limit) {
        return Err(Problem::bad_request(format!(
            "limit must be between 1 and {HISTORY_PAGE_MAX}"
        )));
    }
    let after = match query.cursor.as_deref() {
        None => 0,
        Some(text) => text
            .parse::<i64>()
            .ok()
            .filter(|seq| *seq >= 0)
            .ok_or_else(|| Problem::bad_request("the cursor is not one this server issued"))?,
    };
    let instance = views::find(&state, &Target::Id(instance_id(&id)?)).await?;
    let records = state
        .store()
        .history_page(instance.id, after, limit + 1)
        .await?;
    let (lines, next) = history_page(&records, limit as usize);
    let mut response = Json(lines).into_response();
    if let Some(next) = next {
        let link = format!(
            "</v1/instances/{}/history?limit={limit}&cursor={next}>; rel=\"next\"",
            instance.id
        );
        let headers = response.headers_mut();
        headers.insert(NEXT_CURSOR, HeaderValue::from(next));
        if let Ok(link) = HeaderValue::from_str(&link) {
            headers.insert(LINK, link);
        }
    }
    Ok(response)
}

/// The lines of one page out of `records` (fetched one past `limit`), and
/// the cursor of the next page when lines were left out: at most `limit`
/// lines, and no more than fit in [`HISTORY_PAGE_BYTES`] (at least one).
fn history_page(records: &[HistoryRecord], limit: usize) -> (Vec<HistoryView>, Option<i64>) {
    let mut lines = Vec::new();
    let mut bytes = 0;
    for record in records.iter().take(limit) {
        let line = HistoryView::from(record);
        let size = serde_json::to_vec(&line).map_or(0, |json| json.len() + 1);
        if !lines.is_empty() && bytes + size > HISTORY_PAGE_BYTES {
            break;
        }
        bytes += size;
        lines.push(line);
    }
    let next = (lines.len() < records.len()).then(|| records[lines.len() - 1].seq);
    (lines, next)
}

/// A path segment that must be an instance id; anything else names no instance.
pub fn instance_id(text: &str) -> Result<Uuid, Problem> {
    Uuid::try_parse(text).map_err(|_| Problem::not_found(format!("no instance `{text}`")))
}

fn header_text<'h>(headers: &'h HeaderMap, name: &str) -> Result<Option<&'h str>, Problem> {
    match headers.get(name) {
        None => Ok(None),
        Some(value) => {
            let text = value
                .to_str()
                .map_err(|_| Problem::bad_request(format!("the {name} header is not text")))?;
            if text.is_empty() || text.len() > 255 {
                return Err(Problem::bad_request(format!(
                    "the {name} header must be 1 to 255 characters"
                )));
            }
            Ok(Some(text))
        }
    }
}
