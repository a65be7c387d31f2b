//! Administration of places and people: units, users, grids and grid members.
//! Every handler here requires the `admin` role.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::access::{GridRole, Role, Staff, UnitKind};
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::http::extract::{ApiJson, SignedIn};
use crate::service::{Hub, auth, places};
use crate::storage::people::Unit;

fn require_admin(staff: &Staff) -> ApiResult<()> {
    if staff.has(Role::Admin) { Ok(()) } else { Err(ApiError::forbidden("only an administrator may do this")) }
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUnitRequest {
    pub name: String,
    pub kind: UnitKind,
    /// The region the unit sits on: the county for the service centre and departments,
    /// the township or village for committees and organisations.
    pub region_code: String,
}

/// Creates a unit (or returns the existing unit of that name).
#[utoipa::path(
    post, path = "/api/v1/admin/units", tag = "admin",
    request_body = CreateUnitRequest,
    responses((status = 201, description = "Created", body = Unit), (status = 400, description = "Invalid", body = ErrorEnvelope), (status = 403, description = "Not an administrator", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn create_unit(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiJson(request): ApiJson<CreateUnitRequest>,
) -> ApiResult<(StatusCode, Json<Unit>)> {
    require_admin(&staff)?;
    let name = request.name.trim();
    if name.is_empty() || name.chars().count() > 100 {
        return Err(ApiError::invalid("name", "name must be 1–100 characters"));
    }
    if hub.db.region(&request.region_code).await?.is_none() {
        return Err(ApiError::invalid("region_code", format!("region_code `{}` is not a known region", request.region_code)));
    }
    Ok((StatusCode::CREATED, Json(hub.db.ensure_unit(name, request.kind, &request.region_code).await?)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateUserRequest {
    pub username: String,
    pub display_name: Option<String>,
    pub unit_id: i64,
    pub roles: Vec<Role>,
    /// At least 8 characters.
    pub password: String,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CreatedUser {
    pub id: i64,
    pub username: String,
}

/// Creates a staff user in a unit with roles.
#[utoipa::path(
    post, path = "/api/v1/admin/users", tag = "admin",
    request_body = CreateUserRequest,
    responses((status = 201, description = "Created", body = CreatedUser), (status = 400, description = "Invalid", body = ErrorEnvelope), (status = 403, description = "Not an administrator", body = ErrorEnvelope), (status = 409, description = "Name taken", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn create_user(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiJson(request): ApiJson<CreateUserRequest>,
) -> ApiResult<(StatusCode, Json<CreatedUser>)> {
    require_admin(&staff)?;
    let username = request.username.trim();
    if username.is_empty()
        || username.len() > 64
        || !username.chars().all(|ch| ch.is_ascii_alphanumeric() || ch == '_' || ch == '-' || ch == '.')
    {
        return Err(ApiError::invalid("username", "username must be 1–64 letters, digits, _, - or ."));
    }
    if request.roles.is_empty() {
        return Err(ApiError::invalid("roles", "give the user at least one role"));
    }
    if hub.db.unit(request.unit_id).await?.is_none() {
        return Err(ApiError::invalid("unit_id", format!("unit {} does not exist", request.unit_id)));
    }
    let display = request.display_name.as_deref().map(str::trim).filter(|name| !name.is_empty()).unwrap_or(username);
    let id = auth::create_user(&hub, username, display, request.unit_id, &request.roles, &request.password).await?;
    Ok((StatusCode::CREATED, Json(CreatedUser { id, username: username.to_string() })))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedGrids {
    pub imported: usize,
}

/// Imports grids from a GeoJSON FeatureCollection (properties: `id`, `region_code` of a
/// village or community, optional `name` and `parent_id`). All or nothing.
#[utoipa::path(
    post, path = "/api/v1/admin/grids", tag = "admin",
    request_body(content = Object, content_type = "application/geo+json"),
    responses((status = 200, description = "Imported", body = ImportedGrids), (status = 400, description = "Invalid; nothing imported", body = ErrorEnvelope), (status = 403, description = "Not an administrator", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn import_grids(State(hub): State<Hub>, SignedIn(staff): SignedIn, body: Bytes) -> ApiResult<Json<ImportedGrids>> {
    require_admin(&staff)?;
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::invalid("body", "the GeoJSON must be UTF-8 text"))?;
    Ok(Json(ImportedGrids { imported: places::import_grids(&hub, text).await? }))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AssignMemberRequest {
    pub username: String,
    pub role: GridRole,
}

/// Assigns a person to a grid as grid worker or party representative (定人、定格、定职责).
#[utoipa::path(
    post, path = "/api/v1/admin/grids/{id}/members", tag = "admin",
    params(("id" = String, Path)),
    request_body = AssignMemberRequest,
    responses((status = 204, description = "Assigned"), (status = 400, description = "Invalid", body = ErrorEnvelope), (status = 404, description = "No such grid", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn assign_member(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    Path(id): Path<String>,
    ApiJson(request): ApiJson<AssignMemberRequest>,
) -> ApiResult<StatusCode> {
    require_admin(&staff)?;
    let grid = hub.db.grid(&id).await?.ok_or_else(|| ApiError::not_found(format!("grid {}", id.chars().take(64).collect::<String>())))?;
    let user = hub
        .db
        .user_by_name(request.username.trim())
        .await?
        .ok_or_else(|| ApiError::invalid("username", format!("no user is named {}", request.username.trim())))?;
    hub.db.add_grid_member(&grid.id, user.staff.user_id, request.role).await?;
    Ok(StatusCode::NO_CONTENT)
}
