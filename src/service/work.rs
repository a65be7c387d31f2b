//! The programmes' work engine as use cases: create an item of any kind, apply an action
//! (`domain::programme::decide`, then deadlines, one hash-chained event, notifications,
//! all in one transaction), and the overdue sweep with its `work_escalate` jobs.
//!
//! This is the one path every programme's work goes through; a programme adds only its
//! own creation step and, where it needs one, a consequence of a transition (points for a
//! rated order, closing the appeal a mediation started from).

use jiff::{SignedDuration, Timestamp};

use super::notifications::{Recipient, notify, notify_unit_and_head};
use super::{Hub, ServiceError};
use crate::domain::access::{Staff, UnitKind};
use crate::domain::deadline::{TimeLimit, due_at};
use crate::domain::programme::{Clock, Effect, Transition, WorkError, WorkInput, WorkKind, WorkState, actor_is, decide};
use crate::domain::workflow::Actor;
use crate::storage::StorageError;
use crate::storage::jobs::{NewJob, enqueue_job_in};
use crate::storage::work_items::{
    NewWorkEvent, WorkItemRecord, append_item_event, insert_item, load_item_for_update, set_units, update_item,
};

type Transaction = sqlx::AnyConnection;

/// The job kind of an overdue work item.
pub const ESCALATE_JOB: &str = "work_escalate";

impl From<WorkError> for ServiceError {
    fn from(error: WorkError) -> ServiceError {
        let message = error.to_string();
        match error {
            WorkError::UnknownAction { .. } => ServiceError::invalid("action", message),
            WorkError::IllegalTransition { .. } => ServiceError::Conflict(message),
            WorkError::NotPermitted { .. } => ServiceError::Forbidden(message),
            WorkError::Missing { field, .. } => ServiceError::invalid(field, message),
        }
    }
}

/// The engine's view of a stored item.
pub fn work_state(item: &WorkItemRecord) -> WorkState {
    WorkState {
        kind: item.kind,
        status: item.status.clone(),
        region_code: item.region_code.clone(),
        owner_unit_id: item.owner_unit_id,
        lead_unit_id: item.lead_unit_id,
        co_unit_ids: item.co_unit_ids.clone(),
        assignee_user_id: item.assignee_user_id,
        requested_by_user_id: item.requested_by_user_id,
    }
}

/// Whether a staff member may see an item. Challenge problems are public; other items are
/// seen by their owner, their units, and territorial units over their region (`Scope`).
/// Items out of sight answer "not found".
pub fn visible_to(staff: &Staff, item: &WorkItemRecord) -> bool {
    if item.kind == WorkKind::Challenge || item.owner_unit_id == staff.unit.id {
        return true;
    }
    let handlers: Vec<i64> = item.lead_unit_id.iter().chain(item.co_unit_ids.iter()).copied().collect();
    staff.scope().admits(&item.region_code, &handlers)
}

/// The transitions a staff member may take on an item now: the item's status allows
/// them and the staff member is one of the parties each names. Steps only the hub takes
/// (a missed deadline) are never offered. The web page shows only these.
pub fn available_actions(staff: &Staff, item: &WorkItemRecord) -> Vec<&'static Transition> {
    let state = work_state(item);
    let actor = Actor::Staff(staff.clone());
    item.kind
        .spec()
        .transitions
        .iter()
        .filter(|transition| !transition.by.is_empty() && transition.from.contains(&item.status.as_str()))
        .filter(|transition| transition.by.iter().any(|party| actor_is(&state, &actor, *party)))
        .collect()
}

/// A limit stored in an item's attributes under `key` (`{"working_days": 3}`, …), or a
/// number of minutes under `key_minutes`.
fn limit_from(attributes: &serde_json::Value, key: &str) -> Option<Limit> {
    if let Some(minutes) = attributes.get(format!("{key}_minutes")).and_then(serde_json::Value::as_i64) {
        return Some(Limit::Minutes(minutes));
    }
    attributes.get(format!("{key}_limit")).and_then(|value| serde_json::from_value::<TimeLimit>(value.clone()).ok()).map(Limit::Calendar)
}

/// A limit in working or clock time, or in plain minutes (service circles).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Limit {
    Calendar(TimeLimit),
    Minutes(i64),
}

/// The instant a limit runs out from `from`, in the county's working time.
pub fn limit_due(hub: &Hub, from: Timestamp, limit: Limit) -> i64 {
    match limit {
        Limit::Calendar(limit) => due_at(&hub.calendar, from, limit).as_millisecond(),
        Limit::Minutes(minutes) => from.as_millisecond().saturating_add(minutes.saturating_mul(60_000)),
    }
}

