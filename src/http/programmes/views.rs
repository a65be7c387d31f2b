//! Each programme's own endpoints: creating its work and reading its views. The
//! lifecycle of every item goes through `/api/v1/work-items/{number}/actions/{action}`.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::work_items::{WorkItemBody, item_body};
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::http::extract::{ApiJson, ApiQuery, MaybeSignedIn, SignedIn};
use crate::service::Hub;
use crate::service::programmes::{
    self, ChallengeListView, ClaimantView, LedgerProgress, LedgerSummary, NewAttendee, NewOrder, NewProblem, NewTask, Party,
    ProgrammeDashboard, SchedulePeriod, ServiceCircleRecord,
};
use crate::storage::programmes::{AttendeeRow, CatalogueItem, MeetingRow, ScheduleRow};
use crate::storage::work_items::ProgrammeList;

fn timestamp(field: &'static str, text: &str) -> ApiResult<jiff::Timestamp> {
    text.parse().map_err(|_| ApiError::invalid(field, format!("{field} must be an RFC 3339 time like 2026-12-31T18:00:00+08:00")))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RegionQuery {
    /// A region code; its subtree is counted. The county by default.
    pub region_code: Option<String>,
    /// `YYYY-MM`; all time when absent.
    pub month: Option<String>,
}

fn period(hub: &Hub, query: &RegionQuery) -> ApiResult<(String, i64, i64)> {
    let region = query.region_code.clone().unwrap_or_else(|| hub.config.county_code.clone());
    match &query.month {
        Some(month) => {
            let (_, from, to) =
                crate::service::sweep::month_bounds(hub, month).ok_or_else(|| ApiError::invalid("month", "month is YYYY-MM"))?;
            Ok((region, from, to))
        }
        None => Ok((region, 0, i64::MAX)),
    }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChallengeListRequest {
    pub title: String,
    pub description: Option<String>,
    pub region_code: String,
    /// The deadline of every problem on the list, RFC 3339.
    pub due_at: String,
    pub problems: Vec<NewProblem>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ChallengeListCreated {
    pub list: ProgrammeList,
    pub problems: Vec<WorkItemBody>,
}

/// A committee publishes a challenge list (榜单) with its problems.
#[utoipa::path(
    post, path = "/api/v1/challenge-lists", tag = "programmes", request_body = ChallengeListRequest,
    responses((status = 201, description = "Published", body = ChallengeListCreated), (status = 400, description = "Invalid; nothing published", body = ErrorEnvelope), (status = 403, description = "Not a committee's leader or dispatcher", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn publish_challenge_list(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiJson(request): ApiJson<ChallengeListRequest>,
) -> ApiResult<(StatusCode, Json<ChallengeListCreated>)> {
    let due = timestamp("due_at", &request.due_at)?;
    let (list, items) = programmes::publish_challenge_list(
        &hub,
        &staff,
        &request.title,
        request.description.as_deref().unwrap_or(""),
        &request.region_code,
        due,
        &request.problems,
    )
    .await?;
    Ok((StatusCode::CREATED, Json(ChallengeListCreated { list, problems: items.iter().map(|item| item_body(item, false)).collect() })))
}

/// The public view of the challenge lists and their progress.
#[utoipa::path(
    get, path = "/api/v1/public/challenge-lists", tag = "public", params(RegionQuery),
    responses((status = 200, description = "Lists with problems", body = [ChallengeListView])),
)]
pub async fn public_challenge_lists(
    State(hub): State<Hub>,
    ApiQuery(query): ApiQuery<RegionQuery>,
) -> ApiResult<Json<Vec<ChallengeListView>>> {
    let (region, _, _) = period(&hub, &query)?;
    Ok(Json(programmes::challenge_lists(&hub, &region).await?))
}

/// The committee's view: per claiming unit, problems led and joined, late, assessed, mean score.
#[utoipa::path(
    get, path = "/api/v1/challenge-lists/claimants", tag = "programmes", params(RegionQuery),
    responses((status = 200, description = "Claimants", body = [ClaimantView]), (status = 403, description = "Not a territorial unit", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn challenge_claimants(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiQuery(query): ApiQuery<RegionQuery>,
) -> ApiResult<Json<Vec<ClaimantView>>> {
    let (region, _, _) = period(&hub, &query)?;
    Ok(Json(programmes::challenge_claimants(&hub, &staff, &region).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceOrderRequest {
    /// The community (village or community code).
    pub region_code: String,
    /// A code of the community's catalogue.
    pub service_code: String,
    pub requester_name: String,
    pub requester_phone: String,
    pub address: Option<String>,
    pub note: Option<String>,
    /// RFC 3339; the time window the resident wants.
    pub window_start: Option<String>,
    pub window_end: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceOrderReceipt {
    pub order: WorkItemBody,
    /// Give this to the resident: with the number it lets them rate the service.
    pub secret: String,
}

/// A resident orders a service (点单); a grid worker or operator may order for them.
#[utoipa::path(
    post, path = "/api/v1/service-orders", tag = "programmes", request_body = ServiceOrderRequest,
    responses((status = 201, description = "Ordered", body = ServiceOrderReceipt), (status = 400, description = "Invalid; nothing ordered", body = ErrorEnvelope)),
)]
pub async fn order_service(
    State(hub): State<Hub>,
    MaybeSignedIn(staff): MaybeSignedIn,
    ApiJson(request): ApiJson<ServiceOrderRequest>,
) -> ApiResult<(StatusCode, Json<ServiceOrderReceipt>)> {
    let order = NewOrder {
        region_code: request.region_code,
        service_code: request.service_code,
        requester_name: request.requester_name,
        requester_phone: request.requester_phone,
        address: request.address,
        note: request.note,
        window_start: request.window_start.as_deref().map(|text| timestamp("window_start", text)).transpose()?,
        window_end: request.window_end.as_deref().map(|text| timestamp("window_end", text)).transpose()?,
    };
    let (item, secret) = programmes::order_service(&hub, staff.as_ref(), order).await?;
    Ok((StatusCode::CREATED, Json(ServiceOrderReceipt { order: item_body(&item, true), secret })))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CatalogueRequest {
    pub region_code: String,
    pub code: String,
    pub name: String,
    pub finish_hours: i64,
    pub active: Option<bool>,
}

/// A community adds or changes a service in its catalogue.
#[utoipa::path(
    put, path = "/api/v1/service-catalogue", tag = "programmes", request_body = CatalogueRequest,
    responses((status = 200, description = "The service", body = CatalogueItem), (status = 403, description = "Not the community's staff", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn put_catalogue_item(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiJson(request): ApiJson<CatalogueRequest>,
) -> ApiResult<Json<CatalogueItem>> {
    if !crate::service::points::keeps_ledger_of(&staff, &request.region_code) {
        return Err(ApiError::forbidden("only staff of the community or above set its catalogue"));
    }
    if request.code.trim().is_empty() || request.name.trim().is_empty() || !(1..=720).contains(&request.finish_hours) {
        return Err(ApiError::invalid("finish_hours", "give a code, a name and finish_hours from 1 to 720"));
    }
    let item = CatalogueItem {
        id: 0,
        region_code: request.region_code,
        code: request.code.trim().into(),
        name: request.name.trim().into(),
        finish_hours: request.finish_hours,
        points: 0,
        active: request.active.unwrap_or(true),
    };
    Ok(Json(hub.db.upsert_catalogue_item(&item).await?))
}

/// A community's service catalogue.
#[utoipa::path(
    get, path = "/api/v1/service-catalogue", tag = "public", params(RegionQuery),
    responses((status = 200, description = "Services", body = [CatalogueItem])),
)]
pub async fn list_catalogue(State(hub): State<Hub>, ApiQuery(query): ApiQuery<RegionQuery>) -> ApiResult<Json<Vec<CatalogueItem>>> {
    let (region, _, _) = period(&hub, &query)?;
    Ok(Json(hub.db.catalogue(&region).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ServiceTargetRequest {
    pub region_code: String,
    /// The response target in minutes (e.g. 10 for a "10-minute service circle").
    pub response_minutes: i64,
}

/// A community sets its response target for orders placed from now on.
#[utoipa::path(
    put, path = "/api/v1/service-circle", tag = "programmes", request_body = ServiceTargetRequest,
    responses((status = 200, description = "The record against the new target", body = ServiceCircleRecord), (status = 403, description = "Not the community's staff", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn put_service_target(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiJson(request): ApiJson<ServiceTargetRequest>,
) -> ApiResult<Json<ServiceCircleRecord>> {
    if !crate::service::points::keeps_ledger_of(&staff, &request.region_code) {
        return Err(ApiError::forbidden("only staff of the community or above set its response target"));
    }
    if !(1..=1440).contains(&request.response_minutes) {
        return Err(ApiError::invalid("response_minutes", "response_minutes is 1 to 1440"));
    }
    hub.db.set_service_target(&request.region_code, request.response_minutes, staff.user_id, hub.clock.now_ms()).await?;
    Ok(Json(programmes::service_circle_record(&hub, &request.region_code, 0, i64::MAX).await?))
}

/// A community's record against its response target (the service circle).
#[utoipa::path(
    get, path = "/api/v1/service-circle", tag = "programmes", params(RegionQuery),
    responses((status = 200, description = "The record", body = ServiceCircleRecord)),
    security(("bearer" = []))
)]
pub async fn get_service_circle(
    State(hub): State<Hub>,
    SignedIn(_staff): SignedIn,
    ApiQuery(query): ApiQuery<RegionQuery>,
) -> ApiResult<Json<ServiceCircleRecord>> {
    let (region, from, to) = period(&hub, &query)?;
    Ok(Json(programmes::service_circle_record(&hub, &region, from, to).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LedgerRequest {
    pub title: String,
    pub region_code: String,
    pub tasks: Vec<NewTask>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LedgerBody {
    pub ledger: ProgrammeList,
    pub tasks: Vec<WorkItemBody>,
    /// Per unit and month: tasks, due, done, done on time, overdue (the monthly comparison).
    pub progress: Vec<LedgerProgress>,
}

/// Opens a task ledger (台账) of key tasks per unit.
#[utoipa::path(
    post, path = "/api/v1/task-ledgers", tag = "programmes", request_body = LedgerRequest,
    responses((status = 201, description = "Opened", body = LedgerBody), (status = 400, description = "Invalid; nothing opened", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn create_ledger(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiJson(request): ApiJson<LedgerRequest>,
) -> ApiResult<(StatusCode, Json<LedgerBody>)> {
    let (ledger, _) = programmes::create_ledger(&hub, &staff, &request.title, &request.region_code, &request.tasks).await?;
    let (ledger, progress, tasks) = programmes::ledger_progress(&hub, &staff, ledger.id).await?;
    Ok((StatusCode::CREATED, Json(LedgerBody { ledger, tasks: tasks.iter().map(|item| item_body(item, false)).collect(), progress })))
}

/// A ledger with its tasks and the monthly comparison of progress per unit.
#[utoipa::path(
    get, path = "/api/v1/task-ledgers/{id}", tag = "programmes", params(("id" = i64, Path)),
    responses((status = 200, description = "The ledger", body = LedgerBody), (status = 404, description = "Not in your scope", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn get_ledger(State(hub): State<Hub>, SignedIn(staff): SignedIn, Path(id): Path<i64>) -> ApiResult<Json<LedgerBody>> {
    let (ledger, progress, tasks) = programmes::ledger_progress(&hub, &staff, id).await?;
    Ok(Json(LedgerBody { ledger, tasks: tasks.iter().map(|item| item_body(item, false)).collect(), progress }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReminderRequest {
    /// The notice's text; a standard one is written when absent.
    pub note: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnitReminded {
    pub unit_id: i64,
    pub overdue_tasks: usize,
}

/// Sends reminder notices (工作提示函) to units with overdue tasks, recorded on each task.
#[utoipa::path(
    post, path = "/api/v1/task-ledgers/{id}/reminders", tag = "programmes", params(("id" = i64, Path)), request_body = ReminderRequest,
    responses((status = 200, description = "Units reminded", body = [UnitReminded]), (status = 403, description = "Not the ledger's keeper", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn remind_ledger(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    Path(id): Path<i64>,
    ApiJson(request): ApiJson<ReminderRequest>,
) -> ApiResult<Json<Vec<UnitReminded>>> {
    let reminded = programmes::remind_lagging_units(&hub, &staff, id, request.note.as_deref().unwrap_or("")).await?;
    Ok(Json(reminded.into_iter().map(|(unit_id, overdue_tasks)| UnitReminded { unit_id, overdue_tasks }).collect()))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DisputeRequest {
    pub title: String,
    pub summary: String,
    pub region_code: String,
    pub parties: Vec<Party>,
    /// The appeal the dispute came from; an agreement resolves it.
    pub appeal_number: Option<String>,
}

/// Registers a dispute for mediation (矛盾纠纷调解).
#[utoipa::path(
    post, path = "/api/v1/disputes", tag = "programmes", request_body = DisputeRequest,
    responses((status = 201, description = "Registered", body = WorkItemBody), (status = 400, description = "Invalid; nothing registered", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn register_dispute(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiJson(request): ApiJson<DisputeRequest>,
) -> ApiResult<(StatusCode, Json<WorkItemBody>)> {
    let item = programmes::register_dispute(
        &hub,
        &staff,
        &request.title,
        &request.summary,
        &request.region_code,
        &request.parties,
        request.appeal_number.as_deref(),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(item_body(&item, true))))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AttendanceRequest {
    pub attendees: Vec<NewAttendee>,
    /// Photo and file references (URLs or names).
    #[serde(default)]
    pub attachments: Vec<String>,
    /// The schedule this meeting fulfils.
    pub schedule_id: Option<i64>,
    /// The community's earning rule paid to each attendee with a phone.
    pub points_rule: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingBody {
    pub meeting: MeetingRow,
    pub attendees: Vec<AttendeeRow>,
    /// The appeals the meeting produced (each appeal also names the meeting).
    pub appeal_numbers: Vec<String>,
}

/// Records a meeting's attendance, photos and schedule; grants points by rule.
#[utoipa::path(
    post, path = "/api/v1/meetings/{id}/attendance", tag = "programmes", params(("id" = i64, Path)), request_body = AttendanceRequest,
    responses((status = 200, description = "The meeting", body = MeetingBody), (status = 404, description = "Not in your scope", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn record_attendance(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    Path(id): Path<i64>,
    ApiJson(request): ApiJson<AttendanceRequest>,
) -> ApiResult<Json<MeetingBody>> {
    let (meeting, attendees) = programmes::record_attendance(
        &hub,
        &staff,
        id,
        request.schedule_id,
        &request.attachments,
        &request.attendees,
        request.points_rule.as_deref(),
    )
    .await?;
    let appeal_numbers = hub.db.meeting_appeal_numbers(id).await?;
    Ok(Json(MeetingBody { meeting, attendees, appeal_numbers }))
}

/// A meeting with its attendance and the appeals it produced.
#[utoipa::path(
    get, path = "/api/v1/meetings/{id}", tag = "programmes", params(("id" = i64, Path)),
    responses((status = 200, description = "The meeting", body = MeetingBody), (status = 404, description = "Not in your scope", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn get_meeting(State(hub): State<Hub>, SignedIn(staff): SignedIn, Path(id): Path<i64>) -> ApiResult<Json<MeetingBody>> {
    let meeting = hub
        .db
        .meeting(id)
        .await?
        .filter(|meeting| staff.scope().admits(&meeting.region_code, &[]))
        .ok_or_else(|| ApiError::not_found(format!("meeting {id}")))?;
    Ok(Json(MeetingBody {
        attendees: hub.db.meeting_attendees(id).await?,
        appeal_numbers: hub.db.meeting_appeal_numbers(id).await?,
        meeting,
    }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ScheduleRequest {
    /// e.g. 应急演练, 主题党日, 宣传活动.
    pub kind: String,
    pub title: String,
    pub region_code: String,
    /// 1, 3, 6 or 12.
    pub every_months: i64,
    /// `YYYY-MM`.
    pub starts_month: String,
    /// Days before a period ends to remind the organiser if nothing was held (7 by default).
    pub remind_days: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ScheduleBody {
    pub schedule: ScheduleRow,
    /// Every period so far and whether it was held.
    pub periods: Vec<SchedulePeriod>,
}

/// Sets up a recurring schedule (one drill a quarter, …) for the signed-in unit.
#[utoipa::path(
    post, path = "/api/v1/meeting-schedules", tag = "programmes", request_body = ScheduleRequest,
    responses((status = 201, description = "The schedule", body = ScheduleBody), (status = 400, description = "Invalid", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn create_schedule(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiJson(request): ApiJson<ScheduleRequest>,
) -> ApiResult<(StatusCode, Json<ScheduleBody>)> {
    if ![1, 3, 6, 12].contains(&request.every_months) {
        return Err(ApiError::invalid("every_months", "every_months is 1, 3, 6 or 12"));
    }
    if crate::service::sweep::month_bounds(&hub, &request.starts_month).is_none() {
        return Err(ApiError::invalid("starts_month", "starts_month is YYYY-MM"));
    }
    if !staff.scope().admits(&request.region_code, &[]) || request.title.trim().is_empty() || request.kind.trim().is_empty() {
        return Err(ApiError::invalid("region_code", "give a kind, a title and a region in your scope"));
    }
    let mut schedule = ScheduleRow {
        id: 0,
        kind: request.kind.trim().into(),
        title: request.title.trim().into(),
        region_code: request.region_code,
        organiser_unit_id: staff.unit.id,
        every_months: request.every_months,
        starts_month: request.starts_month,
        remind_days: request.remind_days.unwrap_or(7).clamp(0, 180),
        active: true,
    };
    schedule.id = hub.db.insert_schedule(&schedule, hub.clock.now_ms()).await?;
    let periods = programmes::schedule_periods(&hub, &schedule, &[], hub.clock.now_ms());
    Ok((StatusCode::CREATED, Json(ScheduleBody { schedule, periods })))
}

/// Schedules under a region with the record of which periods were held.
#[utoipa::path(
    get, path = "/api/v1/meeting-schedules", tag = "programmes", params(RegionQuery),
    responses((status = 200, description = "Schedules", body = [ScheduleBody])),
    security(("bearer" = []))
)]
pub async fn list_schedules(
    State(hub): State<Hub>,
    SignedIn(_staff): SignedIn,
    ApiQuery(query): ApiQuery<RegionQuery>,
) -> ApiResult<Json<Vec<ScheduleBody>>> {
    let (region, _, _) = period(&hub, &query)?;
    let now_ms = hub.clock.now_ms();
    let mut bodies = Vec::new();
    for schedule in hub.db.schedules(&region).await? {
        let held = hub.db.schedule_held(schedule.id).await?;
        bodies.push(ScheduleBody { periods: programmes::schedule_periods(&hub, &schedule, &held, now_ms), schedule });
    }
    Ok(Json(bodies))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ProgrammeDashboardQuery {
    /// A region code; its subtree is counted. The county by default.
    pub region_code: Option<String>,
    /// `YYYY-MM`; all time when absent.
    pub month: Option<String>,
    /// `json` (default) or `csv` (one row per measure, UTF-8 with a byte-order mark).
    pub format: Option<String>,
}

/// The dashboard's counts as CSV rows: (measure, value).
fn dashboard_rows(board: &ProgrammeDashboard) -> Vec<(&'static str, i64)> {
    vec![
        ("challenges_total", board.challenges_total),
        ("challenges_claimed", board.challenges_claimed),
        ("challenges_assessed", board.challenges_assessed),
        ("challenges_late", board.challenges_late),
        ("orders_total", board.orders_total),
        ("orders_taken", board.orders_taken),
        ("orders_taken_within_target", board.orders_taken_within_target),
        ("orders_late", board.orders_late),
        ("points_issued", board.points_issued),
        ("points_spent", board.points_spent),
        ("meetings_held", board.meetings_held),
        ("scheduled_periods", board.scheduled_periods),
        ("scheduled_periods_held", board.scheduled_periods_held),
        ("tasks_total", board.tasks_total),
        ("tasks_done", board.tasks_done),
        ("tasks_late", board.tasks_late),
        ("disputes_total", board.disputes_total),
        ("disputes_agreed", board.disputes_agreed),
    ]
}

/// The programmes counted: lists claimed and scored, orders taken on time, points issued
/// and spent, meetings held against schedule, ledger items checked off, disputes settled.
#[utoipa::path(
    get, path = "/api/v1/dashboard/programmes", tag = "dashboard", params(ProgrammeDashboardQuery),
    responses((status = 200, description = "Counts (or, with format=csv, one row per measure)", body = ProgrammeDashboard), (status = 400, description = "Bad month or format", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn programme_dashboard(
    State(hub): State<Hub>,
    SignedIn(_staff): SignedIn,
    ApiQuery(query): ApiQuery<ProgrammeDashboardQuery>,
) -> ApiResult<Response> {
    let csv = match query.format.as_deref() {
        None | Some("") | Some("json") => false,
        Some("csv") => true,
        Some(other) => {
            return Err(ApiError::invalid(
                "format",
                format!("format `{}` is not `json` or `csv`", other.chars().take(20).collect::<String>()),
            ));
        }
    };
    let region_query = RegionQuery { region_code: query.region_code, month: query.month };
    let (region, from, to) = period(&hub, &region_query)?;
    let board = programmes::dashboard(&hub, &region, from, to).await?;
    if !csv {
        return Ok(Json(board).into_response());
    }
    let internal = |error: String| ApiError::from(crate::service::ServiceError::Internal(error));
    let mut writer = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    writer.write_record(["region_code", "month", "measure", "value"]).map_err(|error| internal(error.to_string()))?;
    let month = region_query.month.unwrap_or_default();
    for (measure, value) in dashboard_rows(&board) {
        writer.write_record([region.as_str(), month.as_str(), measure, &value.to_string()]).map_err(|error| internal(error.to_string()))?;
    }
    let bytes = writer.into_inner().map_err(|error| internal(error.to_string()))?;
    let file_name = format!("minqing-programmes-{}.csv", if month.is_empty() { "all" } else { month.as_str() });
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

/// The task ledgers you see (kept by your unit, with tasks for your unit, or in your
/// region), newest first, with their counts.
#[utoipa::path(
    get, path = "/api/v1/task-ledgers", tag = "programmes",
    responses((status = 200, description = "Ledgers", body = [LedgerSummary])),
    security(("bearer" = []))
)]
pub async fn list_ledgers(State(hub): State<Hub>, SignedIn(staff): SignedIn) -> ApiResult<Json<Vec<LedgerSummary>>> {
    Ok(Json(programmes::ledgers_for(&hub, &staff).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MeetingListQuery {
    /// A region code; its subtree is listed. Your unit's region by default.
    pub region_code: Option<String>,
    /// `YYYY-MM`; all time when absent.
    pub month: Option<String>,
}

/// Meetings and activities in your scope under a region, newest first (at most 500).
#[utoipa::path(
    get, path = "/api/v1/meetings", tag = "programmes", params(MeetingListQuery),
    responses((status = 200, description = "Meetings", body = [MeetingRow]), (status = 400, description = "Bad month", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn list_meetings(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiQuery(query): ApiQuery<MeetingListQuery>,
) -> ApiResult<Json<Vec<MeetingRow>>> {
    let default_region = if staff.unit.kind.is_territorial() { staff.unit.region_code.clone() } else { hub.config.county_code.clone() };
    let region_query = RegionQuery { region_code: Some(query.region_code.unwrap_or(default_region)), month: query.month };
    let (region, from, to) = period(&hub, &region_query)?;
    Ok(Json(programmes::meetings_for(&hub, &staff, &region, from, to).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActivityRequest {
    /// e.g. 应急演练, 主题党日, 板凳会.
    pub kind: String,
    pub title: String,
    pub place: Option<String>,
    pub region_code: String,
    /// RFC 3339.
    pub held_at: String,
    pub minutes: Option<String>,
    /// The schedule this activity fulfils.
    pub schedule_id: Option<i64>,
}

/// Records a meeting or activity that raised no appeals (a drill, a 主题党日), so that its
/// attendance and schedule can be kept; minutes that raise appeals go to `POST /api/v1/meetings`.
#[utoipa::path(
    post, path = "/api/v1/activities", tag = "programmes", request_body = ActivityRequest,
    responses((status = 201, description = "Recorded", body = MeetingBody), (status = 400, description = "Invalid; nothing recorded", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn record_activity(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiJson(request): ApiJson<ActivityRequest>,
) -> ApiResult<(StatusCode, Json<MeetingBody>)> {
    let activity = programmes::NewActivity {
        kind: request.kind,
        title: request.title,
        place: request.place,
        region_code: request.region_code,
        held: timestamp("held_at", &request.held_at)?,
        minutes: request.minutes,
        schedule_id: request.schedule_id,
    };
    let meeting = programmes::record_activity(&hub, &staff, activity).await?;
    Ok((StatusCode::CREATED, Json(MeetingBody { meeting, attendees: Vec::new(), appeal_numbers: Vec::new() })))
}
