//! The credential cache across processes: two runtimes with a store (and
//! so a cache) each on one database, as two `serve` processes or a server
//! and the CLI would be. A change made through one is refused by the other
//! on its very next request, though it had the credential cached.

use std::sync::Arc;

use flowkeeper::accounts::{
    AccountChange, AccountDraft, AccountName, Password, PasswordHash, Role,
};
use flowkeeper::engine::Actor;
use flowkeeper::runtime::{
    Credential, Principal, Runtime, RuntimeError, SignIn, SystemClock, TokenGrant,
};
use flowkeeper::store::{Store, StoreOptions};

use crate::support::{TICKET_V1, TestDb, catalog};

on_both_db!(
    another_process_refuses_a_revoked_token_at_once,
    another_process_refuses_a_disabled_account_at_once,
    another_process_refuses_a_signed_out_session_at_once
);

fn engine() -> Principal {
    Principal::Trusted(Actor::Engine)
}

/// This process's runtime on `db`'s store, and another's on a store of its
/// own (its own pool and cache) on the same database.
async fn two_processes(db: &TestDb) -> (Runtime, Runtime) {
    let options = StoreOptions {
        schema: db.schema.clone(),
        max_connections: 4,
        ..StoreOptions::new(db.url.clone())
    };
    let other = Store::connect_with(&options).await.unwrap();
    let mut runtimes = Vec::new();
    for store in [db.store.clone(), other] {
        let runtime = Runtime::new(store, catalog(&[TICKET_V1]), Arc::new(SystemClock))
            .await
            .unwrap();
        runtimes.push(runtime);
    }
    let there = runtimes.pop().unwrap();
    let here = runtimes.pop().unwrap();
    (here, there)
}

async fn account_with_token(runtime: &Runtime, name: &str, role: Role) -> String {
    let draft = AccountDraft {
        name: AccountName::parse(name).unwrap(),
        role,
        teams: vec!["desk".into()],
        title: name.into(),
        password: Some(PasswordHash::create(
            &Password::parse("correct horse battery").unwrap(),
        )),
        expires_at: None,
        approval: None,
        emergency: false,
    };
    runtime.create_account(draft, engine()).await.unwrap();
    let grant = TokenGrant {
        account: AccountName::parse(name).unwrap(),
        name: "ci".into(),
        role: None,
        expires_in: None,
    };
    let (secret, _) = runtime.issue_token(grant, engine()).await.unwrap();
    secret.expose().to_owned()
}

fn refused(result: Result<impl std::fmt::Debug, RuntimeError>) -> bool {
    matches!(result, Err(RuntimeError::Unauthenticated(_)))
}

async fn another_process_refuses_a_revoked_token_at_once(db: &TestDb) {
    let (here, there) = two_processes(db).await;
    let token = account_with_token(&here, "olga", Role::Operator).await;
    // Both have it cached now.
    for _ in 0..2 {
        there.authenticate(&token).await.unwrap();
        here.authenticate(&token).await.unwrap();
    }
    let Credential::Token(id) = there.authenticate(&token).await.unwrap().credential else {
        panic!("an API token");
    };
    here.revoke_token(id, engine()).await.unwrap();
    assert!(refused(there.authenticate(&token).await));
    assert!(refused(here.authenticate(&token).await));
}

async fn another_process_refuses_a_disabled_account_at_once(db: &TestDb) {
    let (here, there) = two_processes(db).await;
    let token = account_with_token(&here, "vera", Role::Admin).await;
    let seen = here.authenticate(&token).await.unwrap();
    assert_eq!(seen.account.role, Role::Admin);
    there.authenticate(&token).await.unwrap();
    // A role change made there is seen here at once...
    let demote = AccountChange {
        role: Some(Role::Viewer),
        ..AccountChange::default()
    };
    there
        .update_account("vera", demote, engine())
        .await
        .unwrap();
    assert_eq!(
        here.authenticate(&token).await.unwrap().account.role,
        Role::Viewer
    );
    // ...and so is disabling the account: its token stops working.
    let disable = AccountChange {
        disabled: Some(true),
        ..AccountChange::default()
    };
    there
        .update_account("vera", disable, engine())
        .await
        .unwrap();
    assert!(refused(here.authenticate(&token).await));
    assert!(refused(there.authenticate(&token).await));
}

async fn another_process_refuses_a_signed_out_session_at_once(db: &TestDb) {
    let (here, there) = two_processes(db).await;
    account_with_token(&here, "nora", Role::Operator).await;
    let SignIn::Granted(session) = here
        .sign_in("nora", "correct horse battery".into(), None)
        .await
        .unwrap()
    else {
        panic!("the right password signs in");
    };
    let secret = session.secret.expose().to_owned();
    let known = there.authenticate(&secret).await.unwrap();
    here.authenticate(&secret).await.unwrap();
    let Credential::Session(id) = known.credential else {
        panic!("a session");
    };
    here.sign_out(id, engine()).await.unwrap();
    assert!(refused(there.authenticate(&secret).await));
}
