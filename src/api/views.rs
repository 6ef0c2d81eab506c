//! Instances as the API shows them: found by id or key (404 otherwise),
//! with the events their own version accepts and their oldest open
//! incident, a whole page at a time; and the stuck list with its reasons
//! in words.

use std::cmp::Reverse;
use std::collections::HashMap;

use uuid::Uuid;

use super::problem::Problem;
use super::state::AppState;
use super::wire::{IncidentView, InstancePage, InstanceView, StuckView, timestamp};
use crate::engine::Instance;
use crate::runtime::{StuckInstance, StuckReason, Target};
use crate::store::{Cursor, Incident, InstanceFilter, Page, StuckRules};

/// The instance at `target`, or 404.
pub(crate) async fn find(state: &AppState, target: &Target) -> Result<Instance, Problem> {
    let store = state.store();
    let found = match target {
        Target::Id(id) => store.get_instance(*id).await,
        Target::Key { workflow, key } => store.find_by_key(workflow, key).await,
    }?;
    found.ok_or_else(|| match target {
        Target::Id(id) => Problem::not_found(format!("no instance {id}")),
        Target::Key { workflow, key } => {
            Problem::not_found(format!("no instance of `{workflow}` with key `{key}`"))
        }
    })
}

/// The view of one instance.
pub(crate) async fn instance(
    state: &AppState,
    instance: &Instance,
) -> Result<InstanceView, Problem> {
    let mut incidents = state.store().oldest_open_incidents(&[instance.id]).await?;
    view(state, instance, &mut incidents).await
}

/// The views of `instances`, in order: the open incidents of all of them
/// come from one query.
pub(crate) async fn instances(
    state: &AppState,
    instances: &[Instance],
) -> Result<Vec<InstanceView>, Problem> {
    let ids: Vec<Uuid> = instances.iter().map(|instance| instance.id).collect();
    let mut incidents = state.store().oldest_open_incidents(&ids).await?;
    let mut views = Vec::with_capacity(instances.len());
    for instance in instances {
        views.push(view(state, instance, &mut incidents).await?);
    }
    Ok(views)
}

/// The view of `instance`, taking its incident out of `incidents`. The
/// definition it runs is cached by version, so this rarely reads.
async fn view(
    state: &AppState,
    instance: &Instance,
    incidents: &mut HashMap<Uuid, Incident>,
) -> Result<InstanceView, Problem> {
    let definition = state.runtime().definition_of(instance).await?;
    let incident = incidents
        .remove(&instance.id)
        .map(|incident| IncidentView::from(&incident));
    let calendars = std::sync::Arc::clone(state.runtime().catalog().calendars());
    let view = InstanceView::new(
        instance,
        Some(&definition),
        calendars.default_zone(),
        incident,
    );
    Ok(view)
}

/// A listing page ends before its instances pass this much JSON (at least
/// one instance is always shown), as history pages do: `limit` bounds rows,
/// and 500 rows of large `data` would otherwise make one answer of hundreds
/// of megabytes.
pub const INSTANCE_PAGE_BYTES: usize = 1024 * 1024;

/// A page of a listing, as the API shows it: at most [`INSTANCE_PAGE_BYTES`]
/// of instances, the next cursor moved back to the last one shown when the
/// bound cut the page short.
pub(crate) async fn page(state: &AppState, page: Page) -> Result<InstancePage, Problem> {
    let mut items = instances(state, &page.instances).await?;
    let mut next_cursor = page.next_cursor;
    if let Some(shown) = within_bytes(&items, INSTANCE_PAGE_BYTES) {
        items.truncate(shown);
        next_cursor = Some(Cursor::after(page.instances[shown - 1].id));
    }
    Ok(InstancePage {
        items,
        next_cursor: next_cursor.map(|cursor| cursor.encode()),
    })
}

/// How many of `items` fit in `bound` bytes of JSON (at least one), when
/// not all of them do.
fn within_bytes(items: &[InstanceView], bound: usize) -> Option<usize> {
    let mut bytes = 0;
    for (index, item) in items.iter().enumerate() {
        bytes += serde_json::to_vec(item).map_or(0, |json| json.len());
        if bytes > bound {
            let shown = index.max(1);
            return (shown < items.len()).then_some(shown);
        }
    }
    None
}

