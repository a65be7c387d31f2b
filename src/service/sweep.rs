//! The sweep: finds due work and does it or queues it as jobs, and the jobs that do it —
//! warnings before a deadline, escalation on a breach (one tier up the ladder, or 督办 at
//! red; the sweep escalates in batches itself and queues jobs only for what a batch could
//! not do), and the monthly reminder notices (工作提示函).
//!
//! The sweep reads only the index ranges of due appeals (`next_deadline_ms <= now`,
//! `warn_ms <= now`), so its cost follows the number due, not the number stored. Every
//! job re-checks inside its transaction that its work is still due (the appeal's deadline
//! is still the one the job was queued for), so running a job twice does nothing twice.

use jiff::Timestamp;

use super::bulk_escalation::SWEEP_ESCALATION_READ;
use super::{Hub, ServiceError};
use crate::domain::deadline::warning_at;
use crate::domain::deadline_policy::{DeadlinePolicy, Step};
use crate::domain::escalation::{Breach, late_unit, on_breach, shortfalls, timed_step};
use crate::domain::ownership::StepLimits;
use crate::domain::workflow::{Actor, Command, WorkflowError};
use crate::storage::StorageError;
use crate::storage::appeals::{AppealRecord, NO_DEADLINE};
use crate::storage::batches::enqueue_jobs;
use crate::storage::jobs::{DueAppeal, NewJob, enqueue_job_in};
use crate::storage::supervision::{
    NewSupervisionNotice, add_to_key_list, clear_warning_in, insert_notice, insert_reminder, unit_name_and_head_in,
};

/// How many appeals to warn one sweep pass reads at most (the next pass takes the rest).
/// Overdue appeals are read `SWEEP_ESCALATION_READ` at a time: one pass, one burst of batches.
pub const SWEEP_BATCH: i64 = 1000;

/// What a sweep did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SweepReport {
    /// `warn` jobs queued.
    pub warnings: usize,
    /// Overdue appeals escalated, or queued as `escalate` jobs when the batch could not.
    pub escalations: usize,
    /// `reminders` jobs queued (one a month).
    pub reminders: usize,
}

impl SweepReport {
    pub fn is_idle(&self) -> bool {
        *self == SweepReport::default()
    }
}

/// The step's name in messages.
pub fn step_label_zh(step: Step) -> &'static str {
    match step {
        Step::Dispatch => "研判派单",
        Step::SignFor => "签收",
        Step::Response => "首次响应",
        Step::Resolve => "办结",
    }
}

/// When the owner should be warned about the appeal's running deadline: the policy's
/// share of the time from `now` (the moment the deadline was set) to the deadline.
pub fn warning_instant(hub: &Hub, policy: &DeadlinePolicy, limits: &StepLimits, appeal: &AppealRecord, now: Timestamp) -> i64 {
    if appeal.next_deadline_ms == NO_DEADLINE {
        return NO_DEADLINE;
    }
    let Ok(due) = Timestamp::from_millisecond(appeal.next_deadline_ms) else {
        return NO_DEADLINE;
    };
    let limit = match timed_step(appeal.status) {
        Some(Step::Dispatch) => limits.dispatch,
        Some(Step::SignFor) => limits.sign_for,
        Some(_) => limits.resolve,
        None => return NO_DEADLINE,
    };
    warning_at(&hub.calendar, now, due, limit, policy.warn_share).as_millisecond()
}

fn job(kind: &str, key: String, appeal_id: Option<i64>, due_ms: Option<i64>, payload: serde_json::Value, run_at_ms: i64) -> NewJob {
    NewJob { kind: kind.into(), dedupe_key: key, appeal_id, due_ms, payload_json: payload.to_string(), run_at_ms, max_attempts: 5 }
}

/// The local month before the one `now` falls in, as `YYYY-MM`, with its bounds in ms.
pub fn previous_month(hub: &Hub, now: Timestamp) -> Option<(String, i64, i64)> {
    let tz = hub.calendar.time_zone().clone();
    let today = hub.calendar.local_date(now);
    let this_month = today.first_of_month();
    let last_month = this_month.checked_sub(jiff::Span::new().months(1)).ok()?;
    let start = last_month.to_zoned(tz.clone()).ok()?.timestamp().as_millisecond();
    let end = this_month.to_zoned(tz).ok()?.timestamp().as_millisecond();
    Some((last_month.strftime("%Y-%m").to_string(), start, end))
}

