//! The audit log (the `audit` and `audit_head` tables, migration 0006).
//!
//! [`WriteTx::append_audit`] is the only way in: it seals an entry onto the
//! chain's head inside the caller's transaction, so the entry commits with
//! the change it records or not at all. On PostgreSQL the head row is
//! locked until commit, which puts concurrent writers' entries in commit
//! order; SQLite writers are serialized already. Triggers refuse every
//! update and delete of an entry.

use futures_util::TryStreamExt as _;
use serde_json::Value as Json;

use super::db::{Db, Sql};
use super::{Store, StoreError, WriteTx};
use crate::audit::{AuditAction, AuditDraft, AuditEntry, ChainCheck, ChainVerifier, canonical};
use crate::engine::Millis;

pub(super) const TABLE: &str = "audit";
pub(super) const HEAD_TABLE: &str = "audit_head";

const COLUMNS: &str = "seq, at, actor, action, target, detail, remote_addr, hash";

/// An `audit` row as read. `detail` is the JSON text that was hashed.
#[derive(sqlx::FromRow)]
struct AuditRow {
    seq: i64,
    at: i64,
    actor: String,
    action: String,
    target: String,
    detail: String,
    remote_addr: Option<String>,
    hash: String,
}

impl From<AuditRow> for AuditEntry {
    /// A detail that is not JSON (only a tampered row has one) is kept as a
    /// string, so verification names the entry instead of failing to read.
    fn from(row: AuditRow) -> Self {
        let detail = serde_json::from_str(&row.detail).unwrap_or(Json::String(row.detail));
        AuditEntry {
            seq: row.seq,
            at: row.at,
            actor: row.actor,
            action: row.action,
            target: row.target,
            detail,
            remote_addr: row.remote_addr,
            hash: row.hash,
        }
    }
}

/// Which entries a listing returns, oldest first; every filter optional.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// `at >= from`.
    pub from: Option<Millis>,
    /// `at < to`.
    pub to: Option<Millis>,
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target: Option<String>,
    /// 1 to 500.
    pub limit: u32,
    pub cursor: Option<AuditCursor>,
}

/// Where the next page of a listing starts: after this entry. Opaque to
/// clients, who hand back what a page gave them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditCursor(i64);

impl AuditCursor {
    pub fn encode(self) -> String {
        format!("s{}", self.0)
    }

    /// `None` when the text is not a cursor this server gave out.
    pub fn decode(text: &str) -> Option<Self> {
        let seq: i64 = text.strip_prefix('s')?.parse().ok()?;
        (seq >= 0).then_some(Self(seq))
    }
}

/// One page of entries; `next_cursor` is `None` on the last page.
#[derive(Debug, Clone, PartialEq)]
pub struct AuditPage {
    pub entries: Vec<AuditEntry>,
    pub next_cursor: Option<AuditCursor>,
}

/// The actions the weekly report reads; the rest (instance events, which
/// are most of the log) it leaves alone.
const REPORTED: [AuditAction; 15] = [
    AuditAction::SessionFail,
    AuditAction::SessionLock,
    AuditAction::AccountCreate,
    AuditAction::AccountUpdate,
    AuditAction::AccountDisable,
    AuditAction::TokenIssue,
    AuditAction::TokenRevoke,
    AuditAction::InstanceCancel,
    AuditAction::InstanceMove,
    AuditAction::InstanceMigrate,
    AuditAction::ClockMove,
    AuditAction::WorkflowsReload,
    AuditAction::BackupFail,
    AuditAction::BackupRestore,
    AuditAction::BackupCreate,
];

