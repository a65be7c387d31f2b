//! Multi-row statements for the hub's two bulk paths: the intake writer's batch of new
//! appeals and the job runner's batch of escalations.
//!
//! Each function writes many rows in one statement (or a few, in chunks), so a batch of a
//! few hundred appeals costs a handful of round trips to the database instead of a dozen
//! per appeal. The callers keep the per-appeal path as their fallback: when a batch
//! statement fails (a constraint, a conflict), they roll the batch back and store or
//! escalate its appeals one by one, so one bad appeal never fails its neighbours.
//!
//! The invariants are those of the single-row functions in `appeals.rs`: an appeal's row,
//! its first (or next) event with its chain hash, and its work-queue entries are written
//! together; an update is guarded by the appeal's `version`.

use std::collections::{HashMap, HashSet};

use sqlx::{AnyConnection, Row};

use super::appeals::{AppealRecord, INSERT_COLUMNS, NewEvent, co_handlers_of_many, first_event_hash, insert_values};
use super::jobs::NewJob;
use super::notifications::NewNotification;
use super::sql::{SqlBuilder, Value};
use super::supervision::NewSupervisionNotice;
use super::{Dialect, Result, StorageError};
use crate::domain::history::GENESIS_HASH;

/// Rows per multi-row statement: a few thousand bound values at most (SQLite allows
/// 32,766, PostgreSQL 65,535), and statements short enough to stay cheap to prepare.
const ROWS_PER_STATEMENT: usize = 250;

/// Takes `count` consecutive numbers of the day's sequence; returns the first.
pub async fn reserve_daily_sequences(transaction: &mut AnyConnection, day: &str, count: i64) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO number_counters (day, last_value) VALUES ($1, $2) \
         ON CONFLICT (day) DO UPDATE SET last_value = number_counters.last_value + excluded.last_value RETURNING last_value",
    )
    .bind(day)
    .bind(count)
    .fetch_one(&mut *transaction)
    .await?;
    let last: i64 = row.try_get(0)?;
    Ok(last - count + 1)
}

/// A new appeal of an intake batch: its record (numbered, with its secret's hash), its
/// first event, and the clock fields intake sets.
pub struct NewAppealRow<'a> {
    pub appeal: &'a AppealRecord,
    pub first_event: &'a NewEvent,
    pub policy_version: i64,
    pub warn_ms: i64,
}

/// Inserts new appeals with their first events and work-queue entries. Returns the
/// stored records in the order given.
pub async fn insert_new_appeals(transaction: &mut AnyConnection, rows: &[NewAppealRow<'_>]) -> Result<Vec<AppealRecord>> {
    let dialect = Dialect::of(transaction);
    let mut stored: Vec<AppealRecord> = Vec::with_capacity(rows.len());
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let mut builder = SqlBuilder::for_many_rows(dialect, "INSERT INTO appeals (");
        builder.push(INSERT_COLUMNS).push(", policy_version, warn_ms) VALUES ");
        let mut hashes = Vec::with_capacity(chunk.len());
        for (index, row) in chunk.iter().enumerate() {
            let hash = first_event_hash(row.appeal, row.first_event);
            let mut values = insert_values(row.appeal, &hash)?;
            values.push(row.policy_version.into());
            values.push(row.warn_ms.into());
            builder.push_row(index == 0, values);
            hashes.push(hash);
        }
        builder.push(" RETURNING id, number");
        // The order of RETURNING rows is not promised; match them by number.
        let returned = builder.query().fetch_all(&mut *transaction).await?;
        let mut ids: HashMap<String, i64> = HashMap::with_capacity(returned.len());
        for row in &returned {
            ids.insert(row.try_get(1)?, row.try_get(0)?);
        }
        for (row, hash) in chunk.iter().zip(hashes) {
            let id = *ids
                .get(&row.appeal.number)
                .ok_or_else(|| StorageError::Corrupt(format!("appeal {} was not returned by its insert", row.appeal.number)))?;
            let mut record = row.appeal.clone();
            record.id = id;
            record.version = 0;
            record.event_count = 1;
            record.head_hash = hash;
            stored.push(record);
        }
    }
    let events: Vec<ChainedEvent<'_>> = rows
        .iter()
        .zip(&stored)
        .map(|(row, record)| ChainedEvent {
            appeal_id: record.id,
            seq: 1,
            event: row.first_event,
            prev_hash: GENESIS_HASH,
            hash: &record.head_hash,
        })
        .collect();
    insert_events(transaction, &events).await?;
    let records: Vec<&AppealRecord> = stored.iter().collect();
    insert_work_queue(transaction, &records).await?;
    Ok(stored)
}