/// Finds due work and does it or queues it: overdue appeals are escalated straight away,
/// a batch at a time (`bulk_escalation::escalate_overdue`); warnings and the monthly
/// reminders are queued as jobs. Safe on several nodes at once: queuing is idempotent,
/// and an escalation re-checks the appeal's deadline under its row lock.
pub async fn sweep(hub: &Hub) -> Result<SweepReport, ServiceError> {
    let now_ms = hub.clock.now_ms();
    let mut report = SweepReport::default();
    let warn = hub.db.appeals_to_warn(now_ms, SWEEP_BATCH).await?;
    let breached = hub.db.appeals_past_deadline(now_ms, SWEEP_ESCALATION_READ as i64).await?;
    if warn.is_empty() && breached.is_empty() && hub.db.reminder_job_exists(&previous_month_key(hub)).await? {
        return Ok(report);
    }
    let mut transaction = hub.db.begin_write().await?;
    report.warnings += enqueue_jobs(&mut transaction, &due_jobs("warn", &warn, now_ms), now_ms).await?;
    if queue_monthly_reminders_in(hub, &mut transaction).await? {
        report.reminders += 1;
    }
    transaction.commit().await.map_err(StorageError::from)?;
    report.escalations += super::bulk_escalation::escalate_overdue(hub, &breached).await?;
    Ok(report)
}

/// The `escalate` jobs of appeals that missed their deadlines, for the job runner to
/// escalate one at a time (what the sweep could not escalate at once).
pub fn escalation_jobs(due: &[DueAppeal], now_ms: i64) -> Vec<NewJob> {
    due_jobs("escalate", due, now_ms)
}

/// One job of `kind` per due appeal, keyed by the appeal and its deadline.
fn due_jobs(kind: &str, due: &[DueAppeal], now_ms: i64) -> Vec<NewJob> {
    due.iter()
        .map(|due| {
            job(
                kind,
                format!("{kind}:{}:{}", due.appeal_id, due.deadline_ms),
                Some(due.appeal_id),
                Some(due.deadline_ms),
                serde_json::json!({}),
                now_ms,
            )
        })
        .collect()
}

/// Queues the `reminders` job of the month before this one (once per month: the key
/// names the month). Returns whether it was queued now.
pub async fn queue_monthly_reminders_in(hub: &Hub, transaction: &mut sqlx::AnyConnection) -> Result<bool, ServiceError> {
    let Some((month, _, _)) = previous_month(hub, hub.clock.now()) else { return Ok(false) };
    let now_ms = hub.clock.now_ms();
    let queued = job("reminders", format!("reminders:{month}"), None, None, serde_json::json!({ "month": month }), now_ms);
    Ok(enqueue_job_in(transaction, &queued, now_ms).await?)
}

fn previous_month_key(hub: &Hub) -> String {
    previous_month(hub, hub.clock.now()).map(|(month, _, _)| format!("reminders:{month}")).unwrap_or_default()
}

/// Escalates one appeal whose deadline `due_ms` passed (an `escalate` job), in its own
/// transaction. Does nothing if the appeal's deadline is no longer `due_ms` (it moved, or
/// it was escalated already).
pub async fn escalate(hub: &Hub, appeal_id: i64, due_ms: i64) -> Result<bool, ServiceError> {
    let mut transaction = hub.db.begin_write().await?;
    let escalated = escalate_in(hub, &mut transaction, appeal_id, due_ms).await?;
    transaction.commit().await.map_err(StorageError::from)?;
    Ok(escalated)
}

