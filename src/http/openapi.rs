//! The OpenAPI document, generated from the handlers' annotations.

use axum::Json;
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{
    admin, admin_console, appeals, attachments, board, dashboard, notifications, places, policies, programmes, reports, session,
    supervision, understanding,
};

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
        understanding::search::search_appeals,
        understanding::duplicates::list_duplicates,
        understanding::classifier::suggest,
        understanding::classifier::list_rules,
        understanding::classifier::create_rule,
        understanding::classifier::update_rule,
        understanding::classifier::delete_rule,
        understanding::hotspots::list_warnings,
        understanding::hotspots::acknowledge_warning,
        understanding::hotspots::scan,
        understanding::hotspots::monthly_topics,
        programmes::work_items::list_work_items,
        programmes::work_items::get_work_item,
        programmes::work_items::act_on_work_item,
        programmes::work_items::follow_as_resident,
        programmes::work_items::rate_as_resident,
        programmes::views::publish_challenge_list,
        programmes::views::challenge_claimants,
        programmes::views::public_challenge_lists,
        programmes::views::order_service,
        programmes::views::list_catalogue,
        programmes::views::put_catalogue_item,
        programmes::views::get_service_circle,
        programmes::views::put_service_target,
        programmes::views::create_ledger,
        programmes::views::get_ledger,
        programmes::views::list_ledgers,
        programmes::views::list_meetings,
        programmes::views::record_activity,
        programmes::views::remind_ledger,
        programmes::views::register_dispute,
        programmes::views::get_meeting,
        programmes::views::record_attendance,
        programmes::views::list_schedules,
        programmes::views::create_schedule,
        programmes::views::programme_dashboard,
        programmes::points::put_rule,
        programmes::points::list_rules,
        programmes::points::earn,
        programmes::points::spend,
        programmes::points::correct,
        programmes::points::list_accounts,
        programmes::points::statement,
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
        (name = "classifier", description = "Suggesting category, urgency, triage class and tier; the administrator's rules"),
        (name = "hotspots", description = "Clusters of appeals, early warnings and 每月一题 candidates"),
        (name = "programmes", description = "Challenge lists, service orders, task ledgers, mediation, meetings: one work engine"),
        (name = "points", description = "The points ledger (积分): rules, earning, spending, corrections, statements"),
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
