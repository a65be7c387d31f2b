//! Realistic volumes, fast: `minqing bench seed --appeals N`.
//!
//! Appeals are spread over the past year across every grid, category, tier and channel
//! of the loaded county; a configurable share is still open (dispatched to a department
//! or village, with deadlines, some overdue). Rows go in with multi-row INSERTs in large
//! transactions, each appeal with a valid one-event hash chain, so `audit verify` passes.

use std::time::Instant;

use crate::domain::access::UnitKind;
use crate::domain::appeal::{AppealNumber, AppealStatus, Channel, Tier, Triage};
use crate::domain::history::{EventRecord, GENESIS_HASH, event_hash};
use crate::service::Hub;
use crate::storage::appeals::NO_DEADLINE;
use crate::storage::sql::{SqlBuilder, Value};

/// A tiny deterministic PRNG (xorshift64*), so seeded data is the same every time.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        Rng(seed.max(1))
    }
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next() % 1_000_000) as f64 / 1_000_000.0 < p
    }
}

/// Rows per INSERT statement.
const ROWS_PER_STATEMENT: usize = 200;
/// Rows per transaction.
const ROWS_PER_TRANSACTION: usize = 20_000;

const TEXTS: &[&str] = &[
    "小区路灯坏了好几天，晚上出行不安全",
    "楼上漏水，家里天花板一直在滴水",
    "村里的水渠堵塞，灌溉用水不够",
    "路面坑洼很多，雨天积水严重",
    "垃圾好几天没人清运，气味很大",
    "邻居装修噪音太大，影响休息",
    "低保申请交了材料一直没有消息",
    "村口的护栏坏了，孩子上学不安全",
];

