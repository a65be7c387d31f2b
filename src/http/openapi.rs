//! The OpenAPI document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{admin, admin_console, appeals, attachments, board, reports, dashboard, notifications, places, policies, session, supervision};

struct BearerAuth;

impl Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme("bearer", SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()));
    }
}

#[derive(OpenApi)]
#[openapi(
    info(title = "Minqing (民情枢纽) API", version = "1", description = "The appeal hub's JSON API. Conventions: docs/API.md."),
    paths(
        appeals::create::create_appeal,
        appeals::list::list_appeals,
        appeals::export::export_csv,
        appeals::export::export_xlsx,
        appeals::get::get_appeal,
        appeals::act::act_on_appeal,
        appeals::meetings::record_meeting,
        appeals::get::get_public_appeal,
        appeals::act::rate_as_resident,
        places::get_grid,
        places::get_region,
        places::region_grids,
        places::route_point,
        places::list_categories,
        places::list_units,
        session::login,
        session::get_me,
        admin::create_unit,
        admin::create_user,
        admin::import_grids,
        admin::assign_member,
        dashboard::get_summary,
        dashboard::get_unit_ranking,
        dashboard::get_grid_load,
        policies::get_current_policy,
        policies::list_policies,
        policies::get_policy,
        policies::put_policy,
        notifications::list_notifications,
        notifications::unread_count,
        notifications::mark_read,
        notifications::list_templates,
        notifications::put_template,
        notifications::list_deliveries,
        supervision::issue_notice,
        supervision::list_notices,
        supervision::key_list,
        supervision::list_urges,
        supervision::list_reminders,
        supervision::list_jobs,
        admin_console::list_users,
        admin_console::edit_user,
        admin_console::edit_unit,
        admin_console::list_categories,
        admin_console::create_category,
        admin_console::edit_category,
        admin_console::list_grid_members,
        admin_console::remove_grid_member,
        admin_console::calendar_year,
        admin_console::import_calendar,
        attachments::add_attachment,
        attachments::list_attachments,
        attachments::get_attachment,
        board::get_board,
        reports::unit_month_xlsx,
    ),
    modifiers(&BearerAuth),
    tags(
        (name = "appeals", description = "Intake, queues and the lifecycle of appeals"),
        (name = "public", description = "What residents use without an account"),
        (name = "places", description = "Regions, grids, units and categories"),
        (name = "session", description = "Signing in"),
        (name = "admin", description = "Administration of units, users and grids"),
        (name = "dashboard", description = "Read-only aggregates for dashboards, JSON or CSV"),
        (name = "policies", description = "Deadline policies, versioned"),
        (name = "notifications", description = "The in-app inbox, templates and deliveries"),
        (name = "supervision", description = "Supervision notices, the key list, urges, reminders and jobs"),
    )
)]
pub struct ApiDoc;

/// The document as served at `/api/v1/openapi.json`.
pub fn document() -> utoipa::openapi::OpenApi {
    ApiDoc::openapi()
}

pub async fn openapi_json() -> Json<utoipa::openapi::OpenApi> {
    Json(document())
}
