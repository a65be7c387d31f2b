//! `POST /api/v1/appeals`: take an appeal in from any channel.

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::domain::access::Role;
use crate::domain::appeal::{AppealStatus, Channel, Tier, Triage};
use crate::domain::contact::Contact;
use crate::domain::geo::coords::{bd09_to_wgs84, gcj02_to_wgs84};
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::http::extract::{MaybeSignedIn, parse_json};
use crate::service::intake::{NewAppeal, StaffJudgement, prepare, validate_text};
use crate::service::intake_writer::{IdempotencyRecord, IntakeOutcome};
use crate::service::view::rfc3339;
use crate::service::{Hub, ServiceError};

/// The coordinate system of `lat`/`lng`. Chinese map apps use GCJ-02 or BD-09.
#[derive(Debug, Clone, Copy, Default, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum CoordSystem {
    #[default]
    Wgs84,
    Gcj02,
    Bd09,
}

/// A new appeal.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateAppealRequest {
    /// What the problem is, in the resident's words (1–5000 characters).
    pub text: String,
    /// Latitude (WGS84 unless `coord_system` says otherwise). Give with `lng`.
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub coord_system: Option<CoordSystem>,
    /// A region code (village, township or county) when there is no point.
    pub region_code: Option<String>,
    pub address: Option<String>,
    /// Defaults to `web` for residents and `hotline` for signed-in staff.
    pub channel: Option<Channel>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    /// A taxonomy code (see `GET /api/v1/categories`); suggested from the text when absent.
    pub category_code: Option<String>,
    /// Staff only: danger to life or property now; the appeal starts red.
    pub urgent: Option<bool>,
    /// Staff only: the triage class, overriding the suggestion.
    pub triage: Option<Triage>,
    /// Staff only: the tier, overriding the suggestion.
    pub tier: Option<Tier>,
}

/// The receipt of a new appeal.
#[derive(Debug, Serialize, Deserialize, ToSchema)]
pub struct CreateAppealResponse {
    pub number: String,
    /// Give this with the number to follow the appeal; it is shown only once.
    pub secret: String,
    pub status: AppealStatus,
    pub grid_id: Option<String>,
    pub region_code: String,
    pub category_code: Option<String>,
    pub tier: Tier,
    pub triage: Triage,
    pub urgent: bool,
    /// True when a person must triage it before it is routed.
    pub needs_triage: bool,
    pub triage_reasons: Vec<String>,
    pub owner_unit_id: Option<i64>,
    pub received_at: String,
    pub next_deadline_at: String,
    pub follow_url: String,
}

/// Channels a resident may use without signing in.
const RESIDENT_CHANNELS: &[Channel] = &[Channel::Web, Channel::MiniProgram];

/// Roles that may enter appeals on someone's behalf.
pub const INTAKE_ROLES: &[Role] = &[Role::Operator, Role::Dispatcher, Role::GridWorker, Role::PartyRep, Role::Admin, Role::Handler];

/// Parses and checks a request into a `NewAppeal`; shared with meeting minutes.
pub fn parse_new_appeal(request: CreateAppealRequest, signed_in: bool) -> ApiResult<NewAppeal> {
    let text = validate_text(&request.text)?;
    let point = match (request.lat, request.lng) {
        (None, None) => None,
        (Some(lat), Some(lng)) => {
            if !lat.is_finite() || !lng.is_finite() || !(-90.0..=90.0).contains(&lat) || !(-180.0..=180.0).contains(&lng) {
                return Err(ApiError::invalid("lat", "lat must be within -90..90 and lng within -180..180"));
            }
            Some(match request.coord_system.unwrap_or_default() {
                CoordSystem::Wgs84 => (lng, lat),
                CoordSystem::Gcj02 => gcj02_to_wgs84(lng, lat),
                CoordSystem::Bd09 => bd09_to_wgs84(lng, lat),
            })
        }
        _ => return Err(ApiError::invalid("lat", "give both lat and lng, or neither")),
    };
    let region_code = request.region_code.map(|code| code.trim().to_string()).filter(|code| !code.is_empty());
    if let Some(code) = &region_code {
        if crate::domain::region::RegionLevel::from_code(code).is_none() {
            return Err(ApiError::invalid("region_code", format!("region_code `{code}` must be 2, 4, 6, 9 or 12 digits")));
        }
    }
    let address = request.address.map(|address| address.trim().to_string()).filter(|address| !address.is_empty());
    if address.as_ref().is_some_and(|address| address.chars().count() > 200) {
        return Err(ApiError::invalid("address", "address must be at most 200 characters"));
    }
    let channel = match (request.channel, signed_in) {
        (Some(channel), true) => channel,
        (None, true) => Channel::Hotline,
        (None, false) => Channel::Web,
        (Some(channel), false) if RESIDENT_CHANNELS.contains(&channel) => channel,
        (Some(channel), false) => {
            return Err(ApiError::invalid(
                "channel",
                format!("channel `{channel}` is for staff; residents submit through web or mini_program"),
            ));
        }
    };
    let contact = Contact::parse(request.contact_name.as_deref(), request.contact_phone.as_deref()).map_err(|error| {
        ApiError::invalid(
            if matches!(error, crate::domain::contact::ContactError::BadPhone) { "contact_phone" } else { "contact_name" },
            error.to_string(),
        )
    })?;
    let category_code = request.category_code.map(|code| code.trim().to_string()).filter(|code| !code.is_empty());
    let judged = request.urgent.is_some() || request.triage.is_some() || request.tier.is_some();
    if judged && !signed_in {
        return Err(ApiError::invalid("urgent", "urgent, triage and tier are set by staff; residents describe the problem in text"));
    }
    let judgement = judged.then_some(StaffJudgement { urgent: request.urgent, triage: request.triage, tier: request.tier });
    Ok(NewAppeal { text, point, region_code, address, channel, contact, category_code, meeting_id: None, judgement })
}