/// One event to append, with its place in its appeal's chain.
pub struct ChainedEvent<'a> {
    pub appeal_id: i64,
    pub seq: i64,
    pub event: &'a NewEvent,
    pub prev_hash: &'a str,
    pub hash: &'a str,
}

/// Appends events to their appeals' chains.
pub async fn insert_events(transaction: &mut AnyConnection, events: &[ChainedEvent<'_>]) -> Result<()> {
    let dialect = Dialect::of(transaction);
    for chunk in events.chunks(ROWS_PER_STATEMENT) {
        let mut builder = SqlBuilder::for_many_rows(
            dialect,
            "INSERT INTO appeal_events (appeal_id, seq, kind, actor, actor_user_id, actor_unit_id, at_ms, reason, payload, prev_hash, hash) VALUES ",
        );
        for (index, chained) in chunk.iter().enumerate() {
            let event = chained.event;
            builder.push_row(
                index == 0,
                [
                    chained.appeal_id.into(),
                    chained.seq.into(),
                    event.kind.clone().into(),
                    event.actor.clone().into(),
                    event.actor_user_id.into(),
                    event.actor_unit_id.into(),
                    event.at_ms.into(),
                    event.reason.clone().into(),
                    event.payload_json.clone().into(),
                    chained.prev_hash.into(),
                    chained.hash.into(),
                ],
            );
        }
        builder.query().execute(&mut *transaction).await?;
    }
    Ok(())
}

/// The work-queue entries of open appeals: one per (unit, appeal) for the owner, the
/// lead and the co-handlers, keyed by the next deadline (as `appeals::sync_work_queue`).
async fn insert_work_queue(transaction: &mut AnyConnection, appeals: &[&AppealRecord]) -> Result<()> {
    let dialect = Dialect::of(transaction);
    let mut entries: Vec<(i64, i64, i64)> = Vec::new();
    for appeal in appeals.iter().filter(|appeal| appeal.status.is_open()) {
        let mut units: Vec<i64> =
            appeal.owner_unit_id.into_iter().chain(appeal.lead_unit_id).chain(appeal.co_unit_ids.iter().copied()).collect();
        units.sort_unstable();
        units.dedup();
        entries.extend(units.into_iter().map(|unit| (unit, appeal.id, appeal.next_deadline_ms)));
    }
    for chunk in entries.chunks(ROWS_PER_STATEMENT * 2) {
        let mut builder = SqlBuilder::for_many_rows(dialect, "INSERT INTO work_queue (unit_id, appeal_id, due_ms) VALUES ");
        for (index, (unit, appeal, due)) in chunk.iter().enumerate() {
            builder.push_row(index == 0, [(*unit).into(), (*appeal).into(), (*due).into()]);
        }
        builder.query().execute(&mut *transaction).await?;
    }
    Ok(())
}

/// Replaces the work-queue entries of appeals whose deadline or owner changed.
pub async fn replace_work_queue(transaction: &mut AnyConnection, appeals: &[&AppealRecord]) -> Result<()> {
    let dialect = Dialect::of(transaction);
    for chunk in appeals.chunks(ROWS_PER_STATEMENT * 2) {
        let mut builder = SqlBuilder::for_many_rows(dialect, "DELETE FROM work_queue WHERE appeal_id IN ");
        builder.push_row(true, chunk.iter().map(|appeal| Value::from(appeal.id)));
        builder.query().execute(&mut *transaction).await?;
    }
    insert_work_queue(transaction, appeals).await
}

/// Stores the responses of idempotent requests; a key already stored is skipped.
/// Returns how many were stored (fewer than given means a key was taken).
pub async fn store_idempotent_responses(
    transaction: &mut AnyConnection,
    responses: &[(&str, &str, u16, String)],
    now_ms: i64,
) -> Result<usize> {
    let dialect = Dialect::of(transaction);
    let mut stored = 0;
    for chunk in responses.chunks(ROWS_PER_STATEMENT) {
        let mut builder =
            SqlBuilder::for_many_rows(dialect, "INSERT INTO idempotency_keys (key, request_hash, status, body, created_ms) VALUES ");
        for (index, (key, hash, status, body)) in chunk.iter().enumerate() {
            builder.push_row(index == 0, [(*key).into(), (*hash).into(), i64::from(*status).into(), body.clone().into(), now_ms.into()]);
        }
        builder.push(" ON CONFLICT (key) DO NOTHING");
        stored += builder.query().execute(&mut *transaction).await?.rows_affected() as usize;
    }
    Ok(stored)
}

/// What `load_appeals_for_update` does, on PostgreSQL, with a row another transaction
/// holds. (SQLite has one writer at a time: nothing is ever held.)
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeldRows {
    /// Wait for it: the job path, where a job must see its appeal.
    Wait,
    /// Leave it out: the sweep, whose next pass finds the appeal again if it is still due.
    Skip,
}

/// The lock clause of a read of rows that the transaction will write, for `held`.
fn lock_clause(dialect: Dialect, held: HeldRows) -> &'static str {
    match (dialect, held) {
        (Dialect::Postgres, HeldRows::Wait) => " FOR UPDATE",
        (Dialect::Postgres, HeldRows::Skip) => " FOR UPDATE SKIP LOCKED",
        (Dialect::Sqlite, _) => "",
    }
}

