//! Work items of the programmes (challenge problems, service orders, ledger tasks,
//! mediation cases), their units and their hash-chained history, and the lists that hold
//! them (challenge lists, task ledgers).
//!
//! The history uses the appeals' chain (`domain::history::event_hash`) with the item's
//! number in place of the appeal's, so `minqing audit verify` checks both alike.

use sqlx::{Any, AnyConnection, Row};

use super::sql::SqlBuilder;
use super::{Db, Result, StorageError};
use crate::domain::access::Scope;
use crate::domain::history::{EventRecord, GENESIS_HASH, StoredEvent, event_hash};
use crate::domain::programme::WorkKind;

/// A work item row.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct WorkItemRecord {
    pub id: i64,
    pub number: String,
    pub kind: WorkKind,
    pub list_id: Option<i64>,
    pub title: String,
    pub body: String,
    pub region_code: String,
    pub owner_unit_id: i64,
    pub lead_unit_id: Option<i64>,
    pub co_unit_ids: Vec<i64>,
    pub assignee_user_id: Option<i64>,
    pub person_name: Option<String>,
    pub requested_by_user_id: Option<i64>,
    pub requester_name: Option<String>,
    pub requester_phone: Option<String>,
    #[serde(skip)]
    pub secret_hash: Option<String>,
    pub appeal_id: Option<i64>,
    pub status: String,
    pub score: Option<f64>,
    pub rating: Option<i64>,
    /// Kind-specific details as JSON (criteria, the service and its window, parties).
    pub attributes: serde_json::Value,
    pub created_ms: i64,
    pub updated_ms: i64,
    pub responded_ms: Option<i64>,
    pub finished_ms: Option<i64>,
    pub respond_due_ms: Option<i64>,
    pub finish_due_ms: Option<i64>,
    pub next_deadline_ms: Option<i64>,
    /// When the item first missed a deadline (it stays late for the record).
    pub late_ms: Option<i64>,
    pub escalated_due_ms: Option<i64>,
    pub press_count: i64,
    pub event_count: i64,
    pub head_hash: String,
    pub version: i64,
}

/// An event to append to an item's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewWorkEvent {
    pub kind: String,
    pub actor: String,
    pub actor_user_id: Option<i64>,
    pub actor_unit_id: Option<i64>,
    pub at_ms: i64,
    pub reason: String,
    pub payload_json: String,
}

/// A stored event of an item.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct WorkEventRow {
    pub seq: i64,
    pub kind: String,
    pub actor: String,
    pub at_ms: i64,
    pub reason: String,
    pub payload: serde_json::Value,
    pub hash: String,
}

/// A challenge list or a task ledger.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ProgrammeList {
    pub id: i64,
    /// `challenge_list` or `task_ledger`.
    pub kind: String,
    pub title: String,
    pub description: String,
    pub region_code: String,
    pub owner_unit_id: i64,
    pub due_ms: Option<i64>,
    pub created_ms: i64,
}

/// A filter for item lists.
#[derive(Debug, Clone, Default)]
pub struct WorkFilter {
    pub kind: Option<WorkKind>,
    pub list_id: Option<i64>,
    pub status: Option<String>,
    pub region_prefix: Option<String>,
    pub unit_id: Option<i64>,
    pub late_only: bool,
    /// Only items the scope admits; `None` for public views (which filter otherwise).
    pub scope: Option<Scope>,
    pub limit: i64,
}

fn corrupt(error: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(error.to_string())
}

const COLUMNS: &str = "id, number, kind, list_id, title, body, region_code, owner_unit_id, lead_unit_id, assignee_user_id, person_name, \
    requested_by_user_id, requester_name, requester_phone, secret_hash, appeal_id, status, score_tenths, rating, attributes, created_ms, updated_ms, \
    responded_ms, finished_ms, respond_due_ms, finish_due_ms, next_deadline_ms, late_ms, escalated_due_ms, press_count, event_count, head_hash, version";

