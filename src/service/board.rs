//! The public board of resolved appeals (办结公示), by village and category.
//!
//! What a county publishes here, and why: the category, the village, when the appeal
//! came in and when it was resolved, how it was rated, and the unit's reply with
//! personal data removed. The resident's own text is never shown: it is the resident's
//! words about their own life (neighbours, illness, debts, addresses), easily
//! recognisable in a village even without a name, and it was written to the county,
//! not to the public. The reply says what was done, which is what the board is for.

use serde::Serialize;
use utoipa::ToSchema;

use super::{Hub, ServiceError};
use crate::domain::redaction::redact_public_text;
use crate::storage::board::BoardFilter;

/// One resolved appeal on the board.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BoardItem {
    pub village_code: String,
    pub village_name: String,
    pub township_name: Option<String>,
    pub category_code: Option<String>,
    pub category_name: Option<String>,
    /// YYYY-MM-DD in China time.
    pub received_on: String,
    pub resolved_on: String,
    /// Calendar days from receipt to resolution, rounded up.
    pub days_to_resolve: i64,
    /// The unit's reply, with phone, ID and bank numbers, e-mail addresses and the
    /// resident's name removed.
    pub reply: Option<String>,
    /// `resolved`, `partly` or `not_resolved`, once the resident rated it.
    pub resolution: Option<String>,
    /// `satisfied`, `basically_satisfied` or `dissatisfied`, once rated.
    pub satisfaction: Option<String>,
}

#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BoardPage {
    pub items: Vec<BoardItem>,
    /// Pass as `cursor` for the next page; absent on the last page.
    pub next_cursor: Option<String>,
}

fn local_date(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|at| at.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8))).date().to_string())
        .unwrap_or_default()
}

/// One page of the board.
pub async fn page(
    hub: &Hub,
    region_prefix: Option<String>,
    category_prefix: Option<String>,
    cursor: Option<(i64, i64)>,
    limit: i64,
) -> Result<BoardPage, ServiceError> {
    let filter = BoardFilter { region_prefix, category_prefix, before: cursor };
    let mut rows = hub.db.board_rows(&filter, limit + 1).await?;
    let more = rows.len() as i64 > limit;
    rows.truncate(limit as usize);
    let ids: Vec<i64> = rows.iter().map(|row| row.id).collect();
    let replies = hub.db.latest_replies(&ids).await?;
    let mut codes: Vec<String> = rows.iter().flat_map(|row| [row.region_code.clone(), row.region_code.chars().take(9).collect()]).collect();
    codes.sort();
    codes.dedup();
    let names = hub.db.region_names(&codes).await?;
    let categories = hub.category_list();
    let items = rows
        .iter()
        .map(|row| {
            let township: String = row.region_code.chars().take(9).collect();
            let contact: Vec<&str> = row.contact_name.as_deref().into_iter().collect();
            BoardItem {
                village_code: row.region_code.clone(),
                village_name: names.get(&row.region_code).cloned().unwrap_or_else(|| row.region_code.clone()),
                township_name: if township != row.region_code { names.get(&township).cloned() } else { None },
                category_code: row.category_code.clone(),
                category_name: row
                    .category_code
                    .as_ref()
                    .and_then(|code| categories.iter().find(|category| &category.code == code))
                    .map(|category| category.name.clone()),
                received_on: local_date(row.received_ms),
                resolved_on: local_date(row.resolved_ms),
                days_to_resolve: ((row.resolved_ms - row.received_ms).max(0) + 86_399_999) / 86_400_000,
                reply: replies.get(&row.id).map(|reply| redact_public_text(reply, &contact)).filter(|reply| !reply.trim().is_empty()),
                resolution: row.rating_resolution.clone(),
                satisfaction: row.rating_satisfaction.clone(),
            }
        })
        .collect();
    let next_cursor = if more { rows.last().map(|last| format!("{}.{}", last.resolved_ms, last.id)) } else { None };
    Ok(BoardPage { items, next_cursor })
}