pub fn receipt_body(appeal: &crate::storage::appeals::AppealRecord, secret: String) -> CreateAppealResponse {
    CreateAppealResponse {
        follow_url: format!("/api/v1/public/appeals/{}?secret={secret}", appeal.number),
        number: appeal.number.clone(),
        secret,
        status: appeal.status,
        grid_id: appeal.grid_id.clone(),
        region_code: appeal.region_code.clone(),
        category_code: appeal.category_code.clone(),
        tier: appeal.tier,
        triage: appeal.triage,
        urgent: appeal.urgent,
        needs_triage: appeal.needs_triage,
        triage_reasons: appeal.triage_reasons.clone(),
        owner_unit_id: appeal.owner_unit_id,
        received_at: rfc3339(appeal.received_ms),
        next_deadline_at: rfc3339(appeal.next_deadline_ms),
    }
}

/// Reads and checks the `Idempotency-Key` header.
pub fn idempotency_key(headers: &HeaderMap) -> ApiResult<Option<String>> {
    match headers.get("idempotency-key") {
        None => Ok(None),
        Some(value) => {
            let key = value.to_str().map_err(|_| ApiError::invalid("Idempotency-Key", "Idempotency-Key must be printable ASCII"))?.trim();
            if key.is_empty() || key.len() > 200 {
                return Err(ApiError::invalid("Idempotency-Key", "Idempotency-Key must be 1 to 200 characters"));
            }
            Ok(Some(key.to_string()))
        }
    }
}

fn replay(status: u16, body: String) -> Response {
    let status = StatusCode::from_u16(status).unwrap_or(StatusCode::OK);
    (status, [("content-type", "application/json"), ("idempotent-replayed", "true")], body).into_response()
}

/// Take an appeal in. Residents may submit without signing in; staff enter appeals
/// from the hotline, visits and meetings with a token.
#[utoipa::path(
    post, path = "/api/v1/appeals", tag = "appeals",
    request_body = CreateAppealRequest,
    params(("Idempotency-Key" = Option<String>, Header, description = "Makes retries safe: the same key and body return the first response")),
    responses(
        (status = 201, description = "Taken in", body = CreateAppealResponse),
        (status = 400, description = "Invalid input", body = ErrorEnvelope),
        (status = 401, description = "Token invalid", body = ErrorEnvelope),
        (status = 409, description = "Idempotency key reused with another body", body = ErrorEnvelope),
    ),
    security((), ("bearer" = []))
)]
pub async fn create_appeal(
    State(hub): State<Hub>,
    MaybeSignedIn(staff): MaybeSignedIn,
    headers: HeaderMap,
    body: Bytes,
) -> ApiResult<Response> {
    if let Some(staff) = &staff {
        if !staff.has_any(INTAKE_ROLES) {
            return Err(ApiError::forbidden("your roles do not include entering appeals"));
        }
    }
    let key = idempotency_key(&headers)?;
    let scope = staff.as_ref().map_or_else(|| "resident".to_string(), |staff| format!("user:{}", staff.user_id));
    let request_hash = hex::encode(Sha256::new().chain_update(scope.as_bytes()).chain_update(b"\n").chain_update(&body).finalize());
    let scoped_key = key.as_ref().map(|key| format!("{scope}:appeals:{key}"));
    if let Some(scoped_key) = &scoped_key {
        if let Some(response) = stored_response(&hub, scoped_key, &request_hash).await? {
            return Ok(response);
        }
    }
    let request: CreateAppealRequest = parse_json(&body)?;
    let input = parse_new_appeal(request, staff.is_some())?;
    let prepared = prepare(&hub, input, staff.as_ref()).await?;
    let idempotency =
        scoped_key.clone().map(|key| IdempotencyRecord { key, request_hash: request_hash.clone(), status: 201, render: render_receipt });
    let writer = hub.intake_writer.clone().ok_or_else(|| ApiError::from(ServiceError::Internal("no intake writer".into())))?;
    match writer.submit(prepared, idempotency).await? {
        IntakeOutcome::Stored(receipt) => {
            let text = render_receipt(&receipt.appeal, &receipt.secret);
            Ok((StatusCode::CREATED, [("content-type", "application/json")], text).into_response())
        }
        // A concurrent retry with the same key won; answer with its response.
        IntakeOutcome::KeyTaken { key } => stored_response(&hub, &key, &request_hash)
            .await?
            .ok_or_else(|| ApiError::from(ServiceError::Internal("an idempotency key vanished".into()))),
    }
}

/// The receipt as JSON text, as returned and as stored for idempotent replays.
fn render_receipt(appeal: &crate::storage::appeals::AppealRecord, secret: &str) -> String {
    serde_json::to_string(&receipt_body(appeal, secret.to_string())).unwrap_or_else(|_| "{}".to_string())
}

async fn stored_response(hub: &Hub, scoped_key: &str, request_hash: &str) -> ApiResult<Option<Response>> {
    match hub.db.idempotent_response(scoped_key).await? {
        None => Ok(None),
        Some((stored_hash, status, body)) if stored_hash == request_hash => Ok(Some(replay(status, body))),
        Some(_) => Err(ApiError::new(
            StatusCode::CONFLICT,
            "idempotency_key_reused",
            "this Idempotency-Key was already used with a different request body; use a new key for a new appeal",
        )),
    }
}
