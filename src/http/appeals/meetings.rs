//! `POST /api/v1/meetings`: meeting minutes that raise several appeals at once.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::create::{CreateAppealRequest, CreateAppealResponse, INTAKE_ROLES, parse_new_appeal, receipt_body};
use crate::domain::appeal::Channel;
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::http::extract::{ApiJson, SignedIn};
use crate::service::Hub;
use crate::service::intake::{prepare, store};
use crate::storage::StorageError;
use crate::storage::meetings::{NewMeeting, insert_meeting};

/// Meeting minutes with the appeals raised at the meeting.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MeetingMinutesRequest {
    /// e.g. 板凳会, 圆桌会议, 小马扎议事会, 主题党日.
    pub kind: String,
    pub title: String,
    pub place: Option<String>,
    /// The village or township where it was held.
    pub region_code: String,
    /// RFC 3339.
    pub held_at: String,
    pub minutes: Option<String>,
    /// 1–50 appeals; each is taken in through the meeting channel unless it says otherwise.
    pub appeals: Vec<CreateAppealRequest>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct MeetingMinutesResponse {
    pub meeting_id: i64,
    pub appeals: Vec<CreateAppealResponse>,
}

/// Records meeting minutes and takes in every appeal raised there, all or nothing.
/// Appeals without their own place are placed at the meeting's region.
#[utoipa::path(
    post, path = "/api/v1/meetings", tag = "appeals",
    request_body = MeetingMinutesRequest,
    responses(
        (status = 201, description = "Recorded", body = MeetingMinutesResponse),
        (status = 400, description = "Invalid input; nothing was recorded", body = ErrorEnvelope),
        (status = 403, description = "Your roles do not include entering appeals", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn record_meeting(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiJson(request): ApiJson<MeetingMinutesRequest>,
) -> ApiResult<(StatusCode, Json<MeetingMinutesResponse>)> {
    if !staff.has_any(INTAKE_ROLES) {
        return Err(ApiError::forbidden("your roles do not include entering appeals"));
    }
    let kind = request.kind.trim();
    let title = request.title.trim();
    if kind.is_empty() || kind.chars().count() > 40 {
        return Err(ApiError::invalid("kind", "kind is the kind of meeting, 1–40 characters, e.g. 板凳会"));
    }
    if title.is_empty() || title.chars().count() > 200 {
        return Err(ApiError::invalid("title", "title must be 1–200 characters"));
    }
    let held = request
        .held_at
        .parse::<jiff::Timestamp>()
        .map_err(|_| ApiError::invalid("held_at", "held_at must be an RFC 3339 time like 2026-11-21T19:30:00+08:00"))?;
    if hub.db.region(&request.region_code).await?.is_none() {
        return Err(ApiError::invalid("region_code", format!("region_code `{}` is not a known region", request.region_code)));
    }
    if request.appeals.is_empty() || request.appeals.len() > 50 {
        return Err(ApiError::invalid("appeals", "a meeting record carries 1 to 50 appeals"));
    }
    let mut prepared = Vec::new();
    for (index, mut appeal) in request.appeals.into_iter().enumerate() {
        appeal.channel = Some(appeal.channel.unwrap_or(Channel::Meeting));
        if appeal.lat.is_none() && appeal.region_code.is_none() {
            appeal.region_code = Some(request.region_code.clone());
        }
        let input = parse_new_appeal(appeal, true).map_err(|mut error| {
            error.body.message = format!("appeal {}: {}", index + 1, error.body.message);
            error
        })?;
        prepared.push(prepare(&hub, input, Some(&staff)).await.map_err(|error| {
            let mut error = ApiError::from(error);
            error.body.message = format!("appeal {}: {}", index + 1, error.body.message);
            error
        })?);
    }
    let now = hub.clock.now_ms();
    let mut transaction = hub.db.begin_write().await?;
    let meeting = NewMeeting {
        kind,
        title,
        place: request.place.as_deref(),
        region_code: &request.region_code,
        held_ms: held.as_millisecond(),
        minutes: request.minutes.as_deref(),
        recorded_by: staff.user_id,
        created_ms: now,
    };
    let meeting_id = insert_meeting(&mut transaction, &meeting).await?;
    let mut receipts = Vec::new();
    for mut appeal in prepared {
        appeal.set_meeting(meeting_id);
        let receipt = store(&hub, &mut transaction, appeal).await?;
        receipts.push(receipt_body(&receipt.appeal, receipt.secret));
    }
    transaction.commit().await.map_err(StorageError::from)?;
    Ok((StatusCode::CREATED, Json(MeetingMinutesResponse { meeting_id, appeals: receipts })))
}