/// The deadline the sweep watches, from the status's clock.
pub fn next_deadline(item: &WorkItemRecord) -> Option<i64> {
    match item.kind.spec().clock_of(&item.status) {
        Clock::Respond => item.respond_due_ms,
        Clock::Finish => item.finish_due_ms,
        Clock::Stopped => None,
    }
}

fn actor_label(actor: &Actor) -> (String, Option<i64>, Option<i64>) {
    match actor {
        Actor::Staff(staff) => (format!("user:{}", staff.username), Some(staff.user_id), Some(staff.unit.id)),
        Actor::Resident => ("resident".into(), None, None),
        Actor::System => ("system".into(), None, None),
    }
}

/// A new item, before its number and first event.
#[derive(Debug, Clone)]
pub struct NewWorkItem {
    pub kind: WorkKind,
    pub list_id: Option<i64>,
    pub title: String,
    pub body: String,
    pub region_code: String,
    pub owner_unit_id: i64,
    pub lead_unit_id: Option<i64>,
    pub co_unit_ids: Vec<i64>,
    pub person_name: Option<String>,
    pub requested_by_user_id: Option<i64>,
    pub requester_name: Option<String>,
    pub requester_phone: Option<String>,
    pub secret_hash_for: Option<String>,
    pub appeal_id: Option<i64>,
    pub attributes: serde_json::Value,
    /// An absolute finishing deadline (a list's deadline, a task's, a window's end).
    pub finish_due_ms: Option<i64>,
}

/// Stores a new item with its `created` event, inside the caller's transaction. The
/// response deadline of the initial status starts now.
pub async fn create_in(hub: &Hub, transaction: &mut Transaction, actor: &Actor, new: NewWorkItem) -> Result<WorkItemRecord, ServiceError> {
    let now = hub.clock.now();
    let now_ms = now.as_millisecond();
    let spec = new.kind.spec();
    let day = hub.calendar.local_date(now).strftime("%Y%m%d").to_string();
    let prefix = new.kind.number_prefix();
    let sequence = crate::storage::appeals::next_daily_sequence(transaction, &format!("{prefix}-{day}")).await?;
    let number = format!("{prefix}-{day}-{sequence:04}");
    let respond_due_ms = match spec.clock_of(spec.initial) {
        Clock::Respond => limit_from(&new.attributes, "respond").map(|limit| limit_due(hub, now, limit)),
        _ => None,
    };
    let mut item = WorkItemRecord {
        id: 0,
        number: number.clone(),
        kind: new.kind,
        list_id: new.list_id,
        title: new.title,
        body: new.body,
        region_code: new.region_code,
        owner_unit_id: new.owner_unit_id,
        lead_unit_id: new.lead_unit_id,
        co_unit_ids: new.co_unit_ids,
        assignee_user_id: None,
        person_name: new.person_name,
        requested_by_user_id: new.requested_by_user_id,
        requester_name: new.requester_name,
        requester_phone: new.requester_phone,
        secret_hash: new.secret_hash_for.map(|secret| super::intake::secret_hash(&number, &secret)),
        appeal_id: new.appeal_id,
        status: spec.initial.to_string(),
        score: None,
        rating: None,
        attributes: new.attributes,
        created_ms: now_ms,
        updated_ms: now_ms,
        responded_ms: None,
        finished_ms: None,
        respond_due_ms,
        finish_due_ms: new.finish_due_ms,
        next_deadline_ms: None,
        late_ms: None,
        escalated_due_ms: None,
        press_count: 0,
        event_count: 0,
        head_hash: String::new(),
        version: 0,
    };
    item.next_deadline_ms = next_deadline(&item);
    let (actor_text, actor_user_id, actor_unit_id) = actor_label(actor);
    let event = NewWorkEvent {
        kind: "created".into(),
        actor: actor_text,
        actor_user_id,
        actor_unit_id,
        at_ms: now_ms,
        reason: item.title.clone(),
        payload_json: serde_json::json!({ "kind": item.kind, "region_code": item.region_code, "lead_unit_id": item.lead_unit_id })
            .to_string(),
    };
    let stored = insert_item(transaction, &item, &event).await?;
    if let Some(lead) = stored.lead_unit_id {
        notify_work(hub, transaction, &stored, Recipient::Unit(lead), "work_assigned", "created", &stored.title).await?;
    }
    Ok(stored)
}

