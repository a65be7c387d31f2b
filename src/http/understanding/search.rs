//! `GET /api/v1/appeals/search?q=…`: full-text search in the reader's scope.

use axum::Json;
use axum::extract::State;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::http::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::http::extract::{ApiQuery, SignedIn};
use crate::service::view::{AppealView, appeal_view};
use crate::service::{Hub, understanding};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SearchQuery {
    /// Words to find in the text or address (every word must match), or an appeal number.
    pub q: String,
    /// 1–100, default 20.
    pub limit: Option<usize>,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct SearchResults {
    /// The words every hit contains, as the segmenter cut the query.
    pub words: Vec<String>,
    /// Best match first.
    pub items: Vec<AppealView>,
}

/// Searches appeals by words in their text or address, or by number, best match first.
#[utoipa::path(
    get, path = "/api/v1/appeals/search", tag = "appeals",
    params(SearchQuery),
    responses(
        (status = 200, description = "Matching appeals in your scope", body = SearchResults),
        (status = 400, description = "q is missing or too long", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn search_appeals(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiQuery(query): ApiQuery<SearchQuery>,
) -> ApiResult<Json<SearchResults>> {
    let limit = query.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("limit", "limit must be between 1 and 100"));
    }
    let records = understanding::search(&hub, &staff, &query.q, limit).await?;
    let now = hub.clock.now_ms();
    let words = hub.understanding.search.query_words(&query.q);
    Ok(Json(SearchResults { words, items: records.iter().map(|record| appeal_view(record, &staff, now, None)).collect() }))
}
