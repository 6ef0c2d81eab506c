//! The assessment's own copy of what it reads (the `assessment_facts`
//! table, migrations 0007 and 0013): the history lines an assessment can
//! read, one JSON line each, in chunks of at most [`CHUNK_LINES`] lines
//! per instance. The store appends to it in the statement group that
//! appends the history ([`record`], called by `history::insert`), so it is
//! written in the same transaction and never disagrees with the history.
//!
//! A year of one million history lines is ~100 000 chunks here: the read
//! is one index range, where reading the history itself walked two thirds
//! of a million rows through the driver one at a time (3.2 s,
//! `docs/assessment.md`). Chunks, not one row per instance, so that
//! appending a line rewrites at most a chunk, whatever the instance's age.
//! Instances come in no particular order (the counts do not depend on
//! it); each one's lines come in `seq` order.

use std::borrow::Cow;
use std::collections::VecDeque;

use futures_util::stream::{BoxStream, Fuse, StreamExt as _};
use serde::Deserialize;
use serde_json::value::RawValue;
use uuid::Uuid;

use super::db::{Backend, Db, Sql};
use super::history_data::parse_kind;
use super::{Store, StoreError, history_data};
use crate::engine::{HistoryData, HistoryEntry, HistoryKind, Millis};

pub(super) const TABLE: &str = "assessment_facts";

/// Which history rows and which row data an assessment can use, so that
/// only those are decoded: `action` rows, unreferenced events and most
/// event data never change a count.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowSelection {
    /// Workflows whose instances are assessed.
    pub workflows: Vec<String>,
    /// Whether `sla` rows (with their data) are read.
    pub sla: bool,
    /// Whether `created` rows are read.
    pub created: bool,
    /// `event`/`timer` rows of these events are read.
    pub events: Vec<String>,
    /// Rows that enter one of these states (`to_state` differs from
    /// `from_state`; kinds `created`, `event`, `timer`, `admin`) are read.
    pub states: Vec<String>,
    /// The data of `event`/`timer` rows of these events is read (a subset
    /// of `events`); other non-SLA rows come with `data` null.
    pub data_events: Vec<String>,
}

impl RowSelection {
    /// Whether no row can matter (no workflow, or nothing referenced).
    pub fn is_empty(&self) -> bool {
        let nothing_referenced =
            !self.sla && !self.created && self.events.is_empty() && self.states.is_empty();
        self.workflows.is_empty() || nothing_referenced
    }

    /// Whether a line is one the selection reads.
    fn reads(&self, line: &Line<'_>, kind: HistoryKind) -> bool {
        let named = |names: &[String], name: Option<&str>| {
            name.is_some_and(|name| names.iter().any(|n| n == name))
        };
        let event_like = matches!(kind, HistoryKind::Event | HistoryKind::Timer);
        let enters = matches!(
            kind,
            HistoryKind::Created | HistoryKind::Event | HistoryKind::Timer | HistoryKind::Admin
        ) && named(&self.states, line.to())
            && (line.from().is_none() || line.from() != line.to());
        (self.sla && kind == HistoryKind::Sla)
            || (self.created && kind == HistoryKind::Created)
            || (event_like && named(&self.events, line.event()))
            || enters
    }

    /// Whether the data of a line it reads is wanted.
    fn reads_data(&self, line: &Line<'_>, kind: HistoryKind) -> bool {
        kind == HistoryKind::Sla
            || (matches!(kind, HistoryKind::Event | HistoryKind::Timer)
                && line
                    .event()
                    .is_some_and(|event| self.data_events.iter().any(|e| e == event)))
    }
}

/// One history row as the assessment reads it.
#[derive(Debug, Clone, PartialEq)]
pub struct AssessmentRow {
    pub instance_id: Uuid,
    /// Increases within an instance.
    pub seq: i64,
    pub workflow: String,
    pub kind: HistoryKind,
    pub at: Millis,
    /// The event's name, for `event` and `timer` rows.
    pub event: Option<String>,
    pub from_state: Option<String>,
    /// The state after the entry.
    pub to_state: Option<String>,
    /// What the line recorded; `None` for rows whose data the selection
    /// does not ask for.
    pub data: Option<HistoryData>,
}

