//! Photos with appeals: `POST`/`GET /api/v1/appeals/{number}/attachments` and
//! `GET /api/v1/appeals/{number}/attachments/{id}`. Staff send their token; a resident
//! sends the appeal's secret as `?secret=`, as when following the appeal.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::attachment::MAX_PHOTO_BYTES;
use crate::http::appeals::get::{FollowQuery, parse_number};
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::http::extract::{ApiQuery, MaybeSignedIn};
use crate::service::Hub;
use crate::service::attachments::{self, Reader};
use crate::service::view::rfc3339;
use crate::storage::attachments::AttachmentMeta;

/// The routes of this file, merged under `/api/v1` by `http::router`.
pub fn routes() -> Router<Hub> {
    Router::new()
        .route(
            "/appeals/{number}/attachments",
            get(list_attachments).post(add_attachment).layer(DefaultBodyLimit::max(MAX_PHOTO_BYTES + 64 * 1024)),
        )
        .route("/appeals/{number}/attachments/{id}", get(get_attachment))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct AttachmentView {
    pub id: i64,
    /// `image/jpeg`, `image/png` or `image/webp`, read from the file itself.
    pub content_type: String,
    pub byte_size: i64,
    /// `resident`, or `user:NAME` for staff.
    pub uploaded_by: String,
    /// RFC 3339, +08:00.
    pub created_at: String,
    /// Where to fetch the bytes (with the same token or secret).
    pub href: String,
}

fn view(number: &str, meta: AttachmentMeta) -> AttachmentView {
    AttachmentView {
        href: format!("/api/v1/appeals/{number}/attachments/{}", meta.id),
        id: meta.id,
        content_type: meta.content_type,
        byte_size: meta.byte_size,
        uploaded_by: meta.uploaded_by,
        created_at: rfc3339(meta.created_ms),
    }
}

fn reader<'a>(staff: &'a Option<crate::domain::access::Staff>, secret: &'a Option<String>) -> ApiResult<Reader<'a>> {
    match (staff, secret.as_deref().map(str::trim).filter(|secret| !secret.is_empty())) {
        (Some(staff), _) => Ok(Reader::Staff(staff)),
        (None, Some(secret)) => Ok(Reader::Resident { secret }),
        (None, None) => Err(ApiError::unauthenticated("send a staff token, or the resident's secret as ?secret=")),
    }
}

/// Attaches a photo (the raw JPEG, PNG or WebP bytes as the body, at most 5 MB; the kind
/// is read from the bytes, not from the declared type). Sending the same bytes again
/// returns the first attachment with 200, so a retried upload is stored once.
#[utoipa::path(
    post, path = "/api/v1/appeals/{number}/attachments", tag = "appeals",
    params(("number" = String, Path), FollowQuery),
    request_body(content = Vec<u8>, content_type = "image/jpeg"),
    responses(
        (status = 201, description = "Attached", body = AttachmentView),
        (status = 200, description = "These bytes were attached before", body = AttachmentView),
        (status = 400, description = "Empty, too large or not a JPEG, PNG or WebP image", body = ErrorEnvelope),
        (status = 404, description = "No such appeal for this reader", body = ErrorEnvelope),
        (status = 409, description = "The appeal is closed to residents' photos, or has the most photos it may carry", body = ErrorEnvelope),
    ),
    security(("bearer" = []), ())
)]
pub async fn add_attachment(
    State(hub): State<Hub>,
    MaybeSignedIn(staff): MaybeSignedIn,
    Path(number): Path<String>,
    ApiQuery(query): ApiQuery<FollowQuery>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<AttachmentView>)> {
    let number = parse_number(&number)?;
    let reader = reader(&staff, &query.secret)?;
    let (meta, new) = attachments::attach_photo(&hub, number.as_str(), &reader, &body).await?;
    Ok((if new { StatusCode::CREATED } else { StatusCode::OK }, Json(view(number.as_str(), meta))))
}

/// The photos of an appeal (without their bytes).
#[utoipa::path(
    get, path = "/api/v1/appeals/{number}/attachments", tag = "appeals",
    params(("number" = String, Path), FollowQuery),
    responses((status = 200, description = "Oldest first", body = [AttachmentView]), (status = 404, description = "No such appeal for this reader", body = ErrorEnvelope)),
    security(("bearer" = []), ())
)]
pub async fn list_attachments(
    State(hub): State<Hub>,
    MaybeSignedIn(staff): MaybeSignedIn,
    Path(number): Path<String>,
    ApiQuery(query): ApiQuery<FollowQuery>,
) -> ApiResult<Json<Vec<AttachmentView>>> {
    let number = parse_number(&number)?;
    let reader = reader(&staff, &query.secret)?;
    let list = attachments::list_photos(&hub, number.as_str(), &reader).await?;
    Ok(Json(list.into_iter().map(|meta| view(number.as_str(), meta)).collect()))
}

/// One photo's bytes, served with the kind read at upload, never sniffed by the browser,
/// never cached by shared caches and never rendered as anything but an image.
#[utoipa::path(
    get, path = "/api/v1/appeals/{number}/attachments/{id}", tag = "appeals",
    params(("number" = String, Path), ("id" = i64, Path), FollowQuery),
    responses((status = 200, description = "The image", content_type = "image/jpeg"), (status = 404, description = "No such photo for this reader", body = ErrorEnvelope)),
    security(("bearer" = []), ())
)]
pub async fn get_attachment(
    State(hub): State<Hub>,
    MaybeSignedIn(staff): MaybeSignedIn,
    Path((number, id)): Path<(String, i64)>,
    ApiQuery(query): ApiQuery<FollowQuery>,
) -> ApiResult<Response> {
    let number = parse_number(&number)?;
    let reader = reader(&staff, &query.secret)?;
    let (meta, bytes) = attachments::photo(&hub, number.as_str(), &reader, id).await?;
    let content_type = crate::domain::attachment::ImageKind::from_content_type(&meta.content_type)
        .map(|kind| HeaderValue::from_static(kind.content_type()))
        .unwrap_or_else(|| HeaderValue::from_static("application/octet-stream"));
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600")),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
            (header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox")),
            (header::CONTENT_DISPOSITION, HeaderValue::from_static("inline")),
        ],
        bytes,
    )
        .into_response())
}
