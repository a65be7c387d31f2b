//! Actions on an appeal: the state machine's decision, applied and recorded in one
//! transaction, with the deadlines that follow from it.

use jiff::Timestamp;

use super::{Hub, ServiceError};
use crate::domain::access::Staff;
use crate::domain::appeal::AppealStatus;
use crate::domain::deadline::{TimeLimit, due_at, extend, resume_after_pause};
use crate::domain::history::EventKind;
use crate::domain::ownership::StepLimits;
use crate::domain::workflow::{Actor, Command, WorkflowState, decide};
use crate::storage::StorageError;
use crate::storage::appeals::{AppealRecord, NO_DEADLINE, NewEvent, append_event, load_for_update, set_handlers, update_appeal};

/// The workflow's view of a stored appeal.
pub fn workflow_state(appeal: &AppealRecord) -> WorkflowState {
    WorkflowState {
        status: appeal.status,
        triage: appeal.triage,
        tier: appeal.tier,
        owner_unit_id: appeal.owner_unit_id,
        lead_unit_id: appeal.lead_unit_id,
        co_unit_ids: appeal.co_unit_ids.clone(),
        extension_pending: appeal.extension_pending,
        paused: appeal.paused,
        rating: appeal.rating,
        reopen_count: u32::try_from(appeal.reopen_count).unwrap_or(u32::MAX),
    }
}

/// Whether a staff member may see an appeal at all. Appeals out of scope are reported
/// as not found, so that their existence does not leak.
pub async fn visible_to(hub: &Hub, staff: &Staff, appeal: &AppealRecord) -> Result<bool, ServiceError> {
    if appeal.owner_unit_id == Some(staff.unit.id) {
        return Ok(true);
    }
    let handlers: Vec<i64> = hub.db.handlers_of(appeal.id).await?.into_iter().map(|(unit, _)| unit).collect();
    Ok(staff.scope().admits(&appeal.region_code, &handlers))
}

/// The limits that apply to an appeal's steps under the shipped policy (version 1).
/// The workflow itself uses the policy version the appeal keeps (`service::policies`).
pub fn step_limits(hub: &Hub, appeal: &AppealRecord) -> StepLimits {
    super::policies::limits_for(hub, &crate::domain::deadline_policy::DeadlinePolicy::shipped_default(), appeal)
}

/// The deadline the sweep and the queues look at, given the appeal's status.
pub fn next_deadline(appeal: &AppealRecord) -> i64 {
    if appeal.paused {
        return NO_DEADLINE;
    }
    let due = match appeal.status {
        AppealStatus::Received | AppealStatus::Accepted | AppealStatus::Returned | AppealStatus::Dispatched => appeal.sign_due_ms,
        AppealStatus::SignedFor | AppealStatus::InProgress => appeal.resolve_due_ms,
        _ => None,
    };
    due.unwrap_or(NO_DEADLINE)
}

fn actor_label(actor: &Actor) -> (String, Option<i64>, Option<i64>) {
    match actor {
        Actor::Staff(staff) => (format!("user:{}", staff.username), Some(staff.user_id), Some(staff.unit.id)),
        Actor::Resident => ("resident".into(), None, None),
        Actor::System => ("system".into(), None, None),
    }
}

