//! `GET /api/v1/public/board`: resolved appeals for everyone, without personal data.

use axum::extract::State;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::http::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::http::extract::ApiQuery;
use crate::service::Hub;
use crate::service::board::{self, BoardPage};

/// The routes of this file, merged under `/api/v1` by `http::router`.
pub fn routes() -> Router<Hub> {
    Router::new().route("/public/board", get(get_board))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// A township or village code: only appeals there.
    pub region_code: Option<String>,
    /// A category code: that category and its children.
    pub category_code: Option<String>,
    /// The `next_cursor` of the previous page.
    pub cursor: Option<String>,
    /// 1–50, default 20.
    pub limit: Option<i64>,
}

fn digits(field: &'static str, text: Option<String>, max: usize) -> ApiResult<Option<String>> {
    match text.map(|text| text.trim().to_string()).filter(|text| !text.is_empty()) {
        None => Ok(None),
        Some(text) if text.len() <= max && text.bytes().all(|byte| byte.is_ascii_digit()) => Ok(Some(text)),
        Some(_) => Err(ApiError::invalid(field, format!("{field} must be up to {max} digits"))),
    }
}

/// Resolved appeals, newest first, by village and category: the category, the village,
/// the dates, the rating and the unit's reply with personal data removed. The resident's
/// own text and contact are never shown; private matters (私事) are not listed.
#[utoipa::path(
    get, path = "/api/v1/public/board", tag = "public",
    params(BoardQuery),
    responses((status = 200, description = "A page of the board", body = BoardPage), (status = 400, description = "A filter is invalid", body = ErrorEnvelope))
)]
pub async fn get_board(State(hub): State<Hub>, ApiQuery(query): ApiQuery<BoardQuery>) -> ApiResult<Json<BoardPage>> {
    let region = digits("region_code", query.region_code, 12)?;
    let category = digits("category_code", query.category_code, 8)?;
    let limit = query.limit.unwrap_or(20);
    if !(1..=50).contains(&limit) {
        return Err(ApiError::invalid("limit", "limit must be between 1 and 50"));
    }
    let cursor = match query.cursor.as_deref().filter(|text| !text.is_empty()) {
        None => None,
        Some(text) => {
            let bad = || ApiError::invalid("cursor", "cursor is not one this API gave out; start again without it");
            let (at, id) = text.split_once('.').ok_or_else(bad)?;
            Some((at.parse().map_err(|_| bad())?, id.parse().map_err(|_| bad())?))
        }
    };
    Ok(Json(board::page(&hub, region, category, cursor, limit).await?))
}
