//! `GET /api/v1/reports/unit-month.xlsx`: a unit's monthly report as an Excel workbook,
//! the same content as the printable report page: its rates and place in the ranking,
//! and its open appeals.

use axum::Router;
use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;
use utoipa::IntoParams;

use crate::domain::appeal::AppealStatus;
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::http::extract::{ApiQuery, SignedIn};
use crate::service::metrics;
use crate::service::view::rfc3339;
use crate::service::xlsx::{Sheet, workbook_sheets_bytes};
use crate::service::{Hub, ServiceError};
use crate::storage::appeals::{AppealFilter, AppealOrder, NO_DEADLINE};

/// The most open appeals the report lists.
const MAX_OPEN_ROWS: i64 = 5000;

/// The routes of this file, merged under `/api/v1` by `http::router`.
pub fn routes() -> Router<Hub> {
    Router::new().route("/reports/unit-month.xlsx", get(unit_month_xlsx))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct UnitMonthQuery {
    pub unit_id: i64,
    /// `YYYY-MM` in China time; the current month when absent.
    pub month: Option<String>,
    /// The weight of "basically satisfied" in the satisfaction rate, 0–1 (default 1).
    pub basic_weight: Option<f64>,
}

fn percent(value: Option<f64>) -> String {
    value.map(|value| format!("{:.1}%", value * 100.0)).unwrap_or_else(|| "—".into())
}

/// A unit's monthly report as XLSX: sheet 指标 (the rates, score and rank among the units
/// in the reader's scope) and sheet 在办诉求 (its open appeals that the reader may see).
#[utoipa::path(
    get, path = "/api/v1/reports/unit-month.xlsx", tag = "dashboard",
    params(UnitMonthQuery),
    responses(
        (status = 200, description = "The report", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 400, description = "Bad month or option", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
        (status = 404, description = "No such unit", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn unit_month_xlsx(
    State(hub): State<Hub>,
    SignedIn(staff): SignedIn,
    ApiQuery(query): ApiQuery<UnitMonthQuery>,
) -> ApiResult<Response> {
    let unit = hub.db.unit(query.unit_id).await?.ok_or_else(|| ApiError::not_found(format!("unit {}", query.unit_id)))?;
    let month = metrics::month(query.month.as_deref(), hub.clock.now_ms())?;
    let ranking = metrics::ranking(&hub, &staff, &month, metrics::basic_weight(query.basic_weight)?).await?;
    let line = ranking.units.iter().find(|line| line.line.unit_id == unit.id);

    let mut rates: Vec<Vec<String>> = vec![
        vec!["单位".into(), unit.name.clone()],
        vec!["月份".into(), ranking.month.clone()],
        vec![
            "排名".into(),
            line.map(|line| format!("{} / {}", line.line.rank, ranking.units.len())).unwrap_or_else(|| "本月无数据".into()),
        ],
        vec!["综合得分".into(), line.and_then(|line| line.line.score).map(|score| format!("{score:.1}")).unwrap_or_else(|| "—".into())],
    ];
    if let Some(line) = line {
        let r = &line.line.rates;
        for (label, value) in [
            ("受理诉求", r.received.to_string()),
            ("已办结", r.resolved.to_string()),
            ("已评价", r.rated.to_string()),
            ("响应率", percent(r.response_rate)),
            ("解决率", percent(r.resolution_rate)),
            ("满意率", percent(r.satisfaction_rate)),
            ("按时办结率", percent(r.on_time_rate)),
            ("退单率", percent(r.return_rate)),
            ("重办率", percent(r.reopen_rate)),
            ("平均办理时长(小时)", r.mean_handling_hours.map(|hours| format!("{hours:.1}")).unwrap_or_else(|| "—".into())),
        ] {
            rates.push(vec![label.into(), value]);
        }
    }
    rates.push(vec!["生成时间".into(), rfc3339(hub.clock.now_ms())]);

    let filter = AppealFilter {
        statuses: AppealStatus::ALL.iter().copied().filter(|status| status.is_open()).collect(),
        queue_of_unit: Some(unit.id),
        ..AppealFilter::default()
    };
    let scope = staff.scope();
    let open = hub.db.list_appeals(Some(&scope), &filter, AppealOrder::Deadline, None, MAX_OPEN_ROWS).await?;
    let now = hub.clock.now_ms();
    let categories = hub.category_list();
    let open_rows: Vec<Vec<String>> = open
        .iter()
        .map(|appeal| {
            let overdue = appeal.next_deadline_ms != NO_DEADLINE && appeal.next_deadline_ms < now;
            vec![
                appeal.number.clone(),
                appeal.status.label_zh().to_string(),
                appeal.tier.label_zh().to_string(),
                appeal
                    .category_code
                    .as_ref()
                    .and_then(|code| categories.iter().find(|category| &category.code == code))
                    .map(|category| category.name.clone())
                    .unwrap_or_default(),
                rfc3339(appeal.received_ms),
                if appeal.next_deadline_ms == NO_DEADLINE { String::new() } else { rfc3339(appeal.next_deadline_ms) },
                if overdue { "是" } else { "否" }.to_string(),
                appeal.text.chars().take(80).collect(),
            ]
        })
        .collect();

    let bytes = workbook_sheets_bytes(&[
        Sheet { name: "指标", header: &["指标", "数值"], rows: &rates },
        Sheet {
            name: "在办诉求",
            header: &["编号", "状态", "层级", "类别", "受理时间", "当前期限", "是否逾期", "内容摘要"],
            rows: &open_rows,
        },
    ])
    .map_err(|error| ApiError::from(ServiceError::Internal(error.to_string())))?;
    let disposition = format!("attachment; filename=\"minqing-report-{}-{}.xlsx\"", unit.id, ranking.month);
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, "no-store".to_string()),
        ],
        bytes,
    )
        .into_response())
}