/// The reason line and the JSON payload an event records for a command.
fn describe(command: &Command) -> (String, serde_json::Value) {
    use serde_json::json;
    match command {
        Command::Accept { note } => (note.clone().unwrap_or_default(), json!({})),
        Command::Reject { reason } => (reason.clone(), json!({})),
        Command::Dispatch { lead_unit_id, co_unit_ids, note } => {
            (note.clone().unwrap_or_default(), json!({ "lead_unit_id": lead_unit_id, "co_unit_ids": co_unit_ids }))
        }
        Command::SignFor => (String::new(), json!({})),
        Command::RecordProgress { note } => (note.clone(), json!({})),
        Command::Return { reason } => (reason.clone(), json!({})),
        Command::RequestExtension { working_days, reason } => (reason.clone(), json!({ "working_days": working_days })),
        Command::GrantExtension { note } => (note.clone().unwrap_or_default(), json!({})),
        Command::RefuseExtension { reason } => (reason.clone(), json!({})),
        Command::Pause { reason } => (reason.clone(), json!({})),
        Command::Resume { note } => (note.clone().unwrap_or_default(), json!({})),
        Command::Resolve { reply } => (reply.clone(), json!({ "reply": reply })),
        Command::FollowUp { note, reached } => (note.clone(), json!({ "reached": reached })),
        Command::Rate { rating, comment } => (comment.clone().unwrap_or_default(), json!({ "rating": rating })),
        Command::Reopen { reason } => (reason.clone(), json!({})),
        Command::MergeInto { primary_number, reason } => (reason.clone().unwrap_or_default(), json!({ "primary_number": primary_number })),
        Command::Close { note } => (note.clone().unwrap_or_default(), json!({})),
        Command::Reclassify { category_code, triage, tier, reason } => {
            (reason.clone(), json!({ "category_code": category_code, "triage": triage, "tier": tier }))
        }
        Command::Urge { note } => (note.clone(), json!({})),
        Command::Escalate { reason } => (reason.clone(), json!({})),
    }
}

/// Applies a command to an appeal. Either everything is recorded or nothing is.
pub async fn act(hub: &Hub, number: &str, actor: &Actor, command: Command) -> Result<AppealRecord, ServiceError> {
    // Checks that need other rows come first, outside the write transaction.
    let snapshot = hub.db.appeal_by_number(number).await?.ok_or_else(|| ServiceError::NotFound(format!("appeal {number}")))?;
    if let Actor::Staff(staff) = actor {
        if !visible_to(hub, staff, &snapshot).await? {
            return Err(ServiceError::NotFound(format!("appeal {number}")));
        }
    }
    let mut primary_number = None;
    match &command {
        Command::Dispatch { lead_unit_id, co_unit_ids, .. } => {
            for unit_id in std::iter::once(lead_unit_id).chain(co_unit_ids) {
                if hub.db.unit(*unit_id).await?.is_none() {
                    return Err(ServiceError::invalid("lead_unit_id", format!("unit {unit_id} does not exist; see GET /api/v1/units")));
                }
            }
        }
        Command::MergeInto { primary_number: primary, .. } => {
            let primary = crate::domain::appeal::AppealNumber::parse(primary)
                .ok_or_else(|| ServiceError::invalid("primary_number", "primary_number must look like MQ-20261121-000123"))?;
            if primary.as_str() == number {
                return Err(ServiceError::invalid("primary_number", "an appeal cannot be merged into itself"));
            }
            let primary_record = hub
                .db
                .appeal_by_number(primary.as_str())
                .await?
                .ok_or_else(|| ServiceError::invalid("primary_number", format!("appeal {primary} does not exist")))?;
            if let Actor::Staff(staff) = actor {
                if !visible_to(hub, staff, &primary_record).await? {
                    return Err(ServiceError::invalid("primary_number", format!("appeal {primary} does not exist")));
                }
            }
            if primary_record.status.is_terminal() {
                return Err(ServiceError::invalid(
                    "primary_number",
                    format!("appeal {primary} is {}; merge into an appeal that is still being handled", primary_record.status),
                ));
            }
            primary_number = Some(primary.to_string());
        }
        Command::Reclassify { category_code: Some(code), .. } => {
            if !hub.category_list().iter().any(|category| &category.code == code) {
                return Err(ServiceError::invalid("category_code", format!("category_code `{code}` is not in the taxonomy")));
            }
        }
        _ => {}
    }

    let mut transaction = hub.db.begin_write().await?;
    let applied = apply_in(hub, &mut transaction, number, actor, &command, primary_number.as_deref(), &|_| true).await?;
    transaction.commit().await.map_err(StorageError::from)?;
    match applied {
        Some(applied) => {
            tracing::info!(number = %applied.after.number, event = %applied.event, status = %applied.after.status, "appeal action");
            Ok(applied.after)
        }
        None => Err(ServiceError::Conflict(format!("appeal {number} changed; reload it and try again"))),
    }
}

