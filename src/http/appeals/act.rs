//! `POST /api/v1/appeals/{number}/actions/{action}`: move an appeal through its life.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use utoipa::ToSchema;

use super::get::parse_number;
use crate::domain::appeal::{Rating, Resolution, Satisfaction, Tier, Triage};
use crate::domain::workflow::{Actor, Command};
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::http::extract::{ApiJson, SignedIn};
use crate::service::Hub;
use crate::service::actions::act;
use crate::service::view::{AppealView, appeal_detail};

/// The body of an action. Which fields are needed depends on the action:
///
/// | action | fields |
/// |---|---|
/// | accept | note? |
/// | reject | reason |
/// | dispatch | lead_unit_id, co_unit_ids?, note? |
/// | sign_for | — |
/// | record_progress | note |
/// | return | reason |
/// | request_extension | working_days, reason |
/// | grant_extension | note? |
/// | refuse_extension | reason |
/// | pause | reason |
/// | resume | note? |
/// | resolve | reply |
/// | follow_up | note, reached? |
/// | rate | resolution, satisfaction, comment? |
/// | reopen | reason |
/// | merge | primary_number, reason? |
/// | close | note? (required when the rating was dissatisfied) |
/// | reclassify | reason, and category_code / triage / tier |
/// | urge | note |
/// | escalate | reason |
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ActionRequest {
    pub note: Option<String>,
    pub reason: Option<String>,
    pub reply: Option<String>,
    pub lead_unit_id: Option<i64>,
    pub co_unit_ids: Option<Vec<i64>>,
    pub working_days: Option<u32>,
    pub reached: Option<bool>,
    pub resolution: Option<Resolution>,
    pub satisfaction: Option<Satisfaction>,
    pub comment: Option<String>,
    pub primary_number: Option<String>,
    pub category_code: Option<String>,
    pub triage: Option<Triage>,
    pub tier: Option<Tier>,
}

/// The names of every action, in lifecycle order.
pub const ACTION_NAMES: &[&str] = &[
    "accept",
    "reject",
    "dispatch",
    "sign_for",
    "record_progress",
    "return",
    "request_extension",
    "grant_extension",
    "refuse_extension",
    "pause",
    "resume",
    "resolve",
    "follow_up",
    "rate",
    "reopen",
    "merge",
    "close",
    "reclassify",
    "urge",
    "escalate",
];

fn required<T>(value: Option<T>, field: &'static str, action: &str) -> ApiResult<T> {
    value.ok_or_else(|| ApiError::invalid(field, format!("`{action}` needs `{field}`")))
}

fn bounded(text: Option<String>, field: &'static str) -> ApiResult<Option<String>> {
    match text {
        Some(text) if text.chars().count() > 2000 => Err(ApiError::invalid(field, format!("{field} must be at most 2000 characters"))),
        other => Ok(other),
    }
}

