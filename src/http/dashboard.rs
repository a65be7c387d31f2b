//! `GET /api/v1/dashboard/*`: read-only aggregates for the dashboards, in the reader's
//! scope, as JSON or CSV (`?format=csv`, UTF-8 with a byte-order mark so that
//! spreadsheet programs read the Chinese names). Definitions: `domain::metrics`.

use axum::Json;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::http::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::http::extract::{ApiQuery, SignedIn};
use crate::service::Hub;
use crate::service::metrics::{self, GridLoad, Ranking, Summary};

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct DashboardQuery {
    /// `YYYY-MM` in China time; the current month when absent.
    pub month: Option<String>,
    /// The weight of "basically satisfied" in the satisfaction rate, 0–1 (default 1).
    pub basic_weight: Option<f64>,
    /// `json` (default) or `csv`.
    pub format: Option<String>,
    /// For the summary as CSV: `days` (default), `categories` or `rates`.
    pub table: Option<String>,
}

fn wants_csv(format: Option<&str>) -> ApiResult<bool> {
    match format {
        None | Some("") | Some("json") => Ok(false),
        Some("csv") => Ok(true),
        Some(other) => {
            Err(ApiError::invalid("format", format!("format `{}` is not `json` or `csv`", other.chars().take(20).collect::<String>())))
        }
    }
}

fn csv_response(file_name: &str, rows: Vec<Vec<String>>) -> ApiResult<Response> {
    let mut writer = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    for row in rows {
        writer.write_record(&row).map_err(|error| ApiError::from(crate::service::ServiceError::Internal(error.to_string())))?;
    }
    let bytes = writer.into_inner().map_err(|error| ApiError::from(crate::service::ServiceError::Internal(error.to_string())))?;
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}

fn rate(value: Option<f64>) -> String {
    value.map(|value| format!("{:.4}", value)).unwrap_or_default()
}

fn hours(value: Option<f64>) -> String {
    value.map(|value| format!("{:.1}", value)).unwrap_or_default()
}

/// The month at a glance: appeals in and resolved per day, the rates, the top categories.
#[utoipa::path(
    get, path = "/api/v1/dashboard/summary", tag = "dashboard",
    params(DashboardQuery),
    responses(
        (status = 200, description = "The summary (or a CSV table of it)", body = Summary),
        (status = 400, description = "Bad month or option", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn get_summary(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiQuery(query): ApiQuery<DashboardQuery>,
) -> ApiResult<Response> {
    let csv = wants_csv(query.format.as_deref())?;
    let month = metrics::month(query.month.as_deref(), hub.clock.now_ms())?;
    let summary = metrics::summary(&hub, &staff, &month, metrics::basic_weight(query.basic_weight)?).await?;
    if !csv {
        return Ok(Json(summary).into_response());
    }
    match query.table.as_deref().unwrap_or("days") {
        "days" => {
            let mut rows = vec![vec!["day".into(), "received".into(), "resolved".into()]];
            rows.extend(summary.days.iter().map(|day| vec![day.day.clone(), day.received.to_string(), day.resolved.to_string()]));
            csv_response(&format!("minqing-days-{}.csv", summary.month), rows)
        }
        "categories" => {
            let mut rows = vec![vec!["category_code".into(), "category_name".into(), "count".into()]];
            rows.extend(
                summary
                    .top_categories
                    .iter()
                    .map(|category| vec![category.code.clone(), category.name.clone(), category.count.to_string()]),
            );
            csv_response(&format!("minqing-categories-{}.csv", summary.month), rows)
        }
        "rates" => {
            let rates = &summary.rates;
            let rows = vec![
                vec!["metric".into(), "value".into()],
                vec!["received".into(), rates.received.to_string()],
                vec!["resolved".into(), rates.resolved.to_string()],
                vec!["rated".into(), rates.rated.to_string()],
                vec!["response_rate".into(), rate(rates.response_rate)],
                vec!["resolution_rate".into(), rate(rates.resolution_rate)],
                vec!["satisfaction_rate".into(), rate(rates.satisfaction_rate)],
                vec!["on_time_rate".into(), rate(rates.on_time_rate)],
                vec!["return_rate".into(), rate(rates.return_rate)],
                vec!["reopen_rate".into(), rate(rates.reopen_rate)],
                vec!["mean_handling_hours".into(), hours(rates.mean_handling_hours)],
            ];
            csv_response(&format!("minqing-rates-{}.csv", summary.month), rows)
        }
        other => Err(ApiError::invalid(
            "table",
            format!("table `{}` is not `days`, `categories` or `rates`", other.chars().take(20).collect::<String>()),
        )),
    }
}

/// The monthly ranking of units by the composite score.
#[utoipa::path(
    get, path = "/api/v1/dashboard/units", tag = "dashboard",
    params(DashboardQuery),
    responses(
        (status = 200, description = "The ranking (or CSV)", body = Ranking),
        (status = 400, description = "Bad month or option", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn get_unit_ranking(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiQuery(query): ApiQuery<DashboardQuery>,
) -> ApiResult<Response> {
    let csv = wants_csv(query.format.as_deref())?;
    let month = metrics::month(query.month.as_deref(), hub.clock.now_ms())?;
    let ranking = metrics::ranking(&hub, &staff, &month, metrics::basic_weight(query.basic_weight)?).await?;
    if !csv {
        return Ok(Json(ranking).into_response());
    }
    let mut rows = vec![
        [
            "rank",
            "unit_id",
            "unit_name",
            "score",
            "received",
            "resolved",
            "rated",
            "response_rate",
            "resolution_rate",
            "satisfaction_rate",
            "on_time_rate",
            "return_rate",
            "reopen_rate",
            "mean_handling_hours",
            "dispatches",
            "returns",
        ]
        .iter()
        .map(|name| name.to_string())
        .collect::<Vec<String>>(),
    ];
    for unit in &ranking.units {
        let rates = &unit.line.rates;
        rows.push(vec![
            unit.line.rank.to_string(),
            unit.line.unit_id.to_string(),
            unit.unit_name.clone(),
            unit.line.score.map(|score| format!("{score:.2}")).unwrap_or_default(),
            rates.received.to_string(),
            rates.resolved.to_string(),
            rates.rated.to_string(),
            rate(rates.response_rate),
            rate(rates.resolution_rate),
            rate(rates.satisfaction_rate),
            rate(rates.on_time_rate),
            rate(rates.return_rate),
            rate(rates.reopen_rate),
            hours(rates.mean_handling_hours),
            rates.dispatches.to_string(),
            rates.returns.to_string(),
        ]);
    }
    csv_response(&format!("minqing-units-{}.csv", ranking.month), rows)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct GridLoadQuery {
    /// The region whose grids to count (a township or village code); the county when absent.
    pub region_code: Option<String>,
}

/// Open and overdue appeals per grid, for colouring the map.
#[utoipa::path(
    get, path = "/api/v1/dashboard/grids", tag = "dashboard",
    params(GridLoadQuery),
    responses(
        (status = 200, description = "Per grid: open and overdue appeals", body = [GridLoad]),
        (status = 400, description = "Bad region code", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn get_grid_load(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiQuery(query): ApiQuery<GridLoadQuery>,
) -> ApiResult<Json<Vec<GridLoad>>> {
    let code = query.region_code.filter(|code| !code.is_empty()).unwrap_or_else(|| hub.config.county_code.clone());
    if code.len() > 12 || !code.bytes().all(|byte| byte.is_ascii_digit()) {
        return Err(ApiError::invalid("region_code", "region_code must be up to 12 digits"));
    }
    Ok(Json(metrics::grid_load(&hub, &staff, &code).await?))
}
