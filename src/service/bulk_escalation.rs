//! Escalating a claimed batch of `escalate` jobs at once: the job runner's fast path.
//!
//! `sweep::escalate_in` escalates one appeal with about two dozen statements (load it,
//! its policy, the event, the update, the work queue, the warning, the notifications and
//! their templates, the 督办 at red). At thousands of overdue appeals (a holiday weekend,
//! a unit that stopped working) that is tens of seconds. Here a whole batch is loaded in
//! one query, each appeal is decided in memory by the same pure functions
//! (`workflow::decide`, `actions::take_decision`, `actions::restart_running_deadline`,
//! `actions::event_of`), and everything is written back in a few multi-row statements
//! (`storage::batches`), with the jobs marked done, in one transaction and one commit.
//!
//! The guards are those of `escalate_in`: an appeal is escalated only if its running
//! deadline is still the one its job was queued for, and already past; each update is
//! checked against the version the appeal was loaded with (and on PostgreSQL the rows are
//! locked while the batch runs). If anything in the batch fails, the transaction is rolled
//! back and the caller escalates the batch one appeal at a time, so one bad appeal never
//! holds up the others and its failure is recorded against its own job.

use std::collections::HashMap;

use super::actions::{event_of, next_deadline, restart_running_deadline, take_decision, workflow_state};
use super::notifications::{PendingNotification, Recipient, action_key, appeal_values, notify_many};
use super::sweep::{breach_reason, supervision_key, warning_instant};
use super::{Hub, ServiceError};
use crate::domain::escalation::{Breach, late_unit, on_breach};
use crate::domain::history::EventKind;
use crate::domain::workflow::{Actor, Command, WorkflowError, decide};
use crate::storage::StorageError;
use crate::storage::appeals::{AppealRecord, NewEvent, next_event_hash};
use crate::storage::batches::{
    ChainedEvent, EscalatedRow, add_to_key_list, finish_jobs, insert_events, insert_notices, load_appeals_for_update, replace_work_queue,
    unit_names_and_heads, update_escalated,
};
use crate::storage::jobs::ClaimedJob;
use crate::storage::supervision::NewSupervisionNotice;

/// One appeal's escalation, decided and not yet written.
struct Planned {
    before: AppealRecord,
    after: AppealRecord,
    event: NewEvent,
    prev_hash: String,
    warn_ms: Option<i64>,
    due_ms: i64,
}

/// Escalates the appeals of a claimed batch of `escalate` jobs and marks the jobs done,
/// all in one transaction. Returns how many jobs ran (including those that found their
/// appeal no longer due). An error means nothing was written; the jobs are still claimed
/// by `worker`, and the caller may run them one by one.
pub async fn run_batch(hub: &Hub, worker: &str, jobs: &[ClaimedJob]) -> Result<usize, ServiceError> {
    let mut transaction = hub.db.begin_write().await?;
    match escalate_batch_in(hub, &mut transaction, worker, jobs).await {
        Ok(escalated) => {
            transaction.commit().await.map_err(StorageError::from)?;
            for after in &escalated {
                tracing::debug!(number = %after.number, tier = %after.tier, "deadline missed: escalated");
            }
            if !escalated.is_empty() {
                tracing::info!(escalated = escalated.len(), jobs = jobs.len(), "deadlines missed: escalated a batch");
            }
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

/// The batch's reads and writes inside the caller's transaction; the escalated records.
async fn escalate_batch_in(
    hub: &Hub,
    transaction: &mut sqlx::AnyConnection,
    worker: &str,
    jobs: &[ClaimedJob],
) -> Result<Vec<AppealRecord>, ServiceError> {
    let now = hub.clock.now();
    let now_ms = now.as_millisecond();
    let mut ids: Vec<i64> = jobs.iter().filter_map(|job| job.appeal_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let loaded = load_appeals_for_update(transaction, &ids).await?;
    let mut appeals: HashMap<i64, (AppealRecord, Option<i64>, Option<i64>)> =
        loaded.into_iter().map(|(appeal, policy_version, warn_ms)| (appeal.id, (appeal, policy_version, warn_ms))).collect();

    let mut planned: Vec<Planned> = Vec::with_capacity(jobs.len());
    for job in jobs {
        let (Some(appeal_id), Some(due_ms)) = (job.appeal_id, job.due_ms) else { continue };
        // A second job for the same appeal (it cannot have two current deadlines) finds
        // the appeal taken by the first and does nothing, as it would one by one.
        let Some((before, policy_version, warn_ms)) = appeals.remove(&appeal_id) else { continue };
        if due_ms > now_ms || before.next_deadline_ms != due_ms {
            continue;
        }
        if let Some(plan) = plan(hub, transaction, before, policy_version, warn_ms, due_ms, now).await? {
            planned.push(plan);
        }
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
    let rows: Vec<EscalatedRow<'_>> = planned.iter().map(|plan| EscalatedRow { appeal: &plan.after, warn_ms: plan.warn_ms }).collect();
    update_escalated(transaction, &rows).await?;
    let records: Vec<&AppealRecord> = planned.iter().map(|plan| &plan.after).collect();
    replace_work_queue(transaction, &records).await?;
    notify_and_supervise(hub, transaction, &planned, now_ms).await?;
    let job_ids: Vec<i64> = jobs.iter().map(|job| job.id).collect();
    finish_jobs(transaction, &job_ids, worker, now_ms).await?;
    Ok(planned.into_iter().map(|plan| plan.after).collect())
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
/// the late unit, the key supervision list, and the head and the unit told.
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
    notify_many(hub, transaction, &pending).await?;
    Ok(())
}
