//! The county's programmes on the shared work engine (`service::work`): challenge lists,
//! service orders, task ledgers, mediation, meetings and their schedules, and the
//! programmes' dashboard. Each programme adds its own creation step and views; the
//! lifecycle, deadlines, history, escalation and notifications are the engine's.

use jiff::Timestamp;
use serde::Serialize;
use utoipa::ToSchema;

use super::points::{Holder, earn_in};
use super::work::{NewWorkItem, create_in};
use super::{Hub, ServiceError};
use crate::domain::access::{Role, Staff, UnitKind};
use crate::domain::appeal::AppealStatus;
use crate::domain::programme::{WorkInput, WorkKind};
use crate::domain::workflow::{Actor, Command};
use crate::storage::StorageError;
use crate::storage::programmes::{AttendeeRow, MeetingRow, ScheduleRow, insert_attendee, schedule_in, set_meeting_details};
use crate::storage::work_items::{ProgrammeList, WorkFilter, WorkItemRecord, insert_list};

type Transaction = sqlx::AnyConnection;

fn text(field: &'static str, value: &str, max: usize) -> Result<String, ServiceError> {
    let value = value.trim();
    if value.is_empty() || value.chars().count() > max {
        return Err(ServiceError::invalid(field, format!("{field} must be 1–{max} characters")));
    }
    Ok(value.to_string())
}

async fn known_region(hub: &Hub, region_code: &str) -> Result<(), ServiceError> {
    if hub.db.region(region_code).await?.is_none() {
        return Err(ServiceError::invalid("region_code", format!("region_code `{region_code}` is not a known region")));
    }
    Ok(())
}

/// Consequences of a transition that belong to one programme (called by the engine
/// inside the action's transaction).
pub async fn after_transition(
    hub: &Hub,
    transaction: &mut Transaction,
    _before: &WorkItemRecord,
    after: &WorkItemRecord,
    action: &str,
    actor: &Actor,
    input: &WorkInput,
) -> Result<(), ServiceError> {
    match (after.kind, action) {
        // A rated order earns the team member the community's `service_order` points.
        (WorkKind::ServiceOrder, "rate") => {
            if let Some(user_id) = after.assignee_user_id {
                let rule = crate::storage::points::rule_in(transaction, &after.region_code, "service_order").await?;
                if rule.is_some_and(|rule| rule.active) {
                    let holder = Holder { name: format!("user:{user_id}"), phone: format!("user:{user_id}") };
                    let reason = format!("服务订单{}已完成并获评价", after.number);
                    earn_in(
                        hub,
                        transaction,
                        None,
                        &after.region_code,
                        &holder,
                        "service_order",
                        1,
                        &reason,
                        (Some(after.id), None),
                        Some(format!("order:{}", after.id)),
                    )
                    .await?;
                }
            }
        }
        // An agreement closes the appeal the dispute started from, when it can be resolved.
        (WorkKind::Mediation, "reach_agreement") => {
            if let Some(appeal_id) = after.appeal_id {
                if let Some(appeal) = hub.db.appeal_by_id(appeal_id).await? {
                    if matches!(appeal.status, AppealStatus::SignedFor | AppealStatus::InProgress) {
                        let reply = format!("经调解达成协议（{}）：{}", after.number, input.reason.trim());
                        let actor_for_appeal = match actor {
                            Actor::Staff(staff) if appeal.lead_unit_id == Some(staff.unit.id) => actor.clone(),
                            _ => Actor::System,
                        };
                        super::actions::apply_in(
                            hub,
                            transaction,
                            &appeal.number,
                            &actor_for_appeal,
                            &Command::Resolve { reply },
                            None,
                            &|_| true,
                        )
                        .await?;
                    }
                }
            }
        }
        _ => {}
    }
    Ok(())
}

// ---------------------------------------------------------------- challenge lists

/// A problem to publish on a list.
#[derive(Debug, Clone, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProblem {
    pub title: String,
    /// What must be achieved.
    pub goal: String,
    /// How the outcome will be judged.
    pub criteria: String,
}

/// Publishes a challenge list (榜单) and its problems, all or nothing.
pub async fn publish_challenge_list(
    hub: &Hub,
    staff: &Staff,
    title: &str,
    description: &str,
    region_code: &str,
    due: Timestamp,
    problems: &[NewProblem],
) -> Result<(ProgrammeList, Vec<WorkItemRecord>), ServiceError> {
    if !staff.unit.kind.is_territorial() || !staff.has_any(&[Role::Leader, Role::Admin, Role::Dispatcher]) {
        return Err(ServiceError::Forbidden("a committee's leader or dispatcher publishes challenge lists".into()));
    }
    let title = text("title", title, 200)?;
    known_region(hub, region_code).await?;
    if !region_code.starts_with(staff.unit.region_code.as_str()) {
        return Err(ServiceError::invalid("region_code", "publish lists for your own region"));
    }
    let now_ms = hub.clock.now_ms();
    if due.as_millisecond() <= now_ms {
        return Err(ServiceError::invalid("due_at", "the list's deadline must be in the future"));
    }
    if problems.is_empty() || problems.len() > 100 {
        return Err(ServiceError::invalid("problems", "a list carries 1 to 100 problems"));
    }
    let mut transaction = hub.db.begin_write().await?;
    let list = ProgrammeList {
        id: 0,
        kind: "challenge_list".into(),
        title,
        description: description.trim().to_string(),
        region_code: region_code.to_string(),
        owner_unit_id: staff.unit.id,
        due_ms: Some(due.as_millisecond()),
        created_ms: now_ms,
    };
    let list_id = insert_list(&mut transaction, &list, staff.user_id).await?;
    let mut items = Vec::new();
    for (index, problem) in problems.iter().enumerate() {
        let at = |error: ServiceError| match error {
            ServiceError::Invalid { field, message } => ServiceError::invalid(field, format!("problem {}: {message}", index + 1)),
            other => other,
        };
        let new = NewWorkItem {
            kind: WorkKind::Challenge,
            list_id: Some(list_id),
            title: text("title", &problem.title, 200).map_err(at)?,
            body: text("goal", &problem.goal, 4000).map_err(at)?,
            region_code: region_code.to_string(),
            owner_unit_id: staff.unit.id,
            lead_unit_id: None,
            co_unit_ids: Vec::new(),
            person_name: None,
            requested_by_user_id: None,
            requester_name: None,
            requester_phone: None,
            secret_hash_for: None,
            appeal_id: None,
            attributes: serde_json::json!({ "goal": problem.goal.trim(), "criteria": text("criteria", &problem.criteria, 4000).map_err(at)? }),
            finish_due_ms: Some(due.as_millisecond()),
        };
        items.push(create_in(hub, &mut transaction, &Actor::Staff(staff.clone()), new).await?);
    }
    transaction.commit().await.map_err(StorageError::from)?;
    Ok((ProgrammeList { id: list_id, ..list }, items))
}

