//! Appeals, their handlers and their hash-chained history.

use sqlx::AssertSqlSafe;
use sqlx::{Any, AnyConnection, Row};

use super::sql::SqlBuilder;
use super::{Db, Result, StorageError};
use crate::domain::access::Scope;
use crate::domain::appeal::{AppealStatus, Channel, Rating, Tier, Triage};
use crate::domain::history::{EventRecord, GENESIS_HASH, StoredEvent, event_hash};

/// The value of `next_deadline_ms` when nothing is due: sorts last, never swept.
pub const NO_DEADLINE: i64 = i64::MAX;

/// An appeal row, with domain types.
#[derive(Debug, Clone, PartialEq)]
pub struct AppealRecord {
    pub id: i64,
    pub number: String,
    pub secret_hash: String,
    pub text: String,
    pub channel: Channel,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub address: Option<String>,
    pub region_code: String,
    pub grid_id: Option<String>,
    pub category_code: Option<String>,
    pub triage: Triage,
    pub tier: Tier,
    pub urgent: bool,
    pub triage_confidence: f64,
    pub triage_reasons: Vec<String>,
    pub needs_triage: bool,
    pub status: AppealStatus,
    pub owner_unit_id: Option<i64>,
    pub lead_unit_id: Option<i64>,
    pub co_unit_ids: Vec<i64>,
    pub extension_pending: bool,
    pub paused: bool,
    pub paused_ms: Option<i64>,
    pub rating: Option<Rating>,
    pub reopen_count: i64,
    pub return_count: i64,
    pub urge_count: i64,
    pub merged_into_id: Option<i64>,
    pub meeting_id: Option<i64>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub received_ms: i64,
    pub updated_ms: i64,
    pub dispatched_ms: Option<i64>,
    pub signed_ms: Option<i64>,
    pub resolved_ms: Option<i64>,
    pub closed_ms: Option<i64>,
    pub sign_due_ms: Option<i64>,
    pub resolve_due_ms: Option<i64>,
    pub next_deadline_ms: i64,
    pub event_count: i64,
    pub head_hash: String,
    pub version: i64,
}

/// An event to append; the storage layer numbers and chains it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEvent {
    pub kind: String,
    pub actor: String,
    pub actor_user_id: Option<i64>,
    pub actor_unit_id: Option<i64>,
    pub at_ms: i64,
    pub reason: String,
    pub payload_json: String,
}

/// A stored event with its chain fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRow {
    pub seq: i64,
    pub kind: String,
    pub actor: String,
    pub actor_user_id: Option<i64>,
    pub actor_unit_id: Option<i64>,
    pub at_ms: i64,
    pub reason: String,
    pub payload_json: String,
    pub prev_hash: String,
    pub hash: String,
}

/// Filters for a list of appeals. Every filter is optional.
#[derive(Debug, Clone, Default)]
pub struct AppealFilter {
    pub statuses: Vec<AppealStatus>,
    pub tier: Option<Tier>,
    pub category_code: Option<String>,
    pub grid_id: Option<String>,
    pub channel: Option<Channel>,
    pub region_prefix: Option<String>,
    pub received_from_ms: Option<i64>,
    pub received_before_ms: Option<i64>,
    /// Only appeals that need a person's triage.
    pub needs_triage: Option<bool>,
    /// Only open appeals the unit leads, co-handles or owns (the unit's queue).
    pub queue_of_unit: Option<i64>,
    /// Only appeals whose next deadline is before this instant.
    pub due_before_ms: Option<i64>,
    /// Only the appeal imported under this source system's number.
    pub source_ref: Option<String>,
}

/// How a list is ordered; the cursor carries the last row's key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppealOrder {
    /// Soonest deadline first; appeals with no deadline last.
    Deadline,
    /// Newest first.
    Newest,
}

/// Where the previous page ended: (sort key, id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AppealCursor {
    pub key: i64,
    pub id: i64,
}

pub(crate) const APPEAL_COLUMNS: &str = "id, number, secret_hash, text, channel, lat, lng, address, region_code, grid_id, category_code, \
    triage, tier, urgent, triage_confidence, triage_reasons, needs_triage, status, owner_unit_id, lead_unit_id, \
    extension_pending, paused, paused_ms, rating_resolution, rating_satisfaction, reopen_count, return_count, urge_count, \
    merged_into_id, meeting_id, contact_name, contact_phone, received_ms, updated_ms, dispatched_ms, signed_ms, resolved_ms, \
    closed_ms, sign_due_ms, resolve_due_ms, next_deadline_ms, event_count, head_hash, version";

