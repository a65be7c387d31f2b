//! Signing in and finding out who I am.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::access::{Role, UnitKind};
use crate::http::error::{ApiResult, ErrorEnvelope};
use crate::http::extract::{ApiJson, SignedIn};
use crate::service::{Hub, auth};

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LoginRequest {
    pub username: String,
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct Me {
    pub user_id: i64,
    pub username: String,
    pub unit_id: i64,
    pub unit_kind: UnitKind,
    pub unit_region_code: String,
    pub roles: Vec<Role>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct LoginResponse {
    /// Send as `Authorization: Bearer TOKEN`. Valid for 12 hours.
    pub token: String,
    pub me: Me,
}

fn me(staff: &crate::domain::access::Staff) -> Me {
    Me {
        user_id: staff.user_id,
        username: staff.username.clone(),
        unit_id: staff.unit.id,
        unit_kind: staff.unit.kind,
        unit_region_code: staff.unit.region_code.clone(),
        roles: staff.roles.clone(),
    }
}

/// Signs in with a user name and password.
#[utoipa::path(
    post, path = "/api/v1/auth/login", tag = "session",
    request_body = LoginRequest,
    responses((status = 200, description = "Signed in", body = LoginResponse), (status = 401, description = "Wrong name or password", body = ErrorEnvelope))
)]
pub async fn login(State(hub): State<Hub>, ApiJson(request): ApiJson<LoginRequest>) -> ApiResult<Json<LoginResponse>> {
    let (token, staff) = auth::sign_in(&hub, request.username.trim(), &request.password).await?;
    Ok(Json(LoginResponse { token, me: me(&staff) }))
}

/// The signed-in user.
#[utoipa::path(
    get, path = "/api/v1/me", tag = "session",
    responses((status = 200, description = "Me", body = Me), (status = 401, description = "Not signed in", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn get_me(SignedIn(staff): SignedIn) -> Json<Me> {
    Json(me(&staff))
}
