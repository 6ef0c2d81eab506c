//! Instances keep the definition version they started with.

use std::sync::Arc;

use flowkeeper::runtime::{ManualClock, Runtime, Target};
use flowkeeper::store::Store;
use serde_json::Map;

use crate::support::{REVIEW, START, TICKET_V2, actor, catalog, harness};

on_both!(instances_keep_their_version_across_a_definition_change);

async fn instances_keep_their_version_across_a_definition_change(store: Store) {
    let h = harness(store.clone()).await;
    let old = h
        .runtime
        .create("ticket", "V-1", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    assert_eq!(old.version, 1);

    h.runtime
        .reload(catalog(&[TICKET_V2, REVIEW]), &actor("admin"))
        .await
        .unwrap();
    let new = h
        .runtime
        .create("ticket", "V-2", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    assert_eq!(new.version, 2);
    let closed_new = h
        .runtime
        .post_event(
            &Target::Id(new.id),
            "close",
            Map::new(),
            &actor("svc"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(closed_new.instance.state, "archived");

    // A restarted server that only knows version 2 still runs the old
    // instance on version 1, loaded from the store by hash.
    let restarted = Runtime::new(
        store,
        catalog(&[TICKET_V2, REVIEW]),
        Arc::new(ManualClock::new(START)),
    )
    .await
    .unwrap();
    let moved = restarted
        .post_event(&Target::Id(old.id), "wait", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    assert_eq!(
        moved.instance.state, "waiting",
        "`wait` only exists in version 1"
    );
    assert_eq!(moved.instance.version, 1);
    assert_eq!(
        restarted
            .definition_of(&moved.instance)
            .await
            .unwrap()
            .version,
        1
    );
}