/// What applying a command did: the appeal before and after, and the event written.
#[derive(Debug, Clone)]
pub struct Applied {
    pub before: AppealRecord,
    pub after: AppealRecord,
    pub event: EventKind,
}

/// Applies a command inside the caller's transaction, after the checks `act` makes.
/// `guard` sees the appeal as loaded in the transaction; when it says no, nothing is
/// written and `None` is returned (jobs use it to re-check that their work is still due).
pub async fn apply_in(
    hub: &Hub,
    transaction: &mut sqlx::AnyConnection,
    number: &str,
    actor: &Actor,
    command: &Command,
    primary_number: Option<&str>,
    guard: &(dyn Fn(&AppealRecord) -> bool + Sync),
) -> Result<Option<Applied>, ServiceError> {
    let command = command.clone();
    let primary_number = primary_number.map(str::to_string);
    let now = hub.clock.now();
    let now_ms = now.as_millisecond();
    let mut appeal = load_for_update(transaction, number).await?;
    if !guard(&appeal) {
        return Ok(None);
    }
    let decision = decide(&workflow_state(&appeal), actor, &command)?;

    let before = appeal.clone();
    take_decision(&mut appeal, &decision, now_ms);
    let (_, policy) = super::lookup_cache::policy_of_appeal_in(hub, transaction, appeal.id).await?;
    let limits = super::policies::limits_for(hub, &policy, &appeal);
    let mut extra = serde_json::Map::new();

    match &command {
        Command::Accept { .. } => appeal.needs_triage = false,
        Command::Dispatch { .. } | Command::Reopen { .. } => {
            appeal.needs_triage = false;
            appeal.dispatched_ms = Some(now_ms);
            appeal.signed_ms = None;
            appeal.sign_due_ms = Some(due_at(&hub.calendar, now, limits.sign_for).as_millisecond());
            appeal.resolve_due_ms = Some(due_at(&hub.calendar, now, limits.resolve).as_millisecond());
            set_handlers(transaction, appeal.id, appeal.lead_unit_id, &appeal.co_unit_ids).await?;
        }
        Command::SignFor => appeal.signed_ms = Some(now_ms),
        Command::Return { .. } => {
            appeal.return_count += 1;
            appeal.sign_due_ms = Some(due_at(&hub.calendar, now, limits.dispatch).as_millisecond());
            appeal.resolve_due_ms = None;
            set_handlers(transaction, appeal.id, None, &[]).await?;
        }
        Command::GrantExtension { .. } => {
            let days = requested_extension_days(transaction, appeal.id).await?;
            if let Some(due) = appeal.resolve_due_ms.and_then(|ms| Timestamp::from_millisecond(ms).ok()) {
                let moved = extend(&hub.calendar, due, TimeLimit::WorkingDays(days));
                appeal.resolve_due_ms = Some(moved.as_millisecond());
                extra.insert("resolve_due_ms".into(), moved.as_millisecond().into());
            }
            extra.insert("working_days".into(), days.into());
        }
        Command::Pause { .. } => appeal.paused_ms = Some(now_ms),
        Command::Resume { .. } => {
            if let Some(paused_at) = appeal.paused_ms.and_then(|ms| Timestamp::from_millisecond(ms).ok()) {
                for due in [&mut appeal.sign_due_ms, &mut appeal.resolve_due_ms] {
                    if let Some(at) = due.and_then(|ms| Timestamp::from_millisecond(ms).ok()) {
                        *due = Some(resume_after_pause(&hub.calendar, at, paused_at, now).as_millisecond());
                    }
                }
                extra.insert("paused_ms".into(), (now_ms - paused_at.as_millisecond()).into());
            }
            appeal.paused_ms = None;
        }
        Command::Resolve { .. } => {
            appeal.resolved_ms = Some(now_ms);
            appeal.paused_ms = None;
        }
        Command::Close { .. } => appeal.closed_ms = Some(now_ms),
        Command::MergeInto { .. } => {
            if let Some(primary) = primary_number.as_deref() {
                let mut primary_record = load_for_update(transaction, primary).await?;
                appeal.merged_into_id = Some(primary_record.id);
                let (label, user_id, unit_id) = actor_label(actor);
                let event = NewEvent {
                    kind: EventKind::DuplicateAttached.as_str().into(),
                    actor: label,
                    actor_user_id: user_id,
                    actor_unit_id: unit_id,
                    at_ms: now_ms,
                    reason: format!("{} 作为重复诉求并入", appeal.number),
                    payload_json: serde_json::json!({ "duplicate_number": appeal.number }).to_string(),
                };
                append_event(transaction, &mut primary_record, &event).await?;
                primary_record.updated_ms = now_ms;
                update_appeal(transaction, &mut primary_record).await?;
            }
        }
        Command::Reclassify { category_code, .. } => {
            if let Some(code) = category_code {
                appeal.category_code = Some(code.clone());
            }
            appeal.needs_triage = false;
            appeal.triage_confidence = 1.0;
        }
        Command::Urge { .. } => appeal.urge_count += 1,
        Command::RecordProgress { .. }
        | Command::Reject { .. }
        | Command::RequestExtension { .. }
        | Command::RefuseExtension { .. }
        | Command::FollowUp { .. }
        | Command::Rate { .. } => {}
        Command::Escalate { .. } => restart_running_deadline(hub, &mut appeal, &limits, now, &mut extra),
    }
    // Ownership follows the tier. A person's triage (reclassifying an appeal that waited in
    // the county's triage queue) also hands it from the service centre to its tier's owner.
    let triaged_now = before.needs_triage && matches!(command, Command::Reclassify { .. });
    if decision.tier_changed || triaged_now {
        let new_owner = super::intake::owner_unit(hub, appeal.tier, &appeal.region_code).await?;
        if new_owner != appeal.owner_unit_id {
            extra.insert("owner_unit_id".into(), new_owner.into());
        }
        appeal.owner_unit_id = new_owner;
    }
    appeal.next_deadline_ms = next_deadline(&appeal);

    let event = event_of(&command, actor, decision.event, &before, &appeal, extra, now_ms);
    append_event(transaction, &mut appeal, &event).await?;
    update_appeal(transaction, &mut appeal).await?;
    if appeal.next_deadline_ms != before.next_deadline_ms || decision.tier_changed || triaged_now {
        let warn_ms = super::sweep::warning_instant(hub, &policy, &limits, &appeal, now);
        crate::storage::policies::set_appeal_warning(transaction, appeal.id, warn_ms).await?;
    }
    super::notifications::after_action(hub, transaction, &before, &appeal, decision.event, actor, &event.reason).await?;

    // Every reporter of a merged duplicate is told the outcome of the primary.
    if let Command::Resolve { reply } = &command {
        let duplicates = duplicate_numbers(transaction, appeal.id).await?;
        for duplicate in duplicates {
            let mut record = load_for_update(transaction, &duplicate).await?;
            let event = NewEvent {
                kind: EventKind::PrimaryResolved.as_str().into(),
                actor: "system".into(),
                actor_user_id: None,
                actor_unit_id: None,
                at_ms: now_ms,
                reason: reply.clone(),
                payload_json: serde_json::json!({ "primary_number": appeal.number, "reply": reply }).to_string(),
            };
            append_event(transaction, &mut record, &event).await?;
            record.updated_ms = now_ms;
            update_appeal(transaction, &mut record).await?;
        }
    }
    Ok(Some(Applied { before, after: appeal, event: decision.event }))
}