/// Every stuck instance with its reasons, in id order.
pub(crate) async fn stuck(state: &AppState) -> Result<Vec<StuckView>, Problem> {
    let (instances, stuck) = stuck_instances(state).await?;
    with_reasons(state, &instances, &stuck).await
}

/// The views of `instances`, in their order, each with its reasons from
/// `stuck`.
async fn with_reasons(
    state: &AppState,
    instances: &[Instance],
    stuck: &[StuckInstance],
) -> Result<Vec<StuckView>, Problem> {
    let views = self::instances(state, instances).await?;
    Ok(views
        .into_iter()
        .zip(instances)
        .map(|(view, instance)| StuckView {
            instance: view,
            reasons: stuck
                .iter()
                .find(|entry| entry.id == instance.id)
                .map(reasons)
                .unwrap_or_default(),
        })
        .collect())
}

/// `GET /v1/instances?stuck=true`: the stuck list, filtered and paged like
/// any listing (newest first, cursor = last id shown).
pub(crate) async fn stuck_page(
    state: &AppState,
    filter: &InstanceFilter,
) -> Result<InstancePage, Problem> {
    let (stuck, next_cursor) = state.runtime().stuck_page(filter).await?;
    let (mut instances, _) = loaded(state, stuck).await?;
    instances.sort_by_key(|instance| Reverse(instance.id));
    page(
        state,
        Page {
            instances,
            next_cursor,
        },
    )
    .await
}

/// One page of the stuck list under `rules`, with the reasons in words,
/// newest first, and the next page's cursor: the console's stuck page.
pub(crate) async fn stuck_views_page(
    state: &AppState,
    rules: &StuckRules,
    filter: &InstanceFilter,
) -> Result<(Vec<StuckView>, Option<Cursor>), Problem> {
    let (stuck, next_cursor) = state.runtime().page_stuck(rules, filter).await?;
    let (mut instances, stuck) = loaded(state, stuck).await?;
    instances.sort_by_key(|instance| Reverse(instance.id));
    Ok((with_reasons(state, &instances, &stuck).await?, next_cursor))
}

/// The stuck instances, loaded in one query, in id order, with what the
/// check found. An instance that ended between the check and the load is
/// left out.
async fn stuck_instances(state: &AppState) -> Result<(Vec<Instance>, Vec<StuckInstance>), Problem> {
    let stuck = state.runtime().stuck().await?;
    loaded(state, stuck).await
}

/// The instances of `stuck`, loaded in one query, in id order.
async fn loaded(
    state: &AppState,
    stuck: Vec<StuckInstance>,
) -> Result<(Vec<Instance>, Vec<StuckInstance>), Problem> {
    let ids: Vec<Uuid> = stuck.iter().map(|entry| entry.id).collect();
    let mut instances = state.store().instances(&ids).await?;
    instances.sort_by_key(|instance| instance.id);
    Ok((instances, stuck))
}

/// Why `entry` is stuck, in words for people reading the admin page.
fn reasons(entry: &StuckInstance) -> Vec<String> {
    let state = &entry.state;
    entry
        .reasons
        .iter()
        .map(|reason| match reason {
            StuckReason::OpenIncidents { count } => format!("{count} open incident(s)"),
            StuckReason::TimerOverdue { due_at } => {
                format!("a timer due at {} has not fired", timestamp(*due_at))
            }
            StuckReason::Idle { since, stuck_after } => format!(
                "in `{state}` since {}, longer than its stuck_after of {}",
                timestamp(*since),
                crate::model::Duration::from_millis(*stuck_after).map_or_else(
                    || format!("{stuck_after}ms"),
                    |duration| duration.to_string()
                )
            ),
            StuckReason::SlaOverdue { sla, cycle, due_at } => format!(
                "SLA `{sla}` (cycle {cycle}) was due at {}",
                timestamp(*due_at)
            ),
            StuckReason::NoWayOut => format!("no event or transition can leave `{state}`"),
        })
        .collect()
}