/// A problem as the public and the committee see it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemView {
    pub number: String,
    pub title: String,
    pub goal: String,
    pub criteria: String,
    pub status: String,
    pub status_zh: String,
    pub lead_unit: Option<String>,
    pub co_units: Vec<String>,
    /// The leader (挂帅).
    pub leader: Option<String>,
    pub milestones: usize,
    pub late: bool,
    pub score: Option<f64>,
    pub due_ms: Option<i64>,
}

/// A list with its problems.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ChallengeListView {
    #[serde(flatten)]
    pub list: ProgrammeList,
    pub problems: Vec<ProblemView>,
    pub claimed: usize,
    pub assessed: usize,
    pub late: usize,
}

/// Every challenge list under a region with its problems' progress: the public view
/// (no personal data is involved: units, leaders' names as published, statuses, scores).
pub async fn challenge_lists(hub: &Hub, region_prefix: &str) -> Result<Vec<ChallengeListView>, ServiceError> {
    let units: std::collections::HashMap<i64, String> = hub.db.units().await?.into_iter().map(|unit| (unit.id, unit.name)).collect();
    let name = |id: &i64| units.get(id).cloned().unwrap_or_else(|| format!("unit {id}"));
    let mut views = Vec::new();
    for list in hub.db.programme_lists("challenge_list", Some(region_prefix)).await? {
        let filter = WorkFilter { kind: Some(WorkKind::Challenge), list_id: Some(list.id), limit: 5000, ..WorkFilter::default() };
        let mut problems = Vec::new();
        for item in hub.db.work_items(&filter).await? {
            let milestones = hub.db.work_events(item.id).await?.iter().filter(|event| event.kind == "report_milestone").count();
            let spec = item.kind.spec();
            problems.push(ProblemView {
                number: item.number.clone(),
                title: item.title.clone(),
                goal: item.attributes.get("goal").and_then(serde_json::Value::as_str).unwrap_or_default().to_string(),
                criteria: item.attributes.get("criteria").and_then(serde_json::Value::as_str).unwrap_or_default().to_string(),
                status_zh: spec.status(&item.status).map_or("", |status| status.label_zh).to_string(),
                status: item.status.clone(),
                lead_unit: item.lead_unit_id.as_ref().map(name),
                co_units: item.co_unit_ids.iter().map(name).collect(),
                leader: item.person_name.clone(),
                milestones,
                late: item.late_ms.is_some(),
                score: item.score,
                due_ms: item.finish_due_ms,
            });
        }
        let claimed = problems.iter().filter(|problem| problem.status != "open" && problem.status != "withdrawn").count();
        let assessed = problems.iter().filter(|problem| problem.status == "assessed").count();
        let late = problems.iter().filter(|problem| problem.late).count();
        views.push(ChallengeListView { list, problems, claimed, assessed, late });
    }
    Ok(views)
}

/// One unit's standing across the lists: the committee's view of who claimed what.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ClaimantView {
    pub unit_id: i64,
    pub unit: String,
    pub lead: usize,
    pub joint: usize,
    pub late: usize,
    pub assessed: usize,
    pub mean_score: Option<f64>,
}

/// Per claiming unit: problems led and joined, how many late, assessed, the mean score.
pub async fn challenge_claimants(hub: &Hub, staff: &Staff, region_prefix: &str) -> Result<Vec<ClaimantView>, ServiceError> {
    if !staff.unit.kind.is_territorial() {
        return Err(ServiceError::Forbidden("the committee's view is for territorial units".into()));
    }
    let units: std::collections::HashMap<i64, String> = hub.db.units().await?.into_iter().map(|unit| (unit.id, unit.name)).collect();
    let filter = WorkFilter {
        kind: Some(WorkKind::Challenge),
        region_prefix: Some(region_prefix.to_string()),
        limit: 5000,
        ..WorkFilter::default()
    };
    let mut by_unit: std::collections::BTreeMap<i64, (usize, usize, usize, usize, Vec<f64>)> = Default::default();
    for item in hub.db.work_items(&filter).await? {
        let mut touch = |unit: i64, lead: bool| {
            let entry = by_unit.entry(unit).or_default();
            if lead {
                entry.0 += 1
            } else {
                entry.1 += 1
            }
            if item.late_ms.is_some() {
                entry.2 += 1;
            }
            if item.status == "assessed" {
                entry.3 += 1;
                if let Some(score) = item.score {
                    entry.4.push(score);
                }
            }
        };
        if let Some(lead) = item.lead_unit_id {
            touch(lead, true);
        }
        for co in &item.co_unit_ids {
            touch(*co, false);
        }
    }
    Ok(by_unit
        .into_iter()
        .map(|(unit_id, (lead, joint, late, assessed, scores))| ClaimantView {
            unit_id,
            unit: units.get(&unit_id).cloned().unwrap_or_default(),
            lead,
            joint,
            late,
            assessed,
            mean_score: (!scores.is_empty()).then(|| scores.iter().sum::<f64>() / scores.len() as f64),
        })
        .collect())
}

