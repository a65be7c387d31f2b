//! The in-app inbox (the user's own and the unit's), message templates and the delivery log.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::access::Role;
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::http::extract::{ApiJson, ApiQuery, SignedIn};
use crate::service::Hub;
use crate::service::notifications;
use crate::service::view::rfc3339;
use crate::storage::notifications::{DeliveryRow, NotificationRow, TemplateRow};

#[derive(Debug, Serialize, ToSchema)]
pub struct NotificationView {
    pub id: i64,
    pub kind: String,
    /// Set for a person's own notification; unset for the unit's shared inbox.
    pub user_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub appeal_number: Option<String>,
    pub title: String,
    pub body: String,
    pub created_at: String,
    pub read_at: Option<String>,
}

impl From<NotificationRow> for NotificationView {
    fn from(row: NotificationRow) -> NotificationView {
        NotificationView {
            id: row.id,
            kind: row.kind,
            user_id: row.user_id,
            unit_id: row.unit_id,
            appeal_number: row.appeal_number,
            title: row.title,
            body: row.body,
            created_at: rfc3339(row.created_ms),
            read_at: row.read_ms.map(rfc3339),
        }
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct InboxQuery {
    /// `me` (default): your own inbox; `unit`: your unit's shared inbox.
    #[serde(default, rename = "box")]
    pub inbox: Option<String>,
    /// Only unread notifications.
    #[serde(default)]
    pub unread: Option<bool>,
    /// Only notifications with an id below this (the last id of the previous page).
    pub before: Option<i64>,
    /// 1 to 200; 50 by default.
    pub limit: Option<i64>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct InboxPage {
    pub items: Vec<NotificationView>,
    /// Pass as `before` for the next page; absent on the last page.
    pub next_before: Option<i64>,
}

/// Your inbox or your unit's, newest first.
#[utoipa::path(
    get, path = "/api/v1/notifications", tag = "notifications",
    params(InboxQuery),
    responses((status = 200, description = "A page of notifications", body = InboxPage), (status = 400, description = "Bad query", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn list_notifications(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiQuery(query): ApiQuery<InboxQuery>,
) -> ApiResult<Json<InboxPage>> {
    let unit_box = match query.inbox.as_deref() {
        None | Some("me") => false,
        Some("unit") => true,
        Some(_) => return Err(ApiError::invalid("box", "box is `me` or `unit`")),
    };
    let limit = query.limit.unwrap_or(50);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid("limit", "limit is between 1 and 200"));
    }
    let rows = notifications::inbox(&hub, &staff, unit_box, query.unread.unwrap_or(false), query.before, limit).await?;
    let next_before = if rows.len() as i64 == limit { rows.last().map(|row| row.id) } else { None };
    Ok(Json(InboxPage { items: rows.into_iter().map(NotificationView::from).collect(), next_before }))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct UnreadCounts {
    /// Unread in your own inbox.
    pub me: i64,
    /// Unread in your unit's inbox.
    pub unit: i64,
}

/// How many notifications are unread, in your inbox and in your unit's.
#[utoipa::path(
    get, path = "/api/v1/notifications/unread-count", tag = "notifications",
    responses((status = 200, description = "Counts", body = UnreadCounts), (status = 401, description = "Not signed in", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn unread_count(State(hub): State<Hub>, SignedIn(staff): SignedIn) -> ApiResult<Json<UnreadCounts>> {
    let (me, unit) = notifications::unread_counts(&hub, &staff).await?;
    Ok(Json(UnreadCounts { me, unit }))
}

/// Marks a notification read (yours or your unit's). Marking it again changes nothing.
#[utoipa::path(
    post, path = "/api/v1/notifications/{id}/read", tag = "notifications",
    params(("id" = i64, Path)),
    responses((status = 200, description = "The notification", body = NotificationView), (status = 404, description = "Not in your inbox", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn mark_read(State(hub): State<Hub>, SignedIn(staff): SignedIn, Path(id): Path<i64>) -> ApiResult<Json<NotificationView>> {
    Ok(Json(notifications::mark_read(&hub, &staff, id).await?.into()))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct TemplateView {
    pub kind: String,
    pub title: String,
    /// Placeholders in braces, e.g. `{number}`, `{deadline}`.
    pub body: String,
    /// Absent while the shipped text is used.
    pub updated_at: Option<String>,
    pub updated_by: Option<i64>,
}

impl From<TemplateRow> for TemplateView {
    fn from(row: TemplateRow) -> TemplateView {
        TemplateView {
            kind: row.kind,
            title: row.title,
            body: row.body,
            updated_at: (row.updated_ms > 0).then(|| rfc3339(row.updated_ms)),
            updated_by: row.updated_by,
        }
    }
}

#[derive(Debug, Deserialize, ToSchema)]
pub struct TemplateEdit {
    pub title: String,
    pub body: String,
}

/// Every message template (the stored text, or the shipped one).
#[utoipa::path(
    get, path = "/api/v1/notification-templates", tag = "notifications",
    responses((status = 200, description = "Templates", body = [TemplateView]), (status = 401, description = "Not signed in", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn list_templates(State(hub): State<Hub>, SignedIn(_staff): SignedIn) -> ApiResult<Json<Vec<TemplateView>>> {
    Ok(Json(notifications::templates(&hub).await?.into_iter().map(TemplateView::from).collect()))
}

/// Edits a message template (administrators).
#[utoipa::path(
    put, path = "/api/v1/notification-templates/{kind}", tag = "notifications",
    params(("kind" = String, Path)),
    request_body = TemplateEdit,
    responses(
        (status = 200, description = "The template", body = TemplateView),
        (status = 400, description = "Empty or too long", body = ErrorEnvelope),
        (status = 403, description = "Not an administrator", body = ErrorEnvelope),
        (status = 404, description = "No such kind", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn put_template(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    Path(kind): Path<String>,
    ApiJson(edit): ApiJson<TemplateEdit>,
) -> ApiResult<Json<TemplateView>> {
    Ok(Json(notifications::edit_template(&hub, &staff, &kind, &edit.title, &edit.body).await?.into()))
}

/// The delivery log of channels beyond the inbox (administrators).
#[utoipa::path(
    get, path = "/api/v1/notification-deliveries", tag = "notifications",
    responses((status = 200, description = "Newest first", body = [DeliveryRow]), (status = 403, description = "Not an administrator", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn list_deliveries(State(hub): State<Hub>, SignedIn(staff): SignedIn) -> ApiResult<Json<Vec<DeliveryRow>>> {
    if !staff.has(Role::Admin) {
        return Err(ApiError::forbidden("only an administrator reads the delivery log"));
    }
    Ok(Json(hub.db.deliveries(200).await?))
}
