//! The monthly rollup behind the county dashboards: per month, the rate counts of every
//! (unit, category) of the cohort, the dispatches and returns per unit, and the appeals
//! received and resolved per day. It is computed by aggregate queries over the month's
//! index ranges and stored, so a dashboard over ten million appeals reads a few thousand
//! rows instead of aggregating a million. `service::rollups` decides when it is refreshed
//! and when the dashboards may use it.

use std::collections::BTreeMap;

use sqlx::Row;

use super::sql::SqlBuilder;
use super::{Db, Result};
use crate::domain::metrics::RateCounts;

/// One month's stored rollup.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MonthRollup {
    /// `YYYY-MM`.
    pub month: String,
    pub from_ms: i64,
    pub to_ms: i64,
    /// The counts per (unit, category); unit 0 holds appeals with no unit, category ""
    /// those without a category.
    pub cells: Vec<(i64, String, RateCounts)>,
    /// The counts per unit (unit 0: no unit) and per category ("" : none), summed over
    /// the cells; `month_rollup` fills these (and not `cells`), `compute_month_rollup` both.
    pub by_unit: Vec<(i64, RateCounts)>,
    pub by_category: Vec<(String, RateCounts)>,
    /// Dispatches to and returns by each unit in the month: unit → (dispatches, returns).
    pub events: BTreeMap<i64, (i64, i64)>,
    /// Appeals received and resolved on each day of the month (day 0 first).
    pub days: Vec<(i64, i64, i64)>,
    pub computed_ms: i64,
}

impl MonthRollup {
    /// The appeals received in the month.
    pub fn received(&self) -> i64 {
        self.by_unit.iter().map(|(_, counts)| counts.received).sum()
    }
}

const DAY_MS: i64 = 86_400_000;

/// Sums of the rate counts, in the order of `RateCounts`' fields. Every SUM is cast to
/// BIGINT because PostgreSQL's SUM of BIGINT is NUMERIC, which the `Any` driver cannot read.
const COUNT_SUMS: &str = "COUNT(*) AS received, \
    CAST(SUM(CASE WHEN a.sign_due_ms IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS with_sign_due, \
    CAST(SUM(CASE WHEN a.sign_due_ms IS NOT NULL AND a.signed_ms IS NOT NULL AND a.signed_ms <= a.sign_due_ms THEN 1 ELSE 0 END) AS BIGINT) AS signed_in_time, \
    CAST(SUM(CASE WHEN a.resolved_ms IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS resolved, \
    CAST(SUM(CASE WHEN a.resolved_ms IS NOT NULL AND a.resolve_due_ms IS NOT NULL THEN 1 ELSE 0 END) AS BIGINT) AS with_resolve_due, \
    CAST(SUM(CASE WHEN a.resolved_ms IS NOT NULL AND a.resolve_due_ms IS NOT NULL AND a.resolved_ms <= a.resolve_due_ms THEN 1 ELSE 0 END) AS BIGINT) AS resolved_in_time, \
    CAST(SUM(CASE WHEN a.resolved_ms IS NOT NULL AND a.reopen_count > 0 THEN 1 ELSE 0 END) AS BIGINT) AS reopened, \
    CAST(SUM(CASE WHEN a.rating_resolution IN ('resolved', 'partly', 'not_resolved') AND a.rating_satisfaction IN ('satisfied', 'basically_satisfied', 'dissatisfied') THEN 1 ELSE 0 END) AS BIGINT) AS rated, \
    CAST(SUM(CASE WHEN a.rating_resolution = 'resolved' AND a.rating_satisfaction IN ('satisfied', 'basically_satisfied', 'dissatisfied') THEN 1 ELSE 0 END) AS BIGINT) AS rated_resolved, \
    CAST(SUM(CASE WHEN a.rating_satisfaction = 'satisfied' AND a.rating_resolution IN ('resolved', 'partly', 'not_resolved') THEN 1 ELSE 0 END) AS BIGINT) AS satisfied, \
    CAST(SUM(CASE WHEN a.rating_satisfaction = 'basically_satisfied' AND a.rating_resolution IN ('resolved', 'partly', 'not_resolved') THEN 1 ELSE 0 END) AS BIGINT) AS basically, \
    CAST(SUM(CASE WHEN a.resolved_ms IS NOT NULL AND a.resolved_ms > a.received_ms THEN a.resolved_ms - a.received_ms ELSE 0 END) AS BIGINT) AS handling_ms";