/// Loads appeals by id inside a write transaction, with their co-handlers, the policy
/// version each keeps and its warning instant. On PostgreSQL the rows are locked until
/// the transaction ends, so a concurrent writer waits instead of failing the batch's
/// version check; a row another transaction holds is waited for or left out (`held`).
pub async fn load_appeals_for_update(
    transaction: &mut AnyConnection,
    ids: &[i64],
    held: HeldRows,
) -> Result<Vec<(AppealRecord, Option<i64>, Option<i64>)>> {
    load_appeals_in(transaction, ids, Some(held)).await
}

/// Loads appeals as `load_appeals_for_update` does, without locking them: for a batch
/// decided before its write transaction, whose guarded update (`update_escalated`) then
/// writes only the appeals still at the version they were loaded with.
pub async fn load_appeals_unlocked(connection: &mut AnyConnection, ids: &[i64]) -> Result<Vec<(AppealRecord, Option<i64>, Option<i64>)>> {
    load_appeals_in(connection, ids, None).await
}

/// Locks appeals inside a write transaction (PostgreSQL; SQLite's write lock covers every
/// row already) and returns the ids locked. A row another transaction holds is waited for
/// or left out (`held`): the sweep leaves out, before its update, the rows of a batch
/// decided ahead that another transaction holds.
pub async fn lock_appeals(transaction: &mut AnyConnection, ids: &[i64], held: HeldRows) -> Result<HashSet<i64>> {
    let dialect = Dialect::of(transaction);
    let mut locked = HashSet::with_capacity(ids.len());
    for chunk in ids.chunks(ROWS_PER_STATEMENT * 2) {
        let mut builder = SqlBuilder::for_many_rows(dialect, "SELECT id FROM appeals WHERE id IN ");
        builder.push_row(true, chunk.iter().map(|id| Value::from(*id)));
        builder.push(" ORDER BY id").push(lock_clause(dialect, held));
        for row in builder.query().fetch_all(&mut *transaction).await? {
            locked.insert(row.try_get(0)?);
        }
    }
    Ok(locked)
}

/// Loads appeals by id with their co-handlers, locked as `lock` says (none: not locked).
async fn load_appeals_in(
    connection: &mut AnyConnection,
    ids: &[i64],
    lock: Option<HeldRows>,
) -> Result<Vec<(AppealRecord, Option<i64>, Option<i64>)>> {
    let dialect = Dialect::of(connection);
    let mut loaded = Vec::with_capacity(ids.len());
    for chunk in ids.chunks(ROWS_PER_STATEMENT * 2) {
        let mut builder = SqlBuilder::for_many_rows(dialect, "SELECT ");
        builder.push(super::appeals::APPEAL_COLUMNS).push(", policy_version, warn_ms FROM appeals WHERE id IN ");
        builder.push_row(true, chunk.iter().map(|id| Value::from(*id)));
        builder.push(" ORDER BY id");
        if let Some(held) = lock {
            builder.push(lock_clause(dialect, held));
        }
        let rows = builder.query().fetch_all(&mut *connection).await?;
        for row in &rows {
            let appeal = super::appeals::appeal_from_row(row)?;
            let version: Option<i64> = row.try_get("policy_version")?;
            let warn_ms: Option<i64> = row.try_get("warn_ms")?;
            loaded.push((appeal, version, warn_ms));
        }
    }
    let ids: Vec<i64> = loaded.iter().map(|(appeal, _, _)| appeal.id).collect();
    let mut co = co_handlers_of_many(connection, &ids).await?;
    for (appeal, _, _) in &mut loaded {
        appeal.co_unit_ids = co.remove(&appeal.id).unwrap_or_default();
    }
    Ok(loaded)
}

