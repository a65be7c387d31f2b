//! `GET /api/v1/appeals`: a page of appeals in the reader's scope.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::appeal::{AppealStatus, Channel, Tier};
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::http::extract::{ApiQuery, SignedIn};
use crate::service::Hub;
use crate::service::view::{AppealView, appeal_view};
use crate::storage::appeals::{AppealCursor, AppealFilter, AppealOrder};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Comma-separated statuses, e.g. `dispatched,signed_for`; `open` means every open status.
    pub status: Option<String>,
    pub tier: Option<Tier>,
    pub category_code: Option<String>,
    pub grid_id: Option<String>,
    pub channel: Option<Channel>,
    /// A region code; only appeals in its subtree.
    pub region_code: Option<String>,
    /// RFC 3339; received at or after.
    pub received_from: Option<String>,
    /// RFC 3339; received before.
    pub received_before: Option<String>,
    pub needs_triage: Option<bool>,
    /// `mine`: only what my unit owns, leads or co-handles.
    pub queue: Option<String>,
    /// Only what this unit owns, leads or co-handles (within the reader's scope), e.g. for
    /// a unit's monthly report.
    pub unit_id: Option<i64>,
    /// Only appeals past their deadline.
    pub overdue: Option<bool>,
    /// `deadline` (soonest first, the default) or `newest`.
    pub sort: Option<String>,
    /// The number another system gave an imported appeal (`minqing import appeals`).
    pub source_ref: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–200, default 50.
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AppealPage {
    pub items: Vec<AppealView>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

fn parse_time(field: &'static str, text: &str) -> ApiResult<i64> {
    text.parse::<jiff::Timestamp>()
        .map(|at| at.as_millisecond())
        .map_err(|_| ApiError::invalid(field, format!("{field} must be an RFC 3339 time like 2026-11-21T09:00:00+08:00")))
}

fn parse_cursor(text: &str) -> ApiResult<AppealCursor> {
    let bad = || ApiError::invalid("cursor", "cursor is not one this API gave out; start again without it");
    let (key, id) = text.split_once('.').ok_or_else(bad)?;
    Ok(AppealCursor { key: key.parse().map_err(|_| bad())?, id: id.parse().map_err(|_| bad())? })
}

/// Lists appeals in the reader's scope, filtered, sorted and paged by cursor.
#[utoipa::path(
    get, path = "/api/v1/appeals", tag = "appeals",
    params(ListQuery),
    responses(
        (status = 200, description = "A page", body = AppealPage),
        (status = 400, description = "A filter is invalid", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn list_appeals(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiQuery(query): ApiQuery<ListQuery>,
) -> ApiResult<Json<AppealPage>> {
    let now = hub.clock.now_ms();
    let (filter, order) = filter_from_query(&query, &staff, now)?;
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid("limit", "limit must be between 1 and 200"));
    }
    let cursor = query.cursor.as_deref().filter(|text| !text.is_empty()).map(parse_cursor).transpose()?;
    let scope = staff.scope();
    let mut records = hub.db.list_appeals(Some(&scope), &filter, order, cursor, limit + 1).await?;
    let more = records.len() as i64 > limit;
    records.truncate(limit as usize);
    let next_cursor = if more { records.last().map(|last| cursor_after(last, order)) } else { None };
    let items = records.iter().map(|record| appeal_view(record, &staff, now, None)).collect();
    Ok(Json(AppealPage { items, next_cursor }))
}

/// The cursor that continues a list after this record.
pub fn cursor_after(last: &crate::storage::appeals::AppealRecord, order: AppealOrder) -> String {
    match order {
        AppealOrder::Deadline => format!("{}.{}", last.next_deadline_ms, last.id),
        AppealOrder::Newest => format!("{}.{}", last.received_ms, last.id),
    }
}

/// The filters and order of a list query; shared by the list and its exports.
pub fn filter_from_query(query: &ListQuery, staff: &crate::domain::access::Staff, now: i64) -> ApiResult<(AppealFilter, AppealOrder)> {
    let mut filter = AppealFilter::default();
    if let Some(statuses) = &query.status {
        for part in statuses.split(',').map(str::trim).filter(|part| !part.is_empty()) {
            if part == "open" {
                filter.statuses.extend(AppealStatus::ALL.iter().copied().filter(|status| status.is_open()));
            } else {
                filter.statuses.push(
                    part.parse()
                        .map_err(|error: crate::domain::text_enum::UnknownVariant| ApiError::invalid("status", error.to_string()))?,
                );
            }
        }
    }
    filter.tier = query.tier;
    filter.category_code = query.category_code.clone().filter(|text| !text.is_empty());
    filter.grid_id = query.grid_id.clone().filter(|text| !text.is_empty());
    filter.channel = query.channel;
    if let Some(code) = query.region_code.as_deref().filter(|text| !text.is_empty()) {
        if !code.bytes().all(|byte| byte.is_ascii_digit()) || code.len() > 12 {
            return Err(ApiError::invalid("region_code", "region_code must be up to 12 digits"));
        }
        filter.region_prefix = Some(code.to_string());
    }
    filter.received_from_ms = query.received_from.as_deref().map(|text| parse_time("received_from", text)).transpose()?;
    filter.received_before_ms = query.received_before.as_deref().map(|text| parse_time("received_before", text)).transpose()?;
    filter.needs_triage = query.needs_triage;
    filter.source_ref = query.source_ref.as_deref().map(str::trim).filter(|text| !text.is_empty()).map(str::to_string);
    match query.queue.as_deref() {
        None | Some("") | Some("all") => {}
        Some("mine") => filter.queue_of_unit = Some(staff.unit.id),
        Some(other) => return Err(ApiError::invalid("queue", format!("queue `{other}` is not `mine` or `all`"))),
    }
    if let Some(unit_id) = query.unit_id {
        if filter.queue_of_unit.is_some_and(|mine| mine != unit_id) {
            return Err(ApiError::invalid("unit_id", "unit_id and queue=mine name different units; give one of them"));
        }
        filter.queue_of_unit = Some(unit_id);
    }
    if query.overdue == Some(true) {
        filter.due_before_ms = Some(now);
    }
    let order = match query.sort.as_deref() {
        None | Some("") | Some("deadline") => AppealOrder::Deadline,
        Some("newest") => AppealOrder::Newest,
        Some(other) => return Err(ApiError::invalid("sort", format!("sort `{other}` is not `deadline` or `newest`"))),
    };
    Ok((filter, order))
}
