//! What the hub learns from appeals: classifier rules and models, hot-spot warnings,
//! the counts behind hot spots and 每月一题, and the rows the search index is built from.

use sqlx::{AssertSqlSafe, Row};

use super::places::prefix_upper_bound;
use super::sql::SqlBuilder;
use super::{Db, Result, StorageError};
use crate::domain::access::Scope;
use crate::domain::appeal::{Channel, Tier, Triage};
use crate::domain::classify::TrainingExample;
use crate::domain::classify::rules::ClassifierRule;

/// A stored model: its metadata and the serialized model.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredModel {
    pub id: i64,
    pub created_ms: i64,
    /// Where it was trained from, e.g. `database` or `file:corpus.jsonl`.
    pub source: String,
    pub examples: i64,
    pub model_json: String,
}

/// A hot-spot warning as stored.
#[derive(Debug, Clone, PartialEq, serde::Serialize, utoipa::ToSchema)]
pub struct HotspotWarning {
    pub id: i64,
    /// `grid` or `region`.
    pub place_kind: String,
    /// The grid id or region code.
    pub place_code: String,
    /// The region the place lies in (for scoping).
    pub region_code: String,
    pub category_code: String,
    /// The unit the warning is raised to.
    pub unit_id: Option<i64>,
    pub window_start_ms: i64,
    pub window_end_ms: i64,
    pub appeal_count: i64,
    /// The usual number of appeals in a window of the same length at this place.
    pub usual_count: f64,
    /// Why the hub raised it, in words a person can check.
    pub reasons: Vec<String>,
    pub appeal_numbers: Vec<String>,
    /// `open` or `acknowledged`.
    pub status: String,
    pub created_ms: i64,
}

/// Counts of appeals per place and category in a recent window and before it.
#[derive(Debug, Clone, PartialEq)]
pub struct PlaceCategoryCount {
    pub place_code: String,
    pub category_code: String,
    pub recent: i64,
    pub earlier: i64,
}

/// One row the search index needs.
#[derive(Debug, Clone, PartialEq)]
pub struct SearchRow {
    pub id: i64,
    pub number: String,
    pub text: String,
    pub address: Option<String>,
    pub region_code: String,
    pub unit_ids: Vec<i64>,
    /// When the change that brought the row was recorded: the instant of its event
    /// (catching up), or of the appeal's last change (the first build).
    pub changed_ms: i64,
    /// The event that brought the row (catching up); the appeal's id (the first build).
    pub event_id: i64,
    /// Bumped by every change; tells a re-read row from an unchanged one.
    pub version: i64,
}

fn words_json(words: &[String]) -> String {
    serde_json::to_string(words).unwrap_or_else(|_| "[]".into())
}

fn words_from(text: &str) -> Vec<String> {
    serde_json::from_str(text).unwrap_or_default()
}

fn rule_from_row(row: &sqlx::any::AnyRow) -> Result<ClassifierRule> {
    Ok(ClassifierRule {
        id: row.try_get("id")?,
        name: row.try_get("name")?,
        category_code: row.try_get("category_code")?,
        all_of: words_from(&row.try_get::<String, _>("all_of")?),
        any_of: words_from(&row.try_get::<String, _>("any_of")?),
        none_of: words_from(&row.try_get::<String, _>("none_of")?),
        urgent: row.try_get::<i64, _>("urgent")? != 0,
        weight: row.try_get("weight")?,
        active: row.try_get::<i64, _>("active")? != 0,
    })
}

fn warning_from_row(row: &sqlx::any::AnyRow) -> Result<HotspotWarning> {
    Ok(HotspotWarning {
        id: row.try_get("id")?,
        place_kind: row.try_get("place_kind")?,
        place_code: row.try_get("place_code")?,
        region_code: row.try_get("region_code")?,
        category_code: row.try_get("category_code")?,
        unit_id: row.try_get("unit_id")?,
        window_start_ms: row.try_get("window_start_ms")?,
        window_end_ms: row.try_get("window_end_ms")?,
        appeal_count: row.try_get("appeal_count")?,
        usual_count: row.try_get("usual_count")?,
        reasons: words_from(&row.try_get::<String, _>("reasons")?),
        appeal_numbers: words_from(&row.try_get::<String, _>("appeal_numbers")?),
        status: row.try_get("status")?,
        created_ms: row.try_get("created_ms")?,
    })
}

const RULE_COLUMNS: &str = "id, name, category_code, all_of, any_of, none_of, urgent, weight, active";
const WARNING_COLUMNS: &str = "id, place_kind, place_code, region_code, category_code, unit_id, window_start_ms, window_end_ms, \
     appeal_count, usual_count, reasons, appeal_numbers, status, created_ms";

