//! The HTTP edge: routes, extractors and the error envelope. Handlers are thin: they
//! parse input into domain types, call one service function, and shape the answer.

pub mod admin;
pub mod admin_console;
pub mod appeals;
pub mod attachments;
pub mod board;
pub mod compression;
pub mod dashboard;
pub mod error;
pub mod extract;
pub mod notifications;
pub mod open311;
pub mod openapi;
pub mod places;
pub mod policies;
pub mod programmes;
pub mod reports;
pub mod session;
pub mod supervision;
pub mod understanding;

use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::trace::TraceLayer;

use crate::service::Hub;
use error::ApiError;

/// The largest request body accepted, in bytes.
pub const MAX_BODY_BYTES: usize = 256 * 1024;

/// The largest GeoJSON upload accepted by the administration import, in bytes.
pub const MAX_IMPORT_BYTES: usize = 32 * 1024 * 1024;

/// The whole HTTP surface of a node.
pub fn router(hub: Hub) -> Router {
    let api = Router::new()
        .route("/appeals", post(appeals::create::create_appeal).get(appeals::list::list_appeals))
        .route("/appeals/export.csv", get(appeals::export::export_csv))
        .route("/appeals/export.xlsx", get(appeals::export::export_xlsx))
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
        .route("/meetings", post(appeals::meetings::record_meeting).get(programmes::views::list_meetings))
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
        .route("/admin/units", post(admin::create_unit))
        .route("/admin/users", post(admin::create_user))
        .route("/admin/grids", post(admin::import_grids).layer(DefaultBodyLimit::max(MAX_IMPORT_BYTES)))
        .route("/admin/grids/{id}/members", post(admin::assign_member))
        .route("/dashboard/summary", get(dashboard::get_summary))
        .route("/dashboard/units", get(dashboard::get_unit_ranking))
        .route("/dashboard/grids", get(dashboard::get_grid_load))
        .route("/openapi.json", get(openapi::openapi_json))
        .route("/policies", get(policies::list_policies).put(policies::put_policy))
        .route("/policies/current", get(policies::get_current_policy))
        .route("/policies/{version}", get(policies::get_policy))
        .route("/notifications", get(notifications::list_notifications))
        .route("/notifications/unread-count", get(notifications::unread_count))
        .route("/notifications/{id}/read", post(notifications::mark_read))
        .route("/notification-templates", get(notifications::list_templates))
        .route("/notification-templates/{kind}", axum::routing::put(notifications::put_template))
        .route("/notification-deliveries", get(notifications::list_deliveries))
        .route("/appeals/{number}/supervision-notices", post(supervision::issue_notice))
        .route("/supervision/notices", get(supervision::list_notices))
        .route("/supervision/key-list", get(supervision::key_list))
        .route("/supervision/urges", get(supervision::list_urges))
        .route("/supervision/reminders", get(supervision::list_reminders))
        .route("/jobs", get(supervision::list_jobs))
        .merge(programme_routes());
    let api = api.merge(admin_console::routes()).merge(attachments::routes()).merge(board::routes()).merge(reports::routes());
    Router::new()
        .nest("/api/v1", api)
        .nest("/open311/v2", open311::router())
        .route("/healthz", get(healthz))
        .merge(crate::web::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(CatchPanicLayer::custom(panic_response))
        .layer(TraceLayer::new_for_http().make_span_with(request_span))
        .layer(TraceLayer::new_for_http())
        .layer(compression::layer())
        .with_state(hub)
}

/// The programmes' routes: the shared work-item lifecycle and each programme's own.
fn programme_routes() -> Router<Hub> {
    use programmes::{points, views, work_items};
    Router::new()
        .route("/work-items", get(work_items::list_work_items))
        .route("/work-items/{number}", get(work_items::get_work_item))
        .route("/work-items/{number}/actions/{action}", post(work_items::act_on_work_item))
        .route("/public/work-items/{number}", get(work_items::follow_as_resident))
        .route("/public/work-items/{number}/rate", post(work_items::rate_as_resident))
        .route("/challenge-lists", post(views::publish_challenge_list))
        .route("/challenge-lists/claimants", get(views::challenge_claimants))
        .route("/public/challenge-lists", get(views::public_challenge_lists))
        .route("/service-orders", post(views::order_service))
        .route("/service-catalogue", get(views::list_catalogue).put(views::put_catalogue_item))
        .route("/service-circle", get(views::get_service_circle).put(views::put_service_target))
        .route("/task-ledgers", post(views::create_ledger).get(views::list_ledgers))
        .route("/task-ledgers/{id}", get(views::get_ledger))
        .route("/task-ledgers/{id}/reminders", post(views::remind_ledger))
        .route("/disputes", post(views::register_dispute))
        .route("/activities", post(views::record_activity))
        .route("/meetings/{id}", get(views::get_meeting))
        .route("/meetings/{id}/attendance", post(views::record_attendance))
        .route("/meeting-schedules", get(views::list_schedules).post(views::create_schedule))
        .route("/dashboard/programmes", get(views::programme_dashboard))
        .route("/points/rules", get(points::list_rules).put(points::put_rule))
        .route("/points/earn", post(points::earn))
        .route("/points/spend", post(points::spend))
        .route("/points/journals/{id}/correct", post(points::correct))
        .route("/points/accounts", get(points::list_accounts))
        .route("/points/accounts/{id}/statement", get(points::statement))
}

/// 200 once the database answers.
async fn healthz(State(hub): State<Hub>) -> Response {
    match tokio::time::timeout(Duration::from_secs(2), hub.db.ping()).await {
        Ok(true) => (StatusCode::OK, "ok").into_response(),
        _ => (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response(),
    }
}

/// The span of one request records the method and the path only: query strings can
/// carry a resident's follow-up secret and must not reach the logs.
fn request_span(request: &axum::http::Request<axum::body::Body>) -> tracing::Span {
    tracing::info_span!("request", method = %request.method(), path = %request.uri().path())
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint; the API is described at /api/v1/openapi.json")
}

fn panic_response(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!("a request handler panicked");
    ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "something went wrong on our side; it was logged, please try again")
        .into_response()
}