fn counts_from_row(row: &sqlx::any::AnyRow) -> Result<RateCounts> {
    let get = |name: &str| -> Result<i64> { Ok(row.try_get::<Option<i64>, _>(name)?.unwrap_or(0)) };
    Ok(RateCounts {
        received: get("received")?,
        with_sign_due: get("with_sign_due")?,
        signed_in_time: get("signed_in_time")?,
        resolved: get("resolved")?,
        with_resolve_due: get("with_resolve_due")?,
        resolved_in_time: get("resolved_in_time")?,
        reopened: get("reopened")?,
        rated: get("rated")?,
        rated_resolved: get("rated_resolved")?,
        satisfied: get("satisfied")?,
        basically: get("basically")?,
        handling_ms: get("handling_ms")?,
    })
}

impl Db {
    /// Computes a month's rollup from the appeals and events (read-only; the caller stores
    /// it). The month must be whole days: `to_ms - from_ms` a multiple of a day, which
    /// holds in China time (no daylight saving since 1991).
    pub async fn compute_month_rollup(&self, month: &str, from_ms: i64, to_ms: i64, now_ms: i64) -> Result<MonthRollup> {
        let mut rollup = MonthRollup { month: month.to_string(), from_ms, to_ms, computed_ms: now_ms, ..MonthRollup::default() };
        let mut cells = SqlBuilder::new(&format!(
            "SELECT COALESCE(a.lead_unit_id, a.owner_unit_id, 0) AS unit_id, COALESCE(a.category_code, '') AS category_code, {COUNT_SUMS} \
             FROM appeals a WHERE a.received_ms >= "
        ));
        cells.bind(from_ms).push(" AND a.received_ms < ").bind(to_ms);
        cells.push(" AND a.merged_into_id IS NULL GROUP BY COALESCE(a.lead_unit_id, a.owner_unit_id, 0), COALESCE(a.category_code, '')");
        for row in cells.query().fetch_all(&self.pool).await? {
            rollup.cells.push((row.try_get("unit_id")?, row.try_get("category_code")?, counts_from_row(&row)?));
        }

        let days = usize::try_from((to_ms - from_ms) / DAY_MS).unwrap_or(0);
        let mut per_day = vec![(0_i64, 0_i64); days];
        let mut received = SqlBuilder::new("SELECT (a.received_ms - ");
        received
            .bind(from_ms)
            .push(") / ")
            .bind(DAY_MS)
            .push(" AS day_index, COUNT(*) FROM appeals a WHERE a.received_ms >= ")
            .bind(from_ms);
        received.push(" AND a.received_ms < ").bind(to_ms).push(" AND a.merged_into_id IS NULL GROUP BY 1");
        for row in received.query().fetch_all(&self.pool).await? {
            if let Some(slot) = usize::try_from(row.try_get::<i64, _>(0)?).ok().and_then(|index| per_day.get_mut(index)) {
                slot.0 = row.try_get(1)?;
            }
        }
        let mut resolved = SqlBuilder::new("SELECT (a.resolved_ms - ");
        resolved
            .bind(from_ms)
            .push(") / ")
            .bind(DAY_MS)
            .push(" AS day_index, COUNT(*) FROM appeals a WHERE a.resolved_ms >= ")
            .bind(from_ms);
        resolved.push(" AND a.resolved_ms < ").bind(to_ms).push(" GROUP BY 1");
        for row in resolved.query().fetch_all(&self.pool).await? {
            if let Some(slot) = usize::try_from(row.try_get::<i64, _>(0)?).ok().and_then(|index| per_day.get_mut(index)) {
                slot.1 = row.try_get(1)?;
            }
        }
        let mut by_unit: BTreeMap<i64, RateCounts> = BTreeMap::new();
        let mut by_category: BTreeMap<String, RateCounts> = BTreeMap::new();
        for (unit_id, category, counts) in &rollup.cells {
            by_unit.entry(*unit_id).or_default().merge(counts);
            by_category.entry(category.clone()).or_default().merge(counts);
        }
        rollup.by_unit = by_unit.into_iter().collect();
        rollup.by_category = by_category.into_iter().collect();
        rollup.days = per_day.into_iter().enumerate().map(|(index, (received, resolved))| (index as i64, received, resolved)).collect();

        // Returns are counted by the returning unit from the event row; dispatches by the
        // lead unit named in the event's payload (the same reading as the live dashboards).
        let mut returns = SqlBuilder::new(
            "SELECT e.actor_unit_id, COUNT(*) FROM appeal_events e WHERE e.kind = 'returned' AND e.actor_unit_id IS NOT NULL AND e.at_ms >= ",
        );
        returns.bind(from_ms).push(" AND e.at_ms < ").bind(to_ms).push(" GROUP BY e.actor_unit_id");
        for row in returns.query().fetch_all(&self.pool).await? {
            rollup.events.entry(row.try_get(0)?).or_insert((0, 0)).1 += row.try_get::<i64, _>(1)?;
        }
        let mut dispatches = SqlBuilder::new("SELECT e.payload FROM appeal_events e WHERE e.kind = 'dispatched' AND e.at_ms >= ");
        dispatches.bind(from_ms).push(" AND e.at_ms < ").bind(to_ms);
        for row in dispatches.query().fetch_all(&self.pool).await? {
            let payload: String = row.try_get(0)?;
            let lead = serde_json::from_str::<serde_json::Value>(&payload)
                .ok()
                .and_then(|value| value.get("lead_unit_id").and_then(serde_json::Value::as_i64));
            if let Some(unit_id) = lead {
                rollup.events.entry(unit_id).or_insert((0, 0)).0 += 1;
            }
        }
        Ok(rollup)
    }