pub(super) fn corrupt(error: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(error.to_string())
}

pub(crate) fn appeal_from_row(row: &sqlx::any::AnyRow) -> Result<AppealRecord> {
    let text = |column: &str| -> Result<String> { Ok(row.try_get::<String, _>(column)?) };
    let flag = |column: &str| -> Result<bool> { Ok(row.try_get::<i64, _>(column)? != 0) };
    let rating = match (row.try_get::<Option<String>, _>("rating_resolution")?, row.try_get::<Option<String>, _>("rating_satisfaction")?) {
        (Some(resolution), Some(satisfaction)) => {
            Some(Rating { resolution: resolution.parse().map_err(corrupt)?, satisfaction: satisfaction.parse().map_err(corrupt)? })
        }
        _ => None,
    };
    let reasons: String = text("triage_reasons")?;
    Ok(AppealRecord {
        id: row.try_get("id")?,
        number: text("number")?,
        secret_hash: text("secret_hash")?,
        text: text("text")?,
        channel: text("channel")?.parse().map_err(corrupt)?,
        lat: row.try_get("lat")?,
        lng: row.try_get("lng")?,
        address: row.try_get("address")?,
        region_code: text("region_code")?,
        grid_id: row.try_get("grid_id")?,
        category_code: row.try_get("category_code")?,
        triage: text("triage")?.parse().map_err(corrupt)?,
        tier: text("tier")?.parse().map_err(corrupt)?,
        urgent: flag("urgent")?,
        triage_confidence: row.try_get("triage_confidence")?,
        triage_reasons: serde_json::from_str(&reasons).map_err(corrupt)?,
        needs_triage: flag("needs_triage")?,
        status: text("status")?.parse().map_err(corrupt)?,
        owner_unit_id: row.try_get("owner_unit_id")?,
        lead_unit_id: row.try_get("lead_unit_id")?,
        co_unit_ids: Vec::new(),
        extension_pending: flag("extension_pending")?,
        paused: flag("paused")?,
        paused_ms: row.try_get("paused_ms")?,
        rating,
        reopen_count: row.try_get("reopen_count")?,
        return_count: row.try_get("return_count")?,
        urge_count: row.try_get("urge_count")?,
        merged_into_id: row.try_get("merged_into_id")?,
        meeting_id: row.try_get("meeting_id")?,
        contact_name: row.try_get("contact_name")?,
        contact_phone: row.try_get("contact_phone")?,
        received_ms: row.try_get("received_ms")?,
        updated_ms: row.try_get("updated_ms")?,
        dispatched_ms: row.try_get("dispatched_ms")?,
        signed_ms: row.try_get("signed_ms")?,
        resolved_ms: row.try_get("resolved_ms")?,
        closed_ms: row.try_get("closed_ms")?,
        sign_due_ms: row.try_get("sign_due_ms")?,
        resolve_due_ms: row.try_get("resolve_due_ms")?,
        next_deadline_ms: row.try_get("next_deadline_ms")?,
        event_count: row.try_get("event_count")?,
        head_hash: text("head_hash")?,
        version: row.try_get("version")?,
    })
}

pub(crate) fn event_from_row(row: &sqlx::any::AnyRow) -> Result<EventRow> {
    Ok(EventRow {
        seq: row.try_get("seq")?,
        kind: row.try_get("kind")?,
        actor: row.try_get("actor")?,
        actor_user_id: row.try_get("actor_user_id")?,
        actor_unit_id: row.try_get("actor_unit_id")?,
        at_ms: row.try_get("at_ms")?,
        reason: row.try_get("reason")?,
        payload_json: row.try_get("payload")?,
        prev_hash: row.try_get("prev_hash")?,
        hash: row.try_get("hash")?,
    })
}

/// Takes the next number of the day, atomically on both databases.
pub async fn next_daily_sequence(transaction: &mut AnyConnection, day: &str) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO number_counters (day, last_value) VALUES ($1, 1) \
         ON CONFLICT (day) DO UPDATE SET last_value = number_counters.last_value + 1 RETURNING last_value",
    )
    .bind(day)
    .fetch_one(&mut *transaction)
    .await?;
    Ok(row.try_get(0)?)
}