// ---------------------------------------------------------------- service orders

/// The default response target of a community that set none: the "10-minute service circle".
pub const DEFAULT_RESPONSE_MINUTES: i64 = 10;

/// A resident's order.
#[derive(Debug, Clone)]
pub struct NewOrder {
    pub region_code: String,
    pub service_code: String,
    pub requester_name: String,
    pub requester_phone: String,
    pub address: Option<String>,
    pub note: Option<String>,
    pub window_start: Option<Timestamp>,
    pub window_end: Option<Timestamp>,
}

/// Takes an order (点单) for the community's organisation to place (下单). A grid worker
/// or operator may order for a resident. Returns the order and the resident's secret.
pub async fn order_service(hub: &Hub, staff: Option<&Staff>, order: NewOrder) -> Result<(WorkItemRecord, String), ServiceError> {
    let service =
        hub.db.catalogue_item(&order.region_code, &order.service_code).await?.filter(|service| service.active).ok_or_else(|| {
            ServiceError::invalid(
                "service_code",
                format!(
                    "`{}` is not in the service catalogue of {}; see GET /api/v1/service-catalogue",
                    order.service_code, order.region_code
                ),
            )
        })?;
    let community = hub
        .db
        .unit_for_region(UnitKind::VillageOrganisation, &order.region_code)
        .await?
        .ok_or_else(|| ServiceError::invalid("region_code", "no community party organisation is set up for this region"))?;
    let contact = crate::domain::contact::Contact::parse(Some(&order.requester_name), Some(&order.requester_phone))
        .map_err(|error| ServiceError::invalid("requester_phone", error.to_string()))?;
    let now = hub.clock.now();
    if let (Some(start), Some(end)) = (order.window_start, order.window_end) {
        if end <= start {
            return Err(ServiceError::invalid("window_end", "the window must end after it starts"));
        }
    }
    if order.window_end.is_some_and(|end| end <= now) {
        return Err(ServiceError::invalid("window_end", "the window has already passed"));
    }
    let finish_due =
        order.window_end.map(|end| end.as_millisecond()).unwrap_or_else(|| now.as_millisecond() + service.finish_hours * 3_600_000);
    let response_minutes = hub.db.service_target(&order.region_code).await?.unwrap_or(DEFAULT_RESPONSE_MINUTES);
    let secret = super::intake::new_follow_secret();
    let new = NewWorkItem {
        kind: WorkKind::ServiceOrder,
        list_id: None,
        title: service.name.clone(),
        body: order.note.clone().unwrap_or_default(),
        region_code: order.region_code.clone(),
        owner_unit_id: community.id,
        lead_unit_id: None,
        co_unit_ids: Vec::new(),
        person_name: None,
        requested_by_user_id: staff.map(|staff| staff.user_id),
        requester_name: contact.name_unmasked().map(str::to_string),
        requester_phone: contact.phone_unmasked().map(str::to_string),
        secret_hash_for: Some(secret.clone()),
        appeal_id: None,
        attributes: serde_json::json!({
            "service_code": service.code,
            "address": order.address,
            "window_start_ms": order.window_start.map(|at| at.as_millisecond()),
            "window_end_ms": order.window_end.map(|at| at.as_millisecond()),
            "respond_minutes": response_minutes,
        }),
        finish_due_ms: Some(finish_due),
    };
    let actor = staff.map_or(Actor::Resident, |staff| Actor::Staff(staff.clone()));
    let mut transaction = hub.db.begin_write().await?;
    let item = create_in(hub, &mut transaction, &actor, new).await?;
    super::notifications::notify(
        hub,
        &mut transaction,
        super::notifications::Recipient::Unit(community.id),
        "work_assigned",
        None,
        &format!("work:{}:1", item.id),
        &super::work::work_values(hub, &item, "created", "新的服务订单，请下单派给服务队"),
    )
    .await?;
    transaction.commit().await.map_err(StorageError::from)?;
    Ok((item, secret))
}

/// A community's record against its response target.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ServiceCircleRecord {
    pub region_code: String,
    pub response_minutes: i64,
    pub orders: usize,
    pub taken: usize,
    pub taken_within_target: usize,
    /// Share of taken orders taken within the target (0 to 1), when any were taken.
    pub within_target_rate: Option<f64>,
    pub median_response_minutes: Option<f64>,
    pub delivered: usize,
    pub late: usize,
    pub mean_rating: Option<f64>,
}