/// Turns an action name and body into a command. Shape errors are caught here; the
/// rules (who, when) are the state machine's.
pub fn parse_command(action: &str, body: ActionRequest) -> ApiResult<Command> {
    let note = bounded(body.note, "note")?;
    let reason = bounded(body.reason, "reason")?;
    let reply = bounded(body.reply, "reply")?;
    let comment = bounded(body.comment, "comment")?;
    Ok(match action {
        "accept" => Command::Accept { note },
        "reject" => Command::Reject { reason: required(reason, "reason", action)? },
        "dispatch" => Command::Dispatch {
            lead_unit_id: required(body.lead_unit_id, "lead_unit_id", action)?,
            co_unit_ids: body.co_unit_ids.unwrap_or_default(),
            note,
        },
        "sign_for" => Command::SignFor,
        "record_progress" => Command::RecordProgress { note: required(note, "note", action)? },
        "return" => Command::Return { reason: required(reason, "reason", action)? },
        "request_extension" => Command::RequestExtension {
            working_days: required(body.working_days, "working_days", action)?,
            reason: required(reason, "reason", action)?,
        },
        "grant_extension" => Command::GrantExtension { note },
        "refuse_extension" => Command::RefuseExtension { reason: required(reason, "reason", action)? },
        "pause" => Command::Pause { reason: required(reason, "reason", action)? },
        "resume" => Command::Resume { note },
        "resolve" => Command::Resolve { reply: required(reply, "reply", action)? },
        "follow_up" => Command::FollowUp { note: required(note, "note", action)?, reached: body.reached.unwrap_or(true) },
        "rate" => Command::Rate {
            rating: Rating {
                resolution: required(body.resolution, "resolution", action)?,
                satisfaction: required(body.satisfaction, "satisfaction", action)?,
            },
            comment,
        },
        "reopen" => Command::Reopen { reason: required(reason, "reason", action)? },
        "merge" => Command::MergeInto { primary_number: required(body.primary_number, "primary_number", action)?, reason },
        "close" => Command::Close { note },
        "reclassify" => Command::Reclassify {
            category_code: body.category_code,
            triage: body.triage,
            tier: body.tier,
            reason: required(reason, "reason", action)?,
        },
        "urge" => Command::Urge { note: required(note, "note", action)? },
        "escalate" => Command::Escalate { reason: required(reason, "reason", action)? },
        other => {
            return Err(ApiError::new(
                axum::http::StatusCode::NOT_FOUND,
                "unknown_action",
                format!("`{}` is not an action; actions are: {}", other.chars().take(40).collect::<String>(), ACTION_NAMES.join(", ")),
            ));
        }
    })
}

/// Applies an action. The answer is the appeal as it now stands, with its history.
#[utoipa::path(
    post, path = "/api/v1/appeals/{number}/actions/{action}", tag = "appeals",
    params(("number" = String, Path), ("action" = String, Path, description = "One of the action names in ActionRequest")),
    request_body = ActionRequest,
    responses(
        (status = 200, description = "Done", body = AppealView),
        (status = 400, description = "A field is missing or invalid", body = ErrorEnvelope),
        (status = 403, description = "Your unit or role may not do this", body = ErrorEnvelope),
        (status = 404, description = "No such appeal in your scope, or no such action", body = ErrorEnvelope),
        (status = 409, description = "Not allowed in the appeal's state, or changed concurrently", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn act_on_appeal(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    Path((number, action)): Path<(String, String)>,
    ApiJson(body): ApiJson<ActionRequest>,
) -> ApiResult<Json<AppealView>> {
    let number = parse_number(&number)?;
    let command = parse_command(&action, body)?;
    act(&hub, number.as_str(), &Actor::Staff(staff.clone()), command).await?;
    Ok(Json(appeal_detail(&hub, number.as_str(), &staff).await?))
}

/// A resident's rating, given with the number and secret.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PublicRateRequest {
    pub secret: String,
    pub resolution: Resolution,
    pub satisfaction: Satisfaction,
    pub comment: Option<String>,
}

/// Rates a resolved appeal as the resident who raised it.
#[utoipa::path(
    post, path = "/api/v1/public/appeals/{number}/rate", tag = "public",
    params(("number" = String, Path)),
    request_body = PublicRateRequest,
    responses(
        (status = 200, description = "Rated", body = crate::service::view::PublicAppealView),
        (status = 404, description = "Wrong number or secret", body = ErrorEnvelope),
        (status = 409, description = "Not resolved yet, or already rated", body = ErrorEnvelope),
    )
)]
pub async fn rate_as_resident(
    State(hub): State<Hub>,
    Path(number): Path<String>,
    ApiJson(body): ApiJson<PublicRateRequest>,
) -> ApiResult<Json<crate::service::view::PublicAppealView>> {
    let number = parse_number(&number)?;
    super::get::follow(&hub, &number, &body.secret).await?;
    let comment = bounded(body.comment, "comment")?;
    let command = Command::Rate { rating: Rating { resolution: body.resolution, satisfaction: body.satisfaction }, comment };
    act(&hub, number.as_str(), &Actor::Resident, command).await?;
    Ok(Json(super::get::follow(&hub, &number, &body.secret).await?))
}