/// An escalated appeal to write back: the record after the escalation (its version is
/// still the one it was loaded with) and its new warning instant.
pub struct EscalatedRow<'a> {
    pub appeal: &'a AppealRecord,
    pub warn_ms: Option<i64>,
}

/// Writes back what an escalation changes (tier, owner, deadlines, chain head, warning)
/// for many appeals at once, each only if it is still at the version it was loaded with.
/// Returns the ids of the appeals written; the caller decides what a missing one means.
///
/// The statements return no rows: on SQLite each row returned crosses from the
/// connection's thread to the task one at a time, which cost more than the update itself
/// at thousands of rows. A statement that wrote every row of its chunk wrote them all;
/// one that wrote fewer is followed by a read of the chunk's chain heads, and the rows
/// that carry the head this escalation gave them are the ones it wrote (an appeal another
/// writer changed first has another head).
pub async fn update_escalated(transaction: &mut AnyConnection, rows: &[EscalatedRow<'_>]) -> Result<HashSet<i64>> {
    let dialect = Dialect::of(transaction);
    let mut written = HashSet::with_capacity(rows.len());
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        // `UPDATE … FROM` a list of values works on both databases (SQLite since 3.33);
        // the columns of a VALUES list are named column1, column2, … on both. The casts
        // give PostgreSQL the column types of a list whose first row may hold NULLs. The
        // redundant `appeals.id IN (SELECT column1 FROM v)` matters: without it SQLite
        // 3.51 plans a scan of every appeal, probing the list for each (a quarter of a
        // second per statement at a million appeals), instead of a key lookup per row.
        let mut builder = SqlBuilder::for_many_rows(dialect, "WITH v AS MATERIALIZED (VALUES ");
        for (index, row) in chunk.iter().enumerate() {
            let appeal = row.appeal;
            if index > 0 {
                builder.push(", ");
            }
            builder.push("(CAST(").bind(appeal.id).push(" AS BIGINT), CAST(").bind(appeal.version).push(" AS BIGINT), CAST(");
            builder.bind(appeal.tier.as_str()).push(" AS TEXT), CAST(").bind(appeal.owner_unit_id).push(" AS BIGINT), CAST(");
            builder.bind(appeal.sign_due_ms).push(" AS BIGINT), CAST(").bind(appeal.resolve_due_ms).push(" AS BIGINT), CAST(");
            builder.bind(appeal.next_deadline_ms).push(" AS BIGINT), CAST(").bind(appeal.updated_ms).push(" AS BIGINT), CAST(");
            builder.bind(appeal.event_count).push(" AS BIGINT), CAST(").bind(appeal.head_hash.as_str()).push(" AS TEXT), CAST(");
            builder.bind(row.warn_ms).push(" AS BIGINT))");
        }
        builder.push(
            ") UPDATE appeals SET tier = v.column3, owner_unit_id = v.column4, sign_due_ms = v.column5, resolve_due_ms = v.column6, \
             next_deadline_ms = v.column7, updated_ms = v.column8, event_count = v.column9, head_hash = v.column10, \
             warn_ms = v.column11, version = appeals.version + 1 FROM v \
             WHERE appeals.id = v.column1 AND appeals.version = v.column2 AND appeals.id IN (SELECT column1 FROM v)",
        );
        let updated = builder.query().execute(&mut *transaction).await?.rows_affected();
        if updated == chunk.len() as u64 {
            written.extend(chunk.iter().map(|row| row.appeal.id));
            continue;
        }
        let mut heads = SqlBuilder::for_many_rows(dialect, "SELECT id, head_hash FROM appeals WHERE id IN ");
        heads.push_row(true, chunk.iter().map(|row| Value::from(row.appeal.id)));
        let planned: HashMap<i64, &str> = chunk.iter().map(|row| (row.appeal.id, row.appeal.head_hash.as_str())).collect();
        for row in heads.query().fetch_all(&mut *transaction).await? {
            let id: i64 = row.try_get(0)?;
            let head: String = row.try_get(1)?;
            if planned.get(&id) == Some(&head.as_str()) {
                written.insert(id);
            }
        }
    }
    Ok(written)
}

