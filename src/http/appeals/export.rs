//! `GET /api/v1/appeals/export.csv` and `export.xlsx`: the reader's filtered list as a
//! spreadsheet, with the same filters and scope as `GET /api/v1/appeals`, and contact
//! details masked exactly as the reader sees them in the list.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::list::{ListQuery, cursor_after, filter_from_query};
use crate::domain::access::Staff;
use crate::http::error::{ApiError, ApiResult, ErrorEnvelope};
use crate::http::extract::{ApiQuery, SignedIn};
use crate::service::Hub;
use crate::service::view::appeal_view;
use crate::storage::appeals::AppealCursor;

/// The most rows one export may hold; a larger list must be narrowed by its filters.
pub const MAX_EXPORT_ROWS: usize = 50_000;
const PAGE: i64 = 500;

const HEADER: &[&str] = &[
    "编号",
    "状态",
    "渠道",
    "诉求内容",
    "分类代码",
    "分类",
    "三事分流",
    "四色",
    "紧急",
    "区划代码",
    "网格",
    "地址",
    "主办单位",
    "联系人",
    "联系电话",
    "登记时间",
    "当前期限",
    "是否超期",
    "评价(解决)",
    "评价(满意)",
    "退单次数",
    "重办次数",
];

async fn rows(hub: &Hub, staff: &Staff, query: &ListQuery) -> ApiResult<Vec<Vec<String>>> {
    let now = hub.clock.now_ms();
    let (filter, order) = filter_from_query(query, staff, now)?;
    let scope = staff.scope();
    let categories = hub.category_list();
    let units = hub.db.unit_names().await?;
    let mut cursor: Option<AppealCursor> = None;
    let mut rows = Vec::new();
    loop {
        let page = hub.db.list_appeals(Some(&scope), &filter, order, cursor, PAGE).await?;
        for record in &page {
            if rows.len() >= MAX_EXPORT_ROWS {
                return Err(ApiError::invalid(
                    "filters",
                    format!("the export would hold more than {MAX_EXPORT_ROWS} appeals; narrow it with the filters (e.g. received_from)"),
                ));
            }
            let view = appeal_view(record, staff, now, None);
            let category = view
                .category_code
                .as_deref()
                .and_then(|code| categories.iter().find(|category| category.code == code))
                .map(|category| category.name.clone());
            rows.push(vec![
                view.number,
                view.status_label.to_string(),
                view.channel.label_zh().to_string(),
                view.text,
                view.category_code.unwrap_or_default(),
                category.unwrap_or_default(),
                view.triage.as_str().to_string(),
                view.tier.label_zh().to_string(),
                if view.urgent { "是" } else { "否" }.to_string(),
                view.region_code,
                view.grid_id.unwrap_or_default(),
                view.address.unwrap_or_default(),
                view.lead_unit_id.and_then(|id| units.get(&id).cloned()).unwrap_or_default(),
                view.contact_name.unwrap_or_default(),
                view.contact_phone.unwrap_or_default(),
                view.received_at,
                view.next_deadline_at.unwrap_or_default(),
                if view.overdue { "是" } else { "否" }.to_string(),
                view.rating.map(|rating| rating.resolution.as_str().to_string()).unwrap_or_default(),
                view.rating.map(|rating| rating.satisfaction.as_str().to_string()).unwrap_or_default(),
                view.return_count.to_string(),
                view.reopen_count.to_string(),
            ]);
        }
        match page.last() {
            Some(last) if page.len() as i64 == PAGE => {
                let next = cursor_after(last, order);
                let (key, id) = next.split_once('.').unwrap_or(("0", "0"));
                cursor = Some(AppealCursor { key: key.parse().unwrap_or(0), id: id.parse().unwrap_or(0) });
            }
            _ => break,
        }
    }
    Ok(rows)
}

/// A cell that a spreadsheet would read as a formula is prefixed with `'`, so opening
/// an export never runs text a resident typed.
fn csv_cell(value: &str) -> String {
    if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_string() }
}

fn file_name(hub: &Hub, extension: &str) -> String {
    format!("appeals-{}.{extension}", hub.calendar.local_date(hub.clock.now()).strftime("%Y%m%d"))
}

/// The filtered list as CSV (UTF-8 with a byte-order mark, so spreadsheet programs set
/// to Chinese read it right).
#[utoipa::path(
    get, path = "/api/v1/appeals/export.csv", tag = "appeals",
    params(ListQuery),
    responses(
        (status = 200, description = "The list as CSV", content_type = "text/csv", body = String),
        (status = 400, description = "A filter is invalid, or the export is too large", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn export_csv(State(hub): State<Hub>, SignedIn(staff): SignedIn, ApiQuery(query): ApiQuery<ListQuery>) -> ApiResult<Response> {
    let rows = rows(&hub, &staff, &query).await?;
    let mut writer = csv::Writer::from_writer(Vec::from("\u{feff}".as_bytes()));
    let internal = |error: &dyn std::fmt::Display| ApiError::from(crate::service::ServiceError::Internal(error.to_string()));
    writer.write_record(HEADER).map_err(|error| internal(&error))?;
    for row in &rows {
        writer.write_record(row.iter().map(|value| csv_cell(value))).map_err(|error| internal(&error))?;
    }
    let bytes = writer.into_inner().map_err(|error| internal(&error))?;
    let disposition = format!("attachment; filename=\"{}\"", file_name(&hub, "csv"));
    Ok(([(header::CONTENT_TYPE, "text/csv; charset=utf-8".to_string()), (header::CONTENT_DISPOSITION, disposition)], bytes).into_response())
}

/// The filtered list as an Excel workbook.
#[utoipa::path(
    get, path = "/api/v1/appeals/export.xlsx", tag = "appeals",
    params(ListQuery),
    responses(
        (status = 200, description = "The list as XLSX", content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body = Vec<u8>),
        (status = 400, description = "A filter is invalid, or the export is too large", body = ErrorEnvelope),
        (status = 401, description = "Not signed in", body = ErrorEnvelope),
    ),
    security(("bearer" = []))
)]
pub async fn export_xlsx(State(hub): State<Hub>, SignedIn(staff): SignedIn, ApiQuery(query): ApiQuery<ListQuery>) -> ApiResult<Response> {
    let rows = rows(&hub, &staff, &query).await?;
    let bytes = crate::service::xlsx::workbook_bytes("诉求", HEADER, &rows)
        .map_err(|error| ApiError::from(crate::service::ServiceError::Internal(error.to_string())))?;
    let disposition = format!("attachment; filename=\"{}\"", file_name(&hub, "xlsx"));
    Ok((
        [
            (header::CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        bytes,
    )
        .into_response())
}