/// One line of `facts`: `[seq, kind, at, event, from_state, to_state,
/// data]`, borrowing from the text where it can. The data stays raw until
/// the selection wants it.
#[derive(Deserialize)]
struct Line<'a>(
    i64,
    #[serde(borrow)] Cow<'a, str>,
    Millis,
    #[serde(borrow)] Option<Cow<'a, str>>,
    #[serde(borrow)] Option<Cow<'a, str>>,
    #[serde(borrow)] Option<Cow<'a, str>>,
    #[serde(borrow)] Option<&'a RawValue>,
);

/// Named views of the tuple's fields.
impl Line<'_> {
    fn seq(&self) -> i64 {
        self.0
    }
    fn at(&self) -> Millis {
        self.2
    }
    fn event(&self) -> Option<&str> {
        self.3.as_deref()
    }
    fn from(&self) -> Option<&str> {
        self.4.as_deref()
    }
    fn to(&self) -> Option<&str> {
        self.5.as_deref()
    }
}

/// Lines per chunk of `assessment_facts` (migration 0013): appending a
/// line rewrites at most the chunk it goes to. A ticket's whole history
/// usually fits the first; line `seq` goes to chunk `(seq - 1) / CHUNK_LINES`.
const CHUNK_LINES: i64 = 16;

/// Instances longer than their head whose chunks one statement reads: a
/// bound on what is held at once, and on the placeholders of a statement.
const LONG_PER_READ: usize = 500;

/// The columns the read needs of a chunk; `facts` as the driver hands it
/// over. `last_chunk` is the head's (chunk 0's) only.
#[derive(sqlx::FromRow)]
struct FactsRow {
    instance_id: String,
    workflow: String,
    last_chunk: i64,
    facts: String,
}

impl Store {
    /// The history rows `selection` asks for, recorded before `to`, of each
    /// instance of its workflows that recorded something in `[from, to)`:
    /// one item per instance, its rows in `seq` order; instances in no
    /// particular order. Streamed: a year is never held at once.
    ///
    /// An instance without a row in the period cannot contribute: every
    /// count is anchored on a row in the period. Its earlier rows are still
    /// needed (who holds it, whether it was ever bounced); rows after the
    /// period's end are not.
    pub fn assessment_instances<'s>(
        &'s self,
        selection: &'s RowSelection,
        from: Millis,
        to: Millis,
    ) -> BoxStream<'s, Result<Vec<AssessmentRow>, StoreError>> {
        if selection.is_empty() {
            return futures_util::stream::empty().boxed();
        }
        let mut sql = Sql::new(
            "SELECT instance_id, workflow, last_chunk, facts FROM assessment_facts \
             WHERE chunk = 0 AND workflow IN (",
        );
        sql.push_list(&selection.workflows)
            .push(") AND last_at >= ")
            .push_bind(from)
            .push(" AND first_at < ")
            .push_bind(to);
        let reading = Reading {
            store: self,
            selection,
            period: (from, to),
            heads: self.pool.stream::<FactsRow>(sql).fuse(),
            long: Vec::new(),
            ready: VecDeque::new(),
        };
        futures_util::stream::unfold(reading, |mut reading| async move {
            let item = reading.next().await?;
            Some((item, reading))
        })
        .boxed()
    }
}

/// A read of the period's instances in two passes: the heads of the
/// period (one index range), each handed over at once when its instance
/// fits its head, as most do; then the instances longer than their head,
/// a few hundred at a time, their chunks in order.
struct Reading<'s> {
    store: &'s Store,
    selection: &'s RowSelection,
    /// `[from, to)`.
    period: (Millis, Millis),
    heads: Fuse<BoxStream<'s, Result<FactsRow, StoreError>>>,
    /// The ids of the instances longer than their head, read after the heads.
    long: Vec<String>,
    /// Long instances read and not handed over yet.
    ready: VecDeque<Vec<AssessmentRow>>,
}