/// Copies what the workflow decided into the appeal record.
pub fn take_decision(appeal: &mut AppealRecord, decision: &crate::domain::workflow::Decision, now_ms: i64) {
    appeal.status = decision.next.status;
    appeal.triage = decision.next.triage;
    appeal.tier = decision.next.tier;
    appeal.lead_unit_id = decision.next.lead_unit_id;
    appeal.co_unit_ids = decision.next.co_unit_ids.clone();
    appeal.extension_pending = decision.next.extension_pending;
    appeal.paused = decision.next.paused;
    appeal.rating = decision.next.rating;
    appeal.reopen_count = i64::from(decision.next.reopen_count);
    appeal.updated_ms = now_ms;
}

/// An escalation's clock: the new owner gets a fresh deadline for the step that is
/// running, under the new tier's limits (red stays red and gets a fresh one too, while
/// supervised). The new deadlines go into the event's payload.
pub fn restart_running_deadline(
    hub: &Hub,
    appeal: &mut AppealRecord,
    limits: &StepLimits,
    now: Timestamp,
    extra: &mut serde_json::Map<String, serde_json::Value>,
) {
    match crate::domain::escalation::timed_step(appeal.status) {
        Some(crate::domain::deadline_policy::Step::Dispatch) => {
            appeal.sign_due_ms = Some(due_at(&hub.calendar, now, limits.dispatch).as_millisecond());
        }
        Some(crate::domain::deadline_policy::Step::SignFor) => {
            appeal.sign_due_ms = Some(due_at(&hub.calendar, now, limits.sign_for).as_millisecond());
        }
        Some(_) => {
            appeal.resolve_due_ms = Some(due_at(&hub.calendar, now, limits.resolve).as_millisecond());
        }
        None => {}
    }
    extra.insert("sign_due_ms".into(), appeal.sign_due_ms.into());
    extra.insert("resolve_due_ms".into(), appeal.resolve_due_ms.into());
}

