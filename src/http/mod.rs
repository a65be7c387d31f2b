//! The HTTP edge: routes, extractors and the error envelope. Handlers are thin: they
//! parse input into domain types, call one service function, and shape the answer.

pub mod appeals;
pub mod error;
pub mod extract;
pub mod openapi;
pub mod places;
pub mod session;
pub mod understanding;

use std::time::Duration;

use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use axum::Router;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::service::Hub;
use error::ApiError;

/// The largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The whole HTTP surface of a node.
pub fn router(hub: Hub) -> Router {
    let api = Router::new()
        .route("/appeals", post(appeals::create::create_appeal).get(appeals::list::list_appeals))
        .route("/appeals/search", get(understanding::search::search_appeals))
        .route("/appeals/{number}", get(appeals::get::get_appeal))
        .route("/appeals/{number}/duplicates", get(understanding::duplicates::list_duplicates))
        .route("/classifier/suggest", post(understanding::classifier::suggest))
        .route("/classifier/rules", get(understanding::classifier::list_rules).post(understanding::classifier::create_rule))
        .route("/classifier/rules/{id}", put(understanding::classifier::update_rule).delete(understanding::classifier::delete_rule))
        .route("/hotspots/warnings", get(understanding::hotspots::list_warnings))
        .route("/hotspots/warnings/{id}/acknowledge", post(understanding::hotspots::acknowledge_warning))
        .route("/hotspots/scan", post(understanding::hotspots::scan))
        .route("/hotspots/monthly-topics", get(understanding::hotspots::monthly_topics))
        .route("/appeals/{number}/actions/{action}", post(appeals::act::act_on_appeal))
        .route("/meetings", post(appeals::meetings::record_meeting))
        .route("/public/appeals/{number}", get(appeals::get::get_public_appeal))
        .route("/public/appeals/{number}/rate", post(appeals::act::rate_as_resident))
        .route("/grids/{id}", get(places::get_grid))
        .route("/regions/{code}", get(places::get_region))
        .route("/regions/{code}/grids", get(places::region_grids))
        .route("/route", get(places::route_point))
        .route("/categories", get(places::list_categories))
        .route("/units", get(places::list_units))
        .route("/auth/login", post(session::login))
        .route("/me", get(session::get_me))
        .route("/openapi.json", get(openapi::openapi_json));
    Router::new()
        .nest("/api/v1", api)
        .route("/healthz", get(healthz))
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TraceLayer::new_for_http())
        .with_state(hub)
}

/// 200 once the database answers.
async fn healthz(State(hub): State<Hub>) -> Response {
    match tokio::time::timeout(Duration::from_secs(2), hub.db.ping()).await {
        Ok(true) => (StatusCode::OK, "ok").into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint; the API is described at /api/v1/openapi.json")
}

fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong on our side; it was logged, please try again")
        .into_response()
}