impl Reading<'_> {
    /// The next instance with a row in the period.
    async fn next(&mut self) -> Option<Result<Vec<AssessmentRow>, StoreError>> {
        let (from, to) = self.period;
        loop {
            if let Some(rows) = self.ready.pop_front() {
                return Some(Ok(rows));
            }
            if let Some(head) = self.heads.next().await {
                let head = match head {
                    Ok(head) if head.last_chunk > 0 => {
                        self.long.push(head.instance_id);
                        continue;
                    }
                    Ok(head) => head,
                    Err(error) => return Some(Err(error)),
                };
                let mut instance = Gathered::default();
                let decoded = super::parse_id(&head.instance_id).and_then(|instance_id| {
                    instance.decode(instance_id, &head, self.selection, from, to)
                });
                match decoded {
                    Ok(()) => match instance.finish() {
                        Some(rows) => return Some(Ok(rows)),
                        None => continue,
                    },
                    Err(error) => return Some(Err(error)),
                }
            }
            if self.long.is_empty() {
                return None;
            }
            let batch = self
                .long
                .split_off(self.long.len().saturating_sub(LONG_PER_READ));
            if let Err(error) = self.read_long(&batch).await {
                return Some(Err(error));
            }
        }
    }

    /// Reads the chunks of the long instances `ids`, queueing those with a
    /// row in the period.
    async fn read_long(&mut self, ids: &[String]) -> Result<(), StoreError> {
        let (from, to) = self.period;
        let mut sql = Sql::new(
            "SELECT instance_id, workflow, last_chunk, facts FROM assessment_facts \
             WHERE instance_id IN (",
        );
        sql.push_list(ids)
            .push(") AND first_at < ")
            .push_bind(to)
            .push(" ORDER BY instance_id, chunk");
        let chunks: Vec<FactsRow> = self.store.db().fetch_all(sql).await?;
        let mut current: Option<(&str, Uuid, Gathered)> = None;
        for chunk in &chunks {
            if current
                .as_ref()
                .is_none_or(|(id, ..)| *id != chunk.instance_id)
            {
                let instance_id = super::parse_id(&chunk.instance_id)?;
                let done = current.replace((&chunk.instance_id, instance_id, Gathered::default()));
                self.ready
                    .extend(done.and_then(|(.., instance)| instance.finish()));
            }
            let (_, instance_id, instance) = current.as_mut().expect("set above");
            instance.decode(*instance_id, chunk, self.selection, from, to)?;
        }
        self.ready
            .extend(current.and_then(|(.., instance)| instance.finish()));
        Ok(())
    }
}

/// The rows of one instance read so far, chunk after chunk.
#[derive(Default)]
struct Gathered {
    /// Whether a line of `[from, to)` was among them.
    in_period: bool,
    rows: Vec<AssessmentRow>,
}

impl Gathered {
    /// Adds the rows of `chunk` (the instance's next) the selection reads,
    /// before `to`.
    fn decode(
        &mut self,
        instance_id: Uuid,
        chunk: &FactsRow,
        selection: &RowSelection,
        from: Millis,
        to: Millis,
    ) -> Result<(), StoreError> {
        for text in chunk.facts.lines() {
            let line: Line<'_> = serde_json::from_str(text)
                .map_err(|error| StoreError::Corrupt(format!("assessment facts: {error}")))?;
            if line.at() >= to {
                continue;
            }
            self.in_period |= line.at() >= from;
            let kind = parse_kind(&line.1)?;
            if !selection.reads(&line, kind) {
                continue;
            }
            let data = match line.6 {
                Some(raw) if selection.reads_data(&line, kind) => {
                    Some(history_data::decode_text(kind, raw.get())?)
                }
                _ => None,
            };
            self.rows.push(AssessmentRow {
                instance_id,
                seq: line.seq(),
                workflow: chunk.workflow.clone(),
                kind,
                at: line.at(),
                event: line.3.map(Cow::into_owned),
                from_state: line.4.map(Cow::into_owned),
                to_state: line.5.map(Cow::into_owned),
                data,
            });
        }
        Ok(())
    }

    /// The rows, if the instance recorded something in the period.
    fn finish(self) -> Option<Vec<AssessmentRow>> {
        self.in_period.then_some(self.rows)
    }
}

