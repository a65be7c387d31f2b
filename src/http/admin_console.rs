//! The administration screens' endpoints beyond creating things: listing and editing
//! users and units, the taxonomy, grid members and the holiday calendar.
//! Every write here requires the `admin` role.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, patch, post, put};
use axum::{Json, Router};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::access::{GridRole, Role};
use crate::domain::taxonomy::Category;
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::http::extract::{ApiJson, ApiQuery, SignedIn};
use crate::service::Hub;
use crate::service::admin::{self, CalendarDayView, UserEdit};
use crate::storage::admin::{CategoryListing, UserListing};
use crate::storage::people::Unit;

/// The largest iCalendar upload accepted, in bytes.
pub const MAX_CALENDAR_BYTES: usize = 2 * 1024 * 1024;

/// The routes of this file, merged under `/api/v1` by `http::router`.
pub fn routes() -> Router<Hub> {
    Router::new()
        .route("/admin/users", get(list_users))
        .route("/admin/users/{id}", patch(edit_user))
        .route("/admin/units/{id}", patch(edit_unit))
        .route("/admin/categories", get(list_categories).post(create_category))
        .route("/admin/categories/{code}", put(edit_category))
        .route("/admin/grids/{id}/members", get(list_grid_members))
        .route("/admin/grids/{id}/members/{user_id}", delete(remove_grid_member))
        .route("/calendar", get(calendar_year))
        .route("/admin/calendar", post(import_calendar).layer(DefaultBodyLimit::max(MAX_CALENDAR_BYTES)))
}