/// Escalates one appeal inside the caller's transaction (the job runner gives a whole
/// claimed batch one transaction, with a savepoint per appeal). The appeal is loaded and
/// checked inside the transaction: its deadline must still be `due_ms` and past, so a
/// repeat, or a second node holding the same job, does nothing.
pub async fn escalate_in(hub: &Hub, transaction: &mut sqlx::AnyConnection, appeal_id: i64, due_ms: i64) -> Result<bool, ServiceError> {
    let now = hub.clock.now();
    let now_ms = now.as_millisecond();
    if due_ms > now_ms {
        return Ok(false);
    }
    let Some(snapshot) = crate::storage::appeals::load_by_id_in(transaction, appeal_id).await? else {
        return Ok(false);
    };
    if snapshot.next_deadline_ms != due_ms {
        return Ok(false);
    }
    let reason = breach_reason(&snapshot);
    let guard = move |appeal: &AppealRecord| appeal.next_deadline_ms == due_ms && due_ms <= now_ms;
    let command = Command::Escalate { reason: reason.clone() };
    let applied = match super::actions::apply_in(hub, transaction, &snapshot.number, &Actor::System, &command, None, &guard).await {
        Ok(Some(applied)) => applied,
        Ok(None) => return Ok(false),
        Err(ServiceError::Workflow(WorkflowError::IllegalTransition { .. })) => return Ok(false),
        Err(error) => return Err(error),
    };
    if on_breach(applied.before.tier) == Breach::Supervise {
        let late = late_unit(applied.before.status, applied.before.owner_unit_id, applied.before.lead_unit_id);
        raise_supervision(hub, transaction, &applied.after, late, "automatic", &reason, None, &supervision_key(appeal_id, due_ms)).await?;
    }
    tracing::info!(number = %applied.after.number, tier = %applied.after.tier, "deadline missed: escalated");
    Ok(true)
}

/// Why the system escalates an appeal that missed its running deadline (the event's reason).
pub fn breach_reason(appeal: &AppealRecord) -> String {
    let step = timed_step(appeal.status).map_or("办理", step_label_zh);
    match on_breach(appeal.tier) {
        Breach::Climb { to } => format!("超过{step}时限，自动由{}色升级为{}色", appeal.tier.label_zh(), to.label_zh()),
        Breach::Supervise => format!("红色诉求超过{step}时限，自动督办"),
    }
}

/// The key of the automatic 督办 for a red appeal's missed deadline `due_ms`.
pub fn supervision_key(appeal_id: i64, due_ms: i64) -> String {
    format!("supervise:{appeal_id}:{due_ms}")
}

/// Writes a supervision notice (督办) to the head of the late unit, puts the appeal on the
/// key supervision list and notifies the head and the unit, inside the caller's transaction.
#[allow(clippy::too_many_arguments)]
pub async fn raise_supervision(
    hub: &Hub,
    transaction: &mut sqlx::AnyConnection,
    appeal: &AppealRecord,
    late_unit_id: Option<i64>,
    origin: &str,
    reason: &str,
    issued_by: Option<i64>,
    dedupe_key: &str,
) -> Result<bool, ServiceError> {
    let now_ms = hub.clock.now_ms();
    let (unit_name, head) = match late_unit_id {
        Some(unit) => unit_name_and_head_in(transaction, unit).await?.unwrap_or_default(),
        None => (String::new(), None),
    };
    let notice = NewSupervisionNotice {
        dedupe_key: dedupe_key.to_string(),
        appeal_id: appeal.id,
        unit_id: late_unit_id,
        head_user_id: head,
        origin: origin.to_string(),
        reason: reason.to_string(),
        issued_by,
        created_ms: now_ms,
    };
    if insert_notice(transaction, &notice).await?.is_none() {
        return Ok(false);
    }
    add_to_key_list(transaction, appeal.id, reason, now_ms).await?;
    let mut values = super::notifications::appeal_values(appeal);
    values.push(("reason", reason.to_string()));
    values.push(("unit", unit_name));
    if let Some(head) = head {
        super::notifications::notify(
            hub,
            transaction,
            super::notifications::Recipient::User(head),
            "supervision",
            Some(appeal.id),
            dedupe_key,
            &values,
        )
        .await?;
    }
    if let Some(unit) = late_unit_id {
        super::notifications::notify(
            hub,
            transaction,
            super::notifications::Recipient::Unit(unit),
            "supervision",
            Some(appeal.id),
            dedupe_key,
            &values,
        )
        .await?;
    }
    Ok(true)
}

