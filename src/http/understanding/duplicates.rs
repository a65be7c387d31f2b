//! `GET /api/v1/appeals/{number}/duplicates`: open appeals that may be the same problem.

use axum::Json;
use axum::extract::{Path, State};
use serde::Serialize;
use utoipa::ToSchema;

use crate::http::appeals::get::parse_number;
use crate::http::error::{ApiResult, ErrorEnvelope};
use crate::http::extract::SignedIn;
use crate::service::Hub;
use crate::service::understanding::{DuplicateSuggestion, duplicate_suggestions};

#[derive(Debug, Serialize, ToSchema)]
pub struct DuplicateList {
    /// Most similar first; merge with `POST /api/v1/appeals/{number}/actions/merge`.
    pub items: Vec<DuplicateSuggestion>,
}

/// Suggests merges: open appeals at the same place (grid, village or within 300 m),
/// of the same category, with shared wording, within 30 days, each with its reasons.
#[utoipa::path(
    get, path = "/api/v1/appeals/{number}/duplicates", tag = "appeals",
    params(("number" = String, Path, description = "e.g. MQ-20261121-000123")),
    responses(
        (status = 200, description = "Suggested duplicates", body = DuplicateList),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 404, description = "No such appeal in your scope", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn list_duplicates(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    Path(number): Path<String>,
) -> ApiResult<Json<DuplicateList>> {
    let number = parse_number(&number)?;
    Ok(Json(DuplicateList { items: duplicate_suggestions(&hub, number.as_str(), &staff).await? }))
}
