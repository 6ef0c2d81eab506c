//! Spawn and send effects commit with their cause; a refused one becomes
//! an incident on the source and leaves the cause committed.

use flowkeeper::runtime::Target;
use flowkeeper::store::{IncidentKind, Store};
use serde_json::{Map, json};

use crate::support::{actor, harness};

on_both!(
    spawn_in_the_same_transaction,
    send_starts_then_delivers,
    refused_effects_open_incidents
);

async fn spawn_in_the_same_transaction(store: Store) {
    let h = harness(store).await;
    let ticket = h
        .runtime
        .create("ticket", "T-1", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    let reply = h
        .runtime
        .post_event(
            &Target::Id(ticket.id),
            "escalate",
            Map::new(),
            &actor("svc"),
            None,
        )
        .await
        .unwrap();
    assert_eq!(reply.instance.state, "escalated");
    let review = h
        .store
        .find_by_key("review", "T-1")
        .await
        .unwrap()
        .expect("spawned review");
    assert_eq!(review.state, "pending");
    assert_eq!(review.data["ticket"], json!("T-1"));
    let created = &h.store.history(review.id).await.unwrap()[0].entry;
    assert_eq!(created.actor, "workflow:ticket");
    assert!(
        h.store
            .incidents(Some(ticket.id), false)
            .await
            .unwrap()
            .is_empty()
    );
}

async fn send_starts_then_delivers(store: Store) {
    let h = harness(store).await;
    let ticket = h
        .runtime
        .create("ticket", "T-2", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    let target = Target::Id(ticket.id);
    h.runtime
        .post_event(&target, "ping_review", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    let review = h
        .store
        .find_by_key("review", "T-2")
        .await
        .unwrap()
        .expect("started by send");
    assert_eq!(review.data["pings"], json!(1));
    h.runtime
        .post_event(&target, "ping_review", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    let again = h.store.find_by_key("review", "T-2").await.unwrap().unwrap();
    assert_eq!(
        (again.id, again.data["pings"].clone()),
        (review.id, json!(2)),
        "delivered to the live one"
    );
}

async fn refused_effects_open_incidents(store: Store) {
    let h = harness(store).await;
    // A live review already holds the key the spawn wants.
    h.runtime
        .create("review", "T-3", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    let ticket = h
        .runtime
        .create("ticket", "T-3", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    let target = Target::Id(ticket.id);
    let reply = h
        .runtime
        .post_event(&target, "escalate", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    assert_eq!(
        reply.instance.state, "escalated",
        "the cause stays committed"
    );

    let other = h
        .runtime
        .create("ticket", "T-4", Map::new(), &actor("svc"), None)
        .await
        .unwrap();
    h.runtime
        .post_event(
            &Target::Id(other.id),
            "poke_missing",
            Map::new(),
            &actor("svc"),
            None,
        )
        .await
        .unwrap();

    let spawn = h.store.incidents(Some(ticket.id), true).await.unwrap();
    assert_eq!(spawn.len(), 1);
    assert_eq!(spawn[0].kind, IncidentKind::Spawn);
    assert!(spawn[0].message.contains("T-3"), "{}", spawn[0].message);
    let send = h.store.incidents(Some(other.id), true).await.unwrap();
    assert_eq!(send.len(), 1);
    assert_eq!(send[0].kind, IncidentKind::Send);
    assert!(send[0].message.contains("nobody"), "{}", send[0].message);
}