/// Every user with their unit, roles and whether they may sign in (administrators).
#[utoipa::path(
    get, path = "/api/v1/admin/users", tag = "admin",
    responses((status = 200, description = "Users", body = [UserListing]), (status = 403, description = "Not an administrator", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn list_users(State(hub): State<Hub>, SignedIn(staff): SignedIn) -> ApiResult<Json<Vec<UserListing>>> {
    admin::require_admin(&staff)?;
    Ok(Json(hub.db.user_listing().await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditUserRequest {
    pub display_name: Option<String>,
    pub unit_id: Option<i64>,
    pub roles: Option<Vec<Role>>,
    /// False deactivates: the user can no longer sign in and their tokens stop working at once.
    pub active: Option<bool>,
    /// A new password (at least 8 characters).
    pub password: Option<String>,
}

/// Changes a user: name, unit, roles, active, password. Absent fields stay as they are.
#[utoipa::path(
    patch, path = "/api/v1/admin/users/{id}", tag = "admin",
    params(("id" = i64, Path)),
    request_body = EditUserRequest,
    responses(
        (status = 200, description = "The user now", body = UserListing),
        (status = 400, description = "Invalid", body = ErrorEnvelope),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope),
        (status = 404, description = "No such user", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn edit_user(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    Path(id): Path<i64>,
    ApiJson(request): ApiJson<EditUserRequest>,
) -> ApiResult<Json<UserListing>> {
    let edit = UserEdit {
        display_name: request.display_name,
        unit_id: request.unit_id,
        roles: request.roles,
        active: request.active,
        password: request.password,
    };
    admin::edit_user(&hub, &staff, id, edit).await?;
    let user =
        hub.db.user_listing().await?.into_iter().find(|user| user.id == id).ok_or_else(|| ApiError::not_found(format!("user {id}")))?;
    Ok(Json(user))
}

/// Reads a field that may be absent (leave alone), null (clear) or a value (set).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<i64>>, D::Error> {
    Option::<i64>::deserialize(deserializer).map(Some)
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditUnitRequest {
    pub name: Option<String>,
    /// The unit's head, who receives its supervision notices; null clears it.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<i64>)]
    pub head_user_id: Option<Option<i64>>,
}

/// Renames a unit or names its head.
#[utoipa::path(
    patch, path = "/api/v1/admin/units/{id}", tag = "admin",
    params(("id" = i64, Path)),
    request_body = EditUnitRequest,
    responses(
        (status = 200, description = "The unit now", body = Unit),
        (status = 400, description = "Invalid", body = ErrorEnvelope),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope),
        (status = 404, description = "No such unit", body = ErrorEnvelope),
        (status = 409, description = "Another unit has that name", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn edit_unit(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    Path(id): Path<i64>,
    ApiJson(request): ApiJson<EditUnitRequest>,
) -> ApiResult<Json<Unit>> {
    admin::edit_unit(&hub, &staff, id, request.name.as_deref(), request.head_user_id).await?;
    Ok(Json(hub.db.unit(id).await?.ok_or_else(|| ApiError::not_found(format!("unit {id}")))?))
}

/// The whole taxonomy, inactive categories included (administrators).
#[utoipa::path(
    get, path = "/api/v1/admin/categories", tag = "admin",
    responses((status = 200, description = "Categories", body = [CategoryListing]), (status = 403, description = "Not an administrator", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn list_categories(State(hub): State<Hub>, SignedIn(staff): SignedIn) -> ApiResult<Json<Vec<CategoryListing>>> {
    admin::require_admin(&staff)?;
    Ok(Json(hub.db.category_listing().await?))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateCategoryRequest {
    /// Two digits for a top-level category; the parent's code and two digits for a child.
    pub code: String,
    pub name: String,
    pub parent_code: Option<String>,
    /// The department that handles it by default.
    pub department: String,
    pub default_working_days: u32,
}

/// Adds a category to the taxonomy.
#[utoipa::path(
    post, path = "/api/v1/admin/categories", tag = "admin",
    request_body = CreateCategoryRequest,
    responses(
        (status = 201, description = "Created", body = CategoryListing),
        (status = 400, description = "Invalid", body = ErrorEnvelope),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope),
        (status = 409, description = "The code exists", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn create_category(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiJson(request): ApiJson<CreateCategoryRequest>,
) -> ApiResult<(StatusCode, Json<CategoryListing>)> {
    let category = Category {
        code: request.code.trim().to_string(),
        name: request.name,
        parent_code: request.parent_code,
        department: request.department,
        default_working_days: request.default_working_days,
    };
    let code = category.code.clone();
    admin::create_category(&hub, &staff, category).await?;
    let stored = hub.db.category_by_code(&code).await?.ok_or_else(|| ApiError::not_found(format!("category {code}")))?;
    Ok((StatusCode::CREATED, Json(stored)))
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditCategoryRequest {
    pub name: String,
    pub department: String,
    pub default_working_days: u32,
    /// False deactivates: no longer offered or suggested; appeals keep it.
    pub active: bool,
}

/// Renames a category, changes its department or limit, or (de)activates it.
#[utoipa::path(
    put, path = "/api/v1/admin/categories/{code}", tag = "admin",
    params(("code" = String, Path)),
    request_body = EditCategoryRequest,
    responses(
        (status = 200, description = "The category now", body = CategoryListing),
        (status = 400, description = "Invalid", body = ErrorEnvelope),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope),
        (status = 404, description = "No such category", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn edit_category(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    Path(code): Path<String>,
    ApiJson(request): ApiJson<EditCategoryRequest>,
) -> ApiResult<Json<CategoryListing>> {
    admin::edit_category(&hub, &staff, &code, &request.name, &request.department, request.default_working_days, request.active).await?;
    Ok(Json(hub.db.category_by_code(&code).await?.ok_or_else(|| ApiError::not_found(format!("category {code}")))?))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct GridMember {
    pub user_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: GridRole,
}

/// The people assigned to a grid, with their user names (administrators).
#[utoipa::path(
    get, path = "/api/v1/admin/grids/{id}/members", tag = "admin",
    params(("id" = String, Path)),
    responses((status = 200, description = "Members", body = [GridMember]), (status = 403, description = "Not an administrator", body = ErrorEnvelope), (status = 404, description = "No such grid", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn list_grid_members(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    Path(id): Path<String>,
) -> ApiResult<Json<Vec<GridMember>>> {
    admin::require_admin(&staff)?;
    let grid = hub.db.grid(&id).await?.ok_or_else(|| ApiError::not_found(format!("grid {}", id.chars().take(64).collect::<String>())))?;
    let members = hub.db.grid_member_listing(&grid.id).await?;
    Ok(Json(
        members.into_iter().map(|(user_id, username, display_name, role)| GridMember { user_id, username, display_name, role }).collect(),
    ))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MemberRoleQuery {
    pub role: GridRole,
}

/// Takes a person off a grid in one role.
#[utoipa::path(
    delete, path = "/api/v1/admin/grids/{id}/members/{user_id}", tag = "admin",
    params(("id" = String, Path), ("user_id" = i64, Path), MemberRoleQuery),
    responses((status = 204, description = "Removed"), (status = 403, description = "Not an administrator", body = ErrorEnvelope), (status = 404, description = "Not on the grid", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn remove_grid_member(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    Path((id, user_id)): Path<(String, i64)>,
    ApiQuery(query): ApiQuery<MemberRoleQuery>,
) -> ApiResult<StatusCode> {
    admin::remove_grid_member(&hub, &staff, &id, user_id, query.role).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CalendarQuery {
    /// The year, e.g. 2026; defaults to this year.
    pub year: Option<i16>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct CalendarYear {
    pub year: i16,
    /// Holidays (off) and make-up working days (working), by date.
    pub days: Vec<CalendarDayView>,
}

/// The holidays and make-up working days of a year that deadlines count.
#[utoipa::path(
    get, path = "/api/v1/calendar", tag = "admin",
    params(CalendarQuery),
    responses((status = 200, description = "The year", body = CalendarYear), (status = 401, description = "Not signed in", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn calendar_year(
    State(hub): State<Hub>,
    SignedIn(_staff): SignedIn,
    ApiQuery(query): ApiQuery<CalendarQuery>,
) -> ApiResult<Json<CalendarYear>> {
    let year = query.year.unwrap_or_else(|| hub.calendar.local_date(hub.clock.now()).year());
    if !(2000..=2100).contains(&year) {
        return Err(ApiError::invalid("year", "year must be between 2000 and 2100"));
    }
    let imported = hub.db.calendar_days().await?;
    Ok(Json(CalendarYear { year, days: admin::calendar_year(&hub, &imported, year) }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct ImportedDays {
    pub imported: usize,
    /// True when some imported day is new to the running server: deadlines count it once
    /// each server has restarted.
    pub restart_needed: bool,
}

/// Imports holidays and make-up working days from an iCalendar file (summaries ending in
/// (休) or (班), as calendar apps publish them); the same as `minqing calendar import`.
#[utoipa::path(
    post, path = "/api/v1/admin/calendar", tag = "admin",
    request_body(content = String, content_type = "text/calendar"),
    responses(
        (status = 200, description = "Imported", body = ImportedDays),
        (status = 400, description = "Not a usable iCalendar file; nothing imported", body = ErrorEnvelope),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn import_calendar(State(hub): State<Hub>, SignedIn(staff): SignedIn, body: Bytes) -> ApiResult<Json<ImportedDays>> {
    admin::require_admin(&staff)?;
    let text = std::str::from_utf8(&body).map_err(|_| ApiError::invalid("body", "the iCalendar file must be UTF-8 text"))?;
    let (imported, restart_needed) = admin::import_calendar(&hub, &staff, text).await?;
    Ok(Json(ImportedDays { imported, restart_needed }))
}
