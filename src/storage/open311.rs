//! Queries behind the Open311 GeoReport v2 endpoints: service requests by the
//! specification's search parameters, and events for the service request updates.

use sqlx::AssertSqlSafe;
use sqlx::Row;

use super::appeals::{APPEAL_COLUMNS, AppealRecord, EventRow, appeal_from_row, event_from_row};
use super::sql::SqlBuilder;
use super::{Db, Result};
use crate::domain::access::Scope;
use crate::domain::appeal::{AppealStatus, Channel};

/// Who may see what: a staff member's scope, or (for anonymous clients) one channel.
#[derive(Debug, Clone, Default)]
pub struct Open311Visibility {
    pub scope: Option<Scope>,
    /// Only appeals that came in through this channel.
    pub channel: Option<Channel>,
}

/// The search parameters of `GET requests`, already checked.
#[derive(Debug, Clone, Default)]
pub struct Open311Search {
    /// Appeal numbers; when given, the other filters are ignored (as the spec says).
    pub numbers: Vec<String>,
    pub category_codes: Vec<String>,
    pub statuses: Vec<AppealStatus>,
    pub received_from_ms: Option<i64>,
    /// Inclusive, as the spec's `end_date` is.
    pub received_until_ms: Option<i64>,
    pub offset: i64,
    pub limit: i64,
}

fn push_visibility(builder: &mut SqlBuilder, visibility: &Open311Visibility) {
    match &visibility.scope {
        None => {}
        Some(Scope::RegionSubtreeOrHandledBy { region_prefix, unit_id }) => {
            builder.push(" AND ((a.region_code >= ").bind(region_prefix.as_str());
            builder.push(" AND a.region_code < ").bind(super::places::prefix_upper_bound(region_prefix));
            builder.push(") OR a.owner_unit_id = ").bind(*unit_id);
            builder.push(" OR EXISTS (SELECT 1 FROM appeal_handlers h WHERE h.appeal_id = a.id AND h.unit_id = ").bind(*unit_id);
            builder.push("))");
        }
        Some(Scope::HandledBy { unit_id }) => {
            builder.push(" AND (a.owner_unit_id = ").bind(*unit_id);
            builder.push(" OR EXISTS (SELECT 1 FROM appeal_handlers h WHERE h.appeal_id = a.id AND h.unit_id = ").bind(*unit_id);
            builder.push("))");
        }
    }
    if let Some(channel) = visibility.channel {
        builder.push(" AND a.channel = ").bind(channel.as_str());
    }
}

fn push_in(builder: &mut SqlBuilder, column: &str, values: &[String]) {
    builder.push(" AND ").push(column).push(" IN (");
    for (index, value) in values.iter().enumerate() {
        if index > 0 {
            builder.push(", ");
        }
        builder.bind(value.as_str());
    }
    builder.push(")");
}

impl Db {
    /// Appeals matching an Open311 search, newest first, one page.
    pub async fn open311_requests(&self, visibility: &Open311Visibility, search: &Open311Search) -> Result<Vec<AppealRecord>> {
        let mut builder = SqlBuilder::new(&format!("SELECT {APPEAL_COLUMNS} FROM appeals a WHERE 1 = 1"));
        push_visibility(&mut builder, visibility);
        if !search.numbers.is_empty() {
            push_in(&mut builder, "a.number", &search.numbers);
        } else {
            if !search.category_codes.is_empty() {
                push_in(&mut builder, "a.category_code", &search.category_codes);
            }
            if !search.statuses.is_empty() {
                let statuses: Vec<String> = search.statuses.iter().map(|status| status.as_str().to_string()).collect();
                push_in(&mut builder, "a.status", &statuses);
            }
            if let Some(from) = search.received_from_ms {
                builder.push(" AND a.received_ms >= ").bind(from);
            }
            if let Some(until) = search.received_until_ms {
                builder.push(" AND a.received_ms <= ").bind(until);
            }
        }
        builder.push(" ORDER BY a.received_ms DESC, a.id DESC LIMIT ").bind(search.limit);
        builder.push(" OFFSET ").bind(search.offset);
        let rows = builder.query().fetch_all(&self.pool).await?;
        rows.iter().map(appeal_from_row).collect()
    }

    /// Events written in a time window (inclusive) on visible appeals, oldest first, with
    /// the number of their appeal.
    pub async fn open311_events(
        &self,
        visibility: &Open311Visibility,
        from_ms: i64,
        until_ms: i64,
        offset: i64,
        limit: i64,
    ) -> Result<Vec<(String, EventRow)>> {
        let mut builder = SqlBuilder::new(
            "SELECT a.number AS number, e.seq, e.kind, e.actor, e.actor_user_id, e.actor_unit_id, e.at_ms, e.reason, e.payload, \
             e.prev_hash, e.hash FROM appeal_events e JOIN appeals a ON a.id = e.appeal_id WHERE e.at_ms >= ",
        );
        builder.bind(from_ms).push(" AND e.at_ms <= ").bind(until_ms);
        push_visibility(&mut builder, visibility);
        builder.push(" ORDER BY e.at_ms, e.id LIMIT ").bind(limit);
        builder.push(" OFFSET ").bind(offset);
        let rows = builder.query().fetch_all(&self.pool).await?;
        rows.iter().map(|row| Ok((row.try_get::<String, _>("number")?, event_from_row(row)?))).collect()
    }

    /// The names of units by id, for `agency_responsible`.
    pub async fn unit_names(&self) -> Result<std::collections::HashMap<i64, String>> {
        let rows = sqlx::query(AssertSqlSafe("SELECT id, name FROM units".to_string())).fetch_all(&self.pool).await?;
        rows.iter().map(|row| Ok((row.try_get::<i64, _>(0)?, row.try_get::<String, _>(1)?))).collect()
    }
}