/// Warns the unit responsible for an appeal that its deadline `due_ms` is near (a `warn`
/// job). Does nothing if the deadline moved or already passed.
pub async fn warn(hub: &Hub, appeal_id: i64, due_ms: i64) -> Result<bool, ServiceError> {
    let Some(appeal) = hub.db.appeal_by_id(appeal_id).await? else {
        return Ok(false);
    };
    let now_ms = hub.clock.now_ms();
    let mut transaction = hub.db.begin_write().await?;
    if appeal.next_deadline_ms != due_ms || due_ms <= now_ms {
        clear_warning_in(&mut transaction, appeal_id, due_ms).await?;
        transaction.commit().await.map_err(StorageError::from)?;
        return Ok(false);
    }
    let Some(unit) = late_unit(appeal.status, appeal.owner_unit_id, appeal.lead_unit_id) else {
        return Ok(false);
    };
    let mut values = super::notifications::appeal_values(&appeal);
    values.push(("step", timed_step(appeal.status).map_or("办理", step_label_zh).to_string()));
    super::notifications::notify(
        hub,
        &mut transaction,
        super::notifications::Recipient::Unit(unit),
        "deadline_warning",
        Some(appeal_id),
        &format!("warn:{appeal_id}:{due_ms}"),
        &values,
    )
    .await?;
    clear_warning_in(&mut transaction, appeal_id, due_ms).await?;
    transaction.commit().await.map_err(StorageError::from)?;
    Ok(true)
}

/// Writes the month's reminder notices (工作提示函) to units whose metrics miss the current
/// policy's thresholds, and notifies them (a `reminders` job). Safe to run twice: one
/// notice per unit and month.
pub async fn monthly_reminders(hub: &Hub, month: &str) -> Result<usize, ServiceError> {
    let Some((expected, from_ms, to_ms)) = month_bounds(hub, month) else {
        return Err(ServiceError::invalid("month", format!("month `{month}` is not YYYY-MM")));
    };
    let policy = super::policies::current(hub).await?.policy;
    let counts = hub.db.unit_month_counts(from_ms, to_ms).await?;
    let now_ms = hub.clock.now_ms();
    let mut written = 0;
    let mut transaction = hub.db.begin_write().await?;
    for (unit_id, unit_counts) in &counts {
        let missed = shortfalls(unit_counts, &policy.reminders);
        if missed.is_empty() {
            continue;
        }
        let metrics = serde_json::to_string(unit_counts).map_err(|error| ServiceError::Internal(error.to_string()))?;
        let missed_json = serde_json::to_string(&missed).map_err(|error| ServiceError::Internal(error.to_string()))?;
        if insert_reminder(&mut transaction, *unit_id, &expected, &metrics, &missed_json, now_ms).await?.is_none() {
            continue;
        }
        let name = unit_name_and_head_in(&mut transaction, *unit_id).await?.map(|(name, _)| name).unwrap_or_default();
        let described: Vec<String> = missed
            .iter()
            .map(|shortfall| format!("{} {:.0}%（要求{:.0}%）", shortfall.label_zh, shortfall.value * 100.0, shortfall.threshold * 100.0))
            .collect();
        let values = [("unit", name), ("month", expected.clone()), ("shortfalls", described.join("；"))];
        super::notifications::notify_unit_and_head(
            hub,
            &mut transaction,
            *unit_id,
            "reminder",
            None,
            &format!("reminder:{unit_id}:{expected}"),
            &values,
        )
        .await?;
        written += 1;
    }
    transaction.commit().await.map_err(StorageError::from)?;
    Ok(written)
}

/// `YYYY-MM` → (the month, its first instant, the next month's first instant), local time.
pub fn month_bounds(hub: &Hub, month: &str) -> Option<(String, i64, i64)> {
    let (year, number) = month.split_once('-')?;
    let (year, number): (i16, i8) = (year.parse().ok()?, number.parse().ok()?);
    let first = jiff::civil::Date::new(year, number, 1).ok()?;
    let next = first.checked_add(jiff::Span::new().months(1)).ok()?;
    let tz = hub.calendar.time_zone().clone();
    Some((
        first.strftime("%Y-%m").to_string(),
        first.to_zoned(tz.clone()).ok()?.timestamp().as_millisecond(),
        next.to_zoned(tz).ok()?.timestamp().as_millisecond(),
    ))
}
