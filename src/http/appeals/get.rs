//! `GET /api/v1/appeals/{number}`: one appeal with its history.

use axum::Json;
use axum::extract::{Path, State};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::domain::appeal::AppealNumber;
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::http::extract::{ApiQuery, MaybeSignedIn};
use crate::service::Hub;
use crate::service::intake::secret_matches;
use crate::service::view::{AppealView, PublicAppealView, appeal_detail, public_detail};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct FollowQuery {
    /// The resident's secret from the receipt; gives the public view without signing in.
    pub secret: Option<String>,
}

/// What `GET /api/v1/appeals/{number}` answers: the staff view for a signed-in reader in
/// scope, or the public view for a resident who sent the secret. Documentation only: the
/// handler returns one of the two.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
#[serde(untagged)]
pub enum AppealReadView {
    Staff(AppealView),
    Public(PublicAppealView),
}

pub fn parse_number(number: &str) -> ApiResult<AppealNumber> {
    AppealNumber::parse(number).ok_or_else(|| {
        ApiError::invalid(
            "number",
            format!("`{}` is not an appeal number like MQ-20261121-000123", number.chars().take(40).collect::<String>()),
        )
    })
}

/// The appeal with its full history, for signed-in staff in scope. Contact details are
/// masked unless the reader needs them. With `?secret=` and no token, residents get the
/// public view instead (the same as `GET /api/v1/public/appeals/{number}`).
#[utoipa::path(
    get, path = "/api/v1/appeals/{number}", tag = "appeals",
    params(("number" = String, Path, description = "e.g. MQ-20261121-000123"), FollowQuery),
    responses(
        (status = 200, description = "The appeal with its events (staff), or the public view (a resident with the secret)", body = AppealReadView),
        (status = 401, description = "No token and no secret", body = ErrorEnvelope),
        (status = 404, description = "No such appeal in your scope", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ())
)]
pub async fn get_appeal(
    State(hub): State<Hub>,
    MaybeSignedIn(staff): MaybeSignedIn,
    Path(number): Path<String>,
    ApiQuery(query): ApiQuery<FollowQuery>,
) -> ApiResult<axum::response::Response> {
    use axum::response::IntoResponse;
    let number = parse_number(&number)?;
    match (staff, query.secret.filter(|secret| !secret.trim().is_empty())) {
        (Some(staff), _) => Ok(Json(appeal_detail(&hub, number.as_str(), &staff).await?).into_response()),
        (None, Some(secret)) => Ok(Json(follow(&hub, &number, &secret).await?).into_response()),
        (None, None) => Err(ApiError::unauthenticated("send a staff token, or the resident's secret as ?secret=, to read an appeal")),
    }
}

/// Looks an appeal up by number and secret; a wrong secret looks like a wrong number.
pub async fn follow(hub: &Hub, number: &AppealNumber, secret: &str) -> ApiResult<PublicAppealView> {
    let appeal = hub.db.appeal_by_number(number.as_str()).await?;
    match appeal {
        Some(appeal) if secret_matches(&appeal, secret) => Ok(public_detail(hub, &appeal).await?),
        _ => Err(ApiError::not_found(format!("appeal {number} with this secret"))),
    }
}

/// What a resident sees when following an appeal by number and secret.
#[utoipa::path(
    get, path = "/api/v1/public/appeals/{number}", tag = "public",
    params(("number" = String, Path), ("secret" = String, Query, description = "The secret from the receipt")),
    responses(
        (status = 200, description = "The public view", body = PublicAppealView),
        (status = 404, description = "Wrong number or secret", body = ErrorEnvelope),
    )
)]
pub async fn get_public_appeal(
    State(hub): State<Hub>,
    Path(number): Path<String>,
    ApiQuery(query): ApiQuery<FollowQuery>,
) -> ApiResult<Json<PublicAppealView>> {
    let number = parse_number(&number)?;
    let secret = query.secret.unwrap_or_default();
    Ok(Json(follow(&hub, &number, &secret).await?))
}
