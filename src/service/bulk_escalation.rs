//! Escalating many overdue appeals at once: the sweep's path, and the job runner's.
//!
//! `sweep::escalate_in` escalates one appeal with about two dozen statements (load it,
//! its policy, the event, the update, the work queue, the warning, the notifications and
//! their templates, the 督办 at red). At thousands of overdue appeals (a holiday weekend,
//! a unit that stopped working) that is tens of seconds. Here a whole batch is loaded in
//! one query, each appeal is decided in memory by the same pure functions
//! (`workflow::decide`, `actions::take_decision`, `actions::restart_running_deadline`,
//! `actions::event_of`), and everything is written back in a few multi-row statements
//! (`storage::batches`), in one transaction and one commit.
//!
//! Two callers:
//! - The sweep (`escalate_overdue`) escalates the overdue appeals it finds straight away,
//!   with the appeals' own deadline index as the queue: no job row is written for an
//!   appeal that escalates. An appeal another transaction holds (PostgreSQL) or that
//!   moved on meanwhile is left alone: if it is still due, the next sweep finds it. An
//!   appeal the workflow refuses to escalate gets an `escalate` job in the same
//!   transaction, whose key (appeal and deadline) keeps the sweep from finding it again
//!   for that deadline; and if the batch fails as a whole, every appeal of it gets one.
//!   The job runner takes those one at a time, with retries, and records a failure
//!   against its own job.
//! - The job runner (`run_batch`) escalates a claimed batch of `escalate` jobs and marks
//!   them done in the same transaction; if that fails it runs them one by one.
//!
//! The guards are those of `escalate_in`: an appeal is escalated only if its running
//! deadline is still the one it was found (or queued) for, and already past; each update
//! is checked against the version the appeal was loaded with. The job runner loads its
//! batch inside the write transaction, locked on PostgreSQL (waiting for a held row). So
//! does the sweep on PostgreSQL, leaving out rows another transaction holds. On SQLite
//! the sweep decides each batch before its transaction, while the previous batch is
//! written, and the transaction writes only the appeals still at the version they were
//! decided on (the guarded update returns which). A crash before the commit leaves the
//! appeals due: the next sweep, on any node, finds them again.

use std::collections::HashMap;

use super::actions::{event_of, next_deadline, restart_running_deadline, take_decision, workflow_state};
use super::notifications::{PendingNotification, Recipient, action_key, appeal_values, digest_crowded, notify_many};
use super::sweep::{breach_reason, escalation_jobs, supervision_key, warning_instant};
use super::{Hub, ServiceError};
use crate::domain::escalation::{Breach, late_unit, on_breach};
use crate::domain::history::EventKind;
use crate::domain::workflow::{Actor, Command, WorkflowError, decide};
use crate::storage::appeals::{AppealRecord, NewEvent, next_event_hash};
use crate::storage::batches::{
    ChainedEvent, EscalatedRow, HeldRows, add_to_key_list, enqueue_jobs, finish_jobs, insert_events, insert_notices,
    load_appeals_for_update, load_appeals_unlocked, lock_appeals, replace_work_queue, unit_names_and_heads, update_escalated,
};
use crate::storage::jobs::{ClaimedJob, DueAppeal};
use crate::storage::supervision::NewSupervisionNotice;
use crate::storage::{Dialect, StorageError, WriterConnection};

/// How many overdue appeals the sweep escalates in one transaction. Bigger batches write
/// fewer pages per appeal, since neighbouring index entries share pages, but hold the
/// SQLite write lock longer: a batch of 2,500, decided beforehand, holds it for 150–300 ms
/// on the benchmark machine, which intake requests wait out (`busy_timeout` is 10 s). See
/// docs/PERFORMANCE.md.
pub const ESCALATION_BATCH: usize = 2500;

/// How many overdue appeals one sweep pass reads at most: the batches of one burst, which
/// are written in id order and checkpointed once, after the sweep has returned
/// (`Db::bulk_writer`). It bounds how far the SQLite WAL grows in one burst (about
/// 120–250 MB at 20,000, so up to 400 MB at 30,000). A pass that leaves some due waits for
/// the burst's checkpoint before its own burst: 60–90 ms on the benchmark machine, which
/// this bound keeps for holidays bigger than 20,000 (a county's mass escalation of 20,000
/// plus a handful due in the same minutes is one burst).
pub const SWEEP_ESCALATION_READ: usize = 12 * ESCALATION_BATCH;