/// Units' names and heads, by id.
pub async fn unit_names_and_heads(transaction: &mut AnyConnection, ids: &[i64]) -> Result<HashMap<i64, (String, Option<i64>)>> {
    let dialect = Dialect::of(transaction);
    let mut found = HashMap::with_capacity(ids.len());
    for chunk in ids.chunks(ROWS_PER_STATEMENT * 2) {
        let mut builder = SqlBuilder::for_many_rows(dialect, "SELECT id, name, head_user_id FROM units WHERE id IN ");
        builder.push_row(true, chunk.iter().map(|id| Value::from(*id)));
        for row in builder.query().fetch_all(&mut *transaction).await? {
            found.insert(row.try_get::<i64, _>(0)?, (row.try_get::<String, _>(1)?, row.try_get::<Option<i64>, _>(2)?));
        }
    }
    Ok(found)
}

/// Writes notifications; one whose key exists already is skipped. Returns the ids of
/// those written, by key.
pub async fn insert_notifications(transaction: &mut AnyConnection, notifications: &[NewNotification]) -> Result<HashMap<String, i64>> {
    let dialect = Dialect::of(transaction);
    let mut written = HashMap::with_capacity(notifications.len());
    for chunk in notifications.chunks(ROWS_PER_STATEMENT) {
        let mut builder = SqlBuilder::for_many_rows(
            dialect,
            "INSERT INTO notifications (dedupe_key, user_id, unit_id, kind, appeal_id, title, body, created_ms) VALUES ",
        );
        for (index, notification) in chunk.iter().enumerate() {
            builder.push_row(
                index == 0,
                [
                    notification.dedupe_key.clone().into(),
                    notification.user_id.into(),
                    notification.unit_id.into(),
                    notification.kind.clone().into(),
                    notification.appeal_id.into(),
                    notification.title.clone().into(),
                    notification.body.clone().into(),
                    notification.created_ms.into(),
                ],
            );
        }
        builder.push(" ON CONFLICT (dedupe_key) DO NOTHING RETURNING id, dedupe_key");
        for row in builder.query().fetch_all(&mut *transaction).await? {
            written.insert(row.try_get::<String, _>(1)?, row.try_get::<i64, _>(0)?);
        }
    }
    Ok(written)
}

/// Records deliveries of notifications over channels: (notification, channel, address).
/// Returns the ids of those written (an existing one is skipped).
pub async fn insert_deliveries(transaction: &mut AnyConnection, deliveries: &[(i64, String, String)], now_ms: i64) -> Result<Vec<i64>> {
    let dialect = Dialect::of(transaction);
    let mut written = Vec::with_capacity(deliveries.len());
    for chunk in deliveries.chunks(ROWS_PER_STATEMENT) {
        let mut builder = SqlBuilder::for_many_rows(
            dialect,
            "INSERT INTO notification_deliveries (notification_id, channel, address, state, attempts, created_ms) VALUES ",
        );
        for (index, (notification, channel, address)) in chunk.iter().enumerate() {
            builder.push_row(
                index == 0,
                [(*notification).into(), channel.clone().into(), address.clone().into(), "pending".into(), 0_i64.into(), now_ms.into()],
            );
        }
        builder.push(" ON CONFLICT (notification_id, channel, address) DO NOTHING RETURNING id");
        for row in builder.query().fetch_all(&mut *transaction).await? {
            written.push(row.try_get::<i64, _>(0)?);
        }
    }
    Ok(written)
}

/// Queues jobs; a job whose key exists already is skipped. Returns how many were queued.
pub async fn enqueue_jobs(transaction: &mut AnyConnection, jobs: &[NewJob], now_ms: i64) -> Result<usize> {
    let dialect = Dialect::of(transaction);
    let mut queued = 0;
    for chunk in jobs.chunks(ROWS_PER_STATEMENT) {
        let mut builder = SqlBuilder::for_many_rows(
            dialect,
            "INSERT INTO jobs (kind, dedupe_key, appeal_id, due_ms, payload, state, run_at_ms, attempts, max_attempts, created_ms) VALUES ",
        );
        for (index, job) in chunk.iter().enumerate() {
            builder.push_row(
                index == 0,
                [
                    job.kind.clone().into(),
                    job.dedupe_key.clone().into(),
                    job.appeal_id.into(),
                    job.due_ms.into(),
                    job.payload_json.clone().into(),
                    "queued".into(),
                    job.run_at_ms.into(),
                    0_i64.into(),
                    job.max_attempts.into(),
                    now_ms.into(),
                ],
            );
        }
        builder.push(" ON CONFLICT (dedupe_key) DO NOTHING");
        queued += builder.query().execute(&mut *transaction).await?.rows_affected() as usize;
    }
    Ok(queued)
}