/// Inserts a new appeal with its first event ("received") and returns its id.
/// The record's `id`, `event_count`, `head_hash` and `version` are ignored and set here.
pub async fn insert_appeal(transaction: &mut AnyConnection, appeal: &AppealRecord, first_event: &NewEvent) -> Result<AppealRecord> {
    let mut builder = SqlBuilder::new("INSERT INTO appeals (");
    builder.push(INSERT_COLUMNS).push(") VALUES ");
    // The first event's hash depends only on the number and the event, so the row can be
    // written with its chain head in one statement.
    let first_hash = first_event_hash(appeal, first_event);
    builder.push_row(true, insert_values(appeal, &first_hash)?);
    builder.push(" RETURNING id");
    let row = builder.query().fetch_one(&mut *transaction).await?;
    let mut stored = appeal.clone();
    stored.id = row.try_get(0)?;
    stored.version = 0;
    insert_event_row(transaction, stored.id, 1, first_event, GENESIS_HASH, &first_hash).await?;
    stored.event_count = 1;
    stored.head_hash = first_hash;
    sync_work_queue(transaction, &stored).await?;
    Ok(stored)
}

/// The columns `insert_appeal` (and the intake batch) write, in the order of `insert_values`.
pub(super) const INSERT_COLUMNS: &str = "number, secret_hash, text, channel, lat, lng, address, region_code, grid_id, category_code, \
     triage, tier, urgent, triage_confidence, triage_reasons, needs_triage, status, owner_unit_id, lead_unit_id, meeting_id, \
     contact_name, contact_phone, received_ms, updated_ms, sign_due_ms, resolve_due_ms, next_deadline_ms, event_count, head_hash, version";

/// The hash of an appeal's first event: it depends only on the number and the event.
pub(super) fn first_event_hash(appeal: &AppealRecord, first_event: &NewEvent) -> String {
    event_hash(
        GENESIS_HASH,
        &EventRecord {
            appeal_number: &appeal.number,
            seq: 1,
            kind: &first_event.kind,
            actor: &first_event.actor,
            at_ms: first_event.at_ms,
            reason: &first_event.reason,
            payload_json: &first_event.payload_json,
        },
    )
}

/// The values of a new appeal's row, in the order of `INSERT_COLUMNS`.
pub(super) fn insert_values(appeal: &AppealRecord, first_hash: &str) -> Result<Vec<super::sql::Value>> {
    let reasons = serde_json::to_string(&appeal.triage_reasons).map_err(corrupt)?;
    Ok(vec![
        appeal.number.clone().into(),
        appeal.secret_hash.clone().into(),
        appeal.text.clone().into(),
        appeal.channel.as_str().into(),
        appeal.lat.into(),
        appeal.lng.into(),
        appeal.address.clone().into(),
        appeal.region_code.clone().into(),
        appeal.grid_id.clone().into(),
        appeal.category_code.clone().into(),
        appeal.triage.as_str().into(),
        appeal.tier.as_str().into(),
        i64::from(appeal.urgent).into(),
        appeal.triage_confidence.into(),
        reasons.into(),
        i64::from(appeal.needs_triage).into(),
        appeal.status.as_str().into(),
        appeal.owner_unit_id.into(),
        appeal.lead_unit_id.into(),
        appeal.meeting_id.into(),
        appeal.contact_name.clone().into(),
        appeal.contact_phone.clone().into(),
        appeal.received_ms.into(),
        appeal.updated_ms.into(),
        appeal.sign_due_ms.into(),
        appeal.resolve_due_ms.into(),
        appeal.next_deadline_ms.into(),
        1_i64.into(),
        first_hash.to_string().into(),
        0_i64.into(),
    ])
}

/// The hash of the event that would follow the appeal's current head (sequence number
/// `event_count + 1`).
pub fn next_event_hash(appeal: &AppealRecord, event: &NewEvent) -> String {
    event_hash(
        &appeal.head_hash,
        &EventRecord {
            appeal_number: &appeal.number,
            seq: appeal.event_count + 1,
            kind: &event.kind,
            actor: &event.actor,
            at_ms: event.at_ms,
            reason: &event.reason,
            payload_json: &event.payload_json,
        },
    )
}

/// Appends one event to the appeal's chain and advances the record's head in memory.
/// The caller persists the head with `update_appeal` (or `insert_appeal` does).
pub async fn append_event(transaction: &mut AnyConnection, appeal: &mut AppealRecord, event: &NewEvent) -> Result<()> {
    let seq = appeal.event_count + 1;
    let hash = next_event_hash(appeal, event);
    insert_event_row(transaction, appeal.id, seq, event, &appeal.head_hash, &hash).await?;
    appeal.event_count = seq;
    appeal.head_hash = hash;
    Ok(())
}