/// One appeal's escalation, decided and not yet written.
struct Planned {
    before: AppealRecord,
    after: AppealRecord,
    event: NewEvent,
    prev_hash: String,
    warn_ms: Option<i64>,
    due_ms: i64,
}

/// Escalates overdue appeals the sweep found (`next_deadline_ms` past), in transactions of
/// `ESCALATION_BATCH`; queues an `escalate` job for each appeal the workflow refuses,
/// and for every appeal of a batch that fails. Returns how many appeals were escalated or
/// queued.
///
/// The batches go in the order of the appeals' ids, not of their deadlines: an appeal's
/// row, its events and the index of its work-queue entries are all keyed by its id, so a
/// batch of neighbours dirties a run of pages that no later batch touches again, where a
/// batch of random ids dirties a page per appeal, again in every batch. On SQLite all
/// batches are written on one connection (`Db::bulk_writer`), whose checkpoint runs on
/// after this returns; on PostgreSQL two connections write alternate batches at once.
/// On SQLite, whose one writer leaves the other core idle, each batch is loaded and
/// decided on another connection and task while the batch before it is written: the
/// write transaction's guarded update then writes only the appeals still at the version
/// they were decided on, and says which, and the batch's other rows are written for
/// those alone. An appeal that moved on meanwhile is left out, as a row another
/// transaction holds is on PostgreSQL; the next sweep finds it again if it is still due.
pub async fn escalate_overdue(hub: &Hub, due: &[DueAppeal]) -> Result<usize, ServiceError> {
    if due.is_empty() {
        return Ok(0);
    }
    let mut due = due.to_vec();
    due.sort_unstable_by_key(|due| (due.appeal_id, due.deadline_ms));
    let chunks: Vec<&[DueAppeal]> = due.chunks(ESCALATION_BATCH).collect();
    let mut writer = hub.db.bulk_writer().await?;
    let mut handled = 0;
    if hub.db.dialect == Dialect::Postgres {
        // Each batch is decided inside its transaction, under its row locks. One
        // connection kept one core busy: this process and the connection's backend took
        // turns. So two connections write alternate batches at once, each batch locking
        // its rows with `SKIP LOCKED` as two nodes' sweeps do; the batches' appeals are
        // disjoint, and so are the keys of what they write.
        let alternate =
            |first: usize| -> Vec<Vec<DueAppeal>> { chunks.iter().skip(first).step_by(2).map(|chunk| chunk.to_vec()).collect() };
        let (even, odd) = (alternate(0), alternate(1));
        let second = (!odd.is_empty()).then(|| {
            let hub = hub.clone();
            tokio::spawn(async move {
                let mut connection = hub.db.pooled_connection().await?;
                write_under_lock(&hub, &mut connection, odd).await
            })
        });
        let first = write_under_lock(hub, writer.connection(), even).await;
        let second = match second {
            Some(task) => {
                task.await.unwrap_or_else(|error| Err(ServiceError::Internal(format!("the second escalation writer failed: {error}"))))
            }
            None => Ok(0),
        };
        writer.finish_in_background();
        return Ok(first? + second?);
    }
    let mut next = Some(decide_in_background(hub, chunks[0]));
    for (index, chunk) in chunks.iter().enumerate() {
        let Some(deciding) = next.take() else { break };
        let decided = deciding.await.unwrap_or_else(|error| DecidedBatch {
            due: chunk.to_vec(),
            decision: Decision::Ahead(Err(ServiceError::Internal(format!("deciding a batch of escalations failed: {error}")))),
        });
        next = chunks.get(index + 1).map(|following| decide_in_background(hub, following));
        handled += write_overdue(hub, writer.connection(), decided).await?;
    }
    writer.finish_in_background();
    Ok(handled)
}

/// Writes batches one after another on `connection`, each decided inside its
/// transaction under its row locks (PostgreSQL's path). Returns how many appeals were
/// escalated or queued.
async fn write_under_lock(hub: &Hub, connection: &mut WriterConnection, batches: Vec<Vec<DueAppeal>>) -> Result<usize, ServiceError> {
    let mut handled = 0;
    for due in batches {
        handled += write_overdue(hub, connection, DecidedBatch { due, decision: Decision::UnderLock }).await?;
    }
    Ok(handled)
}

