//! `/api/v1/points`: rules per community, earning, spending, corrections, statements.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::points::{RuleDirection, Statement};
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::http::extract::{ApiJson, ApiQuery, SignedIn};
use crate::service::Hub;
use crate::service::points::{self, Holder};
use crate::storage::points::{JournalRow, PointAccount, PointRule};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleRequest {
    pub region_code: String,
    pub code: String,
    pub label: String,
    pub direction: RuleDirection,
    pub points: i64,
    pub active: Option<bool>,
}

/// Sets a community's rule: points for an activity, or the price of a catalogue item.
#[utoipa::path(
    put, path = "/api/v1/points/rules", tag = "points", request_body = RuleRequest,
    responses((status = 200, description = "The rule", body = PointRule), (status = 403, description = "Not the community's staff", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn put_rule(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiJson(request): ApiJson<RuleRequest>,
) -> ApiResult<Json<PointRule>> {
    Ok(Json(
        points::set_rule(
            &hub,
            &staff,
            &request.region_code,
            request.code.trim(),
            &request.label,
            request.direction,
            request.points,
            request.active.unwrap_or(true),
        )
        .await?,
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CommunityQuery {
    pub region_code: String,
}

/// A community's rules and catalogue prices.
#[utoipa::path(
    get, path = "/api/v1/points/rules", tag = "points", params(CommunityQuery),
    responses((status = 200, description = "Rules", body = [PointRule])),
)]
pub async fn list_rules(State(hub): State<Hub>, ApiQuery(query): ApiQuery<CommunityQuery>) -> ApiResult<Json<Vec<PointRule>>> {
    Ok(Json(hub.db.point_rules(&query.region_code).await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EarnRequest {
    pub region_code: String,
    pub holder_name: String,
    pub holder_phone: String,
    pub rule_code: String,
    /// How many times the rule applies (three patrols); 1 by default.
    pub quantity: Option<i64>,
    pub reason: Option<String>,
}

/// Grants points under a rule; who granted them and why are recorded.
#[utoipa::path(
    post, path = "/api/v1/points/earn", tag = "points", request_body = EarnRequest,
    responses((status = 201, description = "The journal", body = JournalRow), (status = 400, description = "Unknown rule or bad input; nothing recorded", body = ErrorEnvelope), (status = 403, description = "Not the community's staff", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn earn(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiJson(request): ApiJson<EarnRequest>,
) -> ApiResult<(StatusCode, Json<JournalRow>)> {
    let holder = Holder { name: request.holder_name.trim().into(), phone: request.holder_phone.trim().into() };
    let journal = points::earn(
        &hub,
        &staff,
        &request.region_code,
        &holder,
        &request.rule_code,
        request.quantity.unwrap_or(1),
        request.reason.as_deref().unwrap_or(""),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(journal)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SpendRequest {
    pub account_id: i64,
    /// A spending rule (catalogue item) of the account's community.
    pub rule_code: String,
    pub quantity: Option<i64>,
    pub reason: Option<String>,
}

/// Spends a person's points; refused (409) if the balance does not cover it.
#[utoipa::path(
    post, path = "/api/v1/points/spend", tag = "points", request_body = SpendRequest,
    responses((status = 201, description = "The journal", body = JournalRow), (status = 409, description = "Not enough points; nothing recorded", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn spend(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiJson(request): ApiJson<SpendRequest>,
) -> ApiResult<(StatusCode, Json<JournalRow>)> {
    let journal = points::spend(
        &hub,
        &staff,
        request.account_id,
        &request.rule_code,
        request.quantity.unwrap_or(1),
        request.reason.as_deref().unwrap_or(""),
    )
    .await?;
    Ok((StatusCode::CREATED, Json(journal)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CorrectionRequest {
    pub reason: String,
}

/// Corrects a journal with a reversing journal (nothing is edited or deleted).
#[utoipa::path(
    post, path = "/api/v1/points/journals/{id}/correct", tag = "points", params(("id" = i64, Path)), request_body = CorrectionRequest,
    responses((status = 201, description = "The correcting journal", body = JournalRow), (status = 409, description = "Corrected already, or the points were spent", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn correct(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    Path(id): Path<i64>,
    ApiJson(request): ApiJson<CorrectionRequest>,
) -> ApiResult<(StatusCode, Json<JournalRow>)> {
    Ok((StatusCode::CREATED, Json(points::correct(&hub, &staff, id, &request.reason).await?)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct StatementQuery {
    /// `YYYY-MM`.
    pub month: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct StatementBody {
    pub account: PointAccount,
    pub statement: Statement,
}

/// A person's monthly statement.
#[utoipa::path(
    get, path = "/api/v1/points/accounts/{id}/statement", tag = "points", params(("id" = i64, Path), StatementQuery),
    responses((status = 200, description = "The statement", body = StatementBody), (status = 404, description = "Not in your scope", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn statement(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    Path(id): Path<i64>,
    ApiQuery(query): ApiQuery<StatementQuery>,
) -> ApiResult<Json<StatementBody>> {
    let (mut account, statement) = points::monthly_statement(&hub, &staff, id, &query.month).await?;
    if !points::keeps_ledger_of(&staff, &account.region_code) {
        account.holder_phone = account.holder_phone.map(|phone| crate::domain::contact::mask_phone(&phone));
    }
    Ok(Json(StatementBody { account, statement }))
}

/// Accounts of a community, highest balance first (phones masked).
#[utoipa::path(
    get, path = "/api/v1/points/accounts", tag = "points", params(CommunityQuery),
    responses((status = 200, description = "Accounts", body = [PointAccount]), (status = 403, description = "Not the community's staff", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn list_accounts(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiQuery(query): ApiQuery<CommunityQuery>,
) -> ApiResult<Json<Vec<PointAccount>>> {
    if !points::keeps_ledger_of(&staff, &query.region_code) {
        return Err(ApiError::forbidden("only staff of the community or above read its accounts"));
    }
    let mut accounts = hub.db.point_accounts(&query.region_code, None, 1000).await?;
    for account in &mut accounts {
        account.holder_phone = account.holder_phone.as_deref().map(crate::domain::contact::mask_phone);
    }
    Ok(Json(accounts))
}
