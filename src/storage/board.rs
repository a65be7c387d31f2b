//! The public board's queries: resolved appeals, newest first, with the reply each got.
//! Only what the board may show is read; the resident's text and contact are not.

use sqlx::Row;

use super::places::prefix_upper_bound;
use super::sql::SqlBuilder;
use super::{Db, Result};

/// One resolved appeal as the board needs it. `contact_name` is read only so that the
/// reply can be cleaned of it; it is never shown.
#[derive(Debug, Clone, PartialEq)]
pub struct BoardRow {
    pub id: i64,
    pub region_code: String,
    pub category_code: Option<String>,
    pub received_ms: i64,
    pub resolved_ms: i64,
    pub rating_resolution: Option<String>,
    pub rating_satisfaction: Option<String>,
    pub contact_name: Option<String>,
}

/// Which resolved appeals, and from where on.
#[derive(Debug, Clone, Default)]
pub struct BoardFilter {
    /// A region code; the appeals in its subtree (a township or a village).
    pub region_prefix: Option<String>,
    /// A category code; the category and its children.
    pub category_prefix: Option<String>,
    /// Continue after this (resolved_ms, id).
    pub before: Option<(i64, i64)>,
}

impl Db {
    /// Resolved appeals for the board, newest resolution first. Private matters (私事),
    /// merged duplicates and appeals reopened since are left out.
    pub async fn board_rows(&self, filter: &BoardFilter, limit: i64) -> Result<Vec<BoardRow>> {
        let mut builder = SqlBuilder::new(
            "SELECT a.id, a.region_code, a.category_code, a.received_ms, a.resolved_ms, a.rating_resolution, a.rating_satisfaction, a.contact_name \
             FROM appeals a WHERE a.resolved_ms IS NOT NULL AND a.status IN ('resolved', 'followed_up', 'rated', 'closed') \
             AND a.merged_into_id IS NULL AND a.triage <> 'private'",
        );
        if let Some(prefix) = &filter.region_prefix {
            builder.push(" AND a.region_code >= ").bind(prefix.as_str()).push(" AND a.region_code < ").bind(prefix_upper_bound(prefix));
        }
        if let Some(prefix) = &filter.category_prefix {
            builder.push(" AND a.category_code >= ").bind(prefix.as_str()).push(" AND a.category_code < ").bind(prefix_upper_bound(prefix));
        }
        if let Some((resolved_ms, id)) = filter.before {
            builder
                .push(" AND (a.resolved_ms < ")
                .bind(resolved_ms)
                .push(" OR (a.resolved_ms = ")
                .bind(resolved_ms)
                .push(" AND a.id < ")
                .bind(id)
                .push("))");
        }
        builder.push(" ORDER BY a.resolved_ms DESC, a.id DESC LIMIT ").bind(limit);
        let rows = builder.query().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok(BoardRow {
                    id: row.try_get("id")?,
                    region_code: row.try_get("region_code")?,
                    category_code: row.try_get("category_code")?,
                    received_ms: row.try_get("received_ms")?,
                    resolved_ms: row.try_get("resolved_ms")?,
                    rating_resolution: row.try_get("rating_resolution")?,
                    rating_satisfaction: row.try_get("rating_satisfaction")?,
                    contact_name: row.try_get("contact_name")?,
                })
            })
            .collect()
    }

    /// The latest reply (the text of the last `resolved` event) of each appeal.
    pub async fn latest_replies(&self, appeal_ids: &[i64]) -> Result<std::collections::HashMap<i64, String>> {
        let mut replies = std::collections::HashMap::new();
        if appeal_ids.is_empty() {
            return Ok(replies);
        }
        let mut builder = SqlBuilder::new("SELECT appeal_id, seq, reason FROM appeal_events WHERE kind = 'resolved' AND appeal_id IN (");
        for (index, id) in appeal_ids.iter().enumerate() {
            if index > 0 {
                builder.push(", ");
            }
            builder.bind(*id);
        }
        builder.push(") ORDER BY appeal_id, seq");
        for row in builder.query().fetch_all(&self.pool).await? {
            // Ordered by seq, so the last one written for an appeal stays.
            replies.insert(row.try_get::<i64, _>("appeal_id")?, row.try_get::<String, _>("reason")?);
        }
        Ok(replies)
    }

    /// The names of some regions, by code.
    pub async fn region_names(&self, codes: &[String]) -> Result<std::collections::HashMap<String, String>> {
        let mut names = std::collections::HashMap::new();
        if codes.is_empty() {
            return Ok(names);
        }
        let mut builder = SqlBuilder::new("SELECT code, name FROM regions WHERE code IN (");
        for (index, code) in codes.iter().enumerate() {
            if index > 0 {
                builder.push(", ");
            }
            builder.bind(code.as_str());
        }
        builder.push(")");
        for row in builder.query().fetch_all(&self.pool).await? {
            names.insert(row.try_get::<String, _>("code")?, row.try_get::<String, _>("name")?);
        }
        Ok(names)
    }
}