/// The "10-minute service circle" record of a community over `[from_ms, to_ms)`.
pub async fn service_circle_record(hub: &Hub, region_code: &str, from_ms: i64, to_ms: i64) -> Result<ServiceCircleRecord, ServiceError> {
    let response_minutes = hub.db.service_target(region_code).await?.unwrap_or(DEFAULT_RESPONSE_MINUTES);
    let filter = WorkFilter {
        kind: Some(WorkKind::ServiceOrder),
        region_prefix: Some(region_code.to_string()),
        limit: 5000,
        ..WorkFilter::default()
    };
    let orders: Vec<WorkItemRecord> =
        hub.db.work_items(&filter).await?.into_iter().filter(|item| item.created_ms >= from_ms && item.created_ms < to_ms).collect();
    let mut responses: Vec<f64> =
        orders.iter().filter_map(|item| item.responded_ms.map(|at| (at - item.created_ms) as f64 / 60_000.0)).collect();
    responses.sort_by(f64::total_cmp);
    let taken = responses.len();
    let within = orders
        .iter()
        .filter(|item| {
            item.responded_ms.is_some_and(|at| {
                at - item.created_ms
                    <= item.attributes.get("respond_minutes").and_then(serde_json::Value::as_i64).unwrap_or(response_minutes) * 60_000
            })
        })
        .count();
    let ratings: Vec<i64> = orders.iter().filter_map(|item| item.rating).collect();
    Ok(ServiceCircleRecord {
        region_code: region_code.to_string(),
        response_minutes,
        orders: orders.len(),
        taken,
        taken_within_target: within,
        within_target_rate: (taken > 0).then(|| within as f64 / taken as f64),
        median_response_minutes: (!responses.is_empty()).then(|| responses[responses.len() / 2]),
        delivered: orders.iter().filter(|item| matches!(item.status.as_str(), "delivered" | "rated" | "closed")).count(),
        late: orders.iter().filter(|item| item.late_ms.is_some()).count(),
        mean_rating: (!ratings.is_empty()).then(|| ratings.iter().sum::<i64>() as f64 / ratings.len() as f64),
    })
}

// ---------------------------------------------------------------- task ledgers

/// A task to enter in a ledger.
#[derive(Debug, Clone, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTask {
    pub title: String,
    /// The unit that must do it.
    pub unit_id: i64,
    /// RFC 3339.
    pub due_at: String,
    pub detail: Option<String>,
}

/// Opens a task ledger (台账) with its key tasks, all or nothing.
pub async fn create_ledger(
    hub: &Hub,
    staff: &Staff,
    title: &str,
    region_code: &str,
    tasks: &[NewTask],
) -> Result<(ProgrammeList, Vec<WorkItemRecord>), ServiceError> {
    if !staff.unit.kind.is_territorial() || !staff.has_any(&[Role::Leader, Role::Admin, Role::Dispatcher, Role::Supervisor]) {
        return Err(ServiceError::Forbidden("a territorial unit's leader, dispatcher or supervisor keeps task ledgers".into()));
    }
    let title = text("title", title, 200)?;
    known_region(hub, region_code).await?;
    if tasks.is_empty() || tasks.len() > 500 {
        return Err(ServiceError::invalid("tasks", "a ledger carries 1 to 500 tasks"));
    }
    let now_ms = hub.clock.now_ms();
    let mut parsed = Vec::new();
    for (index, task) in tasks.iter().enumerate() {
        let due: Timestamp =
            task.due_at.parse().map_err(|_| ServiceError::invalid("due_at", format!("task {}: due_at must be RFC 3339", index + 1)))?;
        if hub.db.unit(task.unit_id).await?.is_none() {
            return Err(ServiceError::invalid("unit_id", format!("task {}: unit {} does not exist", index + 1, task.unit_id)));
        }
        parsed.push((text("title", &task.title, 200)?, task.unit_id, due.as_millisecond(), task.detail.clone().unwrap_or_default()));
    }
    let mut transaction = hub.db.begin_write().await?;
    let list = ProgrammeList {
        id: 0,
        kind: "task_ledger".into(),
        title,
        description: String::new(),
        region_code: region_code.to_string(),
        owner_unit_id: staff.unit.id,
        due_ms: parsed.iter().map(|task| task.2).max(),
        created_ms: now_ms,
    };
    let list_id = insert_list(&mut transaction, &list, staff.user_id).await?;
    let mut items = Vec::new();
    for (title, unit_id, due_ms, detail) in parsed {
        let new = NewWorkItem {
            kind: WorkKind::Task,
            list_id: Some(list_id),
            title,
            body: detail,
            region_code: region_code.to_string(),
            owner_unit_id: staff.unit.id,
            lead_unit_id: Some(unit_id),
            co_unit_ids: Vec::new(),
            person_name: None,
            requested_by_user_id: None,
            requester_name: None,
            requester_phone: None,
            secret_hash_for: None,
            appeal_id: None,
            attributes: serde_json::json!({}),
            finish_due_ms: Some(due_ms),
        };
        items.push(create_in(hub, &mut transaction, &Actor::Staff(staff.clone()), new).await?);
    }
    transaction.commit().await.map_err(StorageError::from)?;
    Ok((ProgrammeList { id: list_id, ..list }, items))
}

/// One unit's progress on a ledger at the end of one month.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LedgerProgress {
    pub month: String,
    pub unit_id: i64,
    pub unit: String,
    pub tasks: usize,
    /// Tasks due by the month's end.
    pub due: usize,
    /// Tasks checked off by the month's end.
    pub done: usize,
    /// Of those, checked off by their deadline.
    pub done_on_time: usize,
    /// Due by the month's end and still open at it.
    pub overdue: usize,
}