/// Appends the scope condition on an `appeals a` query (the same rule as the lists).
fn push_scope(builder: &mut SqlBuilder, scope: &Scope) {
    match scope {
        Scope::RegionSubtreeOrHandledBy { region_prefix, unit_id } => {
            builder.push(" AND ((a.region_code >= ").bind(region_prefix.as_str());
            builder.push(" AND a.region_code < ").bind(prefix_upper_bound(region_prefix));
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

impl Db {
    /// Every classifier rule, active or not, in id order.
    pub async fn classifier_rules(&self) -> Result<Vec<ClassifierRule>> {
        let sql = format!("SELECT {RULE_COLUMNS} FROM classifier_rules ORDER BY id");
        let rows = sqlx::query(AssertSqlSafe(sql)).fetch_all(&self.pool).await?;
        rows.iter().map(rule_from_row).collect()
    }

    pub async fn classifier_rule(&self, id: i64) -> Result<Option<ClassifierRule>> {
        let sql = format!("SELECT {RULE_COLUMNS} FROM classifier_rules WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.map(|row| rule_from_row(&row)).transpose()
    }

    /// Stores a new rule and returns its id.
    pub async fn insert_classifier_rule(&self, rule: &ClassifierRule, now_ms: i64) -> Result<i64> {
        let mut transaction = self.begin_write().await?;
        let id = insert_rule(&mut transaction, rule, now_ms).await?;
        transaction.commit().await?;
        Ok(id)
    }

    pub async fn update_classifier_rule(&self, rule: &ClassifierRule, now_ms: i64) -> Result<()> {
        let result = sqlx::query(
            "UPDATE classifier_rules SET name = $1, category_code = $2, all_of = $3, any_of = $4, none_of = $5, urgent = $6, \
             weight = $7, active = $8, updated_ms = $9 WHERE id = $10",
        )
        .bind(rule.name.as_str())
        .bind(rule.category_code.clone())
        .bind(words_json(&rule.all_of))
        .bind(words_json(&rule.any_of))
        .bind(words_json(&rule.none_of))
        .bind(i64::from(rule.urgent))
        .bind(rule.weight)
        .bind(i64::from(rule.active))
        .bind(now_ms)
        .bind(rule.id)
        .execute(&self.pool)
        .await?;
        if result.rows_affected() == 0 {
            return Err(StorageError::NotFound(format!("classifier rule {}", rule.id)));
        }
        Ok(())
    }

    pub async fn delete_classifier_rule(&self, id: i64) -> Result<()> {
        let result = sqlx::query("DELETE FROM classifier_rules WHERE id = $1").bind(id).execute(&self.pool).await?;
        if result.rows_affected() == 0 {
            return Err(StorageError::NotFound(format!("classifier rule {id}")));
        }
        Ok(())
    }

    /// Stores the seed rules once per database, so that an administrator who deletes
    /// them does not see them come back. Returns whether they were stored now.
    pub async fn seed_classifier_rules_once(&self, rules: &[ClassifierRule], now_ms: i64) -> Result<bool> {
        let mut transaction = self.begin_write().await?;
        let seeded = sqlx::query("SELECT value FROM understanding_flags WHERE name = 'rules_seeded'")
            .fetch_optional(&mut *transaction)
            .await?
            .is_some();
        if seeded {
            return Ok(false);
        }
        for rule in rules {
            insert_rule(&mut transaction, rule, now_ms).await?;
        }
        sqlx::query("INSERT INTO understanding_flags (name, value) VALUES ('rules_seeded', $1)")
            .bind(now_ms.to_string())
            .execute(&mut *transaction)
            .await?;
        transaction.commit().await?;
        Ok(true)
    }

    /// The newest stored model, if any.
    pub async fn latest_classifier_model(&self) -> Result<Option<StoredModel>> {
        let row = sqlx::query("SELECT id, created_ms, source, examples, model FROM classifier_models ORDER BY id DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            Ok(StoredModel {
                id: row.try_get("id")?,
                created_ms: row.try_get("created_ms")?,
                source: row.try_get("source")?,
                examples: row.try_get("examples")?,
                model_json: row.try_get("model")?,
            })
        })
        .transpose()
    }

    /// Stores a model; older ones are kept (a model can be rolled back by hand).
    pub async fn store_classifier_model(&self, source: &str, examples: i64, model_json: &str, now_ms: i64) -> Result<i64> {
        let mut transaction = self.begin_write().await?;
        let row = sqlx::query("INSERT INTO classifier_models (created_ms, source, examples, model) VALUES ($1, $2, $3, $4) RETURNING id")
            .bind(now_ms)
            .bind(source)
            .bind(examples)
            .bind(model_json)
            .fetch_one(&mut *transaction)
            .await?;
        let id: i64 = row.try_get(0)?;
        transaction.commit().await?;
        Ok(id)
    }

    /// Appeals a person confirmed: dispatched (someone read and sent them) with a
    /// category, not merged into another.
    pub async fn confirmed_examples(&self) -> Result<Vec<TrainingExample>> {
        let rows = sqlx::query(
            "SELECT text, category_code, triage, tier, urgent, channel FROM appeals \
             WHERE category_code IS NOT NULL AND dispatched_ms IS NOT NULL AND merged_into_id IS NULL ORDER BY id",
        )
        .fetch_all(&self.pool)
        .await?;
        let mut examples = Vec::with_capacity(rows.len());
        for row in &rows {
            let triage: String = row.try_get("triage")?;
            let tier: String = row.try_get("tier")?;
            let channel: String = row.try_get("channel")?;
            let (Ok(triage), Ok(tier)) = (triage.parse::<Triage>(), tier.parse::<Tier>()) else { continue };
            examples.push(TrainingExample {
                text: row.try_get("text")?,
                category_code: row.try_get("category_code")?,
                triage,
                tier,
                urgent: row.try_get::<i64, _>("urgent")? != 0,
                channel: channel.parse::<Channel>().ok(),
            });
        }
        Ok(examples)
    }

    /// Appeal counts per place (grid, or region code) and category: in [recent_from, until)
    /// and in [earlier_from, recent_from). Merged duplicates are not counted twice.
    pub async fn place_category_counts(
        &self,
        by_grid: bool,
        earlier_from: i64,
        recent_from: i64,
        until: i64,
    ) -> Result<Vec<PlaceCategoryCount>> {
        let place = if by_grid { "grid_id" } else { "region_code" };
        let sql = format!(
            "SELECT {place} AS place, category_code, \
             SUM(CASE WHEN received_ms >= $1 THEN 1 ELSE 0 END) AS recent, \
             SUM(CASE WHEN received_ms < $1 THEN 1 ELSE 0 END) AS earlier \
             FROM appeals WHERE received_ms >= $2 AND received_ms < $3 AND category_code IS NOT NULL \
             AND merged_into_id IS NULL AND {place} IS NOT NULL \
             GROUP BY {place}, category_code HAVING SUM(CASE WHEN received_ms >= $1 THEN 1 ELSE 0 END) > 0"
        );
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(recent_from).bind(earlier_from).bind(until).fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok(PlaceCategoryCount {
                    place_code: row.try_get("place")?,
                    category_code: row.try_get("category_code")?,
                    recent: row.try_get("recent")?,
                    earlier: row.try_get("earlier")?,
                })
            })
            .collect()
    }

    /// Numbers and region of the appeals behind a hot spot, newest first (at most 50).
    pub async fn cluster_appeals(
        &self,
        by_grid: bool,
        place_code: &str,
        category_code: &str,
        from_ms: i64,
        until_ms: i64,
    ) -> Result<Vec<(String, String)>> {
        let place = if by_grid { "grid_id" } else { "region_code" };
        let sql = format!(
            "SELECT number, region_code FROM appeals WHERE {place} = $1 AND category_code = $2 AND received_ms >= $3 AND received_ms < $4 \
             AND merged_into_id IS NULL ORDER BY received_ms DESC, id DESC LIMIT 50"
        );
        let rows =
            sqlx::query(AssertSqlSafe(sql)).bind(place_code).bind(category_code).bind(from_ms).bind(until_ms).fetch_all(&self.pool).await?;
        rows.iter().map(|row| Ok((row.try_get(0)?, row.try_get(1)?))).collect()
    }

    /// Whether a warning for this place and category already covers `since_ms` onwards.
    pub async fn warning_exists_since(&self, place_kind: &str, place_code: &str, category_code: &str, since_ms: i64) -> Result<bool> {
        let row = sqlx::query(
            "SELECT id FROM hotspot_warnings WHERE place_kind = $1 AND place_code = $2 AND category_code = $3 AND window_end_ms > $4 LIMIT 1",
        )
        .bind(place_kind)
        .bind(place_code)
        .bind(category_code)
        .bind(since_ms)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.is_some())
    }

    /// Whether any warning (grid or region) about this region and category covers `since_ms` onwards.
    pub async fn region_warning_exists_since(&self, region_code: &str, category_code: &str, since_ms: i64) -> Result<bool> {
        let row =
            sqlx::query("SELECT id FROM hotspot_warnings WHERE region_code = $1 AND category_code = $2 AND window_end_ms > $3 LIMIT 1")
                .bind(region_code)
                .bind(category_code)
                .bind(since_ms)
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.is_some())
    }

    pub async fn insert_warning(&self, warning: &HotspotWarning) -> Result<i64> {
        let mut transaction = self.begin_write().await?;
        let row = sqlx::query(
            "INSERT INTO hotspot_warnings (place_kind, place_code, region_code, category_code, unit_id, window_start_ms, window_end_ms, \
             appeal_count, usual_count, reasons, appeal_numbers, status, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id",
        )
        .bind(warning.place_kind.as_str())
        .bind(warning.place_code.as_str())
        .bind(warning.region_code.as_str())
        .bind(warning.category_code.as_str())
        .bind(warning.unit_id)
        .bind(warning.window_start_ms)
        .bind(warning.window_end_ms)
        .bind(warning.appeal_count)
        .bind(warning.usual_count)
        .bind(words_json(&warning.reasons))
        .bind(words_json(&warning.appeal_numbers))
        .bind(warning.status.as_str())
        .bind(warning.created_ms)
        .fetch_one(&mut *transaction)
        .await?;
        let id: i64 = row.try_get(0)?;
        transaction.commit().await?;
        Ok(id)
    }

    /// Warnings a unit may read: in its region subtree or raised to it; newest first.
    pub async fn warnings_for(
        &self,
        region_prefix: Option<&str>,
        unit_id: i64,
        status: Option<&str>,
        limit: i64,
    ) -> Result<Vec<HotspotWarning>> {
        let mut builder = SqlBuilder::new(&format!("SELECT {WARNING_COLUMNS} FROM hotspot_warnings WHERE (unit_id = "));
        builder.bind(unit_id);
        if let Some(prefix) = region_prefix {
            builder.push(" OR (region_code >= ").bind(prefix);
            builder.push(" AND region_code < ").bind(prefix_upper_bound(prefix)).push(")");
        }
        builder.push(")");
        if let Some(status) = status {
            builder.push(" AND status = ").bind(status);
        }
        builder.push(" ORDER BY created_ms DESC, id DESC LIMIT ").bind(limit);
        let rows = builder.query().fetch_all(&self.pool).await?;
        rows.iter().map(warning_from_row).collect()
    }

    pub async fn warning(&self, id: i64) -> Result<Option<HotspotWarning>> {
        let sql = format!("SELECT {WARNING_COLUMNS} FROM hotspot_warnings WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.map(|row| warning_from_row(&row)).transpose()
    }

    pub async fn set_warning_status(&self, id: i64, status: &str) -> Result<()> {
        sqlx::query("UPDATE hotspot_warnings SET status = $1 WHERE id = $2").bind(status).bind(id).execute(&self.pool).await?;
        Ok(())
    }

    /// Appeals per (township or shorter region prefix, category) received in a window
    /// within a region subtree: the raw counts behind 每月一题.
    pub async fn township_category_counts(&self, region_prefix: &str, from_ms: i64, until_ms: i64) -> Result<Vec<(String, String, i64)>> {
        let rows = sqlx::query(
            "SELECT substr(region_code, 1, 9) AS township, category_code, COUNT(*) AS appeals FROM appeals \
             WHERE region_code >= $1 AND region_code < $2 AND received_ms >= $3 AND received_ms < $4 \
             AND category_code IS NOT NULL AND merged_into_id IS NULL \
             GROUP BY substr(region_code, 1, 9), category_code",
        )
        .bind(region_prefix)
        .bind(prefix_upper_bound(region_prefix))
        .bind(from_ms)
        .bind(until_ms)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))).collect()
    }

    /// Every appeal after `after_id`, in id order, for building the search index.
    pub async fn search_rows_by_id(&self, after_id: i64, limit: i64) -> Result<Vec<SearchRow>> {
        let rows = sqlx::query(
            "SELECT id, number, text, address, region_code, owner_unit_id, updated_ms AS changed_ms, id AS event_id, version \
             FROM appeals WHERE id > $1 ORDER BY id LIMIT $2",
        )
        .bind(after_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        self.search_rows_with_handlers(&rows).await
    }

    /// The appeals of the events recorded at or after `(at_ms, event id)`, one row per
    /// event (an appeal changed twice comes twice), oldest event first, for catching up
    /// the search index. Every change to an appeal appends an event in the same
    /// transaction, so the event log is the feed of changes: the appeals table keeps no
    /// index on its last change, which every write would otherwise move.
    pub async fn search_rows_changed_after(&self, at_ms: i64, after_event_id: i64, limit: i64) -> Result<Vec<SearchRow>> {
        let rows = sqlx::query(
            "SELECT a.id, a.number, a.text, a.address, a.region_code, a.owner_unit_id, e.at_ms AS changed_ms, e.id AS event_id, a.version \
             FROM appeal_events e JOIN appeals a ON a.id = e.appeal_id \
             WHERE e.at_ms >= $1 AND (e.at_ms > $1 OR e.id > $2) ORDER BY e.at_ms, e.id LIMIT $3",
        )
        .bind(at_ms)
        .bind(after_event_id)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        self.search_rows_with_handlers(&rows).await
    }

    /// The instant of the latest event recorded, if any.
    pub async fn latest_event_ms(&self) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT MAX(at_ms) FROM appeal_events").fetch_one(&self.pool).await?;
        Ok(row.try_get(0)?)
    }

    /// Search rows from the columns the two queries above select, with every handler's unit.
    async fn search_rows_with_handlers(&self, rows: &[sqlx::any::AnyRow]) -> Result<Vec<SearchRow>> {
        let mut result = Vec::with_capacity(rows.len());
        for row in rows {
            let owner: Option<i64> = row.try_get("owner_unit_id")?;
            result.push(SearchRow {
                id: row.try_get("id")?,
                number: row.try_get("number")?,
                text: row.try_get("text")?,
                address: row.try_get("address")?,
                region_code: row.try_get("region_code")?,
                unit_ids: owner.into_iter().collect(),
                changed_ms: row.try_get("changed_ms")?,
                event_id: row.try_get("event_id")?,
                version: row.try_get("version")?,
            });
        }
        // The handlers of exactly these appeals. (Not an id range: rows in order of change
        // can span the whole table, and a range then read every handler stored.) An
        // appeal may come more than once.
        let mut positions: std::collections::HashMap<i64, Vec<usize>> = std::collections::HashMap::new();
        for (index, row) in result.iter().enumerate() {
            positions.entry(row.id).or_default().push(index);
        }
        let mut ids: Vec<i64> = positions.keys().copied().collect();
        ids.sort_unstable();
        for chunk in ids.chunks(500) {
            let mut builder = SqlBuilder::for_many_rows(self.dialect, "SELECT appeal_id, unit_id FROM appeal_handlers WHERE appeal_id IN ");
            builder.push_row(true, chunk.iter().map(|id| super::sql::Value::from(*id)));
            for handler in builder.query().fetch_all(&self.pool).await? {
                let appeal_id: i64 = handler.try_get(0)?;
                let unit_id: i64 = handler.try_get(1)?;
                for index in positions.get(&appeal_id).into_iter().flatten() {
                    let row = &mut result[*index];
                    if !row.unit_ids.contains(&unit_id) {
                        row.unit_ids.push(unit_id);
                    }
                }
            }
        }
        Ok(result)
    }

    /// Which of these appeal ids the scope admits (the storage re-check of search hits).
    pub async fn ids_in_scope(&self, ids: &[i64], scope: &Scope) -> Result<Vec<i64>> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let mut builder = SqlBuilder::new("SELECT a.id FROM appeals a WHERE a.id IN (");
        for (index, id) in ids.iter().enumerate() {
            if index > 0 {
                builder.push(", ");
            }
            builder.bind(*id);
        }
        builder.push(")");
        push_scope(&mut builder, scope);
        let rows = builder.query().fetch_all(&self.pool).await?;
        rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
    }
}

async fn insert_rule(transaction: &mut sqlx::Transaction<'static, sqlx::Any>, rule: &ClassifierRule, now_ms: i64) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO classifier_rules (name, category_code, all_of, any_of, none_of, urgent, weight, active, created_ms, updated_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9) RETURNING id",
    )
    .bind(rule.name.as_str())
    .bind(rule.category_code.clone())
    .bind(words_json(&rule.all_of))
    .bind(words_json(&rule.any_of))
    .bind(words_json(&rule.none_of))
    .bind(i64::from(rule.urgent))
    .bind(rule.weight)
    .bind(i64::from(rule.active))
    .bind(now_ms)
    .fetch_one(&mut **transaction)
    .await?;
    Ok(row.try_get(0)?)
}