/// What applying an action did.
#[derive(Debug, Clone)]
pub struct WorkApplied {
    pub before: WorkItemRecord,
    pub after: WorkItemRecord,
    pub action: &'static str,
}

/// Applies an action to an item, checking sight and the units named, in one transaction.
pub async fn act(hub: &Hub, actor: &Actor, number: &str, action: &str, input: WorkInput) -> Result<WorkItemRecord, ServiceError> {
    let snapshot = hub.db.work_item(number).await?.ok_or_else(|| ServiceError::NotFound(format!("work item {number}")))?;
    if let Actor::Staff(staff) = actor {
        if !visible_to(staff, &snapshot) {
            return Err(ServiceError::NotFound(format!("work item {number}")));
        }
    }
    for unit in input.lead_unit_id.iter().chain(input.co_unit_ids.iter()) {
        if hub.db.unit(*unit).await?.is_none() {
            return Err(ServiceError::invalid("lead_unit_id", format!("unit {unit} does not exist; see GET /api/v1/units")));
        }
    }
    if input.evidence.len() > 20 || input.evidence.iter().any(|reference| reference.trim().is_empty() || reference.chars().count() > 500) {
        return Err(ServiceError::invalid("evidence", "evidence is up to 20 references (URLs or file names), each 1–500 characters"));
    }
    if input.reason.chars().count() > 4000 {
        return Err(ServiceError::invalid("reason", "reason is at most 4000 characters"));
    }
    let mut transaction = hub.db.begin_write().await?;
    let applied = apply_in(hub, &mut transaction, actor, number, action, &input, &|_| true).await?;
    transaction.commit().await.map_err(StorageError::from)?;
    match applied {
        Some(applied) => {
            tracing::info!(number = %applied.after.number, action, status = %applied.after.status, "work item action");
            Ok(applied.after)
        }
        None => Err(ServiceError::Conflict(format!("{number} changed; reload it and try again"))),
    }
}

/// Applies an action inside the caller's transaction. `guard` may refuse on the item as
/// loaded (jobs re-check that their deadline still stands); then nothing is written.
pub async fn apply_in(
    hub: &Hub,
    transaction: &mut Transaction,
    actor: &Actor,
    number: &str,
    action: &str,
    input: &WorkInput,
    guard: &(dyn Fn(&WorkItemRecord) -> bool + Sync),
) -> Result<Option<WorkApplied>, ServiceError> {
    let now = hub.clock.now();
    let now_ms = now.as_millisecond();
    let mut item = load_item_for_update(transaction, number).await?;
    if !guard(&item) {
        return Ok(None);
    }
    let decision = decide(&work_state(&item), actor, action, input)?;
    let spec = item.kind.spec();
    let before = item.clone();
    let was_clock = spec.clock_of(&item.status);
    item.status = decision.next_status.to_string();
    item.lead_unit_id = decision.lead_unit_id;
    item.co_unit_ids = decision.co_unit_ids.clone();
    item.assignee_user_id = decision.assignee_user_id;
    if let Some(name) = &decision.person_name {
        item.person_name = Some(name.trim().to_string());
    }
    if decision.score.is_some() {
        item.score = decision.score;
    }
    if decision.rating.is_some() {
        item.rating = decision.rating;
    }
    item.updated_ms = now_ms;
    let clock = spec.clock_of(&item.status);
    if decision.clock_changed {
        match clock {
            Clock::Respond => {
                if let Some(limit) = limit_from(&item.attributes, "respond") {
                    item.respond_due_ms = Some(limit_due(hub, now, limit));
                }
            }
            Clock::Finish => {
                if let Some(limit) = limit_from(&item.attributes, "finish") {
                    if item.finish_due_ms.is_none() || decision.transition.restart_clock {
                        item.finish_due_ms = Some(limit_due(hub, now, limit));
                    }
                }
            }
            Clock::Stopped => {}
        }
    }
    if was_clock == Clock::Respond && clock != Clock::Respond && item.responded_ms.is_none() {
        item.responded_ms = Some(now_ms);
    }
    if was_clock != Clock::Stopped && clock == Clock::Stopped {
        item.finished_ms = Some(now_ms);
    }
    if clock != Clock::Stopped && decision.transition.restart_clock {
        item.finished_ms = None;
    }
    match decision.transition.effect {
        Effect::Press => item.press_count += 1,
        Effect::MarkLate => {
            item.late_ms = item.late_ms.or(Some(now_ms));
            item.escalated_due_ms = item.next_deadline_ms;
        }
        _ => {}
    }
    item.next_deadline_ms = next_deadline(&item);
    if item.lead_unit_id != before.lead_unit_id || item.co_unit_ids != before.co_unit_ids {
        set_units(transaction, item.id, item.lead_unit_id, &item.co_unit_ids).await?;
    }
    let (actor_text, actor_user_id, actor_unit_id) = actor_label(actor);
    let payload = serde_json::json!({
        "from": before.status,
        "to": item.status,
        "lead_unit_id": item.lead_unit_id,
        "co_unit_ids": item.co_unit_ids,
        "assignee_user_id": item.assignee_user_id,
        "person_name": decision.person_name,
        "score": decision.score,
        "rating": decision.rating,
        "evidence": input.evidence,
    });
    let event = NewWorkEvent {
        kind: decision.transition.action.to_string(),
        actor: actor_text,
        actor_user_id,
        actor_unit_id,
        at_ms: now_ms,
        reason: input.reason.trim().to_string(),
        payload_json: payload.to_string(),
    };
    append_item_event(transaction, &mut item, &event).await?;
    update_item(transaction, &mut item).await?;
    after_action(hub, transaction, &before, &item, decision.transition.action, actor, input).await?;
    Ok(Some(WorkApplied { before, after: item, action: decision.transition.action }))
}