    /// Stores a month's rollup, replacing the one stored before, in one transaction.
    pub async fn store_month_rollup(&self, rollup: &MonthRollup) -> Result<()> {
        let mut transaction = self.begin_write().await?;
        for table in ["metric_unit_months", "metric_unit_events", "metric_days", "metric_months"] {
            sqlx::query(sqlx::AssertSqlSafe(format!("DELETE FROM {table} WHERE month = $1")))
                .bind(&rollup.month)
                .execute(&mut *transaction)
                .await?;
        }
        sqlx::query("INSERT INTO metric_months (month, from_ms, to_ms, received, computed_ms) VALUES ($1, $2, $3, $4, $5)")
            .bind(&rollup.month)
            .bind(rollup.from_ms)
            .bind(rollup.to_ms)
            .bind(rollup.received())
            .bind(rollup.computed_ms)
            .execute(&mut *transaction)
            .await?;
        for chunk in rollup.cells.chunks(200) {
            let mut insert = SqlBuilder::new(
                "INSERT INTO metric_unit_months (month, unit_id, category_code, received, with_sign_due, signed_in_time, resolved, \
                 with_resolve_due, resolved_in_time, reopened, rated, rated_resolved, satisfied, basically, handling_ms) VALUES ",
            );
            for (index, (unit_id, category, counts)) in chunk.iter().enumerate() {
                insert.push(if index == 0 { "(" } else { ", (" });
                insert.bind(rollup.month.as_str()).push(", ").bind(*unit_id).push(", ").bind(category.as_str());
                for value in [
                    counts.received,
                    counts.with_sign_due,
                    counts.signed_in_time,
                    counts.resolved,
                    counts.with_resolve_due,
                    counts.resolved_in_time,
                    counts.reopened,
                    counts.rated,
                    counts.rated_resolved,
                    counts.satisfied,
                    counts.basically,
                    counts.handling_ms,
                ] {
                    insert.push(", ").bind(value);
                }
                insert.push(")");
            }
            insert.query().execute(&mut *transaction).await?;
        }
        let events: Vec<(&i64, &(i64, i64))> = rollup.events.iter().collect();
        for chunk in events.chunks(300) {
            let mut insert = SqlBuilder::new("INSERT INTO metric_unit_events (month, unit_id, dispatches, returns) VALUES ");
            for (index, (unit_id, (dispatches, returns))) in chunk.iter().enumerate() {
                insert.push(if index == 0 { "(" } else { ", (" });
                insert
                    .bind(rollup.month.as_str())
                    .push(", ")
                    .bind(**unit_id)
                    .push(", ")
                    .bind(*dispatches)
                    .push(", ")
                    .bind(*returns)
                    .push(")");
            }
            insert.query().execute(&mut *transaction).await?;
        }
        if !rollup.days.is_empty() {
            let mut insert = SqlBuilder::new("INSERT INTO metric_days (month, day_index, received, resolved) VALUES ");
            for (index, (day, received, resolved)) in rollup.days.iter().enumerate() {
                insert.push(if index == 0 { "(" } else { ", (" });
                insert.bind(rollup.month.as_str()).push(", ").bind(*day).push(", ").bind(*received).push(", ").bind(*resolved).push(")");
            }
            insert.query().execute(&mut *transaction).await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    /// When a month's rollup was computed and how many appeals it holds, if it exists.
    pub async fn month_rollup_state(&self, month: &str) -> Result<Option<(i64, i64)>> {
        let row =
            sqlx::query("SELECT computed_ms, received FROM metric_months WHERE month = $1").bind(month).fetch_optional(&self.pool).await?;
        row.map(|row| Ok((row.try_get(0)?, row.try_get(1)?))).transpose()
    }

    /// Loads a stored month's rollup.
    pub async fn month_rollup(&self, month: &str) -> Result<Option<MonthRollup>> {
        let Some(head) = sqlx::query("SELECT from_ms, to_ms, computed_ms FROM metric_months WHERE month = $1")
            .bind(month)
            .fetch_optional(&self.pool)
            .await?
        else {
            return Ok(None);
        };
        let mut rollup = MonthRollup {
            month: month.to_string(),
            from_ms: head.try_get(0)?,
            to_ms: head.try_get(1)?,
            computed_ms: head.try_get(2)?,
            ..MonthRollup::default()
        };
        // The dashboards need the counts per unit (ranking) and per category (summary),
        // not per (unit, category): both sums are taken here, so a month's read is a few
        // hundred rows whatever the volume. Cells come back as (unit, "") and (0, category).
        let sums = "CAST(SUM(a.received) AS BIGINT) AS received, CAST(SUM(a.with_sign_due) AS BIGINT) AS with_sign_due, \
            CAST(SUM(a.signed_in_time) AS BIGINT) AS signed_in_time, CAST(SUM(a.resolved) AS BIGINT) AS resolved, \
            CAST(SUM(a.with_resolve_due) AS BIGINT) AS with_resolve_due, CAST(SUM(a.resolved_in_time) AS BIGINT) AS resolved_in_time, \
            CAST(SUM(a.reopened) AS BIGINT) AS reopened, CAST(SUM(a.rated) AS BIGINT) AS rated, CAST(SUM(a.rated_resolved) AS BIGINT) AS rated_resolved, \
            CAST(SUM(a.satisfied) AS BIGINT) AS satisfied, CAST(SUM(a.basically) AS BIGINT) AS basically, CAST(SUM(a.handling_ms) AS BIGINT) AS handling_ms";
        let by_unit = format!("SELECT a.unit_id, {sums} FROM metric_unit_months a WHERE a.month = $1 GROUP BY a.unit_id");
        for row in sqlx::query(sqlx::AssertSqlSafe(by_unit)).bind(month).fetch_all(&self.pool).await? {
            rollup.by_unit.push((row.try_get("unit_id")?, counts_from_row(&row)?));
        }
        let by_category = format!("SELECT a.category_code, {sums} FROM metric_unit_months a WHERE a.month = $1 GROUP BY a.category_code");
        for row in sqlx::query(sqlx::AssertSqlSafe(by_category)).bind(month).fetch_all(&self.pool).await? {
            rollup.by_category.push((row.try_get("category_code")?, counts_from_row(&row)?));
        }
        for row in sqlx::query("SELECT unit_id, dispatches, returns FROM metric_unit_events WHERE month = $1")
            .bind(month)
            .fetch_all(&self.pool)
            .await?
        {
            rollup.events.insert(row.try_get(0)?, (row.try_get(1)?, row.try_get(2)?));
        }
        for row in sqlx::query("SELECT day_index, received, resolved FROM metric_days WHERE month = $1 ORDER BY day_index")
            .bind(month)
            .fetch_all(&self.pool)
            .await?
        {
            rollup.days.push((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?));
        }
        Ok(Some(rollup))
    }

    /// Refreshes the planner's statistics after a bulk load (PostgreSQL; SQLite plans from
    /// its indexes alone). Without it, a freshly seeded million rows is planned as an empty
    /// table until autovacuum comes round, and a list page takes 100 ms instead of 3.
    pub async fn analyze_after_bulk_load(&self) -> Result<()> {
        if self.dialect == super::Dialect::Postgres {
            sqlx::query("ANALYZE appeals, appeal_events, appeal_handlers, work_queue").execute(&self.pool).await?;
        }
        Ok(())
    }

    /// The months (`YYYY-MM` bounds) that hold appeals: the first and last receipt instants.
    pub async fn received_span(&self) -> Result<Option<(i64, i64)>> {
        let row = sqlx::query("SELECT MIN(received_ms), MAX(received_ms) FROM appeals").fetch_one(&self.pool).await?;
        let (first, last): (Option<i64>, Option<i64>) = (row.try_get(0)?, row.try_get(1)?);
        Ok(first.zip(last))
    }
}