/// `decide_overdue` on a task of its own, so that it runs on the other core while the
/// batch before it is written.
fn decide_in_background(hub: &Hub, due: &[DueAppeal]) -> tokio::task::JoinHandle<DecidedBatch> {
    let hub = hub.clone();
    let due = due.to_vec();
    tokio::spawn(async move { decide_overdue(&hub, &due).await })
}

/// A batch of overdue appeals to write (`write_overdue`), loaded and decided outside any
/// transaction (`decide_overdue`), or to be decided inside its write transaction.
pub struct DecidedBatch {
    due: Vec<DueAppeal>,
    decision: Decision,
}

/// When a batch's appeals are loaded and decided.
enum Decision {
    /// Beforehand, outside any transaction (or the error that stopped it): the write
    /// transaction keeps the appeals still at the version they were decided on.
    Ahead(Result<BatchPlan, ServiceError>),
    /// Inside the write transaction, with the rows locked.
    UnderLock,
}

/// Loads and decides a batch of overdue appeals on a pooled connection of its own,
/// outside any transaction. A failure is kept in the batch: `write_overdue` then queues
/// a job for each of its appeals.
pub async fn decide_overdue(hub: &Hub, due: &[DueAppeal]) -> DecidedBatch {
    let decided = async {
        let mut reader = hub.db.pooled_connection().await?;
        plan_batch(hub, &mut reader, due, None).await
    }
    .await;
    DecidedBatch { due: due.to_vec(), decision: Decision::Ahead(decided) }
}

/// Writes a decided batch in its own transaction on `writer`: the appeals still at the
/// version they were decided on are escalated (on PostgreSQL, those no other transaction
/// holds); the others are left for the next sweep. If the batch fails (or could not be
/// decided), queues a job for each of its appeals instead. Returns how many appeals were
/// escalated or queued.
pub async fn write_overdue(hub: &Hub, connection: &mut WriterConnection, batch: DecidedBatch) -> Result<usize, ServiceError> {
    let DecidedBatch { due, decision } = batch;
    let now_ms = hub.clock.now_ms();
    let mut transaction = hub.db.begin_write_on(connection).await?;
    let outcome = async {
        // Decided ahead, an appeal may have moved on since; under lock, none can have.
        let (planned, refused, moved_on) = match decision {
            Decision::Ahead(decided) => {
                let BatchPlan { mut planned, refused } = decided?;
                if hub.db.dialect == Dialect::Postgres {
                    // Leave out the rows another transaction holds, rather than wait for
                    // them in the update. (SQLite's write lock covers every row.)
                    let ids: Vec<i64> = planned.iter().map(|plan| plan.before.id).collect();
                    let locked = lock_appeals(&mut transaction, &ids, HeldRows::Skip).await?;
                    planned.retain(|plan| locked.contains(&plan.before.id));
                }
                (planned, refused, MovedOn::LeaveOut)
            }
            Decision::UnderLock => {
                let BatchPlan { planned, refused } = plan_batch(hub, &mut transaction, &due, Some(HeldRows::Skip)).await?;
                (planned, refused, MovedOn::Fail)
            }
        };
        let written = write_planned(hub, &mut transaction, planned, now_ms, moved_on).await?;
        let queued = enqueue_jobs(&mut transaction, &escalation_jobs(&refused, now_ms), now_ms).await?;
        Ok::<_, ServiceError>((written.into_iter().map(|plan| plan.after).collect::<Vec<_>>(), queued))
    }
    .await;
    match outcome {
        Ok((escalated, queued)) => {
            transaction.commit().await.map_err(StorageError::from)?;
            log_escalated(&escalated, due.len());
            Ok(escalated.len() + queued)
        }
        Err(error) => {
            let _ = transaction.rollback().await;
            tracing::warn!(%error, appeals = due.len(), "escalating overdue appeals at once failed; queuing a job for each");
            let mut transaction = hub.db.begin_write_on(connection).await?;
            let queued = enqueue_jobs(&mut transaction, &escalation_jobs(&due, now_ms), now_ms).await?;
            transaction.commit().await.map_err(StorageError::from)?;
            Ok(queued)
        }
    }
}

