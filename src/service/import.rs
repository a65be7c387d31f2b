//! `minqing import appeals`: historical appeals from another 12345 system's CSV or XLSX
//! export, through a column mapping.
//!
//! Every row is checked first and every problem reported (row, column, problem). Only a
//! file without problems is imported, and then in one transaction: all rows or none.
//! A dry run does the same writes and rolls them back, so it proves the import would go
//! through. Rows whose source number was imported before are skipped (and reported), so
//! re-running the same file imports nothing twice.

use jiff::Timestamp;
use rand::Rng;

use super::{Hub, ServiceError};
use crate::domain::appeal::{AppealNumber, AppealStatus, Tier};
use crate::domain::deadline::{due_at, warning_at};
use crate::domain::geo::routing::{RouteOutcome, route};
use crate::domain::history::EventKind;
use crate::domain::import::{ImportRow, RowContext, RowProblem, convert_row, parse_mapping, resolve_columns};
use crate::domain::triage::suggest;
use crate::storage::StorageError;
use crate::storage::appeals::{AppealRecord, NO_DEADLINE, NewEvent, append_event, insert_appeal, next_daily_sequence, update_appeal};

/// What an import did, or would do.
#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub dry_run: bool,
    /// Data rows read from the file.
    pub rows: usize,
    /// (row, source number, our number) of each appeal imported (or that would be).
    pub imported: Vec<(usize, String, String)>,
    /// (row, source number, our number) of rows imported before, left alone.
    pub skipped: Vec<(usize, String, String)>,
    /// Every problem of every rejected row. Non-empty means nothing was imported.
    pub problems: Vec<RowProblem>,
}

impl ImportReport {
    pub fn is_clean(&self) -> bool {
        self.problems.is_empty()
    }
}

/// The actor recorded on an imported appeal's events.
const IMPORT_ACTOR: &str = "import";

/// Imports (or with `dry_run` checks) the appeals of one file. Problems with the mapping
/// or the file as a whole are errors; problems with rows are in the report.
pub async fn import_appeals(
    hub: &Hub,
    file_name: &str,
    bytes: &[u8],
    mapping_text: &str,
    dry_run: bool,
) -> Result<ImportReport, ServiceError> {
    let mapping =
        parse_mapping(mapping_text).map_err(|problem| ServiceError::invalid("mapping", format!("the mapping is invalid: {problem}")))?;
    let table = super::import_files::read_table(file_name, bytes, mapping.source.encoding.as_deref(), mapping.source.sheet.as_deref())
        .map_err(|problem| ServiceError::invalid("file", format!("{file_name}: {problem}")))?;
    let columns = resolve_columns(&mapping, &table.header).map_err(|missing| {
        ServiceError::invalid(
            "mapping",
            format!("the mapping does not fit {file_name}: {} (its columns are: {})", missing.join("; "), table.header.join(", ")),
        )
    })?;

    let county = hub.config.county_code.clone();
    let regions: Vec<(String, String)> =
        hub.db.region_subtree(&county).await?.into_iter().map(|region| (region.code, region.name)).collect();
    let categories = hub.category_list();
    let now_ms = hub.clock.now_ms();
    let context = RowContext { categories: &categories, regions: &regions, county_code: &county, now_ms };

    let mut report = ImportReport { dry_run, rows: table.rows.len(), ..ImportReport::default() };
    let mut rows: Vec<ImportRow> = Vec::new();
    let mut first_row_of: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for (row_number, cells) in &table.rows {
        match convert_row(&mapping, &columns, &context, *row_number, cells) {
            Ok(row) => {
                if let Some(first) = first_row_of.get(&row.source_ref) {
                    report.problems.push(RowProblem {
                        row: *row_number,
                        column: mapping.columns.source_ref.column.clone().unwrap_or_else(|| "source_ref".into()),
                        problem: format!("the original number {} is also on row {first}", row.source_ref),
                    });
                    continue;
                }
                first_row_of.insert(row.source_ref.clone(), *row_number);
                rows.push(row);
            }
            Err(problems) => report.problems.extend(problems),
        }
    }
    let refs: Vec<String> = rows.iter().map(|row| row.source_ref.clone()).collect();
    let existing = hub.db.appeals_by_source_refs(&refs).await?;
    rows.retain(|row| match existing.get(&row.source_ref) {
        Some(number) => {
            report.skipped.push((row.row, row.source_ref.clone(), number.clone()));
            false
        }
        None => true,
    });
    if !report.problems.is_empty() {
        return Ok(report);
    }

    let source_name = mapping.source.name.clone().unwrap_or_else(|| "原系统".to_string());
    let mut prepared = Vec::with_capacity(rows.len());
    for row in rows {
        prepared.push(prepare(hub, row, now_ms).await?);
    }
    let mut transaction = hub.db.begin_write().await?;
    for (row, record, warn_ms, policy_version) in prepared {
        let number = store(hub, &mut transaction, &row, record, warn_ms, policy_version, &source_name, file_name, now_ms).await?;
        report.imported.push((row.row, row.source_ref.clone(), number));
    }
    if dry_run {
        transaction.rollback().await.map_err(StorageError::from)?;
    } else {
        transaction.commit().await.map_err(StorageError::from)?;
        tracing::info!(file = file_name, imported = report.imported.len(), skipped = report.skipped.len(), "appeals imported");
    }
    Ok(report)
}