/// The monthly comparison of progress per unit (逐月对比), from the ledger's first month
/// to the current one.
pub async fn ledger_progress(
    hub: &Hub,
    staff: &Staff,
    ledger_id: i64,
) -> Result<(ProgrammeList, Vec<LedgerProgress>, Vec<WorkItemRecord>), ServiceError> {
    let list = hub
        .db
        .programme_list(ledger_id)
        .await?
        .filter(|list| list.kind == "task_ledger")
        .ok_or_else(|| ServiceError::NotFound(format!("task ledger {ledger_id}")))?;
    let items = hub
        .db
        .work_items(&WorkFilter { kind: Some(WorkKind::Task), list_id: Some(ledger_id), limit: 5000, ..WorkFilter::default() })
        .await?;
    let in_ledger = list.owner_unit_id == staff.unit.id
        || items.iter().any(|item| item.lead_unit_id == Some(staff.unit.id))
        || staff.scope().admits(&list.region_code, &[]);
    if !in_ledger {
        return Err(ServiceError::NotFound(format!("task ledger {ledger_id}")));
    }
    let units: std::collections::HashMap<i64, String> = hub.db.units().await?.into_iter().map(|unit| (unit.id, unit.name)).collect();
    let tz = hub.calendar.time_zone().clone();
    let mut month = hub.calendar.local_date(Timestamp::from_millisecond(list.created_ms).unwrap_or_default()).first_of_month();
    let now = hub.clock.now();
    let last = hub.calendar.local_date(now).first_of_month();
    let mut rows = Vec::new();
    while month <= last {
        let Ok(next) = month.checked_add(jiff::Span::new().months(1)) else { break };
        let end_ms =
            next.to_zoned(tz.clone()).map(|zoned| zoned.timestamp().as_millisecond()).unwrap_or(i64::MAX).min(now.as_millisecond() + 1);
        let mut unit_ids: Vec<i64> = items.iter().filter_map(|item| item.lead_unit_id).collect();
        unit_ids.sort_unstable();
        unit_ids.dedup();
        for unit_id in unit_ids {
            let mine: Vec<&WorkItemRecord> =
                items.iter().filter(|item| item.lead_unit_id == Some(unit_id) && item.status != "cancelled").collect();
            let done_by = |item: &WorkItemRecord| item.status == "done" && item.finished_ms.is_some_and(|at| at < end_ms);
            rows.push(LedgerProgress {
                month: month.strftime("%Y-%m").to_string(),
                unit_id,
                unit: units.get(&unit_id).cloned().unwrap_or_default(),
                tasks: mine.len(),
                due: mine.iter().filter(|item| item.finish_due_ms.is_some_and(|due| due < end_ms)).count(),
                done: mine.iter().filter(|item| done_by(item)).count(),
                done_on_time: mine.iter().filter(|item| done_by(item) && item.finished_ms <= item.finish_due_ms).count(),
                overdue: mine.iter().filter(|item| item.finish_due_ms.is_some_and(|due| due < end_ms) && !done_by(item)).count(),
            });
        }
        month = next;
    }
    Ok((list, rows, items))
}

/// Sends reminder notices (工作提示函) to the units with overdue open tasks on a ledger: a
/// `remind` event on each such task (recorded in its history) and one notice per unit.
/// Returns (unit id, overdue tasks) for every unit reminded.
pub async fn remind_lagging_units(hub: &Hub, staff: &Staff, ledger_id: i64, note: &str) -> Result<Vec<(i64, usize)>, ServiceError> {
    let (list, _, items) = ledger_progress(hub, staff, ledger_id).await?;
    if list.owner_unit_id != staff.unit.id {
        return Err(ServiceError::Forbidden("the unit that keeps the ledger sends its reminder notices".into()));
    }
    let now_ms = hub.clock.now_ms();
    let mut reminded: std::collections::BTreeMap<i64, usize> = Default::default();
    let actor = Actor::Staff(staff.clone());
    for item in items.iter().filter(|item| item.status == "open" && item.finish_due_ms.is_some_and(|due| due < now_ms)) {
        let reason = if note.trim().is_empty() {
            format!("工作提示函：《{}》任务“{}”已逾期，请抓紧销号", list.title, item.title)
        } else {
            note.trim().to_string()
        };
        super::work::act(hub, &actor, &item.number, "remind", WorkInput { reason, ..WorkInput::default() }).await?;
        if let Some(unit) = item.lead_unit_id {
            *reminded.entry(unit).or_default() += 1;
        }
    }
    Ok(reminded.into_iter().collect())
}

// ---------------------------------------------------------------- mediation

/// A party to a dispute.
#[derive(Debug, Clone, serde::Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Party {
    pub name: String,
    pub phone: Option<String>,
    /// e.g. 申请人, 被申请人.
    pub role: String,
}