/// Escalates the appeals of a claimed batch of `escalate` jobs and marks the jobs done,
/// all in one transaction. Returns how many jobs ran (including those that found their
/// appeal no longer due). An error means nothing was written; the jobs are still claimed
/// by `worker`, and the caller may run them one by one.
pub async fn run_batch(hub: &Hub, worker: &str, jobs: &[ClaimedJob]) -> Result<usize, ServiceError> {
    let due: Vec<DueAppeal> =
        jobs.iter().filter_map(|job| Some(DueAppeal { appeal_id: job.appeal_id?, at_ms: job.due_ms?, deadline_ms: job.due_ms? })).collect();
    let mut transaction = hub.db.begin_write().await?;
    let outcome = async {
        let escalated = escalate_batch_in(hub, &mut transaction, &due, HeldRows::Wait).await?;
        let job_ids: Vec<i64> = jobs.iter().map(|job| job.id).collect();
        finish_jobs(&mut transaction, &job_ids, worker, hub.clock.now_ms()).await?;
        Ok::<_, ServiceError>(escalated)
    }
    .await;
    match outcome {
        Ok(escalated) => {
            transaction.commit().await.map_err(StorageError::from)?;
            log_escalated(&escalated, jobs.len());
            Ok(jobs.len())
        }
        Err(error) => {
            // Roll back now, not when the pool gets round to it: the one-by-one path
            // that follows needs the write lock (SQLite) and the rows (PostgreSQL).
            let _ = transaction.rollback().await;
            Err(error)
        }
    }
}

fn log_escalated(escalated: &[AppealRecord], of: usize) {
    for after in escalated {
        tracing::debug!(number = %after.number, tier = %after.tier, "deadline missed: escalated");
    }
    if !escalated.is_empty() {
        tracing::info!(escalated = escalated.len(), of, "deadlines missed: escalated a batch");
    }
}

/// The batch's reads and writes inside the caller's transaction (the job runner's path);
/// returns the escalated records.
async fn escalate_batch_in(
    hub: &Hub,
    transaction: &mut sqlx::AnyConnection,
    due: &[DueAppeal],
    held: HeldRows,
) -> Result<Vec<AppealRecord>, ServiceError> {
    // What the workflow refuses is done with: the jobs are marked done all the same.
    let BatchPlan { planned, refused: _ } = plan_batch(hub, transaction, due, Some(held)).await?;
    let written = write_planned(hub, transaction, planned, hub.clock.now_ms(), MovedOn::Fail).await?;
    Ok(written.into_iter().map(|plan| plan.after).collect())
}

/// A batch decided and not yet written.
struct BatchPlan {
    planned: Vec<Planned>,
    refused: Vec<DueAppeal>,
}

