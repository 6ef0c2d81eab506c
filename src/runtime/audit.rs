//! The audit log from the runtime's side: every change a command makes is
//! recorded by [`Change::commit`] and appended, in the command's
//! transaction, when the command is done ([`Runtime::execute`]); changes
//! outside commands (accounts, tokens, sessions, reloads, clock moves,
//! backups) append theirs with `WriteTx::append_audit` in their own
//! transaction, or with [`Runtime::record`] when there is no other write.
//!
//! Entries are stamped with the real clock: a manual clock moved for a
//! test or a demonstration does not move when things really happened.

use jiff::tz::TimeZone;
use serde_json::{Map, Value as Json, json};

use super::change::Change;
use super::{Runtime, RuntimeError};
use crate::accounts::AccountPolicy;
use crate::audit::{AuditAction, AuditDraft, AuditEntry, ChainCheck, target};
use crate::engine::{Actor, Millis, Outcome};
use crate::security_report::{IsoWeek, ReportInput, SecurityReport, compute};
use crate::store::Store;

/// The audit entry of a change to an instance: who, which instance, and
/// what happened to it (`extra` adds the command's own facts: a reason, a
/// timer's name).
pub fn instance_change(
    action: AuditAction,
    actor: &Actor,
    remote_addr: Option<&str>,
    outcome: &Outcome,
    extra: Json,
) -> AuditDraft {
    let instance = &outcome.instance;
    let mut detail = Map::new();
    detail.insert("workflow".into(), instance.workflow.to_string().into());
    detail.insert("key".into(), instance.key.to_string().into());
    if let Some(transition) = &outcome.transition {
        detail.insert("event".into(), transition.event.to_string().into());
        detail.insert("from".into(), transition.from.to_string().into());
    }
    detail.insert("state".into(), instance.state.to_string().into());
    if let Json::Object(extra) = extra {
        detail.extend(extra);
    }
    AuditDraft::new(action, actor.to_string(), target::instance(instance.id))
        .with_detail(Json::Object(detail))
        .with_remote_addr(remote_addr.map(str::to_owned))
}

impl Change<'_> {
    /// Appends the entries of the command's changes, stamped with the real
    /// clock. Last in the command, so that on PostgreSQL the chain's head is
    /// held only from here to the commit.
    pub(super) async fn flush_audit(&mut self) -> Result<(), RuntimeError> {
        let at = self.runtime().real_now();
        for draft in std::mem::take(&mut self.audit) {
            self.tx().append_audit(draft, at).await?;
        }
        Ok(())
    }
}

impl Runtime {
    /// The real clock's now (the system clock, also under a manual clock):
    /// what account expiry and the audit log are judged and stamped by.
    pub fn real_now(&self) -> Millis {
        self.real_clock.now()
    }

    /// Records `draft` in a transaction of its own, for a change that has no
    /// other write in this database (a backup taken, a failed backup).
    pub async fn record(&self, draft: AuditDraft) -> Result<AuditEntry, RuntimeError> {
        let mut tx = self.store.begin().await?;
        let entry = tx.append_audit(draft, self.real_now()).await?;
        tx.commit().await?;
        Ok(entry)
    }

    /// Records that the workflow files were reloaded: which versions are
    /// now loaded.
    pub(super) async fn record_reload(&self, by: &super::Principal) -> Result<(), RuntimeError> {
        let versions: Map<String, Json> = self
            .catalog()
            .iter()
            .map(|definition| (definition.id.clone(), json!(definition.version)))
            .collect();
        let draft = AuditDraft::new(
            AuditAction::WorkflowsReload,
            by.actor().to_string(),
            target::WORKFLOWS,
        )
        .with_detail(json!({ "versions": versions }))
        .with_remote_addr(by.remote_addr().map(str::to_owned));
        self.record(draft).await.map(|_| ())
    }

    /// Recomputes the audit chain; names the first entry that does not match.
    pub async fn verify_audit(&self) -> Result<ChainCheck, RuntimeError> {
        Ok(self.store.verify_audit().await?)
    }

    /// The weekly security report for `week` in `zone`.
    pub async fn security_report(
        &self,
        week: IsoWeek,
        zone: &TimeZone,
    ) -> Result<SecurityReport, RuntimeError> {
        security_report(
            &self.store,
            week,
            zone,
            &self.config.accounts,
            self.real_now(),
        )
        .await
    }
}

/// The weekly security report from what `store` holds, judged at
/// `real_now` (for `flowkeeper security-report`, which runs no runtime).
pub async fn security_report(
    store: &Store,
    week: IsoWeek,
    zone: &TimeZone,
    policy: &AccountPolicy,
    real_now: Millis,
) -> Result<SecurityReport, RuntimeError> {
    let (from, to) = week.bounds(zone)?;
    let entries = store.audit_for_report(from, to).await?;
    let accounts = store.accounts().await?;
    let last_backup = store.last_audit_at(AuditAction::BackupCreate, to).await?;
    let chain = store.verify_audit().await?;
    Ok(compute(&ReportInput {
        week,
        zone,
        entries: &entries,
        accounts: &accounts,
        policy,
        last_backup,
        chain,
        now: real_now,
    })?)
}