fn item_from_row(row: &sqlx::any::AnyRow) -> Result<WorkItemRecord> {
    let kind: String = row.try_get("kind")?;
    let attributes: String = row.try_get("attributes")?;
    Ok(WorkItemRecord {
        id: row.try_get("id")?,
        number: row.try_get("number")?,
        kind: kind.parse().map_err(corrupt)?,
        list_id: row.try_get("list_id")?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        region_code: row.try_get("region_code")?,
        owner_unit_id: row.try_get("owner_unit_id")?,
        lead_unit_id: row.try_get("lead_unit_id")?,
        co_unit_ids: Vec::new(),
        assignee_user_id: row.try_get("assignee_user_id")?,
        person_name: row.try_get("person_name")?,
        requested_by_user_id: row.try_get("requested_by_user_id")?,
        requester_name: row.try_get("requester_name")?,
        requester_phone: row.try_get("requester_phone")?,
        secret_hash: row.try_get("secret_hash")?,
        appeal_id: row.try_get("appeal_id")?,
        status: row.try_get("status")?,
        score: row.try_get::<Option<i64>, _>("score_tenths")?.map(|tenths| tenths as f64 / 10.0),
        rating: row.try_get("rating")?,
        attributes: serde_json::from_str(&attributes).map_err(corrupt)?,
        created_ms: row.try_get("created_ms")?,
        updated_ms: row.try_get("updated_ms")?,
        responded_ms: row.try_get("responded_ms")?,
        finished_ms: row.try_get("finished_ms")?,
        respond_due_ms: row.try_get("respond_due_ms")?,
        finish_due_ms: row.try_get("finish_due_ms")?,
        next_deadline_ms: row.try_get("next_deadline_ms")?,
        late_ms: row.try_get("late_ms")?,
        escalated_due_ms: row.try_get("escalated_due_ms")?,
        press_count: row.try_get("press_count")?,
        event_count: row.try_get("event_count")?,
        head_hash: row.try_get("head_hash")?,
        version: row.try_get("version")?,
    })
}

async fn co_units<'e, E: sqlx::Executor<'e, Database = Any>>(executor: E, item_id: i64) -> Result<Vec<i64>> {
    let rows = sqlx::query("SELECT unit_id FROM work_item_units WHERE item_id = $1 AND role = 'co' ORDER BY unit_id")
        .bind(item_id)
        .fetch_all(executor)
        .await?;
    rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
}

/// Stores a new item with its first event (`created`). Returns the stored record.
pub async fn insert_item(transaction: &mut AnyConnection, item: &WorkItemRecord, first_event: &NewWorkEvent) -> Result<WorkItemRecord> {
    let first_hash = event_hash(GENESIS_HASH, &record_of(&item.number, 1, first_event));
    let attributes = item.attributes.to_string();
    let row = sqlx::query(
        "INSERT INTO work_items (number, kind, list_id, title, body, region_code, owner_unit_id, lead_unit_id, assignee_user_id, person_name, \
         requested_by_user_id, requester_name, requester_phone, secret_hash, appeal_id, status, attributes, created_ms, updated_ms, \
         respond_due_ms, finish_due_ms, next_deadline_ms, event_count, head_hash, version) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $18, $19, $20, $21, 1, $22, 0) RETURNING id",
    )
    .bind(&item.number)
    .bind(item.kind.as_str())
    .bind(item.list_id)
    .bind(&item.title)
    .bind(&item.body)
    .bind(&item.region_code)
    .bind(item.owner_unit_id)
    .bind(item.lead_unit_id)
    .bind(item.assignee_user_id)
    .bind(&item.person_name)
    .bind(item.requested_by_user_id)
    .bind(&item.requester_name)
    .bind(&item.requester_phone)
    .bind(&item.secret_hash)
    .bind(item.appeal_id)
    .bind(&item.status)
    .bind(&attributes)
    .bind(item.created_ms)
    .bind(item.respond_due_ms)
    .bind(item.finish_due_ms)
    .bind(item.next_deadline_ms)
    .bind(&first_hash)
    .fetch_one(&mut *transaction)
    .await?;
    let mut stored = item.clone();
    stored.id = row.try_get(0)?;
    stored.event_count = 1;
    stored.head_hash = first_hash.clone();
    stored.version = 0;
    insert_event_row(transaction, stored.id, 1, first_event, GENESIS_HASH, &first_hash).await?;
    set_units(transaction, stored.id, stored.lead_unit_id, &stored.co_unit_ids).await?;
    Ok(stored)
}

fn record_of<'a>(number: &'a str, seq: i64, event: &'a NewWorkEvent) -> EventRecord<'a> {
    EventRecord {
        appeal_number: number,
        seq,
        kind: &event.kind,
        actor: &event.actor,
        at_ms: event.at_ms,
        reason: &event.reason,
        payload_json: &event.payload_json,
    }
}