impl WriteTx {
    /// Appends `draft` as the next entry, stamped `at`, in this
    /// transaction; returns the sealed entry. Call it last in a
    /// transaction: on PostgreSQL it holds the chain's head until commit.
    pub async fn append_audit(
        &mut self,
        draft: AuditDraft,
        at: Millis,
    ) -> Result<AuditEntry, StoreError> {
        let mut db = self.db();
        let lock = db.backend().lock_row();
        let head = Sql::new(format!(
            "SELECT seq, hash FROM audit_head WHERE id = 1{lock}"
        ));
        let (seq, previous): (i64, String) = db.fetch_one(head).await?;
        let entry = draft.seal(seq + 1, at, &previous);
        let insert = Sql::new(format!(
            "INSERT INTO audit ({COLUMNS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)"
        ))
        .bind(entry.seq)
        .bind(entry.at)
        .bind(entry.actor.as_str())
        .bind(entry.action.as_str())
        .bind(entry.target.as_str())
        .bind(canonical(&entry.detail))
        .bind(entry.remote_addr.as_deref())
        .bind(entry.hash.as_str());
        db.execute(insert).await?;
        let advance = Sql::new("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(entry.seq)
            .bind(entry.hash.as_str());
        db.execute(advance).await?;
        Ok(entry)
    }

    /// Appends `drafts` in order, all stamped `at`, as [`Self::append_audit`]
    /// would one by one, in three statements whatever their number: group
    /// commit appends the entries of a whole batch just before its commit,
    /// so that on PostgreSQL the chain's head is held only for that.
    pub async fn append_audits(
        &mut self,
        drafts: Vec<AuditDraft>,
        at: Millis,
    ) -> Result<(), StoreError> {
        if drafts.is_empty() {
            return Ok(());
        }
        let mut db = self.db();
        let lock = db.backend().lock_row();
        let head = Sql::new(format!(
            "SELECT seq, hash FROM audit_head WHERE id = 1{lock}"
        ));
        let (mut seq, mut previous): (i64, String) = db.fetch_one(head).await?;
        let mut entries = Vec::with_capacity(drafts.len());
        for draft in drafts {
            let entry = draft.seal(seq + 1, at, &previous);
            seq = entry.seq;
            previous.clone_from(&entry.hash);
            entries.push((canonical(&entry.detail), entry));
        }
        let mut insert = Sql::new(format!("INSERT INTO audit ({COLUMNS}) VALUES "));
        for (n, (detail, entry)) in entries.iter().enumerate() {
            if n > 0 {
                insert.push(", ");
            }
            insert.push("(").push_bind(entry.seq);
            insert.push(", ").push_bind(entry.at);
            insert.push(", ").push_bind(entry.actor.as_str());
            insert.push(", ").push_bind(entry.action.as_str());
            insert.push(", ").push_bind(entry.target.as_str());
            insert.push(", ").push_bind(detail.as_str());
            insert.push(", ").push_bind(entry.remote_addr.as_deref());
            insert.push(", ").push_bind(entry.hash.as_str());
            insert.push(")");
        }
        db.execute(insert).await?;
        let advance = Sql::new("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
            .bind(seq)
            .bind(previous.as_str());
        db.execute(advance).await?;
        Ok(())
    }
}

impl Store {
    /// A page of entries matching `query`, oldest first.
    pub async fn audit_page(&self, query: &AuditQuery) -> Result<AuditPage, StoreError> {
        let limit = query.limit.clamp(1, 500);
        let mut sql = Sql::new(format!("SELECT {COLUMNS} FROM audit WHERE seq > "));
        sql.push_bind(query.cursor.map_or(0, |cursor| cursor.0));
        if let Some(from) = query.from {
            sql.push(" AND at >= ").push_bind(from);
        }
        if let Some(to) = query.to {
            sql.push(" AND at < ").push_bind(to);
        }
        for (column, value) in [
            ("actor", &query.actor),
            ("action", &query.action),
            ("target", &query.target),
        ] {
            if let Some(value) = value {
                sql.push(&format!(" AND {column} = "))
                    .push_bind(value.as_str());
            }
        }
        sql.push(" ORDER BY seq LIMIT ")
            .push_bind(i64::from(limit) + 1);
        let mut entries = entries(&mut self.db(), sql).await?;
        let next_cursor = if entries.len() > limit as usize {
            entries.truncate(limit as usize);
            entries.last().map(|entry| AuditCursor(entry.seq))
        } else {
            None
        };
        Ok(AuditPage {
            entries,
            next_cursor,
        })
    }

    /// Recomputes the whole chain, streaming it in `seq` order, and holds
    /// its end against the head (entries removed at the end are named too).
    pub async fn verify_audit(&self) -> Result<ChainCheck, StoreError> {
        let head = Sql::new("SELECT seq, hash FROM audit_head WHERE id = 1");
        let (last_seq, _): (i64, String) = self.db().fetch_one(head).await?;
        let sql = Sql::new(format!("SELECT {COLUMNS} FROM audit ORDER BY seq"));
        let mut rows = self.pool.stream::<AuditRow>(sql);
        let mut verifier = ChainVerifier::default();
        while let Some(row) = rows.try_next().await? {
            verifier.feed(&AuditEntry::from(row));
        }
        Ok(verifier.finish(Some(last_seq)))
    }

    /// When sign-ins for `name` failed since `since` (for the lock-out).
    pub async fn sign_in_failures(
        &self,
        name: &str,
        since: Millis,
    ) -> Result<Vec<Millis>, StoreError> {
        let sql = Sql::new(
            "SELECT at FROM audit WHERE actor = $1 AND action = $2 AND at > $3 ORDER BY at",
        )
        .bind(name)
        .bind(AuditAction::SessionFail.as_str())
        .bind(since);
        let rows: Vec<(i64,)> = self.db().fetch_all(sql).await?;
        Ok(rows.into_iter().map(|(at,)| at).collect())
    }

    /// The entries the weekly report reads, `from <= at < to`, in order.
    pub async fn audit_for_report(
        &self,
        from: Millis,
        to: Millis,
    ) -> Result<Vec<AuditEntry>, StoreError> {
        let mut sql = Sql::new(format!(
            "SELECT {COLUMNS} FROM audit WHERE at >= $1 AND at < $2 AND action IN ("
        ))
        .bind(from)
        .bind(to);
        sql.push_list(REPORTED.map(AuditAction::as_str))
            .push(") ORDER BY seq");
        entries(&mut self.db(), sql).await
    }

    /// When `action` was last recorded before `before`, if ever.
    pub async fn last_audit_at(
        &self,
        action: AuditAction,
        before: Millis,
    ) -> Result<Option<Millis>, StoreError> {
        let sql = Sql::new("SELECT MAX(at) FROM audit WHERE action = $1 AND at < $2")
            .bind(action.as_str())
            .bind(before);
        let (at,): (Option<i64>,) = self.db().fetch_one(sql).await?;
        Ok(at)
    }
}

async fn entries(db: &mut Db<'_>, sql: Sql<'_>) -> Result<Vec<AuditEntry>, StoreError> {
    let rows: Vec<AuditRow> = db.fetch_all(sql).await?;
    Ok(rows.into_iter().map(AuditEntry::from).collect())
}
