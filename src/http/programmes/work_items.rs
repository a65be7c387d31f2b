//! `/api/v1/work-items`: every kind of programme work through one set of endpoints.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::programme::{Need, WorkInput, WorkKind};
use crate::domain::workflow::Actor;
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::http::extract::{ApiJson, ApiQuery, SignedIn};
use crate::service::{Hub, work};
use crate::storage::work_items::{WorkEventRow, WorkFilter, WorkItemRecord};

/// A work item as staff see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WorkItemBody {
    pub number: String,
    pub kind: WorkKind,
    pub title: String,
    pub body: String,
    pub region_code: String,
    pub status: String,
    pub status_zh: String,
    pub owner_unit_id: i64,
    pub lead_unit_id: Option<i64>,
    pub co_unit_ids: Vec<i64>,
    pub assignee_user_id: Option<i64>,
    /// The leader (挂帅) or the mediators.
    pub person_name: Option<String>,
    /// Masked unless you own the item or handle it.
    pub requester_name: Option<String>,
    pub requester_phone: Option<String>,
    pub appeal_id: Option<i64>,
    pub list_id: Option<i64>,
    pub score: Option<f64>,
    pub rating: Option<i64>,
    #[schema(value_type = Object)]
    pub attributes: serde_json::Value,
    pub created_ms: i64,
    pub responded_ms: Option<i64>,
    pub finished_ms: Option<i64>,
    pub next_deadline_ms: Option<i64>,
    /// The finishing deadline: a problem's list deadline, an order's window end, a task's due date.
    pub finish_due_ms: Option<i64>,
    pub late: bool,
    pub press_count: i64,
    /// Actions this kind knows (whether each is allowed now depends on status and who you are).
    pub actions: Vec<&'static str>,
}

pub fn item_body(item: &WorkItemRecord, unmasked: bool) -> WorkItemBody {
    let spec = item.kind.spec();
    let mask = |value: &Option<String>, masker: fn(&str) -> String| {
        value.as_deref().map(|text| if unmasked { text.to_string() } else { masker(text) })
    };
    WorkItemBody {
        number: item.number.clone(),
        kind: item.kind,
        title: item.title.clone(),
        body: item.body.clone(),
        region_code: item.region_code.clone(),
        status: item.status.clone(),
        status_zh: spec.status(&item.status).map_or("", |status| status.label_zh).to_string(),
        owner_unit_id: item.owner_unit_id,
        lead_unit_id: item.lead_unit_id,
        co_unit_ids: item.co_unit_ids.clone(),
        assignee_user_id: item.assignee_user_id,
        person_name: item.person_name.clone(),
        requester_name: mask(&item.requester_name, crate::domain::contact::mask_name),
        requester_phone: mask(&item.requester_phone, crate::domain::contact::mask_phone),
        appeal_id: item.appeal_id,
        list_id: item.list_id,
        score: item.score,
        rating: item.rating,
        attributes: item.attributes.clone(),
        created_ms: item.created_ms,
        responded_ms: item.responded_ms,
        finished_ms: item.finished_ms,
        next_deadline_ms: item.next_deadline_ms,
        finish_due_ms: item.finish_due_ms,
        late: item.late_ms.is_some(),
        press_count: item.press_count,
        actions: spec.actions(),
    }
}

fn sees_requester(staff: &crate::domain::access::Staff, item: &WorkItemRecord) -> bool {
    item.owner_unit_id == staff.unit.id || item.lead_unit_id == Some(staff.unit.id) || item.requested_by_user_id == Some(staff.user_id)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WorkListQuery {
    /// challenge, service_order, task or mediation.
    pub kind: Option<String>,
    pub status: Option<String>,
    pub list_id: Option<i64>,
    /// Only items of a unit (owned, led or co-handled).
    pub unit_id: Option<i64>,
    /// Only items that missed a deadline.
    pub late: Option<bool>,
    /// 1 to 1000; 200 by default.
    pub limit: Option<i64>,
}

/// Work items in your scope, oldest first.
#[utoipa::path(
    get, path = "/api/v1/work-items", tag = "programmes", params(WorkListQuery),
    responses((status = 200, description = "Items", body = [WorkItemBody]), (status = 400, description = "Bad filter", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn list_work_items(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiQuery(query): ApiQuery<WorkListQuery>,
) -> ApiResult<Json<Vec<WorkItemBody>>> {
    let kind =
        query.kind.as_deref().map(str::parse::<WorkKind>).transpose().map_err(|error| ApiError::invalid("kind", error.to_string()))?;
    let limit = query.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "limit is between 1 and 1000"));
    }
    let filter = WorkFilter {
        kind,
        list_id: query.list_id,
        status: query.status,
        unit_id: query.unit_id,
        late_only: query.late.unwrap_or(false),
        scope: Some(staff.scope()),
        limit,
        ..WorkFilter::default()
    };
    let items = hub.db.work_items(&filter).await?;
    Ok(Json(items.iter().map(|item| item_body(item, sees_requester(&staff, item))).collect()))
}

