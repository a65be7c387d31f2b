//! Deadline policies: read the current one or any version; an administrator writes a new one.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::deadline_policy::DeadlinePolicy;
use crate::http::error::{ApiResult, ErrorEnvelope};
use crate::http::extract::{ApiJson, SignedIn};
use crate::service::Hub;
use crate::service::policies::{self, PolicyVersion};
use crate::service::view::rfc3339;

#[derive(Debug, Serialize, ToSchema)]
pub struct PolicyView {
    pub version: i64,
    pub note: String,
    /// RFC 3339, +08:00.
    pub created_at: String,
    pub created_by: Option<i64>,
    pub policy: DeadlinePolicy,
}

impl From<PolicyVersion> for PolicyView {
    fn from(version: PolicyVersion) -> PolicyView {
        PolicyView {
            version: version.version,
            note: version.note,
            created_at: rfc3339(version.created_ms),
            created_by: version.created_by,
            policy: version.policy,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct PolicyUpdate {
    /// The version the edit was made from; refused with 409 if another edit came first.
    pub based_on: i64,
    /// Why the policy changes.
    pub note: String,
    pub policy: DeadlinePolicy,
}

/// The policy new appeals are given.
#[utoipa::path(
    get, path = "/api/v1/policies/current", tag = "policies",
    responses((status = 200, description = "The current policy", body = PolicyView), (status = 401, description = "Not signed in", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn get_current_policy(State(hub): State<Hub>, SignedIn(_staff): SignedIn) -> ApiResult<Json<PolicyView>> {
    Ok(Json(policies::current(&hub).await?.into()))
}

/// Every policy version, newest first. An appeal keeps the version it was given.
#[utoipa::path(
    get, path = "/api/v1/policies", tag = "policies",
    responses((status = 200, description = "All versions", body = [PolicyView]), (status = 401, description = "Not signed in", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn list_policies(State(hub): State<Hub>, SignedIn(_staff): SignedIn) -> ApiResult<Json<Vec<PolicyView>>> {
    Ok(Json(policies::history(&hub).await?.into_iter().map(PolicyView::from).collect()))
}

/// One policy version.
#[utoipa::path(
    get, path = "/api/v1/policies/{version}", tag = "policies",
    params(("version" = i64, Path)),
    responses((status = 200, description = "The version", body = PolicyView), (status = 404, description = "No such version", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn get_policy(State(hub): State<Hub>, SignedIn(_staff): SignedIn, Path(version): Path<i64>) -> ApiResult<Json<PolicyView>> {
    Ok(Json(policies::version(&hub, version).await?.into()))
}

/// Writes a new policy version (administrators). Appeals already received keep theirs.
#[utoipa::path(
    put, path = "/api/v1/policies", tag = "policies",
    request_body = PolicyUpdate,
    responses(
        (status = 200, description = "The new version", body = PolicyView),
        (status = 400, description = "The policy is not valid", body = ErrorEnvelope),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope),
        (status = 409, description = "Someone else edited the policy first", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn put_policy(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiJson(update): ApiJson<PolicyUpdate>,
) -> ApiResult<Json<PolicyView>> {
    Ok(Json(policies::update(&hub, &staff, update.based_on, update.policy, &update.note).await?.into()))
}
