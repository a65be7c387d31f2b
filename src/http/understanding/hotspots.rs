//! Hot-spot warnings and 每月一题 candidates.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::access::Role;
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::http::extract::{ApiQuery, SignedIn};
use crate::service::Hub;
use crate::service::understanding::{self, TownshipTopics};
use crate::storage::understanding::HotspotWarning;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WarningQuery {
    /// `open` or `acknowledged`; all when absent.
    pub status: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct WarningList {
    pub items: Vec<HotspotWarning>,
}

/// Hot-spot warnings in your region or raised to your unit, newest first, with reasons.
#[utoipa::path(
    get, path = "/api/v1/hotspots/warnings", tag = "hotspots",
    params(WarningQuery),
    responses(
        (status = 200, description = "Warnings", body = WarningList),
        (status = 400, description = "Invalid filter", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn list_warnings(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiQuery(query): ApiQuery<WarningQuery>,
) -> ApiResult<Json<WarningList>> {
    let status = query.status.as_deref().filter(|status| !status.is_empty());
    if let Some(status) = status {
        if status != "open" && status != "acknowledged" {
            return Err(ApiError::invalid("status", format!("status `{status}` is not `open` or `acknowledged`")));
        }
    }
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid("limit", "limit must be between 1 and 200"));
    }
    Ok(Json(WarningList { items: understanding::warnings_for(&hub, &staff, status, limit).await? }))
}

/// Marks a warning as read.
#[utoipa::path(
    post, path = "/api/v1/hotspots/warnings/{id}/acknowledge", tag = "hotspots",
    params(("id" = i64, Path)),
    responses(
        (status = 200, description = "Acknowledged", body = HotspotWarning),
        (status = 404, description = "No such warning in your scope", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn acknowledge_warning(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Json<HotspotWarning>> {
    let id: i64 = id.parse().map_err(|_| ApiError::invalid("id", "id must be a warning number"))?;
    Ok(Json(understanding::acknowledge_warning(&hub, &staff, id).await?))
}

/// Scans for hot spots now (the server also scans every hour). Administrators,
/// dispatchers and supervisors.
#[utoipa::path(
    post, path = "/api/v1/hotspots/scan", tag = "hotspots",
    responses(
        (status = 200, description = "The warnings raised by this scan", body = WarningList),
        (status = 403, description = "Not allowed", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn scan(State(hub): State<Hub>, SignedIn(staff): SignedIn) -> ApiResult<Json<WarningList>> {
    if !(staff.has(Role::Admin) || staff.has(Role::Dispatcher) || staff.has(Role::Supervisor)) {
        return Err(ApiError::forbidden("only administrators, dispatchers and supervisors start a scan"));
    }
    Ok(Json(WarningList { items: understanding::scan_hotspots(&hub).await? }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TopicsQuery {
    /// `YYYY-MM` in China time; the current month when absent.
    pub month: Option<String>,
    /// Candidates per township, 1–10, default 3.
    pub top: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TopicsResponse {
    pub month: String,
    /// Townships with the most appeals first.
    pub townships: Vec<TownshipTopics>,
}

/// 每月一题: the month's most frequent problem types per township in your region.
#[utoipa::path(
    get, path = "/api/v1/hotspots/monthly-topics", tag = "hotspots",
    params(TopicsQuery),
    responses(
        (status = 200, description = "Candidates per township", body = TopicsResponse),
        (status = 400, description = "Invalid month", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn monthly_topics(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiQuery(query): ApiQuery<TopicsQuery>,
) -> ApiResult<Json<TopicsResponse>> {
    let top = query.top.unwrap_or(3);
    if !(1..=10).contains(&top) {
        return Err(ApiError::invalid("top", "top must be between 1 and 10"));
    }
    let zone = jiff::tz::TimeZone::get("Asia/Shanghai")
        .map_err(|error| ApiError::from(crate::service::ServiceError::Internal(error.to_string())))?;
    let first_day = match query.month.as_deref().filter(|month| !month.is_empty()) {
        Some(month) => jiff::civil::Date::strptime("%Y-%m-%d", format!("{month}-01"))
            .map_err(|_| ApiError::invalid("month", "month must look like 2026-11"))?,
        None => hub.clock.now().to_zoned(zone.clone()).date().first_of_month(),
    };
    let next_month = first_day.checked_add(jiff::Span::new().months(1)).map_err(|_| ApiError::invalid("month", "month is out of range"))?;
    let start = first_day.to_zoned(zone.clone()).map_err(|_| ApiError::invalid("month", "month is out of range"))?;
    let end = next_month.to_zoned(zone).map_err(|_| ApiError::invalid("month", "month is out of range"))?;
    let townships =
        understanding::monthly_topics(&hub, &staff, start.timestamp().as_millisecond(), end.timestamp().as_millisecond(), top).await?;
    Ok(Json(TopicsResponse { month: first_day.strftime("%Y-%m").to_string(), townships }))
}