/// Registers a dispute for mediation, optionally from an appeal (which the agreement
/// will resolve). The response deadline (assigning mediators) and the finishing deadline
/// default to 3 and 30 working days.
pub async fn register_dispute(
    hub: &Hub,
    staff: &Staff,
    title: &str,
    summary: &str,
    region_code: &str,
    parties: &[Party],
    appeal_number: Option<&str>,
) -> Result<WorkItemRecord, ServiceError> {
    if !staff.unit.kind.is_territorial() {
        return Err(ServiceError::Forbidden("a community, township or the centre registers disputes".into()));
    }
    let title = text("title", title, 200)?;
    known_region(hub, region_code).await?;
    if !staff.scope().admits(region_code, &[]) {
        return Err(ServiceError::invalid("region_code", "register disputes in your own region"));
    }
    if parties.len() < 2 || parties.len() > 20 || parties.iter().any(|party| party.name.trim().is_empty()) {
        return Err(ServiceError::invalid("parties", "a dispute has 2 to 20 named parties"));
    }
    let appeal_id = match appeal_number {
        Some(number) => {
            let appeal = hub
                .db
                .appeal_by_number(number)
                .await?
                .ok_or_else(|| ServiceError::invalid("appeal_number", format!("appeal {number} does not exist")))?;
            if !super::actions::visible_to(hub, staff, &appeal).await? {
                return Err(ServiceError::invalid("appeal_number", format!("appeal {number} does not exist")));
            }
            Some(appeal.id)
        }
        None => None,
    };
    let new = NewWorkItem {
        kind: WorkKind::Mediation,
        list_id: None,
        title,
        body: summary.trim().to_string(),
        region_code: region_code.to_string(),
        owner_unit_id: staff.unit.id,
        lead_unit_id: None,
        co_unit_ids: Vec::new(),
        person_name: None,
        requested_by_user_id: None,
        requester_name: None,
        requester_phone: None,
        secret_hash_for: None,
        appeal_id,
        attributes: serde_json::json!({ "parties": parties, "respond_limit": {"working_days": 3}, "finish_limit": {"working_days": 30} }),
        finish_due_ms: None,
    };
    let mut transaction = hub.db.begin_write().await?;
    let item = create_in(hub, &mut transaction, &Actor::Staff(staff.clone()), new).await?;
    transaction.commit().await.map_err(StorageError::from)?;
    Ok(item)
}

// ---------------------------------------------------------------- meetings and activities

/// An attendee to record.
#[derive(Debug, Clone, serde::Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewAttendee {
    pub name: String,
    /// Needed to grant points (it tells two people of one name apart).
    pub phone: Option<String>,
    /// e.g. 党员, 群众, 志愿者.
    pub role: Option<String>,
}

/// Records who attended a meeting, the photos and files, the schedule it fulfils, and
/// grants each attendee with a phone the points of `points_rule` (once per meeting).
pub async fn record_attendance(
    hub: &Hub,
    staff: &Staff,
    meeting_id: i64,
    schedule_id: Option<i64>,
    attachments: &[String],
    attendees: &[NewAttendee],
    points_rule: Option<&str>,
) -> Result<(MeetingRow, Vec<AttendeeRow>), ServiceError> {
    let meeting = hub.db.meeting(meeting_id).await?.ok_or_else(|| ServiceError::NotFound(format!("meeting {meeting_id}")))?;
    if !staff.scope().admits(&meeting.region_code, &[]) {
        return Err(ServiceError::NotFound(format!("meeting {meeting_id}")));
    }
    if attendees.len() > 500 || attachments.len() > 50 {
        return Err(ServiceError::invalid("attendees", "at most 500 attendees and 50 attachments"));
    }
    let mut transaction = hub.db.begin_write().await?;
    if let Some(schedule_id) = schedule_id {
        let schedule = schedule_in(&mut transaction, schedule_id)
            .await?
            .ok_or_else(|| ServiceError::invalid("schedule_id", format!("schedule {schedule_id} does not exist")))?;
        if !meeting.region_code.starts_with(schedule.region_code.as_str()) {
            return Err(ServiceError::invalid("schedule_id", "the meeting is not in the schedule's region"));
        }
    }
    set_meeting_details(
        &mut transaction,
        meeting_id,
        meeting.organiser_unit_id.unwrap_or(staff.unit.id),
        schedule_id.or(meeting.schedule_id),
        attachments,
    )
    .await?;
    for attendee in attendees {
        let name = text("name", &attendee.name, 50)?;
        let mut journal = None;
        if let (Some(rule), Some(phone)) = (points_rule, attendee.phone.as_deref()) {
            let holder = Holder { name: name.clone(), phone: phone.trim().to_string() };
            let reason = format!("参加{}《{}》", meeting.kind, meeting.title);
            journal = Some(
                earn_in(
                    hub,
                    &mut transaction,
                    Some(staff),
                    &meeting.region_code,
                    &holder,
                    rule,
                    1,
                    &reason,
                    (None, Some(meeting_id)),
                    Some(format!("meeting:{meeting_id}:{}", holder.phone)),
                )
                .await?,
            );
        }
        let row = AttendeeRow {
            name,
            phone: attendee.phone.clone(),
            role: attendee.role.clone().unwrap_or_else(|| "群众".into()),
            points_journal_id: journal,
        };
        insert_attendee(&mut transaction, meeting_id, &row).await?;
    }
    transaction.commit().await.map_err(StorageError::from)?;
    let meeting = hub.db.meeting(meeting_id).await?.ok_or_else(|| ServiceError::NotFound(format!("meeting {meeting_id}")))?;
    Ok((meeting, hub.db.meeting_attendees(meeting_id).await?))
}

/// One period of a schedule and the meetings held in it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct SchedulePeriod {
    /// The period's first month, `YYYY-MM`.
    pub period: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub held_meeting_ids: Vec<i64>,
    pub held: bool,
}