/// The units concerned are told; a programme's consequences follow.
async fn after_action(
    hub: &Hub,
    transaction: &mut Transaction,
    before: &WorkItemRecord,
    after: &WorkItemRecord,
    action: &'static str,
    actor: &Actor,
    input: &WorkInput,
) -> Result<(), ServiceError> {
    let reason = input.reason.trim();
    let assigned_now = after.lead_unit_id.is_some() && after.lead_unit_id != before.lead_unit_id;
    if assigned_now {
        if let Some(lead) = after.lead_unit_id {
            notify_work(hub, transaction, after, Recipient::Unit(lead), "work_assigned", action, reason).await?;
        }
    }
    match action {
        "urge" | "remind" => {
            let target = after.lead_unit_id.unwrap_or(after.owner_unit_id);
            notify_unit_and_head(
                hub,
                transaction,
                target,
                "work_urged",
                None,
                &format!("work:{}:{}", after.id, after.event_count),
                &work_values(hub, after, action, reason),
            )
            .await?;
        }
        "decline" => notify_work(hub, transaction, after, Recipient::Unit(after.owner_unit_id), "work_urged", action, reason).await?,
        _ => {}
    }
    super::programmes::after_transition(hub, transaction, before, after, action, actor, input).await
}

/// The values every work template can use: {number} {title} {kind} {status} {deadline}
/// {reason} {action}.
pub fn work_values(hub: &Hub, item: &WorkItemRecord, action: &str, reason: &str) -> Vec<(&'static str, String)> {
    let _ = hub;
    let spec = item.kind.spec();
    let deadline = item.next_deadline_ms.map(super::view::rfc3339).unwrap_or_else(|| "（无）".into());
    let action_zh = spec.transitions.iter().find(|transition| transition.action == action).map_or(action, |transition| transition.label_zh);
    vec![
        ("number", item.number.clone()),
        ("title", super::notifications::summary(&item.title)),
        ("kind", item.kind.label_zh().to_string()),
        ("status", spec.status(&item.status).map_or(item.status.clone(), |status| status.label_zh.to_string())),
        ("deadline", deadline),
        ("reason", reason.to_string()),
        ("action", action_zh.to_string()),
    ]
}

async fn notify_work(
    hub: &Hub,
    transaction: &mut Transaction,
    item: &WorkItemRecord,
    recipient: Recipient,
    kind: &str,
    action: &str,
    reason: &str,
) -> Result<(), ServiceError> {
    let key = format!("work:{}:{}", item.id, item.event_count);
    notify(hub, transaction, recipient, kind, None, &key, &work_values(hub, item, action, reason)).await?;
    Ok(())
}