/// Loads a batch's appeals and decides each: inside the write transaction and locked
/// (`lock` given), or beforehand on any connection (`None`; the writer then checks the
/// versions under lock).
async fn plan_batch(
    hub: &Hub,
    connection: &mut sqlx::AnyConnection,
    due: &[DueAppeal],
    lock: Option<HeldRows>,
) -> Result<BatchPlan, ServiceError> {
    let now = hub.clock.now();
    let now_ms = now.as_millisecond();
    let mut ids: Vec<i64> = due.iter().map(|due| due.appeal_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let loaded = match lock {
        Some(held) => load_appeals_for_update(connection, &ids, held).await?,
        None => load_appeals_unlocked(connection, &ids).await?,
    };
    let mut appeals: HashMap<i64, (AppealRecord, Option<i64>, Option<i64>)> =
        loaded.into_iter().map(|(appeal, policy_version, warn_ms)| (appeal.id, (appeal, policy_version, warn_ms))).collect();

    let mut planned: Vec<Planned> = Vec::with_capacity(due.len());
    let mut refused = Vec::new();
    for target in due {
        let due_ms = target.deadline_ms;
        // A second entry for the same appeal (it cannot have two current deadlines) finds
        // the appeal taken by the first and does nothing, as it would one by one. So does
        // an appeal left out because another transaction holds it.
        let Some((before, policy_version, warn_ms)) = appeals.remove(&target.appeal_id) else { continue };
        if due_ms > now_ms || before.next_deadline_ms != due_ms {
            continue;
        }
        match plan(hub, connection, before, policy_version, warn_ms, due_ms, now).await? {
            Some(plan) => planned.push(plan),
            None => refused.push(*target),
        }
    }
    Ok(BatchPlan { planned, refused })
}

/// What writing a decided batch does with an appeal no longer at the version it was
/// decided on.
#[derive(Clone, Copy, PartialEq, Eq)]
enum MovedOn {
    /// Fail the batch (`StorageError::Conflict`): it was decided under lock, so nothing
    /// could have moved, and something is wrong.
    Fail,
    /// Leave the appeal out: it was decided ahead, and someone acted on it meanwhile.
    LeaveOut,
}

/// Writes a decided batch inside the caller's transaction: the appeal rows first, each
/// guarded by its version, then for the appeals written their events, work queues,
/// notifications and 督办. Returns the plans written.
async fn write_planned(
    hub: &Hub,
    transaction: &mut sqlx::AnyConnection,
    mut planned: Vec<Planned>,
    now_ms: i64,
    moved_on: MovedOn,
) -> Result<Vec<Planned>, ServiceError> {
    let rows: Vec<EscalatedRow<'_>> = planned.iter().map(|plan| EscalatedRow { appeal: &plan.after, warn_ms: plan.warn_ms }).collect();
    let updated = update_escalated(transaction, &rows).await?;
    if updated.len() != planned.len() {
        if moved_on == MovedOn::Fail {
            return Err(StorageError::Conflict(format!(
                "{} of {} escalated appeals were changed by someone else meanwhile",
                planned.len() - updated.len(),
                planned.len()
            ))
            .into());
        }
        planned.retain(|plan| updated.contains(&plan.after.id));
    }
    let events: Vec<ChainedEvent<'_>> = planned
        .iter()
        .map(|plan| ChainedEvent {
            appeal_id: plan.after.id,
            seq: plan.after.event_count,
            event: &plan.event,
            prev_hash: &plan.prev_hash,
            hash: &plan.after.head_hash,
        })
        .collect();
    insert_events(transaction, &events).await?;
    let records: Vec<&AppealRecord> = planned.iter().map(|plan| &plan.after).collect();
    replace_work_queue(transaction, &records).await?;
    notify_and_supervise(hub, transaction, &planned, now_ms).await?;
    Ok(planned)
}

/// Decides one appeal's escalation as `actions::apply_in` would for `Command::Escalate`
/// from the system. `None` when the workflow refuses (the appeal is no longer open).
async fn plan(
    hub: &Hub,
    transaction: &mut sqlx::AnyConnection,
    before: AppealRecord,
    policy_version: Option<i64>,
    warn_ms: Option<i64>,
    due_ms: i64,
    now: jiff::Timestamp,
) -> Result<Option<Planned>, ServiceError> {
    let now_ms = now.as_millisecond();
    let command = Command::Escalate { reason: breach_reason(&before) };
    let decision = match decide(&workflow_state(&before), &Actor::System, &command) {
        Ok(decision) => decision,
        Err(WorkflowError::IllegalTransition { .. }) => return Ok(None),
        Err(error) => return Err(error.into()),
    };
    let mut after = before.clone();
    take_decision(&mut after, &decision, now_ms);
    // An escalation moves the tier only; anything else means the workflow changed and
    // this path no longer mirrors it: let the one-by-one path do the work.
    let mut expected = workflow_state(&before);
    expected.tier = decision.next.tier;
    if workflow_state(&after) != expected {
        return Err(ServiceError::Internal("an escalation changed more than the tier; escalating one by one".into()));
    }
    let policy = super::lookup_cache::policy_version_in(hub, transaction, policy_version).await?;
    let limits = super::policies::limits_for(hub, &policy, &after);
    let mut extra = serde_json::Map::new();
    restart_running_deadline(hub, &mut after, &limits, now, &mut extra);
    if decision.tier_changed {
        let new_owner = super::intake::owner_unit(hub, after.tier, &after.region_code).await?;
        if new_owner != after.owner_unit_id {
            extra.insert("owner_unit_id".into(), new_owner.into());
        }
        after.owner_unit_id = new_owner;
    }
    after.next_deadline_ms = next_deadline(&after);
    let event = event_of(&command, &Actor::System, decision.event, &before, &after, extra, now_ms);
    let seq = before.event_count + 1;
    let hash = next_event_hash(&before, &event);
    after.event_count = seq;
    after.head_hash = hash;
    let warn_ms = if after.next_deadline_ms != before.next_deadline_ms || decision.tier_changed {
        Some(warning_instant(hub, &policy, &limits, &after, now))
    } else {
        warn_ms
    };
    let prev_hash = before.head_hash.clone();
    Ok(Some(Planned { before, after, event, prev_hash, warn_ms, due_ms }))
}

/// The notifications of a batch of escalations (`notifications::after_action` for an
/// escalation), and at red the 督办 (`sweep::raise_supervision`): a notice to the head of
/// the late unit, the key supervision list, and the head and the unit told. A recipient
/// who would be told of more than `notifications::DIGEST_AFTER` appeals of one kind gets
/// one digest listing them instead (the 督办 notices themselves stay one per appeal).
async fn notify_and_supervise(
    hub: &Hub,
    transaction: &mut sqlx::AnyConnection,
    planned: &[Planned],
    now_ms: i64,
) -> Result<(), ServiceError> {
    let late_units: Vec<Option<i64>> = planned
        .iter()
        .map(|plan| match on_breach(plan.before.tier) {
            Breach::Supervise => late_unit(plan.before.status, plan.before.owner_unit_id, plan.before.lead_unit_id),
            Breach::Climb { .. } => None,
        })
        .collect();
    let mut unit_ids: Vec<i64> = planned
        .iter()
        .filter(|plan| plan.after.tier != plan.before.tier)
        .filter_map(|plan| plan.after.owner_unit_id)
        .chain(late_units.iter().flatten().copied())
        .collect();
    unit_ids.sort_unstable();
    unit_ids.dedup();
    let units = unit_names_and_heads(transaction, &unit_ids).await?;

    let mut pending: Vec<PendingNotification> = Vec::new();
    for plan in planned.iter().filter(|plan| plan.after.tier != plan.before.tier) {
        let Some(owner) = plan.after.owner_unit_id else { continue };
        let key = action_key(EventKind::Escalated, &plan.after);
        let mut values = appeal_values(&plan.after);
        values.push(("reason", plan.event.reason.clone()));
        values.push(("from_tier", plan.before.tier.label_zh().to_string()));
        pending.push(PendingNotification {
            recipient: Recipient::Unit(owner),
            kind: "escalated",
            appeal_id: Some(plan.after.id),
            dedupe_key: key.clone(),
            values: values.clone(),
        });
        if let Some(head) = units.get(&owner).and_then(|(_, head)| *head) {
            pending.push(PendingNotification {
                recipient: Recipient::User(head),
                kind: "escalated",
                appeal_id: Some(plan.after.id),
                dedupe_key: key,
                values,
            });
        }
    }

    let mut notices = Vec::new();
    for (plan, late) in planned.iter().zip(&late_units) {
        if on_breach(plan.before.tier) != Breach::Supervise {
            continue;
        }
        let head = late.and_then(|unit| units.get(&unit)).and_then(|(_, head)| *head);
        notices.push(NewSupervisionNotice {
            dedupe_key: supervision_key(plan.after.id, plan.due_ms),
            appeal_id: plan.after.id,
            unit_id: *late,
            head_user_id: head,
            origin: "automatic".into(),
            reason: plan.event.reason.clone(),
            issued_by: None,
            created_ms: now_ms,
        });
    }
    if !notices.is_empty() {
        let written: std::collections::HashSet<String> = insert_notices(transaction, &notices).await?.into_iter().collect();
        let mut listed = Vec::new();
        for (notice, plan) in notices.iter().zip(planned.iter().filter(|plan| on_breach(plan.before.tier) == Breach::Supervise)) {
            if !written.contains(&notice.dedupe_key) {
                continue;
            }
            listed.push((notice.appeal_id, notice.reason.clone()));
            let unit_name = notice.unit_id.and_then(|unit| units.get(&unit)).map(|(name, _)| name.clone()).unwrap_or_default();
            let mut values = appeal_values(&plan.after);
            values.push(("reason", notice.reason.clone()));
            values.push(("unit", unit_name));
            if let Some(head) = notice.head_user_id {
                pending.push(PendingNotification {
                    recipient: Recipient::User(head),
                    kind: "supervision",
                    appeal_id: Some(notice.appeal_id),
                    dedupe_key: notice.dedupe_key.clone(),
                    values: values.clone(),
                });
            }
            if let Some(unit) = notice.unit_id {
                pending.push(PendingNotification {
                    recipient: Recipient::Unit(unit),
                    kind: "supervision",
                    appeal_id: Some(notice.appeal_id),
                    dedupe_key: notice.dedupe_key.clone(),
                    values,
                });
            }
        }
        add_to_key_list(transaction, &listed, now_ms).await?;
    }
    notify_many(hub, transaction, &digest_crowded(pending, now_ms)).await?;
    Ok(())
}