/// The periods of a schedule from its start to now.
pub fn schedule_periods(hub: &Hub, schedule: &ScheduleRow, held: &[(i64, i64)], now_ms: i64) -> Vec<SchedulePeriod> {
    let tz = hub.calendar.time_zone().clone();
    let Some((year, month)) = schedule.starts_month.split_once('-') else { return Vec::new() };
    let (Ok(year), Ok(month)) = (year.parse::<i16>(), month.parse::<i8>()) else { return Vec::new() };
    let Ok(mut start) = jiff::civil::Date::new(year, month, 1) else { return Vec::new() };
    let step = jiff::Span::new().months(schedule.every_months.clamp(1, 12));
    let mut periods = Vec::new();
    while let (Ok(start_zoned), Ok(next)) = (start.to_zoned(tz.clone()), start.checked_add(step)) {
        let start_ms = start_zoned.timestamp().as_millisecond();
        if start_ms > now_ms || periods.len() > 240 {
            break;
        }
        let end_ms = next.to_zoned(tz.clone()).map(|zoned| zoned.timestamp().as_millisecond()).unwrap_or(i64::MAX);
        let held_ids: Vec<i64> = held.iter().filter(|(_, at)| *at >= start_ms && *at < end_ms).map(|(id, _)| *id).collect();
        periods.push(SchedulePeriod {
            period: start.strftime("%Y-%m").to_string(),
            start_ms,
            end_ms,
            held: !held_ids.is_empty(),
            held_meeting_ids: held_ids,
        });
        start = next;
    }
    periods
}

/// Reminds organisers of schedules whose current period is nearly over with nothing held.
/// Safe to run on every tick: one reminder per schedule and period.
pub async fn schedule_reminders(hub: &Hub) -> Result<usize, ServiceError> {
    let now_ms = hub.clock.now_ms();
    let county = hub.config.county_code.clone();
    let mut sent = 0;
    for schedule in hub.db.schedules(&county).await?.into_iter().filter(|schedule| schedule.active) {
        let held = hub.db.schedule_held(schedule.id).await?;
        let Some(current) = schedule_periods(hub, &schedule, &held, now_ms).pop() else { continue };
        if current.held || now_ms < current.end_ms - schedule.remind_days * 86_400_000 {
            continue;
        }
        let mut transaction = hub.db.begin_write().await?;
        let values =
            [("title", schedule.title.clone()), ("period", current.period.clone()), ("deadline", super::view::rfc3339(current.end_ms))];
        let key = format!("schedule:{}:{}", schedule.id, current.period);
        if super::notifications::notify(
            hub,
            &mut transaction,
            super::notifications::Recipient::Unit(schedule.organiser_unit_id),
            "schedule_reminder",
            None,
            &key,
            &values,
        )
        .await?
        .is_some()
        {
            sent += 1;
        }
        transaction.commit().await.map_err(StorageError::from)?;
    }
    Ok(sent)
}

// ---------------------------------------------------------------- dashboard

/// The programmes counted for a dashboard.
#[derive(Debug, Clone, Default, Serialize, ToSchema)]
pub struct ProgrammeDashboard {
    pub region_code: String,
    pub from_ms: i64,
    pub to_ms: i64,
    pub challenges_total: i64,
    pub challenges_claimed: i64,
    pub challenges_assessed: i64,
    pub challenges_late: i64,
    pub orders_total: i64,
    pub orders_taken: i64,
    pub orders_taken_within_target: i64,
    pub orders_late: i64,
    pub points_issued: i64,
    pub points_spent: i64,
    pub meetings_held: i64,
    pub scheduled_periods: i64,
    pub scheduled_periods_held: i64,
    pub tasks_total: i64,
    pub tasks_done: i64,
    pub tasks_late: i64,
    pub disputes_total: i64,
    pub disputes_agreed: i64,
}

/// Counts of every programme under a region, for work created (and points and meetings
/// recorded) in `[from_ms, to_ms)`.
pub async fn dashboard(hub: &Hub, region_code: &str, from_ms: i64, to_ms: i64) -> Result<ProgrammeDashboard, ServiceError> {
    let mut board = ProgrammeDashboard { region_code: region_code.to_string(), from_ms, to_ms, ..ProgrammeDashboard::default() };
    let sum = |rows: &[(String, bool, i64)], pick: &dyn Fn(&str, bool) -> bool| {
        rows.iter().filter(|(status, late, _)| pick(status, *late)).map(|(_, _, count)| count).sum::<i64>()
    };
    let challenges = hub.db.work_counts("challenge", region_code, from_ms, to_ms).await?;
    board.challenges_total = sum(&challenges, &|_, _| true);
    board.challenges_claimed = sum(&challenges, &|status, _| !matches!(status, "open" | "withdrawn"));
    board.challenges_assessed = sum(&challenges, &|status, _| status == "assessed");
    board.challenges_late = sum(&challenges, &|_, late| late);
    let tasks = hub.db.work_counts("task", region_code, from_ms, to_ms).await?;
    board.tasks_total = sum(&tasks, &|status, _| status != "cancelled");
    board.tasks_done = sum(&tasks, &|status, _| status == "done");
    board.tasks_late = sum(&tasks, &|_, late| late);
    let disputes = hub.db.work_counts("mediation", region_code, from_ms, to_ms).await?;
    board.disputes_total = sum(&disputes, &|_, _| true);
    board.disputes_agreed = sum(&disputes, &|status, _| status == "agreed" || status == "closed");
    let circle = service_circle_record(hub, region_code, from_ms, to_ms).await?;
    board.orders_total = circle.orders as i64;
    board.orders_taken = circle.taken as i64;
    board.orders_taken_within_target = circle.taken_within_target as i64;
    board.orders_late = circle.late as i64;
    let (issued, spent) = hub.db.points_totals(region_code, from_ms, to_ms).await?;
    board.points_issued = issued;
    board.points_spent = spent;
    board.meetings_held = hub.db.meetings_in(region_code, from_ms, to_ms).await?.len() as i64;
    let now_ms = hub.clock.now_ms();
    for schedule in hub.db.schedules(region_code).await? {
        let held = hub.db.schedule_held(schedule.id).await?;
        for period in
            schedule_periods(hub, &schedule, &held, now_ms).into_iter().filter(|period| period.start_ms < to_ms && period.end_ms > from_ms)
        {
            board.scheduled_periods += 1;
            board.scheduled_periods_held += i64::from(period.held);
        }
    }
    Ok(board)
}