/// Marks claimed jobs done; only those the worker still holds.
pub async fn finish_jobs(transaction: &mut AnyConnection, ids: &[i64], worker: &str, now_ms: i64) -> Result<()> {
    let dialect = Dialect::of(transaction);
    for chunk in ids.chunks(ROWS_PER_STATEMENT * 2) {
        let mut builder = SqlBuilder::for_many_rows(dialect, "UPDATE jobs SET state = 'done', finished_ms = ");
        builder.bind(now_ms).push(", lease_until_ms = NULL, last_error = NULL WHERE locked_by = ").bind(worker);
        builder.push(" AND state = 'running' AND id IN ");
        builder.push_row(true, chunk.iter().map(|id| Value::from(*id)));
        builder.query().execute(&mut *transaction).await?;
    }
    Ok(())
}

/// Writes supervision notices (督办); one whose key exists is skipped. Returns the keys
/// of those written.
///
/// The keys already stored are read first and left out, and the inserts return no rows
/// (as in `update_escalated`, rows returned one at a time cost more than the insert). A
/// notice's key names its appeal and deadline, and the caller holds the appeals' rows
/// (SQLite's write lock, PostgreSQL's row locks), so no other writer can store one of
/// these keys in between; if one did, the batch fails and its one-by-one fallback runs.
pub async fn insert_notices(transaction: &mut AnyConnection, notices: &[NewSupervisionNotice]) -> Result<Vec<String>> {
    let dialect = Dialect::of(transaction);
    let mut written = Vec::with_capacity(notices.len());
    for chunk in notices.chunks(ROWS_PER_STATEMENT) {
        let mut stored = SqlBuilder::for_many_rows(dialect, "SELECT dedupe_key FROM supervision_notices WHERE dedupe_key IN ");
        stored.push_row(true, chunk.iter().map(|notice| Value::from(notice.dedupe_key.clone())));
        let mut taken: HashSet<String> = HashSet::new();
        for row in stored.query().fetch_all(&mut *transaction).await? {
            taken.insert(row.try_get(0)?);
        }
        let fresh: Vec<&NewSupervisionNotice> = chunk.iter().filter(|notice| !taken.contains(&notice.dedupe_key)).collect();
        if fresh.is_empty() {
            continue;
        }
        let mut builder = SqlBuilder::for_many_rows(
            dialect,
            "INSERT INTO supervision_notices (dedupe_key, appeal_id, unit_id, head_user_id, origin, reason, issued_by, created_ms) VALUES ",
        );
        for (index, notice) in fresh.iter().enumerate() {
            builder.push_row(
                index == 0,
                [
                    notice.dedupe_key.clone().into(),
                    notice.appeal_id.into(),
                    notice.unit_id.into(),
                    notice.head_user_id.into(),
                    notice.origin.clone().into(),
                    notice.reason.clone().into(),
                    notice.issued_by.into(),
                    notice.created_ms.into(),
                ],
            );
        }
        builder.push(" ON CONFLICT (dedupe_key) DO NOTHING");
        let inserted = builder.query().execute(&mut *transaction).await?.rows_affected();
        if inserted != fresh.len() as u64 {
            return Err(StorageError::Conflict(format!(
                "{} of {} supervision notices were stored by someone else meanwhile",
                fresh.len() as u64 - inserted,
                fresh.len()
            )));
        }
        written.extend(fresh.into_iter().map(|notice| notice.dedupe_key.clone()));
    }
    Ok(written)
}

/// Puts appeals on the key supervision list (again, if they were taken off):
/// (appeal, reason).
pub async fn add_to_key_list(transaction: &mut AnyConnection, entries: &[(i64, String)], now_ms: i64) -> Result<()> {
    let dialect = Dialect::of(transaction);
    for chunk in entries.chunks(ROWS_PER_STATEMENT) {
        let mut builder = SqlBuilder::for_many_rows(dialect, "INSERT INTO key_supervision (appeal_id, reason, added_ms) VALUES ");
        for (index, (appeal, reason)) in chunk.iter().enumerate() {
            builder.push_row(index == 0, [(*appeal).into(), reason.clone().into(), now_ms.into()]);
        }
        builder.push(" ON CONFLICT (appeal_id) DO UPDATE SET removed_ms = NULL");
        builder.query().execute(&mut *transaction).await?;
    }
    Ok(())
}