async fn insert_event_row(
    transaction: &mut AnyConnection,
    appeal_id: i64,
    seq: i64,
    event: &NewEvent,
    prev_hash: &str,
    hash: &str,
) -> Result<()> {
    sqlx::query(
        "INSERT INTO appeal_events (appeal_id, seq, kind, actor, actor_user_id, actor_unit_id, at_ms, reason, payload, prev_hash, hash) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(appeal_id)
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

/// Writes every mutable column of the appeal, if nobody else changed it since it was
/// read (`version` must still match). Bumps the version in the record.
pub async fn update_appeal(transaction: &mut AnyConnection, appeal: &mut AppealRecord) -> Result<()> {
    let (resolution, satisfaction) = match appeal.rating {
        Some(rating) => (Some(rating.resolution.as_str()), Some(rating.satisfaction.as_str())),
        None => (None, None),
    };
    let reasons = serde_json::to_string(&appeal.triage_reasons).map_err(corrupt)?;
    let mut builder = SqlBuilder::new("UPDATE appeals SET ");
    let assignments: Vec<(&str, super::sql::Value)> = vec![
        ("region_code", appeal.region_code.clone().into()),
        ("grid_id", appeal.grid_id.clone().into()),
        ("category_code", appeal.category_code.clone().into()),
        ("triage", appeal.triage.as_str().into()),
        ("tier", appeal.tier.as_str().into()),
        ("urgent", i64::from(appeal.urgent).into()),
        ("triage_confidence", appeal.triage_confidence.into()),
        ("triage_reasons", reasons.into()),
        ("needs_triage", i64::from(appeal.needs_triage).into()),
        ("status", appeal.status.as_str().into()),
        ("owner_unit_id", appeal.owner_unit_id.into()),
        ("lead_unit_id", appeal.lead_unit_id.into()),
        ("extension_pending", i64::from(appeal.extension_pending).into()),
        ("paused", i64::from(appeal.paused).into()),
        ("paused_ms", appeal.paused_ms.into()),
        ("rating_resolution", resolution.into()),
        ("rating_satisfaction", satisfaction.into()),
        ("reopen_count", appeal.reopen_count.into()),
        ("return_count", appeal.return_count.into()),
        ("urge_count", appeal.urge_count.into()),
        ("merged_into_id", appeal.merged_into_id.into()),
        ("updated_ms", appeal.updated_ms.into()),
        ("dispatched_ms", appeal.dispatched_ms.into()),
        ("signed_ms", appeal.signed_ms.into()),
        ("resolved_ms", appeal.resolved_ms.into()),
        ("closed_ms", appeal.closed_ms.into()),
        ("sign_due_ms", appeal.sign_due_ms.into()),
        ("resolve_due_ms", appeal.resolve_due_ms.into()),
        ("next_deadline_ms", appeal.next_deadline_ms.into()),
        ("event_count", appeal.event_count.into()),
        ("head_hash", appeal.head_hash.clone().into()),
        ("version", (appeal.version + 1).into()),
    ];
    for (index, (column, value)) in assignments.into_iter().enumerate() {
        if index > 0 {
            builder.push(", ");
        }
        builder.push(column).push(" = ").bind(value);
    }
    builder.push(" WHERE id = ").bind(appeal.id).push(" AND version = ").bind(appeal.version);
    let done = builder.query().execute(&mut *transaction).await?;
    if done.rows_affected() != 1 {
        return Err(StorageError::Conflict(format!(
            "appeal {} was changed by someone else at the same moment; reload it and try again",
            appeal.number
        )));
    }
    appeal.version += 1;
    sync_work_queue(transaction, appeal).await?;
    Ok(())
}

/// Keeps the unit work queues in step with an appeal: while it is open, its owner, lead
/// and co-handlers each have one entry keyed by the next deadline; once it is no longer
/// open, it leaves every queue. The queues make "my open appeals by deadline" an index
/// range scan whatever the number of appeals stored.
pub async fn sync_work_queue(transaction: &mut AnyConnection, appeal: &AppealRecord) -> Result<()> {
    sqlx::query("DELETE FROM work_queue WHERE appeal_id = $1").bind(appeal.id).execute(&mut *transaction).await?;
    if !appeal.status.is_open() {
        return Ok(());
    }
    let mut units: Vec<i64> =
        appeal.owner_unit_id.into_iter().chain(appeal.lead_unit_id).chain(appeal.co_unit_ids.iter().copied()).collect();
    units.sort_unstable();
    units.dedup();
    for unit_id in units {
        sqlx::query("INSERT INTO work_queue (unit_id, appeal_id, due_ms) VALUES ($1, $2, $3)")
            .bind(unit_id)
            .bind(appeal.id)
            .bind(appeal.next_deadline_ms)
            .execute(&mut *transaction)
            .await?;
    }
    Ok(())
}

/// Replaces the appeal's current handlers. Units that handled it before stay recorded
/// as `former`, so a department keeps seeing what was once dispatched to it.
pub async fn set_handlers(transaction: &mut AnyConnection, appeal_id: i64, lead: Option<i64>, co: &[i64]) -> Result<()> {
    sqlx::query("UPDATE appeal_handlers SET role = 'former' WHERE appeal_id = $1").bind(appeal_id).execute(&mut *transaction).await?;
    let current = lead.into_iter().map(|unit| (unit, "lead")).chain(co.iter().map(|unit| (*unit, "co")));
    for (unit_id, role) in current {
        sqlx::query(
            "INSERT INTO appeal_handlers (appeal_id, unit_id, role) VALUES ($1, $2, $3) \
             ON CONFLICT (appeal_id, unit_id) DO UPDATE SET role = excluded.role",
        )
        .bind(appeal_id)
        .bind(unit_id)
        .bind(role)
        .execute(&mut *transaction)
        .await?;
    }
    Ok(())
}

async fn co_handlers<'e, E: sqlx::Executor<'e, Database = Any>>(executor: E, appeal_id: i64) -> Result<Vec<i64>> {
    let rows = sqlx::query("SELECT unit_id FROM appeal_handlers WHERE appeal_id = $1 AND role = 'co' ORDER BY unit_id")
        .bind(appeal_id)
        .fetch_all(executor)
        .await?;
    rows.iter().map(|row| Ok(row.try_get::<i64, _>(0)?)).collect()
}

/// The co-handlers of many appeals at once, by appeal id (each list sorted).
pub(super) async fn co_handlers_of_many(
    transaction: &mut AnyConnection,
    appeal_ids: &[i64],
) -> Result<std::collections::HashMap<i64, Vec<i64>>> {
    let dialect = super::Dialect::of(transaction);
    let mut found: std::collections::HashMap<i64, Vec<i64>> = std::collections::HashMap::new();
    for chunk in appeal_ids.chunks(500) {
        let mut builder =
            SqlBuilder::for_many_rows(dialect, "SELECT appeal_id, unit_id FROM appeal_handlers WHERE role = 'co' AND appeal_id IN ");
        builder.push_row(true, chunk.iter().map(|id| super::sql::Value::from(*id)));
        builder.push(" ORDER BY appeal_id, unit_id");
        for row in builder.query().fetch_all(&mut *transaction).await? {
            found.entry(row.try_get::<i64, _>(0)?).or_default().push(row.try_get::<i64, _>(1)?);
        }
    }
    Ok(found)
}

/// Loads an appeal inside a write transaction (with its co-handlers).
pub async fn load_for_update(transaction: &mut AnyConnection, number: &str) -> Result<AppealRecord> {
    let sql = format!("SELECT {APPEAL_COLUMNS} FROM appeals WHERE number = $1");
    let row = sqlx::query(AssertSqlSafe(sql))
        .bind(number)
        .fetch_optional(&mut *transaction)
        .await?
        .ok_or_else(|| StorageError::NotFound(format!("appeal {number}")))?;
    let mut appeal = appeal_from_row(&row)?;
    appeal.co_unit_ids = co_handlers(&mut *transaction, appeal.id).await?;
    Ok(appeal)
}

/// Loads an appeal by id inside a write transaction (with its co-handlers), if it exists.
pub async fn load_by_id_in(transaction: &mut AnyConnection, id: i64) -> Result<Option<AppealRecord>> {
    let sql = format!("SELECT {APPEAL_COLUMNS} FROM appeals WHERE id = $1");
    let Some(row) = sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *transaction).await? else {
        return Ok(None);
    };
    let mut appeal = appeal_from_row(&row)?;
    appeal.co_unit_ids = co_handlers(&mut *transaction, appeal.id).await?;
    Ok(Some(appeal))
}

/// Stores the response to an idempotent request, inside the request's transaction.
pub async fn store_idempotent_response(
    transaction: &mut AnyConnection,
    key: &str,
    request_hash: &str,
    status: u16,
    body: &str,
    now_ms: i64,
) -> Result<()> {
    sqlx::query("INSERT INTO idempotency_keys (key, request_hash, status, body, created_ms) VALUES ($1, $2, $3, $4, $5)")
        .bind(key)
        .bind(request_hash)
        .bind(i64::from(status))
        .bind(body)
        .bind(now_ms)
        .execute(&mut *transaction)
        .await?;
    Ok(())
}

impl Db {
    pub async fn appeal_by_number(&self, number: &str) -> Result<Option<AppealRecord>> {
        let sql = format!("SELECT {APPEAL_COLUMNS} FROM appeals WHERE number = $1");
        let row = sqlx::query(AssertSqlSafe(sql)).bind(number).fetch_optional(&self.pool).await?;
        match row {
            None => Ok(None),
            Some(row) => {
                let mut appeal = appeal_from_row(&row)?;
                appeal.co_unit_ids = co_handlers(&self.pool, appeal.id).await?;
                Ok(Some(appeal))
            }
        }
    }

    pub async fn appeal_by_id(&self, id: i64) -> Result<Option<AppealRecord>> {
        let sql = format!("SELECT {APPEAL_COLUMNS} FROM appeals WHERE id = $1");
        let row = sqlx::query(AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.map(|row| appeal_from_row(&row)).transpose()
    }

    /// Appeals merged into this one.
    pub async fn duplicates_of(&self, primary_id: i64) -> Result<Vec<AppealRecord>> {
        let sql = format!("SELECT {APPEAL_COLUMNS} FROM appeals WHERE merged_into_id = $1 ORDER BY id");
        let rows = sqlx::query(AssertSqlSafe(sql)).bind(primary_id).fetch_all(&self.pool).await?;
        rows.iter().map(appeal_from_row).collect()
    }

    /// Every unit that ever handled the appeal: (unit id, role).
    pub async fn handlers_of(&self, appeal_id: i64) -> Result<Vec<(i64, String)>> {
        let rows = sqlx::query("SELECT unit_id, role FROM appeal_handlers WHERE appeal_id = $1 ORDER BY unit_id")
            .bind(appeal_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| Ok((row.try_get(0)?, row.try_get(1)?))).collect()
    }

    pub async fn events_of(&self, appeal_id: i64) -> Result<Vec<EventRow>> {
        let rows = sqlx::query(
            "SELECT seq, kind, actor, actor_user_id, actor_unit_id, at_ms, reason, payload, prev_hash, hash \
             FROM appeal_events WHERE appeal_id = $1 ORDER BY seq",
        )
        .bind(appeal_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(event_from_row).collect()
    }

    /// A page of appeals in a scope, filtered and ordered, after `cursor`.
    pub async fn list_appeals(
        &self,
        scope: Option<&Scope>,
        filter: &AppealFilter,
        order: AppealOrder,
        cursor: Option<AppealCursor>,
        limit: i64,
    ) -> Result<Vec<AppealRecord>> {
        // A unit's queue sorted by deadline reads the work queue's index in order, so a page
        // costs the same with a thousand appeals stored or ten million.
        let queue_unit = filter.queue_of_unit.filter(|_| order == AppealOrder::Deadline);
        let mut builder = match queue_unit {
            Some(unit) => {
                let mut builder = SqlBuilder::new(&format!(
                    "SELECT {APPEAL_COLUMNS} FROM work_queue wq JOIN appeals a ON a.id = wq.appeal_id WHERE wq.unit_id = "
                ));
                builder.bind(unit);
                builder
            }
            None => SqlBuilder::new(&format!("SELECT {APPEAL_COLUMNS} FROM appeals a WHERE 1 = 1")),
        };
        // Walking a queue in order, the scope's check must stay a check of each row the walk
        // meets. PostgreSQL would otherwise turn the `EXISTS` into a join and, once its
        // statistics underestimate how many rows match (after an ANALYZE), join the whole
        // queue and sort it: 39 ms instead of 0.4 ms for a page of a department's 3,000
        // open appeals. `OFFSET 0` keeps a subquery from being pulled up.
        let fence = match (queue_unit, self.dialect) {
            (Some(_), super::Dialect::Postgres) => " OFFSET 0",
            _ => "",
        };
        match scope {
            None => {}
            Some(Scope::RegionSubtreeOrHandledBy { region_prefix, unit_id }) => {
                builder.push(" AND ((a.region_code >= ").bind(region_prefix.as_str());
                builder.push(" AND a.region_code < ").bind(super::places::prefix_upper_bound(region_prefix));
                builder.push(") OR a.owner_unit_id = ").bind(*unit_id);
                builder.push(" OR EXISTS (SELECT 1 FROM appeal_handlers h WHERE h.appeal_id = a.id AND h.unit_id = ").bind(*unit_id);
                builder.push(fence).push("))");
            }
            Some(Scope::HandledBy { unit_id }) => {
                builder.push(" AND EXISTS (SELECT 1 FROM appeal_handlers h WHERE h.appeal_id = a.id AND h.unit_id = ").bind(*unit_id);
                builder.push(fence).push(")");
            }
        }
        if !filter.statuses.is_empty() {
            builder.push(" AND a.status IN (");
            for (index, status) in filter.statuses.iter().enumerate() {
                if index > 0 {
                    builder.push(", ");
                }
                builder.bind(status.as_str());
            }
            builder.push(")");
        }
        if let Some(tier) = filter.tier {
            builder.push(" AND a.tier = ").bind(tier.as_str());
        }
        if let Some(category) = &filter.category_code {
            builder.push(" AND a.category_code = ").bind(category.as_str());
        }
        if let Some(grid) = &filter.grid_id {
            builder.push(" AND a.grid_id = ").bind(grid.as_str());
        }
        if let Some(channel) = filter.channel {
            builder.push(" AND a.channel = ").bind(channel.as_str());
        }
        if let Some(prefix) = &filter.region_prefix {
            builder.push(" AND a.region_code >= ").bind(prefix.as_str());
            builder.push(" AND a.region_code < ").bind(super::places::prefix_upper_bound(prefix));
        }
        if let Some(from) = filter.received_from_ms {
            builder.push(" AND a.received_ms >= ").bind(from);
        }
        if let Some(before) = filter.received_before_ms {
            builder.push(" AND a.received_ms < ").bind(before);
        }
        if let Some(needs) = filter.needs_triage {
            builder.push(" AND a.needs_triage = ").bind(i64::from(needs));
        }
        if let Some(unit) = filter.queue_of_unit.filter(|_| queue_unit.is_none()) {
            builder.push(" AND a.status IN ('received', 'accepted', 'dispatched', 'signed_for', 'in_progress', 'returned')");
            builder.push(" AND (a.owner_unit_id = ").bind(unit);
            builder
                .push(" OR EXISTS (SELECT 1 FROM appeal_handlers q WHERE q.appeal_id = a.id AND q.role <> 'former' AND q.unit_id = ")
                .bind(unit);
            builder.push("))");
        }
        if let Some(due) = filter.due_before_ms {
            builder.push(" AND a.next_deadline_ms < ").bind(due);
        }
        if let Some(source_ref) = &filter.source_ref {
            builder.push(" AND a.source_ref = ").bind(source_ref.as_str());
        }
        match (order, cursor) {
            (AppealOrder::Deadline, Some(cursor)) if queue_unit.is_some() => {
                builder.push(" AND (wq.due_ms > ").bind(cursor.key);
                builder.push(" OR (wq.due_ms = ").bind(cursor.key);
                builder.push(" AND wq.appeal_id > ").bind(cursor.id).push("))");
            }
            (AppealOrder::Deadline, Some(cursor)) => {
                builder.push(" AND (a.next_deadline_ms > ").bind(cursor.key);
                builder.push(" OR (a.next_deadline_ms = ").bind(cursor.key);
                builder.push(" AND a.id > ").bind(cursor.id).push("))");
            }
            (AppealOrder::Newest, Some(cursor)) => {
                builder.push(" AND (a.received_ms < ").bind(cursor.key);
                builder.push(" OR (a.received_ms = ").bind(cursor.key);
                builder.push(" AND a.id < ").bind(cursor.id).push("))");
            }
            (_, None) => {}
        }
        builder.push(match (order, queue_unit) {
            (AppealOrder::Deadline, Some(_)) => " ORDER BY wq.due_ms, wq.appeal_id",
            (AppealOrder::Deadline, None) => " ORDER BY a.next_deadline_ms, a.id",
            (AppealOrder::Newest, _) => " ORDER BY a.received_ms DESC, a.id DESC",
        });
        builder.push(" LIMIT ").bind(limit);
        let rows = builder.query().fetch_all(&self.pool).await?;
        rows.iter().map(appeal_from_row).collect()
    }

    /// The stored response of an earlier request with this idempotency key:
    /// (request hash, status, body).
    pub async fn idempotent_response(&self, key: &str) -> Result<Option<(String, u16, String)>> {
        let row = sqlx::query("SELECT request_hash, status, body FROM idempotency_keys WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| {
            let status: i64 = row.try_get("status")?;
            Ok((row.try_get("request_hash")?, u16::try_from(status).unwrap_or(200), row.try_get("body")?))
        })
        .transpose()
    }

    pub async fn count_appeals(&self) -> Result<i64> {
        Ok(sqlx::query("SELECT COUNT(*) FROM appeals").fetch_one(&self.pool).await?.try_get(0)?)
    }

    /// Every event of every appeal in chain order, for the audit.
    pub async fn all_chains(&self, mut visit: impl FnMut(&str, &str, Vec<StoredEvent>)) -> Result<usize> {
        let appeals = sqlx::query("SELECT id, number, head_hash FROM appeals ORDER BY id").fetch_all(&self.pool).await?;
        for appeal in &appeals {
            let id: i64 = appeal.try_get("id")?;
            let number: String = appeal.try_get("number")?;
            let head: String = appeal.try_get("head_hash")?;
            let events = self
                .events_of(id)
                .await?
                .into_iter()
                .map(|event| StoredEvent {
                    appeal_number: number.clone(),
                    seq: event.seq,
                    kind: event.kind,
                    actor: event.actor,
                    at_ms: event.at_ms,
                    reason: event.reason,
                    payload_json: event.payload_json,
                    prev_hash: event.prev_hash,
                    hash: event.hash,
                })
                .collect();
            visit(&number, &head, events);
        }
        Ok(appeals.len())
    }
}

/// The payload of the newest event of a kind, inside a transaction.
pub async fn last_event_payload(transaction: &mut AnyConnection, appeal_id: i64, kind: &str) -> Result<Option<String>> {
    let row = sqlx::query("SELECT payload FROM appeal_events WHERE appeal_id = $1 AND kind = $2 ORDER BY seq DESC LIMIT 1")
        .bind(appeal_id)
        .bind(kind)
        .fetch_optional(&mut *transaction)
        .await?;
    Ok(row.map(|row| row.try_get(0)).transpose()?)
}

/// Numbers of the appeals merged into a primary, inside a transaction.
pub async fn duplicate_numbers(transaction: &mut AnyConnection, primary_id: i64) -> Result<Vec<String>> {
    let rows = sqlx::query("SELECT number FROM appeals WHERE merged_into_id = $1 ORDER BY id")
        .bind(primary_id)
        .fetch_all(&mut *transaction)
        .await?;
    rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
}

impl Db {
    /// The largest appeal id in use (0 when there is none).
    pub async fn max_appeal_id(&self) -> Result<i64> {
        let row = sqlx::query("SELECT COALESCE(MAX(id), 0) FROM appeals").fetch_one(&self.pool).await?;
        Ok(row.try_get(0)?)
    }

    /// The number counters of every day that has one.
    pub async fn number_counters(&self) -> Result<std::collections::HashMap<String, i64>> {
        let rows = sqlx::query("SELECT day, last_value FROM number_counters").fetch_all(&self.pool).await?;
        rows.iter().map(|row| Ok((row.try_get(0)?, row.try_get(1)?))).collect()
    }

    /// Sets day counters after bulk seeding (which started from `number_counters`), and
    /// moves PostgreSQL's identity sequence past ids given explicitly, so new appeals never
    /// reuse a number or an id.
    pub async fn store_seeded_counters(&self, counters: &std::collections::HashMap<String, i64>) -> Result<()> {
        let mut transaction = self.begin_write().await?;
        for (day, last) in counters {
            sqlx::query(
                "INSERT INTO number_counters (day, last_value) VALUES ($1, $2) \
                 ON CONFLICT (day) DO UPDATE SET last_value = excluded.last_value",
            )
            .bind(day)
            .bind(*last)
            .execute(&mut *transaction)
            .await?;
        }
        if self.dialect == super::Dialect::Postgres {
            sqlx::query("SELECT setval(pg_get_serial_sequence('appeals', 'id'), (SELECT COALESCE(MAX(id), 1) FROM appeals))")
                .execute(&mut *transaction)
                .await?;
        }
        transaction.commit().await?;
        Ok(())
    }
}