/// Decides place, triage, ownership and (for open appeals) deadlines. Reads only.
async fn prepare(hub: &Hub, row: ImportRow, now_ms: i64) -> Result<(ImportRow, AppealRecord, Option<i64>, Option<i64>), ServiceError> {
    let county = hub.config.county_code.clone();
    let categories = hub.category_list();
    let given_category = row.category_code.as_deref().and_then(|code| categories.iter().find(|category| category.code == code));
    let suggestion = suggest(&row.text, given_category, &categories);

    let (mut grid_id, mut region_code) = (None, row.region_code.clone().unwrap_or_else(|| county.clone()));
    if let Some((lng, lat)) = row.point {
        let indexes = hub.place_indexes();
        match route(&indexes.grids, &indexes.regions, lng, lat) {
            RouteOutcome::Grid { grid_id: grid, region_code: region } => {
                grid_id = Some(grid);
                region_code = region;
            }
            RouteOutcome::Region { region_code: region } if row.region_code.is_none() => region_code = region,
            RouteOutcome::Region { .. } | RouteOutcome::TriageQueue => {}
        }
    }
    if !region_code.starts_with(&county) {
        region_code = county.clone();
        grid_id = None;
    }

    let open = row.status == AppealStatus::Received;
    let mut reasons = suggestion.reasons.clone();
    reasons.push(format!("历史诉求导入（原编号 {}）", row.source_ref));
    let (owner, sign_due_ms, warn_ms, policy_version) = if open {
        // An appeal still open in the old system starts again here in the county's triage
        // queue, with a fresh dispatch deadline from the time of the import.
        let owner = super::intake::owner_unit(hub, Tier::Red, &county).await?;
        let category_days = suggestion
            .category_code
            .as_deref()
            .and_then(|code| categories.iter().find(|category| category.code == code))
            .map(|category| category.default_working_days);
        let policy = super::policies::current(hub).await?;
        let limits = policy.policy.step_limits(suggestion.tier, suggestion.urgent, suggestion.category_code.as_deref(), category_days);
        let now = Timestamp::from_millisecond(now_ms).map_err(|error| ServiceError::Internal(error.to_string()))?;
        let due = due_at(&hub.calendar, now, limits.dispatch);
        let warn = warning_at(&hub.calendar, now, due, limits.dispatch, policy.policy.warn_share);
        (owner, Some(due.as_millisecond()), Some(warn.as_millisecond()), Some(policy.version))
    } else {
        (super::intake::owner_unit(hub, suggestion.tier, &region_code).await?, None, None, None)
    };
    let status = match (row.status, row.rating) {
        // A resolved appeal that the export shows rated is rated.
        (AppealStatus::Resolved, Some(_)) => AppealStatus::Rated,
        (status, _) => status,
    };
    let finished = row.closed_ms.unwrap_or(row.received_ms);
    let (lng, lat) = match row.point {
        Some((lng, lat)) => (Some(lng), Some(lat)),
        None => (None, None),
    };
    let record = AppealRecord {
        id: 0,
        number: String::new(),
        secret_hash: String::new(),
        text: row.text.clone(),
        channel: row.channel,
        lat,
        lng,
        address: row.address.clone(),
        region_code,
        grid_id,
        category_code: suggestion.category_code.clone(),
        triage: suggestion.triage,
        tier: suggestion.tier,
        urgent: suggestion.urgent,
        triage_confidence: suggestion.confidence,
        triage_reasons: reasons,
        needs_triage: open,
        status,
        owner_unit_id: owner,
        lead_unit_id: None,
        co_unit_ids: Vec::new(),
        extension_pending: false,
        paused: false,
        paused_ms: None,
        rating: row.rating,
        reopen_count: 0,
        return_count: 0,
        urge_count: 0,
        merged_into_id: None,
        meeting_id: None,
        contact_name: row.contact.name_unmasked().map(str::to_string),
        contact_phone: row.contact.phone_unmasked().map(str::to_string),
        received_ms: row.received_ms,
        updated_ms: now_ms,
        dispatched_ms: None,
        signed_ms: None,
        resolved_ms: matches!(status, AppealStatus::Resolved | AppealStatus::Rated | AppealStatus::Closed).then_some(finished),
        closed_ms: matches!(status, AppealStatus::Closed | AppealStatus::Rejected).then_some(finished),
        sign_due_ms,
        resolve_due_ms: None,
        next_deadline_ms: sign_due_ms.unwrap_or(NO_DEADLINE),
        event_count: 0,
        head_hash: String::new(),
        version: 0,
    };
    Ok((row, record, warn_ms, policy_version))
}