/// An action the reader may take on the item now, with the input it needs.
#[derive(Debug, Serialize, ToSchema)]
pub struct AvailableAction {
    pub action: &'static str,
    pub label_zh: &'static str,
    /// Fields the action requires: `reason`, `lead_unit_id`, `person_name`, `score`, `rating`.
    pub needs: Vec<&'static str>,
}

fn need_field(need: Need) -> &'static str {
    match need {
        Need::Reason => "reason",
        Need::LeadUnit => "lead_unit_id",
        Need::PersonName => "person_name",
        Need::Score => "score",
        Need::Rating => "rating",
    }
}

/// The actions the staff member may take on the item now (status and party both allow them).
pub fn available_actions(staff: &crate::domain::access::Staff, item: &WorkItemRecord) -> Vec<AvailableAction> {
    work::available_actions(staff, item)
        .into_iter()
        .map(|transition| AvailableAction {
            action: transition.action,
            label_zh: transition.label_zh,
            needs: transition.needs.iter().map(|need| need_field(*need)).collect(),
        })
        .collect()
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WorkItemDetail {
    pub item: WorkItemBody,
    /// The hash-chained history.
    pub events: Vec<WorkEventRow>,
    /// What the reader may do now; the web page offers only these.
    pub available_actions: Vec<AvailableAction>,
}

/// One work item with its history.
#[utoipa::path(
    get, path = "/api/v1/work-items/{number}", tag = "programmes", params(("number" = String, Path)),
    responses((status = 200, description = "The item", body = WorkItemDetail), (status = 404, description = "Not in your scope", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn get_work_item(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    Path(number): Path<String>,
) -> ApiResult<Json<WorkItemDetail>> {
    let item = hub
        .db
        .work_item(&number)
        .await?
        .filter(|item| work::visible_to(&staff, item))
        .ok_or_else(|| ApiError::not_found(format!("work item {number}")))?;
    let events = hub.db.work_events(item.id).await?;
    Ok(Json(WorkItemDetail {
        item: item_body(&item, sees_requester(&staff, &item)),
        events,
        available_actions: available_actions(&staff, &item),
    }))
}

/// The input of an action; which fields are needed depends on the action.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WorkActionRequest {
    pub reason: Option<String>,
    pub lead_unit_id: Option<i64>,
    #[serde(default)]
    pub co_unit_ids: Vec<i64>,
    pub person_name: Option<String>,
    pub score: Option<f64>,
    pub rating: Option<i64>,
    /// References to evidence: photo or file URLs, or names of files kept elsewhere.
    #[serde(default)]
    pub evidence: Vec<String>,
}

impl WorkActionRequest {
    pub fn into_input(self) -> WorkInput {
        WorkInput {
            reason: self.reason.unwrap_or_default(),
            lead_unit_id: self.lead_unit_id,
            co_unit_ids: self.co_unit_ids,
            person_name: self.person_name,
            score: self.score,
            rating: self.rating,
            evidence: self.evidence,
        }
    }
}

/// Applies an action to a work item of any kind (claim, submit, assess, place, take,
/// deliver, check_off, remind, assign, reach_agreement, urge, …), recorded in its history.
#[utoipa::path(
    post, path = "/api/v1/work-items/{number}/actions/{action}", tag = "programmes",
    params(("number" = String, Path), ("action" = String, Path)),
    request_body = WorkActionRequest,
    responses(
        (status = 200, description = "The item after the action", body = WorkItemBody),
        (status = 400, description = "Unknown action or missing input; nothing changed", body = ErrorEnvelope),
        (status = 403, description = "Not yours to do", body = ErrorEnvelope),
        (status = 404, description = "Not in your scope", body = ErrorEnvelope),
        (status = 409, description = "Not allowed in the item's status, or changed meanwhile", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn act_on_work_item(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    Path((number, action)): Path<(String, String)>,
    ApiJson(request): ApiJson<WorkActionRequest>,
) -> ApiResult<Json<WorkItemBody>> {
    let item = work::act(&hub, &Actor::Staff(staff.clone()), &number, &action, request.into_input()).await?;
    Ok(Json(item_body(&item, sees_requester(&staff, &item))))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ResidentSecretQuery {
    /// The secret given when the order was taken.
    pub secret: String,
}

/// What the resident who ordered a service sees: no staff names, no other person's data.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResidentWorkItemView {
    pub number: String,
    pub kind: WorkKind,
    pub title: String,
    /// The request in the resident's own words.
    pub body: String,
    pub status: String,
    pub status_zh: String,
    pub created_ms: i64,
    /// When the service was taken up (接单), if it was.
    pub responded_ms: Option<i64>,
    /// The end of the time window asked for.
    pub finish_due_ms: Option<i64>,
    pub finished_ms: Option<i64>,
    pub rating: Option<i64>,
    /// True when the resident may rate it now (it was delivered and not yet rated).
    pub may_rate: bool,
}

fn resident_view(item: &WorkItemRecord) -> ResidentWorkItemView {
    let spec = item.kind.spec();
    ResidentWorkItemView {
        number: item.number.clone(),
        kind: item.kind,
        title: item.title.clone(),
        body: item.body.clone(),
        status: item.status.clone(),
        status_zh: spec.status(&item.status).map_or("", |status| status.label_zh).to_string(),
        created_ms: item.created_ms,
        responded_ms: item.responded_ms,
        finish_due_ms: item.finish_due_ms,
        finished_ms: item.finished_ms,
        rating: item.rating,
        may_rate: crate::domain::programme::decide(
            &work::work_state(item),
            &Actor::Resident,
            "rate",
            &WorkInput { rating: Some(5), ..WorkInput::default() },
        )
        .is_ok(),
    }
}

/// Finds a work item by number and the resident's secret; a wrong secret reads as unknown.
async fn item_for_resident(hub: &Hub, number: &str, secret: &str) -> ApiResult<WorkItemRecord> {
    let item = hub.db.work_item(number).await?.ok_or_else(|| ApiError::not_found(format!("work item {number}")))?;
    let presented = crate::service::intake::secret_hash(&item.number, secret);
    if item.secret_hash.as_deref() != Some(presented.as_str()) {
        return Err(ApiError::not_found(format!("work item {number}")));
    }
    Ok(item)
}

/// The resident follows a service order with its number and secret.
#[utoipa::path(
    get, path = "/api/v1/public/work-items/{number}", tag = "public", params(("number" = String, Path), ResidentSecretQuery),
    responses((status = 200, description = "The order as its resident sees it", body = ResidentWorkItemView), (status = 404, description = "Wrong number or secret", body = ErrorEnvelope)),
)]
pub async fn follow_as_resident(
    State(hub): State<Hub>,
    Path(number): Path<String>,
    ApiQuery(query): ApiQuery<ResidentSecretQuery>,
) -> ApiResult<Json<ResidentWorkItemView>> {
    let item = item_for_resident(&hub, &number, &query.secret).await?;
    Ok(Json(resident_view(&item)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResidentRatingRequest {
    /// The secret given when the order was taken.
    pub secret: String,
    /// 1 (very dissatisfied) to 5 (very satisfied).
    pub rating: i64,
    pub comment: Option<String>,
}

/// A resident rates a delivered service order with its number and secret.
#[utoipa::path(
    post, path = "/api/v1/public/work-items/{number}/rate", tag = "public", params(("number" = String, Path)),
    request_body = ResidentRatingRequest,
    responses((status = 200, description = "Rated", body = WorkItemBody), (status = 404, description = "Wrong number or secret", body = ErrorEnvelope), (status = 409, description = "Not delivered yet", body = ErrorEnvelope)),
)]
pub async fn rate_as_resident(
    State(hub): State<Hub>,
    Path(number): Path<String>,
    ApiJson(request): ApiJson<ResidentRatingRequest>,
) -> ApiResult<Json<WorkItemBody>> {
    item_for_resident(&hub, &number, &request.secret).await?;
    let input = WorkInput { rating: Some(request.rating), reason: request.comment.unwrap_or_default(), ..WorkInput::default() };
    let item = work::act(&hub, &Actor::Resident, &number, "rate", input).await?;
    Ok(Json(item_body(&item, false)))
}