/// The event a command writes: its reason, its payload (with `extra` and the statuses
/// before and after) and who did it.
pub fn event_of(
    command: &Command,
    actor: &Actor,
    kind: EventKind,
    before: &AppealRecord,
    after: &AppealRecord,
    extra: serde_json::Map<String, serde_json::Value>,
    now_ms: i64,
) -> NewEvent {
    let (reason, payload) = describe(command);
    let mut payload = match payload {
        serde_json::Value::Object(map) => map,
        _ => serde_json::Map::new(),
    };
    payload.extend(extra);
    payload.insert("from_status".into(), before.status.as_str().into());
    payload.insert("to_status".into(), after.status.as_str().into());
    let (label, user_id, unit_id) = actor_label(actor);
    NewEvent {
        kind: kind.as_str().into(),
        actor: label,
        actor_user_id: user_id,
        actor_unit_id: unit_id,
        at_ms: now_ms,
        reason,
        payload_json: serde_json::Value::Object(payload).to_string(),
    }
}

async fn requested_extension_days(transaction: &mut sqlx::AnyConnection, appeal_id: i64) -> Result<u32, ServiceError> {
    let payload = crate::storage::appeals::last_event_payload(transaction, appeal_id, EventKind::ExtensionRequested.as_str()).await?;
    let days = payload
        .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
        .and_then(|value| value.get("working_days").and_then(serde_json::Value::as_u64))
        .unwrap_or(1);
    Ok(u32::try_from(days).unwrap_or(1))
}

async fn duplicate_numbers(transaction: &mut sqlx::AnyConnection, primary_id: i64) -> Result<Vec<String>, ServiceError> {
    Ok(crate::storage::appeals::duplicate_numbers(transaction, primary_id).await?)
}