fn event(kind: EventKind, at_ms: i64, reason: String, payload: serde_json::Value) -> NewEvent {
    NewEvent {
        kind: kind.as_str().to_string(),
        actor: IMPORT_ACTOR.to_string(),
        actor_user_id: None,
        actor_unit_id: None,
        at_ms,
        reason,
        payload_json: payload.to_string(),
    }
}

/// Numbers and writes one appeal with its history inside the import's transaction: the
/// steps the source system recorded, at their original times, then `imported`.
#[allow(clippy::too_many_arguments)]
async fn store(
    hub: &Hub,
    transaction: &mut sqlx::AnyConnection,
    row: &ImportRow,
    mut record: AppealRecord,
    warn_ms: Option<i64>,
    policy_version: Option<i64>,
    source_name: &str,
    file_name: &str,
    now_ms: i64,
) -> Result<String, ServiceError> {
    let received = Timestamp::from_millisecond(row.received_ms).map_err(|error| ServiceError::Internal(error.to_string()))?;
    let local_date = hub.calendar.local_date(received);
    let sequence = next_daily_sequence(transaction, &local_date.strftime("%Y%m%d").to_string()).await?;
    record.number = AppealNumber::new(local_date, sequence).to_string();
    // Nobody is given the secret of a historical appeal; staff follow it up by phone.
    let secret: String = (0..16).map(|_| char::from(b'A' + rand::rng().random_range(0..26u8))).collect();
    record.secret_hash = super::intake::secret_hash(&record.number, &secret);

    let received_event = event(
        EventKind::Received,
        row.received_ms,
        format!("{source_name}登记（原编号 {}）", row.source_ref),
        serde_json::json!({
            "channel": record.channel,
            "region_code": record.region_code,
            "grid_id": record.grid_id,
            "category_code": record.category_code,
            "triage": record.triage,
            "tier": record.tier,
            "needs_triage": record.needs_triage,
            "owner_unit_id": record.owner_unit_id,
            "source_ref": row.source_ref,
        }),
    );
    let mut stored = insert_appeal(transaction, &record, &received_event).await?;
    let finished = row.closed_ms.unwrap_or(row.received_ms);
    let mut history = Vec::new();
    match record.status {
        AppealStatus::Resolved | AppealStatus::Rated | AppealStatus::Closed => {
            let reply = row.reply.clone().unwrap_or_else(|| "（原系统未导出答复）".to_string());
            history.push(event(EventKind::Resolved, finished, reply.clone(), serde_json::json!({ "reply": reply })));
            if let Some(rating) = row.rating {
                history.push(event(EventKind::Rated, finished, String::new(), serde_json::json!({ "rating": rating })));
            }
            if record.status == AppealStatus::Closed {
                history.push(event(EventKind::Closed, finished, String::new(), serde_json::json!({})));
            }
        }
        AppealStatus::Rejected => {
            let reason = row.reply.clone().unwrap_or_else(|| "（原系统未导出理由）".to_string());
            history.push(event(EventKind::Rejected, finished, reason, serde_json::json!({})));
        }
        _ => {}
    }
    history.push(event(
        EventKind::Imported,
        now_ms,
        format!("自{source_name}导出文件 {file_name} 第 {} 行导入，原编号 {}", row.row, row.source_ref),
        serde_json::json!({
            "source": source_name,
            "file": file_name,
            "row": row.row,
            "source_ref": row.source_ref,
            "source_status": row.status,
            "closed_ms": row.closed_ms,
        }),
    ));
    for item in &history {
        append_event(transaction, &mut stored, item).await?;
    }
    update_appeal(transaction, &mut stored).await?;
    crate::storage::imports::set_source_ref(transaction, stored.id, &row.source_ref).await?;
    if let Some(version) = policy_version {
        crate::storage::policies::set_appeal_policy_version(transaction, stored.id, version).await?;
    }
    if let Some(warn) = warn_ms {
        crate::storage::policies::set_appeal_warning(transaction, stored.id, warn).await?;
    }
    Ok(stored.number)
}

/// The report as lines for the command line.
pub fn report_lines(report: &ImportReport) -> Vec<String> {
    let mut lines = Vec::new();
    for problem in &report.problems {
        lines.push(format!("REJECT {problem}"));
    }
    for (row, source_ref, number) in &report.skipped {
        lines.push(format!("skip row {row}: {source_ref} was imported before as {number}"));
    }
    let rejected_rows = {
        let mut rows: Vec<usize> = report.problems.iter().map(|problem| problem.row).collect();
        rows.dedup();
        rows.len()
    };
    if !report.problems.is_empty() {
        lines.push(format!(
            "FAILED: {rejected_rows} of {} rows would be rejected ({} problems); nothing was imported",
            report.rows,
            report.problems.len()
        ));
    } else if report.dry_run {
        lines.push(format!(
            "dry run ok: {} rows would be imported, {} skipped as imported before; nothing was changed",
            report.imported.len(),
            report.skipped.len()
        ));
    } else {
        lines.push(format!("imported {} appeals, {} skipped as imported before", report.imported.len(), report.skipped.len()));
    }
    lines
}