/// Queues a `work_escalate` job for each item whose running deadline passed. Idempotent:
/// jobs are keyed by item and deadline.
pub async fn sweep(hub: &Hub) -> Result<usize, ServiceError> {
    let now_ms = hub.clock.now_ms();
    let due = hub.db.work_items_past_deadline(now_ms, super::sweep::SWEEP_BATCH).await?;
    if due.is_empty() {
        return Ok(0);
    }
    let mut queued = 0;
    let mut transaction = hub.db.begin_write().await?;
    for (item_id, deadline_ms) in due {
        let job = NewJob {
            kind: ESCALATE_JOB.into(),
            dedupe_key: format!("{ESCALATE_JOB}:{item_id}:{deadline_ms}"),
            appeal_id: None,
            due_ms: Some(deadline_ms),
            payload_json: serde_json::json!({ "item_id": item_id }).to_string(),
            run_at_ms: now_ms,
            max_attempts: 5,
        };
        if enqueue_job_in(&mut transaction, &job, now_ms).await? {
            queued += 1;
        }
    }
    transaction.commit().await.map_err(StorageError::from)?;
    Ok(queued)
}

/// Runs a `work_escalate` job.
pub async fn run_job(hub: &Hub, payload_json: &str, due_ms: Option<i64>) -> Result<(), ServiceError> {
    let payload: serde_json::Value = serde_json::from_str(payload_json).unwrap_or_default();
    if let (Some(item_id), Some(due_ms)) = (payload.get("item_id").and_then(serde_json::Value::as_i64), due_ms) {
        escalate(hub, item_id, due_ms).await?;
    }
    Ok(())
}

/// Marks an item late for the deadline `due_ms` and tells its lead unit, its owner and
/// the territorial unit one level above the owner's region (as an appeal climbs a tier).
/// Does nothing if the deadline moved or was escalated already: safe to run twice.
pub async fn escalate(hub: &Hub, item_id: i64, due_ms: i64) -> Result<bool, ServiceError> {
    let Some(snapshot) = hub.db.work_item_by_id(item_id).await? else {
        return Ok(false);
    };
    let now_ms = hub.clock.now_ms();
    let overdue = SignedDuration::from_millis(now_ms.saturating_sub(due_ms));
    let label = if snapshot.kind.spec().clock_of(&snapshot.status) == Clock::Respond { "响应" } else { "完成" };
    let reason = format!("超过{label}时限{}分钟", overdue.as_secs() / 60);
    let input = WorkInput { reason: reason.clone(), ..WorkInput::default() };
    let mut transaction = hub.db.begin_write().await?;
    let guard =
        move |item: &WorkItemRecord| item.next_deadline_ms == Some(due_ms) && due_ms <= now_ms && item.escalated_due_ms != Some(due_ms);
    let applied = match apply_in(hub, &mut transaction, &Actor::System, &snapshot.number, "escalate", &input, &guard).await {
        Ok(Some(applied)) => applied,
        Ok(None) | Err(ServiceError::Conflict(_)) => return Ok(false),
        Err(error) => return Err(error),
    };
    let item = &applied.after;
    let key = format!("work_overdue:{}:{due_ms}", item.id);
    let values = work_values(hub, item, "escalate", &reason);
    let mut units: Vec<i64> = item.lead_unit_id.into_iter().collect();
    units.push(item.owner_unit_id);
    if let Some(above) = overseer_above(hub, &item.region_code, item.owner_unit_id).await? {
        units.push(above);
    }
    units.dedup();
    for unit in units {
        notify_unit_and_head(hub, &mut transaction, unit, "work_overdue", None, &key, &values).await?;
    }
    transaction.commit().await.map_err(StorageError::from)?;
    tracing::info!(number = %item.number, "work item deadline missed: escalated");
    Ok(true)
}

/// The territorial unit one level above a region's own: the township committee over a
/// village, the service centre over a township or the county.
async fn overseer_above(hub: &Hub, region_code: &str, owner_unit_id: i64) -> Result<Option<i64>, ServiceError> {
    let candidates: Vec<(UnitKind, String)> = if region_code.len() > 9 {
        vec![(UnitKind::VillageOrganisation, region_code.to_string()), (UnitKind::TownshipCommittee, region_code[..9].to_string())]
    } else {
        vec![(UnitKind::TownshipCommittee, region_code.to_string())]
    };
    for (kind, code) in candidates {
        if let Some(unit) = hub.db.unit_for_region(kind, &code).await? {
            if unit.id != owner_unit_id {
                return Ok(Some(unit.id));
            }
        }
    }
    let county = hub.config.county_code.clone();
    Ok(hub.db.unit_for_region(UnitKind::ServiceCentre, &county).await?.map(|unit| unit.id).filter(|unit| *unit != owner_unit_id))
}
