//! Supervision: notices (督办), the key supervision list (重点督办库), urges (催办) as
//! recorded in the history, reminder notices (工作提示函) and the monthly counts behind them.

use std::collections::BTreeMap;

use sqlx::Row;

use super::{Db, Result};
use crate::domain::escalation::UnitMonthCounts;

/// A supervision notice to write; `dedupe_key` makes the writer safe to run twice.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSupervisionNotice {
    pub dedupe_key: String,
    pub appeal_id: i64,
    pub unit_id: Option<i64>,
    pub head_user_id: Option<i64>,
    /// `automatic` (a red appeal missed its deadline) or `manual` (a supervisor issued it).
    pub origin: String,
    pub reason: String,
    pub issued_by: Option<i64>,
    pub created_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct SupervisionNoticeRow {
    pub id: i64,
    pub appeal_number: String,
    pub unit_id: Option<i64>,
    pub head_user_id: Option<i64>,
    pub origin: String,
    pub reason: String,
    pub issued_by: Option<i64>,
    pub created_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct KeySupervisionRow {
    pub appeal_number: String,
    pub tier: String,
    pub status: String,
    pub owner_unit_id: Option<i64>,
    pub lead_unit_id: Option<i64>,
    pub urge_count: i64,
    pub next_deadline_ms: i64,
    pub reason: String,
    pub added_ms: i64,
    pub notice_count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct UrgeRow {
    pub appeal_number: String,
    pub actor: String,
    pub actor_unit_id: Option<i64>,
    pub note: String,
    pub at_ms: i64,
    pub urge_count: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ReminderNoticeRow {
    pub id: i64,
    pub unit_id: i64,
    pub month: String,
    /// The month's counts, as JSON.
    pub metrics_json: String,
    /// The metrics that missed their thresholds, as JSON.
    pub shortfalls_json: String,
    pub created_ms: i64,
}

/// Writes a notice unless one with the same key exists; returns its id when written.
pub async fn insert_notice(transaction: &mut sqlx::AnyConnection, notice: &NewSupervisionNotice) -> Result<Option<i64>> {
    let row = sqlx::query(
        "INSERT INTO supervision_notices (dedupe_key, appeal_id, unit_id, head_user_id, origin, reason, issued_by, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
    )
    .bind(&notice.dedupe_key)
    .bind(notice.appeal_id)
    .bind(notice.unit_id)
    .bind(notice.head_user_id)
    .bind(&notice.origin)
    .bind(&notice.reason)
    .bind(notice.issued_by)
    .bind(notice.created_ms)
    .fetch_optional(&mut *transaction)
    .await?;
    Ok(row.map(|row| row.try_get(0)).transpose()?)
}

/// Puts an appeal on the key supervision list (again, if it was taken off).
pub async fn add_to_key_list(transaction: &mut sqlx::AnyConnection, appeal_id: i64, reason: &str, now_ms: i64) -> Result<()> {
    sqlx::query(
        "INSERT INTO key_supervision (appeal_id, reason, added_ms) VALUES ($1, $2, $3) \
         ON CONFLICT (appeal_id) DO UPDATE SET removed_ms = NULL",
    )
    .bind(appeal_id)
    .bind(reason)
    .bind(now_ms)
    .execute(&mut *transaction)
    .await?;
    Ok(())
}

/// Writes a unit's reminder notice for a month unless it exists; returns its id when written.
pub async fn insert_reminder(
    transaction: &mut sqlx::AnyConnection,
    unit_id: i64,
    month: &str,
    metrics_json: &str,
    shortfalls_json: &str,
    now_ms: i64,
) -> Result<Option<i64>> {
    let row = sqlx::query(
        "INSERT INTO reminder_notices (unit_id, month, metrics, shortfalls, created_ms) VALUES ($1, $2, $3, $4, $5) \
         ON CONFLICT (unit_id, month) DO NOTHING RETURNING id",
    )
    .bind(unit_id)
    .bind(month)
    .bind(metrics_json)
    .bind(shortfalls_json)
    .bind(now_ms)
    .fetch_optional(&mut *transaction)
    .await?;
    Ok(row.map(|row| row.try_get(0)).transpose()?)
}

impl Db {
    /// Supervision notices, newest first; of one appeal when given.
    pub async fn supervision_notices(&self, appeal_id: Option<i64>, limit: i64) -> Result<Vec<SupervisionNoticeRow>> {
        let mut builder = super::sql::SqlBuilder::new(
            "SELECT s.id, a.number, s.unit_id, s.head_user_id, s.origin, s.reason, s.issued_by, s.created_ms \
             FROM supervision_notices s JOIN appeals a ON a.id = s.appeal_id WHERE 1 = 1",
        );
        if let Some(appeal_id) = appeal_id {
            builder.push(" AND s.appeal_id = ").bind(appeal_id);
        }
        builder.push(" ORDER BY s.id DESC LIMIT ").bind(limit);
        let rows = builder.query().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok(SupervisionNoticeRow {
                    id: row.try_get("id")?,
                    appeal_number: row.try_get("number")?,
                    unit_id: row.try_get("unit_id")?,
                    head_user_id: row.try_get("head_user_id")?,
                    origin: row.try_get("origin")?,
                    reason: row.try_get("reason")?,
                    issued_by: row.try_get("issued_by")?,
                    created_ms: row.try_get("created_ms")?,
                })
            })
            .collect()
    }

    /// The key supervision list: appeals on it that are not taken off, soonest deadline first.
    pub async fn key_supervision_list(&self, limit: i64) -> Result<Vec<KeySupervisionRow>> {
        let rows = sqlx::query(
            "SELECT a.number, a.tier, a.status, a.owner_unit_id, a.lead_unit_id, a.urge_count, a.next_deadline_ms, k.reason, k.added_ms, \
             (SELECT COUNT(*) FROM supervision_notices s WHERE s.appeal_id = a.id) AS notice_count \
             FROM key_supervision k JOIN appeals a ON a.id = k.appeal_id WHERE k.removed_ms IS NULL \
             ORDER BY a.next_deadline_ms, a.id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(KeySupervisionRow {
                    appeal_number: row.try_get("number")?,
                    tier: row.try_get("tier")?,
                    status: row.try_get("status")?,
                    owner_unit_id: row.try_get("owner_unit_id")?,
                    lead_unit_id: row.try_get("lead_unit_id")?,
                    urge_count: row.try_get("urge_count")?,
                    next_deadline_ms: row.try_get("next_deadline_ms")?,
                    reason: row.try_get("reason")?,
                    added_ms: row.try_get("added_ms")?,
                    notice_count: row.try_get("notice_count")?,
                })
            })
            .collect()
    }

    /// Urges (催办) as recorded in the histories, newest first.
    pub async fn recent_urges(&self, limit: i64) -> Result<Vec<UrgeRow>> {
        let rows = sqlx::query(
            "SELECT a.number, e.actor, e.actor_unit_id, e.reason, e.at_ms, a.urge_count FROM appeal_events e \
             JOIN appeals a ON a.id = e.appeal_id WHERE e.kind = 'urged' ORDER BY e.at_ms DESC, e.id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(UrgeRow {
                    appeal_number: row.try_get("number")?,
                    actor: row.try_get("actor")?,
                    actor_unit_id: row.try_get("actor_unit_id")?,
                    note: row.try_get("reason")?,
                    at_ms: row.try_get("at_ms")?,
                    urge_count: row.try_get("urge_count")?,
                })
            })
            .collect()
    }

    pub async fn reminder_notices(&self, month: Option<&str>, limit: i64) -> Result<Vec<ReminderNoticeRow>> {
        let mut builder =
            super::sql::SqlBuilder::new("SELECT id, unit_id, month, metrics, shortfalls, created_ms FROM reminder_notices WHERE 1 = 1");
        if let Some(month) = month {
            builder.push(" AND month = ").bind(month);
        }
        builder.push(" ORDER BY id DESC LIMIT ").bind(limit);
        let rows = builder.query().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok(ReminderNoticeRow {
                    id: row.try_get("id")?,
                    unit_id: row.try_get("unit_id")?,
                    month: row.try_get("month")?,
                    metrics_json: row.try_get("metrics")?,
                    shortfalls_json: row.try_get("shortfalls")?,
                    created_ms: row.try_get("created_ms")?,
                })
            })
            .collect()
    }

    /// Each lead unit's counts for the month `[from_ms, to_ms)`, computed from the appeals
    /// and their events.
    pub async fn unit_month_counts(&self, from_ms: i64, to_ms: i64) -> Result<BTreeMap<i64, UnitMonthCounts>> {
        let mut counts: BTreeMap<i64, UnitMonthCounts> = BTreeMap::new();
        let dispatched = sqlx::query(
            "SELECT lead_unit_id, COUNT(*), SUM(CASE WHEN signed_ms IS NOT NULL AND sign_due_ms IS NOT NULL AND signed_ms <= sign_due_ms THEN 1 ELSE 0 END) \
             FROM appeals WHERE lead_unit_id IS NOT NULL AND dispatched_ms >= $1 AND dispatched_ms < $2 GROUP BY lead_unit_id",
        )
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await?;
        for row in &dispatched {
            let entry = counts.entry(row.try_get(0)?).or_default();
            entry.dispatched = row.try_get(1)?;
            entry.signed_on_time = row.try_get::<Option<i64>, _>(2)?.unwrap_or(0);
        }
        let resolved = sqlx::query(
            "SELECT lead_unit_id, COUNT(*), SUM(CASE WHEN resolve_due_ms IS NULL OR resolved_ms <= resolve_due_ms THEN 1 ELSE 0 END) \
             FROM appeals WHERE lead_unit_id IS NOT NULL AND resolved_ms >= $1 AND resolved_ms < $2 GROUP BY lead_unit_id",
        )
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await?;
        for row in &resolved {
            let entry = counts.entry(row.try_get(0)?).or_default();
            entry.resolved = row.try_get(1)?;
            entry.resolved_on_time = row.try_get::<Option<i64>, _>(2)?.unwrap_or(0);
        }
        let rated = sqlx::query(
            "SELECT a.lead_unit_id, COUNT(*), SUM(CASE WHEN a.rating_satisfaction IN ('satisfied', 'basically_satisfied') THEN 1 ELSE 0 END) \
             FROM appeal_events e JOIN appeals a ON a.id = e.appeal_id \
             WHERE e.kind = 'rated' AND e.at_ms >= $1 AND e.at_ms < $2 AND a.lead_unit_id IS NOT NULL GROUP BY a.lead_unit_id",
        )
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await?;
        for row in &rated {
            let entry = counts.entry(row.try_get(0)?).or_default();
            entry.rated = row.try_get(1)?;
            entry.satisfied = row.try_get::<Option<i64>, _>(2)?.unwrap_or(0);
        }
        let returned = sqlx::query(
            "SELECT actor_unit_id, COUNT(*) FROM appeal_events WHERE kind = 'returned' AND at_ms >= $1 AND at_ms < $2 \
             AND actor_unit_id IS NOT NULL GROUP BY actor_unit_id",
        )
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await?;
        for row in &returned {
            counts.entry(row.try_get(0)?).or_default().returned = row.try_get(1)?;
        }
        Ok(counts)
    }
}

/// A unit's name and head (`units.head_user_id`), inside a transaction.
pub async fn unit_name_and_head_in(transaction: &mut sqlx::AnyConnection, unit_id: i64) -> Result<Option<(String, Option<i64>)>> {
    let row = sqlx::query("SELECT name, head_user_id FROM units WHERE id = $1").bind(unit_id).fetch_optional(&mut *transaction).await?;
    row.map(|row| Ok((row.try_get(0)?, row.try_get(1)?))).transpose()
}

/// Clears an appeal's warning once it was given, unless its deadline moved meanwhile.
pub async fn clear_warning_in(transaction: &mut sqlx::AnyConnection, appeal_id: i64, deadline_ms: i64) -> Result<()> {
    sqlx::query("UPDATE appeals SET warn_ms = $1 WHERE id = $2 AND next_deadline_ms = $3")
        .bind(super::appeals::NO_DEADLINE)
        .bind(appeal_id)
        .bind(deadline_ms)
        .execute(&mut *transaction)
        .await?;
    Ok(())
}