/// Seeds `count` appeals; `open_share` of them are still open. Returns the count.
///
/// Open appeals are recent (received in the last 20 days) and their running deadline is
/// still ahead, as in a county that keeps up; exactly `overdue` of them (the first open
/// ones generated) are past it, for the escalation benchmark.
pub async fn seed_appeals(hub: &Hub, count: usize, open_share: f64, overdue: usize, seed: u64) -> anyhow::Result<usize> {
    let mut overdue_left = overdue;
    let grids = hub.db.all_grids().await?;
    if grids.is_empty() {
        anyhow::bail!("the database has no grids; run `minqing serve --demo` once (or import a county) before seeding");
    }
    let units = hub.db.units().await?;
    let departments: Vec<i64> = units.iter().filter(|unit| unit.kind == UnitKind::Department).map(|unit| unit.id).collect();
    let village_units: std::collections::HashMap<String, i64> =
        units.iter().filter(|unit| unit.kind == UnitKind::VillageOrganisation).map(|unit| (unit.region_code.clone(), unit.id)).collect();
    let categories = hub.category_list();
    let leaf_categories: Vec<String> =
        categories.iter().filter(|category| category.parent_code.is_some()).map(|category| category.code.clone()).collect();
    let now = hub.clock.now_ms();
    let year_ms: i64 = 365 * 24 * 3_600_000;
    let mut rng = Rng::new(seed);
    // Numbers continue after whatever each day already has.
    let mut day_counters = hub.db.number_counters().await?;
    let started = Instant::now();
    let mut written = 0usize;
    let first_id = next_appeal_id(hub).await?;
    while written < count {
        let in_transaction = (count - written).min(ROWS_PER_TRANSACTION);
        let mut transaction = hub.db.begin_write().await?;
        let mut done_here = 0;
        while done_here < in_transaction {
            let rows = (in_transaction - done_here).min(ROWS_PER_STATEMENT);
            let mut appeals = SqlBuilder::new(
                "INSERT INTO appeals (id, number, secret_hash, text, channel, lat, lng, region_code, grid_id, category_code, triage, tier, urgent, \
                 triage_confidence, triage_reasons, needs_triage, status, owner_unit_id, lead_unit_id, received_ms, updated_ms, dispatched_ms, \
                 signed_ms, resolved_ms, closed_ms, sign_due_ms, resolve_due_ms, next_deadline_ms, rating_resolution, rating_satisfaction, \
                 event_count, head_hash, version) VALUES ",
            );
            let mut events =
                SqlBuilder::new("INSERT INTO appeal_events (appeal_id, seq, kind, actor, at_ms, reason, payload, prev_hash, hash) VALUES ");
            let mut handlers = SqlBuilder::new("INSERT INTO appeal_handlers (appeal_id, unit_id, role) VALUES ");
            let mut handler_rows = 0;
            let mut queue = SqlBuilder::new("INSERT INTO work_queue (unit_id, appeal_id, due_ms) VALUES ");
            let mut queue_rows = 0;
            for row in 0..rows {
                let id = first_id + (written + done_here + row) as i64;
                let grid = &grids[rng.below(grids.len())];
                let open = rng.chance(open_share);
                let late = open && overdue_left > 0;
                if late {
                    overdue_left -= 1;
                }
                let received =
                    if open { now - (rng.next() % (20 * 86_400_000)) as i64 } else { now - (rng.next() % year_ms as u64) as i64 };
                let local = jiff::Timestamp::from_millisecond(received)?.to_zoned(hub.calendar.time_zone().clone()).date();
                let day = local.strftime("%Y%m%d").to_string();
                let sequence = {
                    let counter = day_counters.entry(day).or_insert(0);
                    *counter += 1;
                    *counter
                };
                let number = AppealNumber::new(local, sequence).to_string();
                let tier = Tier::ALL[rng.below(4)];
                let triage = match tier {
                    Tier::Green => Triage::Private,
                    Tier::Blue => Triage::Small,
                    _ => Triage::Big,
                };
                let status = if open {
                    [AppealStatus::Dispatched, AppealStatus::SignedFor, AppealStatus::InProgress, AppealStatus::Received][rng.below(4)]
                } else {
                    [AppealStatus::Closed, AppealStatus::Rated, AppealStatus::Closed, AppealStatus::Rejected][rng.below(4)]
                };
                let lead = if status == AppealStatus::Received {
                    None
                } else if tier == Tier::Blue || tier == Tier::Green {
                    village_units.get(&grid.region_code).copied()
                } else {
                    departments.get(rng.below(departments.len().max(1))).copied()
                };
                let owner = village_units.get(&grid.region_code).copied();
                let dispatched = (status != AppealStatus::Received).then_some(received + 3_600_000);
                let resolved = (!open && status != AppealStatus::Rejected).then_some(received + (1 + rng.below(15) as i64) * 86_400_000);
                let (sign_due, resolve_due) = if !open {
                    (received + 4 * 3_600_000 + (rng.below(3) as i64) * 86_400_000, received + (3 + rng.below(15) as i64) * 86_400_000)
                } else if late {
                    let past = now - 60_000 - (rng.next() % (5 * 86_400_000)) as i64;
                    (past, past)
                } else {
                    let ahead = now + 3_600_000 + (rng.next() % (15 * 86_400_000)) as i64;
                    (ahead, ahead + 86_400_000)
                };
                let next_deadline = match status {
                    AppealStatus::Received | AppealStatus::Dispatched => sign_due,
                    AppealStatus::SignedFor | AppealStatus::InProgress => resolve_due,
                    _ => NO_DEADLINE,
                };
                let (resolution, satisfaction) = if matches!(status, AppealStatus::Rated | AppealStatus::Closed) {
                    let satisfied = rng.chance(0.85);
                    (Some(if satisfied { "resolved" } else { "partly" }), Some(if satisfied { "satisfied" } else { "dissatisfied" }))
                } else {
                    (None, None)
                };
                let text = TEXTS[rng.below(TEXTS.len())];
                let channel = Channel::ALL[rng.below(Channel::ALL.len() - 1)];
                let payload = "{}";
                let hash = event_hash(
                    GENESIS_HASH,
                    &EventRecord {
                        appeal_number: &number,
                        seq: 1,
                        kind: "received",
                        actor: "seed",
                        at_ms: received,
                        reason: "seeded",
                        payload_json: payload,
                    },
                );
                let values: Vec<Value> = vec![
                    id.into(),
                    number.clone().into(),
                    "0".into(),
                    text.into(),
                    channel.as_str().into(),
                    Value::Real(None),
                    Value::Real(None),
                    grid.region_code.clone().into(),
                    Some(grid.id.clone()).into(),
                    Some(leaf_categories[rng.below(leaf_categories.len())].clone()).into(),
                    triage.as_str().into(),
                    tier.as_str().into(),
                    0_i64.into(),
                    0.9_f64.into(),
                    "[]".into(),
                    0_i64.into(),
                    status.as_str().into(),
                    owner.into(),
                    lead.into(),
                    received.into(),
                    resolved.unwrap_or(received).into(),
                    dispatched.into(),
                    dispatched.map(|at| at + 1_800_000).into(),
                    resolved.into(),
                    (status == AppealStatus::Closed).then(|| resolved.unwrap_or(received) + 86_400_000).into(),
                    Some(sign_due).into(),
                    Some(resolve_due).into(),
                    next_deadline.into(),
                    resolution.map(str::to_string).into(),
                    satisfaction.map(str::to_string).into(),
                    1_i64.into(),
                    hash.clone().into(),
                    0_i64.into(),
                ];
                appeals.push(if row == 0 { "(" } else { ", (" });
                for (index, value) in values.into_iter().enumerate() {
                    if index > 0 {
                        appeals.push(", ");
                    }
                    appeals.push(&literal(value));
                }
                appeals.push(")");
                events.push(if row == 0 { "(" } else { ", (" });
                events.push(&literal(id)).push(", 1, 'received', 'seed', ").push(&literal(received)).push(", 'seeded', '{}', ");
                events.push(&literal(GENESIS_HASH)).push(", ").push(&literal(hash)).push(")");
                if status.is_open() {
                    let mut queued: Vec<i64> = owner.into_iter().chain(lead).collect();
                    queued.dedup();
                    for unit in queued {
                        queue.push(if queue_rows == 0 { "(" } else { ", (" });
                        queue.push(&literal(unit)).push(", ").push(&literal(id)).push(", ").push(&literal(next_deadline)).push(")");
                        queue_rows += 1;
                    }
                }
                if let Some(lead) = lead {
                    handlers.push(if handler_rows == 0 { "(" } else { ", (" });
                    handlers.push(&literal(id)).push(", ").push(&literal(lead)).push(", 'lead')");
                    handler_rows += 1;
                }
            }
            appeals.query().execute(&mut *transaction).await?;
            events.query().execute(&mut *transaction).await?;
            if handler_rows > 0 {
                handlers.query().execute(&mut *transaction).await?;
            }
            if queue_rows > 0 {
                queue.query().execute(&mut *transaction).await?;
            }
            done_here += rows;
        }
        transaction.commit().await?;
        written += in_transaction;
        eprintln!("seeded {written}/{count} appeals ({:.0}/s)", written as f64 / started.elapsed().as_secs_f64());
    }
    hub.db.store_seeded_counters(&day_counters).await?;
    hub.db.analyze_after_bulk_load().await?;
    Ok(written)
}

/// Writes a generated value as an SQL literal. Seeded rows are inlined instead of bound:
/// sqlx's SQLite driver binds `$n` parameters in time that grows with the square of
/// their number, which made a 200-row statement (6,600 parameters) take a second. Every
/// value here is generated by this module, and text is quoted with `'` doubled.
fn literal(value: impl Into<Value>) -> String {
    match value.into() {
        Value::Int(Some(number)) => number.to_string(),
        Value::Real(Some(number)) if number.is_finite() => format!("{number:?}"),
        Value::Text(Some(text)) => format!("'{}'", text.replace('\'', "''")),
        Value::Int(None) | Value::Real(_) | Value::Text(None) => "NULL".to_string(),
    }
}

async fn next_appeal_id(hub: &Hub) -> anyhow::Result<i64> {
    Ok(hub.db.max_appeal_id().await? + 1)
}
