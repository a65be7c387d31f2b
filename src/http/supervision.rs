//! Supervision: notices (督办) by hand, the key supervision list, urges, reminder notices,
//! and the jobs table for operators.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};

use crate::domain::access::Role;
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::http::extract::{ApiJson, ApiQuery, SignedIn};
use crate::service::Hub;
use crate::service::supervision;
use crate::storage::jobs::JobRow;
use crate::storage::supervision::{KeySupervisionRow, ReminderNoticeRow, SupervisionNoticeRow, UrgeRow};

#[derive(Debug, Deserialize, ToSchema)]
pub struct NoticeRequest {
    /// Why the appeal is supervised.
    pub reason: String,
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SupervisionQuery {
    /// Only this appeal's notices.
    pub number: Option<String>,
    /// `YYYY-MM`, for reminder notices.
    pub month: Option<String>,
    /// 1 to 500; 100 by default.
    pub limit: Option<i64>,
}

fn limit(query: &SupervisionQuery) -> ApiResult<i64> {
    let limit = query.limit.unwrap_or(100);
    if (1..=500).contains(&limit) { Ok(limit) } else { Err(ApiError::invalid("limit", "limit is between 1 and 500")) }
}

/// Issues a supervision notice (督办) on an appeal: to the head of the late unit, and onto
/// the key supervision list (supervisors).
#[utoipa::path(
    post, path = "/api/v1/appeals/{number}/supervision-notices", tag = "supervision",
    params(("number" = String, Path)),
    request_body = NoticeRequest,
    responses(
        (status = 201, description = "The notice", body = SupervisionNoticeRow),
        (status = 400, description = "No reason, or the appeal is finished", body = ErrorEnvelope),
        (status = 403, description = "Not a supervisor", body = ErrorEnvelope),
        (status = 404, description = "No such appeal in your scope", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn issue_notice(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    Path(number): Path<String>,
    ApiJson(request): ApiJson<NoticeRequest>,
) -> ApiResult<(axum::http::StatusCode, Json<SupervisionNoticeRow>)> {
    let notice = supervision::issue_notice(&hub, &staff, &number, &request.reason).await?;
    Ok((axum::http::StatusCode::CREATED, Json(notice)))
}

/// Supervision notices, newest first.
#[utoipa::path(
    get, path = "/api/v1/supervision/notices", tag = "supervision",
    params(SupervisionQuery),
    responses((status = 200, description = "Notices", body = [SupervisionNoticeRow]), (status = 403, description = "Not a supervisor", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn list_notices(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiQuery(query): ApiQuery<SupervisionQuery>,
) -> ApiResult<Json<Vec<SupervisionNoticeRow>>> {
    Ok(Json(supervision::notices(&hub, &staff, query.number.as_deref(), limit(&query)?).await?))
}

/// The key supervision list (重点督办库), soonest deadline first.
#[utoipa::path(
    get, path = "/api/v1/supervision/key-list", tag = "supervision",
    params(SupervisionQuery),
    responses((status = 200, description = "Appeals under key supervision", body = [KeySupervisionRow]), (status = 403, description = "Not a supervisor", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn key_list(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiQuery(query): ApiQuery<SupervisionQuery>,
) -> ApiResult<Json<Vec<KeySupervisionRow>>> {
    Ok(Json(supervision::key_list(&hub, &staff, limit(&query)?).await?))
}

/// Urges (催办), newest first, with each appeal's urge count.
#[utoipa::path(
    get, path = "/api/v1/supervision/urges", tag = "supervision",
    params(SupervisionQuery),
    responses((status = 200, description = "Urges", body = [UrgeRow]), (status = 403, description = "Not a supervisor", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn list_urges(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiQuery(query): ApiQuery<SupervisionQuery>,
) -> ApiResult<Json<Vec<UrgeRow>>> {
    Ok(Json(supervision::urges(&hub, &staff, limit(&query)?).await?))
}

/// Reminder notices (工作提示函) written by the monthly job.
#[utoipa::path(
    get, path = "/api/v1/supervision/reminders", tag = "supervision",
    params(SupervisionQuery),
    responses((status = 200, description = "Reminder notices", body = [ReminderNoticeRow]), (status = 403, description = "Not a supervisor", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn list_reminders(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiQuery(query): ApiQuery<SupervisionQuery>,
) -> ApiResult<Json<Vec<ReminderNoticeRow>>> {
    Ok(Json(supervision::reminders(&hub, &staff, query.month.as_deref(), limit(&query)?).await?))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JobsQuery {
    /// `queued`, `running`, `done` or `failed`; all when absent.
    pub state: Option<String>,
}

/// The background jobs, newest first (administrators): what ran, what waits, what failed.
#[utoipa::path(
    get, path = "/api/v1/jobs", tag = "supervision",
    params(JobsQuery),
    responses((status = 200, description = "Jobs", body = [JobRow]), (status = 403, description = "Not an administrator", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn list_jobs(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiQuery(query): ApiQuery<JobsQuery>,
) -> ApiResult<Json<Vec<JobRow>>> {
    if !staff.has(Role::Admin) {
        return Err(ApiError::forbidden("only an administrator reads the jobs table"));
    }
    if let Some(state) = query.state.as_deref() {
        if !["queued", "running", "done", "failed"].contains(&state) {
            return Err(ApiError::invalid("state", "state is queued, running, done or failed"));
        }
    }
    Ok(Json(hub.db.list_jobs(query.state.as_deref(), 200).await?))
}