// ---------------------------------------------------------------- lists for the staff screens

/// A task ledger with its counts, as the staff screen lists it.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct LedgerSummary {
    #[serde(flatten)]
    pub ledger: ProgrammeList,
    /// Tasks not cancelled.
    pub tasks: usize,
    pub done: usize,
    /// Open tasks past their deadline now.
    pub overdue: usize,
    /// Tasks that ever missed a deadline.
    pub late: usize,
}

/// The task ledgers a staff member sees: those their unit keeps, those with a task for
/// their unit, and those in their territorial scope. Newest first.
pub async fn ledgers_for(hub: &Hub, staff: &Staff) -> Result<Vec<LedgerSummary>, ServiceError> {
    let now_ms = hub.clock.now_ms();
    let mut summaries = Vec::new();
    for ledger in hub.db.programme_lists("task_ledger", None).await?.into_iter().rev() {
        let items = hub
            .db
            .work_items(&WorkFilter { kind: Some(WorkKind::Task), list_id: Some(ledger.id), limit: 5000, ..WorkFilter::default() })
            .await?;
        let visible = ledger.owner_unit_id == staff.unit.id
            || items.iter().any(|item| item.lead_unit_id == Some(staff.unit.id))
            || staff.scope().admits(&ledger.region_code, &[]);
        if !visible {
            continue;
        }
        let live: Vec<&WorkItemRecord> = items.iter().filter(|item| item.status != "cancelled").collect();
        summaries.push(LedgerSummary {
            tasks: live.len(),
            done: live.iter().filter(|item| item.status == "done").count(),
            overdue: live.iter().filter(|item| item.status == "open" && item.finish_due_ms.is_some_and(|due| due < now_ms)).count(),
            late: live.iter().filter(|item| item.late_ms.is_some()).count(),
            ledger,
        });
    }
    Ok(summaries)
}

/// The meetings and activities under a region that a staff member sees, newest first
/// (at most 500), held in `[from_ms, to_ms)`.
pub async fn meetings_for(
    hub: &Hub,
    staff: &Staff,
    region_prefix: &str,
    from_ms: i64,
    to_ms: i64,
) -> Result<Vec<MeetingRow>, ServiceError> {
    let mut meetings: Vec<MeetingRow> = hub
        .db
        .meetings_in(region_prefix, from_ms, to_ms)
        .await?
        .into_iter()
        .filter(|meeting| staff.scope().admits(&meeting.region_code, &[]))
        .collect();
    meetings.reverse();
    meetings.truncate(500);
    Ok(meetings)
}

/// An activity or meeting that raised no appeals (a drill, a 主题党日, a 板凳会 with nothing
/// to take in), recorded so that its attendance and schedule can be kept. Meetings whose
/// minutes raise appeals go through `POST /api/v1/meetings` instead.
#[derive(Debug, Clone)]
pub struct NewActivity {
    pub kind: String,
    pub title: String,
    pub place: Option<String>,
    pub region_code: String,
    pub held: Timestamp,
    pub minutes: Option<String>,
    pub schedule_id: Option<i64>,
}

/// Records an activity in the staff member's region; returns it as listed.
pub async fn record_activity(hub: &Hub, staff: &Staff, activity: NewActivity) -> Result<MeetingRow, ServiceError> {
    let kind = text("kind", &activity.kind, 40)?;
    let title = text("title", &activity.title, 200)?;
    known_region(hub, &activity.region_code).await?;
    if !staff.unit.kind.is_territorial() || !staff.scope().admits(&activity.region_code, &[]) {
        return Err(ServiceError::invalid("region_code", "record activities in your own region"));
    }
    let now_ms = hub.clock.now_ms();
    if activity.held.as_millisecond() > now_ms + 86_400_000 {
        return Err(ServiceError::invalid("held_at", "record an activity once it was held"));
    }
    if activity.minutes.as_deref().is_some_and(|minutes| minutes.chars().count() > 20_000) {
        return Err(ServiceError::invalid("minutes", "minutes are at most 20000 characters"));
    }
    let mut transaction = hub.db.begin_write().await?;
    if let Some(schedule_id) = activity.schedule_id {
        let schedule = schedule_in(&mut transaction, schedule_id)
            .await?
            .ok_or_else(|| ServiceError::invalid("schedule_id", format!("schedule {schedule_id} does not exist")))?;
        if !activity.region_code.starts_with(schedule.region_code.as_str()) {
            return Err(ServiceError::invalid("schedule_id", "the activity is not in the schedule's region"));
        }
    }
    let place = activity.place.as_deref().map(str::trim).filter(|place| !place.is_empty());
    let minutes = activity.minutes.as_deref().map(str::trim).filter(|minutes| !minutes.is_empty());
    let meeting = crate::storage::meetings::NewMeeting {
        kind: &kind,
        title: &title,
        place,
        region_code: &activity.region_code,
        held_ms: activity.held.as_millisecond(),
        minutes,
        recorded_by: staff.user_id,
        created_ms: now_ms,
    };
    let id = crate::storage::meetings::insert_meeting(&mut transaction, &meeting).await?;
    set_meeting_details(&mut transaction, id, staff.unit.id, activity.schedule_id, &[]).await?;
    transaction.commit().await.map_err(StorageError::from)?;
    hub.db.meeting(id).await?.ok_or_else(|| ServiceError::NotFound(format!("meeting {id}")))
}