/// What one commit appends to one chunk: the facts text of its lines and
/// the span the chunk's row must grow to cover.
struct ChunkAppend {
    chunk: i64,
    first_at: Millis,
    last_at: Millis,
    facts: String,
}

/// Appends the facts of `entries` (lines `first_seq`, `first_seq + 1`, …
/// of the instance's history) to the instance's chunks, in one statement:
/// the chunks the lines go to, and the head (chunk 0), whose span covers
/// the whole instance and whose `last_chunk` counts the chunks after it,
/// even when no line goes to it. Called where the history is inserted,
/// inside the same transaction.
pub(super) async fn record(
    db: &mut Db<'_>,
    instance_id: Uuid,
    workflow: &str,
    first_seq: i64,
    entries: &[HistoryEntry],
) -> Result<(), StoreError> {
    let mut chunks: Vec<ChunkAppend> = Vec::new();
    for (seq, entry) in (first_seq..).zip(entries) {
        let kind = entry.kind();
        if kind == HistoryKind::Action {
            continue;
        }
        // In the history's stored form, so both decode alike.
        let data = match kind {
            HistoryKind::Event | HistoryKind::Timer | HistoryKind::Sla => {
                Some(history_data::stored(&entry.data)?)
            }
            _ => None,
        };
        let line = (
            seq,
            kind.as_str(),
            entry.at,
            &entry.event,
            &entry.from,
            &entry.to,
            data,
        );
        let text = serde_json::to_string(&line)
            .map_err(|error| StoreError::Corrupt(format!("cannot encode JSON: {error}")))?;
        let chunk = (seq - 1) / CHUNK_LINES;
        let append = match chunks.iter().position(|append| append.chunk == chunk) {
            Some(index) => &mut chunks[index],
            None => {
                chunks.push(ChunkAppend {
                    chunk,
                    first_at: entry.at,
                    last_at: entry.at,
                    facts: String::new(),
                });
                chunks.last_mut().expect("just pushed")
            }
        };
        append.first_at = append.first_at.min(entry.at);
        append.last_at = append.last_at.max(entry.at);
        append.facts.push_str(&text);
        append.facts.push('\n');
    }
    let (Some(first_at), Some(last_at), Some(last_chunk)) = (
        chunks.iter().map(|append| append.first_at).min(),
        chunks.iter().map(|append| append.last_at).max(),
        chunks.iter().map(|append| append.chunk).max(),
    ) else {
        return Ok(());
    };
    // The head spans every line of this commit, whichever chunk it went to.
    let head_facts = match chunks.iter().position(|append| append.chunk == 0) {
        Some(index) => chunks.swap_remove(index).facts,
        None => String::new(),
    };
    let head = ChunkAppend {
        chunk: 0,
        first_at,
        last_at,
        facts: head_facts,
    };
    let (least, greatest) = match db.backend() {
        Backend::Sqlite => ("min", "max"),
        Backend::Postgres => ("LEAST", "GREATEST"),
    };
    let mut sql = Sql::new(
        "INSERT INTO assessment_facts \
         (instance_id, chunk, workflow, first_at, last_at, last_chunk, facts) VALUES ",
    );
    for (index, append) in std::iter::once(head).chain(chunks).enumerate() {
        if index > 0 {
            sql.push(", ");
        }
        let last_chunk = if append.chunk == 0 { last_chunk } else { 0 };
        sql.push("(").push_bind(instance_id);
        sql.push(", ").push_bind(append.chunk);
        sql.push(", ").push_bind(workflow);
        sql.push(", ").push_bind(append.first_at);
        sql.push(", ").push_bind(append.last_at);
        sql.push(", ").push_bind(last_chunk);
        sql.push(", ").push_bind(append.facts);
        sql.push(")");
    }
    sql.push(&format!(
        " ON CONFLICT (instance_id, chunk) DO UPDATE SET \
         facts = assessment_facts.facts || excluded.facts, \
         first_at = {least}(assessment_facts.first_at, excluded.first_at), \
         last_at = {greatest}(assessment_facts.last_at, excluded.last_at), \
         last_chunk = {greatest}(assessment_facts.last_chunk, excluded.last_chunk)"
    ));
    db.execute(sql).await?;
    Ok(())
}
