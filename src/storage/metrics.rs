//! Read-only queries behind the dashboards: the facts of appeals and events in a period,
//! in a reader's scope. The arithmetic (rates, ranking) is in `domain::metrics`.

use sqlx::Row;

use super::sql::SqlBuilder;
use super::{Db, Result};
use crate::domain::access::Scope;
use crate::domain::appeal::AppealStatus;
use crate::domain::metrics::{AppealFacts, UnitEvent};

/// Appends the reader's scope to a statement over `appeals a` (same rule as the lists).
fn push_scope(builder: &mut SqlBuilder, scope: &Scope) {
    match scope {
        Scope::RegionSubtreeOrHandledBy { region_prefix, unit_id } => {
            builder.push(" AND ((a.region_code >= ").bind(region_prefix.as_str());
            builder.push(" AND a.region_code < ").bind(super::places::prefix_upper_bound(region_prefix));
            builder.push(") OR a.owner_unit_id = ").bind(*unit_id);
            builder.push(" OR EXISTS (SELECT 1 FROM appeal_handlers h WHERE h.appeal_id = a.id AND h.unit_id = ").bind(*unit_id);
            builder.push("))");
        }
        Scope::HandledBy { unit_id } => {
            builder.push(" AND EXISTS (SELECT 1 FROM appeal_handlers h WHERE h.appeal_id = a.id AND h.unit_id = ").bind(*unit_id);
            builder.push(")");
        }
    }
}

const FACT_COLUMNS: &str = "a.id, a.status, a.category_code, a.lead_unit_id, a.owner_unit_id, a.received_ms, a.signed_ms, \
    a.sign_due_ms, a.resolved_ms, a.resolve_due_ms, a.rating_resolution, a.rating_satisfaction, a.reopen_count";

fn facts_from_row(row: &sqlx::any::AnyRow) -> Result<AppealFacts> {
    let status: String = row.try_get("status")?;
    Ok(AppealFacts {
        status: status.parse().unwrap_or(AppealStatus::Received),
        category_code: row.try_get("category_code")?,
        unit_id: row.try_get::<Option<i64>, _>("lead_unit_id")?.or(row.try_get::<Option<i64>, _>("owner_unit_id")?),
        received_ms: row.try_get("received_ms")?,
        signed_ms: row.try_get("signed_ms")?,
        sign_due_ms: row.try_get("sign_due_ms")?,
        resolved_ms: row.try_get("resolved_ms")?,
        resolve_due_ms: row.try_get("resolve_due_ms")?,
        resolution: row.try_get::<Option<String>, _>("rating_resolution")?.and_then(|text| text.parse().ok()),
        satisfaction: row.try_get::<Option<String>, _>("rating_satisfaction")?.and_then(|text| text.parse().ok()),
        reopen_count: row.try_get("reopen_count")?,
    })
}

impl Db {
    /// The facts of every appeal in scope received in `[from_ms, to_ms)`.
    pub async fn appeal_facts_received(&self, scope: &Scope, from_ms: i64, to_ms: i64) -> Result<Vec<AppealFacts>> {
        let mut builder = SqlBuilder::new(&format!("SELECT {FACT_COLUMNS} FROM appeals a WHERE a.received_ms >= "));
        builder.bind(from_ms).push(" AND a.received_ms < ").bind(to_ms).push(" AND a.merged_into_id IS NULL");
        push_scope(&mut builder, scope);
        let rows = builder.query().fetch_all(&self.pool).await?;
        rows.iter().map(facts_from_row).collect()
    }

    /// The resolution times of appeals in scope resolved in `[from_ms, to_ms)`.
    pub async fn resolved_times(&self, scope: &Scope, from_ms: i64, to_ms: i64) -> Result<Vec<i64>> {
        let mut builder = SqlBuilder::new("SELECT a.resolved_ms FROM appeals a WHERE a.resolved_ms >= ");
        builder.bind(from_ms).push(" AND a.resolved_ms < ").bind(to_ms);
        push_scope(&mut builder, scope);
        let rows = builder.query().fetch_all(&self.pool).await?;
        rows.iter().map(|row| Ok(row.try_get::<i64, _>(0)?)).collect()
    }

    /// Dispatch and return events in `[from_ms, to_ms)` on appeals in scope: who was
    /// given the appeal, and who gave it back.
    pub async fn dispatch_and_return_events(&self, scope: &Scope, from_ms: i64, to_ms: i64) -> Result<Vec<UnitEvent>> {
        let mut builder = SqlBuilder::new(
            "SELECT e.kind, e.actor_unit_id, e.payload FROM appeal_events e JOIN appeals a ON a.id = e.appeal_id \
             WHERE e.kind IN ('dispatched', 'returned', 'reopened') AND e.at_ms >= ",
        );
        builder.bind(from_ms).push(" AND e.at_ms < ").bind(to_ms);
        push_scope(&mut builder, scope);
        let rows = builder.query().fetch_all(&self.pool).await?;
        let mut events = Vec::with_capacity(rows.len());
        for row in &rows {
            let kind: String = row.try_get("kind")?;
            let actor_unit_id: Option<i64> = row.try_get("actor_unit_id")?;
            let payload: String = row.try_get("payload")?;
            let lead = serde_json::from_str::<serde_json::Value>(&payload)
                .ok()
                .and_then(|value| value.get("lead_unit_id").and_then(serde_json::Value::as_i64));
            match kind.as_str() {
                "dispatched" => events.extend(lead.map(|unit_id| UnitEvent::DispatchedTo(unit_id))),
                "returned" => events.extend(actor_unit_id.map(UnitEvent::ReturnedBy)),
                _ => {}
            }
        }
        Ok(events)
    }

    /// Open appeals per grid in scope: (grid id, open, overdue at `now_ms`).
    pub async fn open_appeals_by_grid(&self, scope: &Scope, region_prefix: &str, now_ms: i64) -> Result<Vec<(String, i64, i64)>> {
        let mut builder = SqlBuilder::new("SELECT a.grid_id, COUNT(*) AS open_count, SUM(CASE WHEN a.next_deadline_ms < ");
        builder.bind(now_ms).push(" THEN 1 ELSE 0 END) AS overdue_count FROM appeals a WHERE a.grid_id IS NOT NULL AND a.status IN (");
        let open: Vec<AppealStatus> = AppealStatus::ALL.iter().copied().filter(|status| status.is_open()).collect();
        for (index, status) in open.iter().enumerate() {
            if index > 0 {
                builder.push(", ");
            }
            builder.bind(status.as_str());
        }
        builder.push(") AND a.region_code >= ").bind(region_prefix);
        builder.push(" AND a.region_code < ").bind(super::places::prefix_upper_bound(region_prefix));
        push_scope(&mut builder, scope);
        builder.push(" GROUP BY a.grid_id");
        let rows = builder.query().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| Ok((row.try_get::<String, _>(0)?, row.try_get::<i64, _>(1)?, row.try_get::<Option<i64>, _>(2)?.unwrap_or(0))))
            .collect()
    }
}
