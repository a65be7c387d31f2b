//! Regions, grids, units and categories.

use axum::Json;
use axum::extract::{Path, State};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::domain::geo::routing::{RouteOutcome, route};
use crate::domain::taxonomy::Category;
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::http::extract::{ApiQuery, SignedIn};
use crate::service::Hub;
use crate::storage::people::Unit;
use crate::storage::places::{GridRecord, Region};

fn grid_feature(grid: &GridRecord, members: Option<serde_json::Value>) -> serde_json::Value {
    let geometry: serde_json::Value = serde_json::from_str(&grid.geometry_json).unwrap_or(serde_json::Value::Null);
    let mut properties = serde_json::json!({
        "id": grid.id,
        "name": grid.name,
        "region_code": grid.region_code,
        "parent_id": grid.parent_id,
    });
    if let (Some(members), Some(map)) = (members, properties.as_object_mut()) {
        map.insert("members".into(), members);
    }
    serde_json::json!({ "type": "Feature", "id": grid.id, "properties": properties, "geometry": geometry })
}

/// One grid as a GeoJSON Feature, with the people assigned to it.
#[utoipa::path(
    get, path = "/api/v1/grids/{id}", tag = "places",
    params(("id" = String, Path)),
    responses(
        (status = 200, description = "A GeoJSON Feature", body = Object),
        (status = 404, description = "No such grid", body = ErrorEnvelope),
    )
)]
pub async fn get_grid(State(hub): State<Hub>, Path(id): Path<String>) -> ApiResult<Json<serde_json::Value>> {
    let grid = hub.db.grid(&id).await?.ok_or_else(|| ApiError::not_found(format!("grid {}", id.chars().take(64).collect::<String>())))?;
    let members: Vec<serde_json::Value> =
        hub.db.grid_members(&grid.id).await?.into_iter().map(|(_, name, role)| serde_json::json!({ "name": name, "role": role })).collect();
    Ok(Json(grid_feature(&grid, Some(serde_json::Value::Array(members)))))
}

/// The grids of a region's subtree as a GeoJSON FeatureCollection.
#[utoipa::path(
    get, path = "/api/v1/regions/{code}/grids", tag = "places",
    params(("code" = String, Path)),
    responses(
        (status = 200, description = "A GeoJSON FeatureCollection", body = Object),
        (status = 404, description = "No such region", body = ErrorEnvelope),
    )
)]
pub async fn region_grids(State(hub): State<Hub>, Path(code): Path<String>) -> ApiResult<Json<serde_json::Value>> {
    let region = known_region(&hub, &code).await?;
    let features: Vec<serde_json::Value> =
        hub.db.grids_in_region(&region.code).await?.iter().map(|grid| grid_feature(grid, None)).collect();
    Ok(Json(serde_json::json!({ "type": "FeatureCollection", "features": features })))
}

async fn known_region(hub: &Hub, code: &str) -> ApiResult<Region> {
    if code.is_empty() || code.len() > 12 || !code.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(ApiError::invalid("code", "a region code is 2, 4, 6, 9 or 12 digits"));
    }
    hub.db.region(code).await?.ok_or_else(|| ApiError::not_found(format!("region {code}")))
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RegionView {
    #[serde(flatten)]
    pub region: Region,
    pub children: Vec<Region>,
}

/// A region and its children.
#[utoipa::path(
    get, path = "/api/v1/regions/{code}", tag = "places",
    params(("code" = String, Path)),
    responses(
        (status = 200, description = "The region", body = RegionView),
        (status = 404, description = "No such region", body = ErrorEnvelope),
    )
)]
pub async fn get_region(State(hub): State<Hub>, Path(code): Path<String>) -> ApiResult<Json<RegionView>> {
    let region = known_region(&hub, &code).await?;
    let children = hub.db.region_children(&region.code).await?;
    Ok(Json(RegionView { region, children }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct RouteQuery {
    pub lat: f64,
    pub lng: f64,
}

#[derive(Debug, Serialize, ToSchema)]
pub struct RouteView {
    /// `grid`, `region` or `triage_queue`.
    pub outcome: &'static str,
    pub grid_id: Option<String>,
    pub region_code: Option<String>,
}

/// Where a WGS84 point would be routed: its grid, else its smallest outlined region,
/// else the county's triage queue.
#[utoipa::path(
    get, path = "/api/v1/route", tag = "places",
    params(RouteQuery),
    responses((status = 200, description = "The routing", body = RouteView), (status = 400, description = "Bad point", body = ErrorEnvelope))
)]
pub async fn route_point(State(hub): State<Hub>, ApiQuery(query): ApiQuery<RouteQuery>) -> ApiResult<Json<RouteView>> {
    if !query.lat.is_finite() || !query.lng.is_finite() || query.lat.abs() > 90.0 || query.lng.abs() > 180.0 {
        return Err(ApiError::invalid("lat", "lat must be within -90..90 and lng within -180..180"));
    }
    let indexes = hub.place_indexes();
    Ok(Json(match route(&indexes.grids, &indexes.regions, query.lng, query.lat) {
        RouteOutcome::Grid { grid_id, region_code } => {
            RouteView { outcome: "grid", grid_id: Some(grid_id), region_code: Some(region_code) }
        }
        RouteOutcome::Region { region_code } => RouteView { outcome: "region", grid_id: None, region_code: Some(region_code) },
        RouteOutcome::TriageQueue => RouteView { outcome: "triage_queue", grid_id: None, region_code: None },
    }))
}

/// The appeal taxonomy.
#[utoipa::path(get, path = "/api/v1/categories", tag = "places", responses((status = 200, description = "Categories", body = [Category])))]
pub async fn list_categories(State(hub): State<Hub>) -> Json<Vec<Category>> {
    Json(hub.category_list().as_ref().clone())
}

/// The units, for dispatching.
#[utoipa::path(
    get, path = "/api/v1/units", tag = "places",
    responses((status = 200, description = "Units", body = [Unit]), (status = 401, description = "Not signed in", body = ErrorEnvelope)),
    security(("bearer" = []))
)]
pub async fn list_units(State(hub): State<Hub>, SignedIn(_staff): SignedIn) -> ApiResult<Json<Vec<Unit>>> {
    Ok(Json(hub.db.units().await?))
}