async fn insert_event_row(
    transaction: &mut AnyConnection,
    item_id: i64,
    seq: i64,
    event: &NewWorkEvent,
    prev_hash: &str,
    hash: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO work_item_events (item_id, seq, kind, actor, actor_user_id, actor_unit_id, at_ms, reason, payload, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(item_id)
    .bind(seq)
    .bind(&event.kind)
    .bind(&event.actor)
    .bind(event.actor_user_id)
    .bind(event.actor_unit_id)
    .bind(event.at_ms)
    .bind(&event.reason)
    .bind(&event.payload_json)
    .bind(prev_hash)
    .bind(hash)
    .execute(&mut *transaction)
    .await?;
    Ok(())
}

/// Appends one event to the item's chain and advances the record's head in memory; the
/// caller persists the head with `update_item`.
pub async fn append_item_event(transaction: &mut AnyConnection, item: &mut WorkItemRecord, event: &NewWorkEvent) -> Result<()> {
    let seq = item.event_count + 1;
    let hash = event_hash(&item.head_hash, &record_of(&item.number, seq, event));
    insert_event_row(transaction, item.id, seq, event, &item.head_hash, &hash).await?;
    item.event_count = seq;
    item.head_hash = hash;
    Ok(())
}

/// Replaces an item's lead and co-units.
pub async fn set_units(transaction: &mut AnyConnection, item_id: i64, lead: Option<i64>, co: &[i64]) -> Result<()> {
    sqlx::query("DELETE FROM work_item_units WHERE item_id = $1").bind(item_id).execute(&mut *transaction).await?;
    for (unit, role) in lead.iter().map(|unit| (*unit, "lead")).chain(co.iter().map(|unit| (*unit, "co"))) {
        sqlx::query("INSERT INTO work_item_units (item_id, unit_id, role) VALUES ($1, $2, $3) ON CONFLICT (item_id, unit_id) DO NOTHING")
            .bind(item_id)
            .bind(unit)
            .bind(role)
            .execute(&mut *transaction)
            .await?;
    }
    Ok(())
}

/// Writes the mutable columns if nobody changed the item since it was read.
pub async fn update_item(transaction: &mut AnyConnection, item: &mut WorkItemRecord) -> Result<()> {
    let result = sqlx::query(
        "UPDATE work_items SET lead_unit_id = $1, assignee_user_id = $2, person_name = $3, status = $4, score_tenths = $5, rating = $6, attributes = $7, \
         updated_ms = $8, responded_ms = $9, finished_ms = $10, respond_due_ms = $11, finish_due_ms = $12, next_deadline_ms = $13, late_ms = $14, \
         escalated_due_ms = $15, press_count = $16, event_count = $17, head_hash = $18, version = version + 1 WHERE id = $19 AND version = $20",
    )
    .bind(item.lead_unit_id)
    .bind(item.assignee_user_id)
    .bind(&item.person_name)
    .bind(&item.status)
    .bind(item.score.map(|score| (score * 10.0).round() as i64))
    .bind(item.rating)
    .bind(item.attributes.to_string())
    .bind(item.updated_ms)
    .bind(item.responded_ms)
    .bind(item.finished_ms)
    .bind(item.respond_due_ms)
    .bind(item.finish_due_ms)
    .bind(item.next_deadline_ms)
    .bind(item.late_ms)
    .bind(item.escalated_due_ms)
    .bind(item.press_count)
    .bind(item.event_count)
    .bind(&item.head_hash)
    .bind(item.id)
    .bind(item.version)
    .execute(&mut *transaction)
    .await?;
    if result.rows_affected() != 1 {
        return Err(StorageError::Conflict(format!("{} changed while you were acting on it; reload it and try again", item.number)));
    }
    item.version += 1;
    Ok(())
}

/// Loads an item inside a write transaction.
pub async fn load_item_for_update(transaction: &mut AnyConnection, number: &str) -> Result<WorkItemRecord> {
    let sql = format!("SELECT {COLUMNS} FROM work_items WHERE number = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(number)
        .fetch_optional(&mut *transaction)
        .await?
        .ok_or_else(|| StorageError::NotFound(format!("work item {number}")))?;
    let mut item = item_from_row(&row)?;
    item.co_unit_ids = co_units(&mut *transaction, item.id).await?;
    Ok(item)
}

/// Inserts a challenge list or a task ledger.
pub async fn insert_list(transaction: &mut AnyConnection, list: &ProgrammeList, created_by: i64) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO programme_lists (kind, title, description, region_code, owner_unit_id, due_ms, created_by, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(&list.kind)
    .bind(&list.title)
    .bind(&list.description)
    .bind(&list.region_code)
    .bind(list.owner_unit_id)
    .bind(list.due_ms)
    .bind(created_by)
    .bind(list.created_ms)
    .fetch_one(&mut *transaction)
    .await?;
    Ok(row.try_get(0)?)
}

fn list_from_row(row: &sqlx::any::AnyRow) -> Result<ProgrammeList> {
    Ok(ProgrammeList {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        region_code: row.try_get("region_code")?,
        owner_unit_id: row.try_get("owner_unit_id")?,
        due_ms: row.try_get("due_ms")?,
        created_ms: row.try_get("created_ms")?,
    })
}

impl Db {
    pub async fn work_item(&self, number: &str) -> Result<Option<WorkItemRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM work_items WHERE number = $1");
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(number).fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        let mut item = item_from_row(&row)?;
        item.co_unit_ids = co_units(&self.pool, item.id).await?;
        Ok(Some(item))
    }

    pub async fn work_item_by_id(&self, id: i64) -> Result<Option<WorkItemRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM work_items WHERE id = $1");
        let Some(row) = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await? else {
            return Ok(None);
        };
        let mut item = item_from_row(&row)?;
        item.co_unit_ids = co_units(&self.pool, item.id).await?;
        Ok(Some(item))
    }

    /// Items matching a filter, oldest first (by id).
    pub async fn work_items(&self, filter: &WorkFilter) -> Result<Vec<WorkItemRecord>> {
        let mut builder = SqlBuilder::new(&format!("SELECT {COLUMNS} FROM work_items w WHERE 1 = 1"));
        if let Some(kind) = filter.kind {
            builder.push(" AND kind = ").bind(kind.as_str());
        }
        if let Some(list_id) = filter.list_id {
            builder.push(" AND list_id = ").bind(list_id);
        }
        if let Some(status) = &filter.status {
            builder.push(" AND status = ").bind(status.as_str());
        }
        if let Some(prefix) = &filter.region_prefix {
            push_prefix(&mut builder, prefix);
        }
        if let Some(unit) = filter.unit_id {
            builder
                .push(" AND (owner_unit_id = ")
                .bind(unit)
                .push(" OR id IN (SELECT item_id FROM work_item_units WHERE unit_id = ")
                .bind(unit)
                .push("))");
        }
        if filter.late_only {
            builder.push(" AND late_ms IS NOT NULL");
        }
        match &filter.scope {
            Some(Scope::RegionSubtreeOrHandledBy { region_prefix, unit_id }) => {
                builder
                    .push(" AND (owner_unit_id = ")
                    .bind(*unit_id)
                    .push(" OR id IN (SELECT item_id FROM work_item_units WHERE unit_id = ")
                    .bind(*unit_id)
                    .push(") OR (");
                builder
                    .push("region_code >= ")
                    .bind(region_prefix.as_str())
                    .push(" AND region_code < ")
                    .bind(prefix_bound(region_prefix))
                    .push("))");
            }
            Some(Scope::HandledBy { unit_id }) => {
                builder
                    .push(" AND (owner_unit_id = ")
                    .bind(*unit_id)
                    .push(" OR id IN (SELECT item_id FROM work_item_units WHERE unit_id = ")
                    .bind(*unit_id)
                    .push("))");
            }
            None => {}
        }
        builder.push(" ORDER BY id LIMIT ").bind(filter.limit.clamp(1, 5000));
        let rows = builder.query().fetch_all(&self.pool).await?;
        let mut items: Vec<WorkItemRecord> = rows.iter().map(item_from_row).collect::<Result<_>>()?;
        if !items.is_empty() {
            let ids: Vec<i64> = items.iter().map(|item| item.id).collect();
            let mut units = SqlBuilder::new("SELECT item_id, unit_id FROM work_item_units WHERE role = 'co' AND item_id IN (");
            for (index, id) in ids.iter().enumerate() {
                if index > 0 {
                    units.push(", ");
                }
                units.bind(*id);
            }
            units.push(") ORDER BY unit_id");
            for row in units.query().fetch_all(&self.pool).await? {
                let (item_id, unit_id): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
                if let Some(item) = items.iter_mut().find(|item| item.id == item_id) {
                    item.co_unit_ids.push(unit_id);
                }
            }
        }
        Ok(items)
    }

    pub async fn work_events(&self, item_id: i64) -> Result<Vec<WorkEventRow>> {
        let rows =
            sqlx::query("SELECT seq, kind, actor, at_ms, reason, payload, hash FROM work_item_events WHERE item_id = $1 ORDER BY seq")
                .bind(item_id)
                .fetch_all(&self.pool)
                .await?;
        rows.iter()
            .map(|row| {
                let payload: String = row.try_get("payload")?;
                Ok(WorkEventRow {
                    seq: row.try_get("seq")?,
                    kind: row.try_get("kind")?,
                    actor: row.try_get("actor")?,
                    at_ms: row.try_get("at_ms")?,
                    reason: row.try_get("reason")?,
                    payload: serde_json::from_str(&payload).map_err(corrupt)?,
                    hash: row.try_get("hash")?,
                })
            })
            .collect()
    }

    /// Every item's chain, for the audit: calls `visit(number, head, events)`.
    pub async fn all_work_chains(&self, mut visit: impl FnMut(&str, &str, Vec<StoredEvent>)) -> Result<usize> {
        let items = sqlx::query("SELECT id, number, head_hash FROM work_items ORDER BY id").fetch_all(&self.pool).await?;
        for item in &items {
            let id: i64 = item.try_get("id")?;
            let number: String = item.try_get("number")?;
            let head: String = item.try_get("head_hash")?;
            let rows = sqlx::query(
                "SELECT seq, kind, actor, at_ms, reason, payload, prev_hash, hash FROM work_item_events WHERE item_id = $1 ORDER BY seq",
            )
            .bind(id)
            .fetch_all(&self.pool)
            .await?;
            let events = rows
                .iter()
                .map(|row| {
                    Ok(StoredEvent {
                        appeal_number: number.clone(),
                        seq: row.try_get("seq")?,
                        kind: row.try_get("kind")?,
                        actor: row.try_get("actor")?,
                        at_ms: row.try_get("at_ms")?,
                        reason: row.try_get("reason")?,
                        payload_json: row.try_get("payload")?,
                        prev_hash: row.try_get("prev_hash")?,
                        hash: row.try_get("hash")?,
                    })
                })
                .collect::<Result<Vec<_>>>()?;
            visit(&number, &head, events);
        }
        Ok(items.len())
    }

    /// Items whose running deadline passed and that were not escalated for it yet:
    /// (item id, the deadline).
    pub async fn work_items_past_deadline(&self, now_ms: i64, limit: i64) -> Result<Vec<(i64, i64)>> {
        let rows = sqlx::query(
            "SELECT id, next_deadline_ms FROM work_items WHERE next_deadline_ms <= $1 \
             AND (escalated_due_ms IS NULL OR escalated_due_ms <> next_deadline_ms) ORDER BY next_deadline_ms LIMIT $2",
        )
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok((row.try_get(0)?, row.try_get(1)?))).collect()
    }

    pub async fn programme_list(&self, id: i64) -> Result<Option<ProgrammeList>> {
        let row = sqlx::query(
            "SELECT id, kind, title, description, region_code, owner_unit_id, due_ms, created_ms FROM programme_lists WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(list_from_row).transpose()
    }

    pub async fn programme_lists(&self, kind: &str, region_prefix: Option<&str>) -> Result<Vec<ProgrammeList>> {
        let mut builder = SqlBuilder::new(
            "SELECT id, kind, title, description, region_code, owner_unit_id, due_ms, created_ms FROM programme_lists WHERE kind = ",
        );
        builder.bind(kind);
        if let Some(prefix) = region_prefix {
            push_prefix(&mut builder, prefix);
        }
        builder.push(" ORDER BY id");
        builder.query().fetch_all(&self.pool).await?.iter().map(list_from_row).collect()
    }
}

fn prefix_bound(prefix: &str) -> String {
    super::places::prefix_upper_bound(prefix)
}

fn push_prefix(builder: &mut SqlBuilder, prefix: &str) {
    builder.push(" AND region_code >= ").bind(prefix).push(" AND region_code < ").bind(prefix_bound(prefix));
}
