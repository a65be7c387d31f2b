//! Intake: one path for every channel. Route, triage, own, time and number an appeal,
//! then store it with its first event.

use rand::Rng;
use sha2::{Digest, Sha256};

use super::{Hub, ServiceError};
use crate::domain::access::Staff;
use crate::domain::appeal::{AppealNumber, AppealStatus, Channel};
use crate::domain::contact::Contact;
use crate::domain::deadline::due_at;
use crate::domain::geo::routing::{RouteOutcome, route};
use crate::domain::history::EventKind;
use crate::domain::ownership::owner_candidates;
use crate::domain::region::RegionLevel;
use crate::storage::appeals::{AppealRecord, NO_DEADLINE, NewEvent, insert_appeal, next_daily_sequence};
use crate::storage::batches::{NewAppealRow, insert_new_appeals, reserve_daily_sequences};

/// A new appeal as parsed at the edge. Every field is already valid in shape.
#[derive(Debug, Clone)]
pub struct NewAppeal {
    pub text: String,
    /// WGS84 (lng, lat); the edge converts GCJ-02 or BD-09 input.
    pub point: Option<(f64, f64)>,
    pub region_code: Option<String>,
    pub address: Option<String>,
    pub channel: Channel,
    pub contact: Contact,
    pub category_code: Option<String>,
    pub meeting_id: Option<i64>,
    /// What the staff member entering the appeal judged (a hotline operator hearing
    /// "the gas is leaking" marks it urgent at once). Residents cannot set this.
    pub judgement: Option<StaffJudgement>,
}

/// A staff member's judgement at intake, which overrides the suggestion.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StaffJudgement {
    pub urgent: Option<bool>,
    pub triage: Option<crate::domain::appeal::Triage>,
    pub tier: Option<crate::domain::appeal::Tier>,
}

/// Applies a staff judgement on top of a suggestion: urgent starts red; a judged triage
/// class or tier replaces the suggested one; the reasons say a person decided.
pub fn apply_judgement(
    mut suggestion: crate::domain::triage::TriageSuggestion,
    judgement: Option<&StaffJudgement>,
) -> crate::domain::triage::TriageSuggestion {
    let Some(judgement) = judgement else { return suggestion };
    if let Some(urgent) = judgement.urgent {
        suggestion.urgent = urgent;
        if urgent {
            suggestion.tier = crate::domain::appeal::Tier::Red;
            suggestion.triage = crate::domain::appeal::Triage::Big;
        }
        suggestion.reasons.push(if urgent { "登记人员判定：紧急".into() } else { "登记人员判定：不紧急".into() });
    }
    if let Some(triage) = judgement.triage {
        suggestion.triage = triage;
        suggestion.reasons.push(format!("登记人员判定三事分流：{triage}"));
    }
    if let Some(tier) = judgement.tier {
        suggestion.tier = tier;
        suggestion.reasons.push(format!("登记人员判定四色：{}", tier.label_zh()));
    }
    if judgement.triage.is_some() || judgement.tier.is_some() {
        suggestion.confidence = suggestion.confidence.max(1.0);
    }
    suggestion
}

/// What the resident gets back: the number and the secret to follow it with.
#[derive(Debug, Clone)]
pub struct IntakeReceipt {
    pub appeal: AppealRecord,
    /// Shown once to the resident; only its hash is stored.
    pub secret: String,
}

/// Maximum length of an appeal's text, in characters.
pub const MAX_TEXT_CHARS: usize = 5000;

/// Checks the shape of free text fields; shared by every edge.
pub fn validate_text(text: &str) -> Result<String, ServiceError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(ServiceError::invalid("text", "text must describe the problem; it is empty"));
    }
    if text.chars().count() > MAX_TEXT_CHARS {
        return Err(ServiceError::invalid("text", format!("text is longer than {MAX_TEXT_CHARS} characters")));
    }
    Ok(text.to_string())
}

/// An appeal ready to store: everything decided but its number.
pub struct PreparedAppeal {
    record: AppealRecord,
    first_event: NewEvent,
    secret: String,
    /// The deadline policy version the appeal is given and keeps.
    policy_version: i64,
    /// When the owner is warned that the dispatch deadline is near.
    warn_ms: i64,
}

impl PreparedAppeal {
    /// Links the appeal to the meeting that raised it.
    pub fn set_meeting(&mut self, meeting_id: i64) {
        self.record.meeting_id = Some(meeting_id);
    }
}

/// Decides routing, triage, ownership and deadlines for a new appeal. Reads only.
pub async fn prepare(hub: &Hub, input: NewAppeal, entered_by: Option<&Staff>) -> Result<PreparedAppeal, ServiceError> {
    let now = hub.clock.now();
    let county = hub.config.county_code.clone();
    let categories = hub.category_list();

    let given_category = match &input.category_code {
        None => None,
        Some(code) => Some(
            categories
                .iter()
                .find(|category| &category.code == code)
                .ok_or_else(|| {
                    ServiceError::invalid(
                        "category_code",
                        format!("category_code `{code}` is not in the taxonomy; see GET /api/v1/categories"),
                    )
                })?
                .clone(),
        ),
    };

    // Place: a point routes to its grid; a region code is taken as given; otherwise the
    // appeal goes to the county's triage queue.
    let (grid_id, mut region_code, mut routing_note) = match (input.point, &input.region_code) {
        (Some((lng, lat)), _) => {
            let indexes = hub.place_indexes();
            match route(&indexes.grids, &indexes.regions, lng, lat) {
                RouteOutcome::Grid { grid_id, region_code } => {
                    let note = format!("坐标落在网格 {grid_id}");
                    (Some(grid_id), region_code, note)
                }
                RouteOutcome::Region { region_code } => (None, region_code, "坐标不在任何网格内，归入所在区划".to_string()),
                RouteOutcome::TriageQueue => (None, county.clone(), "坐标不在本县范围内，进入县级研判队列".to_string()),
            }
        }
        (None, Some(code)) => {
            let region = hub
                .db
                .region(code)
                .await?
                .ok_or_else(|| ServiceError::invalid("region_code", format!("region_code `{code}` is not a known region")))?;
            (None, region.code, "按填报的区划代码".to_string())
        }
        (None, None) => (None, county.clone(), "未提供位置，进入县级研判队列".to_string()),
    };
    if !region_code.starts_with(&county) {
        // Outside this jurisdiction: keep it in the county's triage queue, with the note.
        routing_note = format!("位置 {region_code} 不属于本县，进入县级研判队列");
        region_code = county.clone();
    }

    let suggestion = super::understanding::suggest(hub, &input.text, input.channel, given_category.as_ref(), &categories);
    let suggestion = apply_judgement(suggestion, input.judgement.as_ref());
    let precise_place = RegionLevel::from_code(&region_code).is_some_and(|level| level.depth() >= RegionLevel::Township.depth());
    let needs_triage = !suggestion.urgent && (suggestion.confidence < hub.config.triage_threshold || !precise_place);
    let mut reasons = suggestion.reasons.clone();
    if !suggestion.urgent && suggestion.confidence < hub.config.triage_threshold {
        reasons.push(format!("分类置信度 {:.2} 低于 {:.2}，转人工研判", suggestion.confidence, hub.config.triage_threshold));
    }
    reasons.push(routing_note);

    let owner = if needs_triage {
        owner_unit(hub, crate::domain::appeal::Tier::Red, &county).await?
    } else {
        owner_unit(hub, suggestion.tier, &region_code).await?
    };

    let category_days = suggestion
        .category_code
        .as_deref()
        .and_then(|code| categories.iter().find(|category| category.code == code))
        .map(|category| category.default_working_days);
    let policy = super::lookup_cache::current_policy(hub).await?;
    let limits = policy.policy.step_limits(suggestion.tier, suggestion.urgent, suggestion.category_code.as_deref(), category_days);
    let dispatch_due_at = due_at(&hub.calendar, now, limits.dispatch);
    let dispatch_due = dispatch_due_at.as_millisecond();
    let warn_ms = crate::domain::deadline::warning_at(&hub.calendar, now, dispatch_due_at, limits.dispatch, policy.policy.warn_share)
        .as_millisecond();

    let secret = new_secret();
    let (lng, lat) = match input.point {
        Some((lng, lat)) => (Some(lng), Some(lat)),
        None => (None, None),
    };
    let now_ms = now.as_millisecond();
    let record = AppealRecord {
        id: 0,
        number: String::new(),
        secret_hash: String::new(),
        text: input.text,
        channel: input.channel,
        lat,
        lng,
        address: input.address,
        region_code,
        grid_id,
        category_code: suggestion.category_code.clone(),
        triage: suggestion.triage,
        tier: suggestion.tier,
        urgent: suggestion.urgent,
        triage_confidence: suggestion.confidence,
        triage_reasons: reasons,
        needs_triage,
        status: AppealStatus::Received,
        owner_unit_id: owner,
        lead_unit_id: None,
        co_unit_ids: Vec::new(),
        extension_pending: false,
        paused: false,
        paused_ms: None,
        rating: None,
        reopen_count: 0,
        return_count: 0,
        urge_count: 0,
        merged_into_id: None,
        meeting_id: input.meeting_id,
        contact_name: input.contact.name_unmasked().map(str::to_string),
        contact_phone: input.contact.phone_unmasked().map(str::to_string),
        received_ms: now_ms,
        updated_ms: now_ms,
        dispatched_ms: None,
        signed_ms: None,
        resolved_ms: None,
        closed_ms: None,
        sign_due_ms: Some(dispatch_due),
        resolve_due_ms: None,
        next_deadline_ms: dispatch_due,
        event_count: 0,
        head_hash: String::new(),
        version: 0,
    };
    let payload = serde_json::json!({
        "channel": record.channel,
        "region_code": record.region_code,
        "grid_id": record.grid_id,
        "category_code": record.category_code,
        "triage": record.triage,
        "tier": record.tier,
        "urgent": record.urgent,
        "needs_triage": record.needs_triage,
        "owner_unit_id": record.owner_unit_id,
        "limits": limits,
        "policy_version": policy.version,
        "reasons": record.triage_reasons,
    });
    let first_event = NewEvent {
        kind: EventKind::Received.as_str().to_string(),
        actor: entered_by.map_or_else(|| "resident".to_string(), |staff| format!("user:{}", staff.username)),
        actor_user_id: entered_by.map(|staff| staff.user_id),
        actor_unit_id: entered_by.map(|staff| staff.unit.id),
        at_ms: now_ms,
        reason: format!("{}登记", record.channel.label_zh()),
        payload_json: payload.to_string(),
    };
    debug_assert!(record.next_deadline_ms != NO_DEADLINE);
    Ok(PreparedAppeal { record, first_event, secret, policy_version: policy.version, warn_ms })
}

/// Numbers and stores a prepared appeal inside the caller's transaction.
pub async fn store(hub: &Hub, transaction: &mut sqlx::AnyConnection, prepared: PreparedAppeal) -> Result<IntakeReceipt, ServiceError> {
    let local_date = hub.calendar.local_date(hub.clock.now());
    let day = local_date.strftime("%Y%m%d").to_string();
    let sequence = next_daily_sequence(transaction, &day).await?;
    let mut record = prepared.record;
    record.number = AppealNumber::new(local_date, sequence).to_string();
    record.secret_hash = secret_hash(&record.number, &prepared.secret);
    let stored = insert_appeal(transaction, &record, &prepared.first_event).await?;
    crate::storage::policies::set_appeal_clock_at_intake(transaction, stored.id, prepared.policy_version, prepared.warn_ms).await?;
    Ok(IntakeReceipt { appeal: stored, secret: prepared.secret })
}

/// Numbers and stores a batch of prepared appeals inside the caller's transaction, in a
/// few multi-row statements (the intake writer's fast path). Either every appeal is
/// stored or the statement that failed leaves the transaction to be rolled back.
pub async fn store_many(
    hub: &Hub,
    transaction: &mut sqlx::AnyConnection,
    prepared: &[&PreparedAppeal],
) -> Result<Vec<IntakeReceipt>, ServiceError> {
    if prepared.is_empty() {
        return Ok(Vec::new());
    }
    let local_date = hub.calendar.local_date(hub.clock.now());
    let day = local_date.strftime("%Y%m%d").to_string();
    let count = i64::try_from(prepared.len()).map_err(|_| ServiceError::Internal("batch too large".into()))?;
    let first = reserve_daily_sequences(transaction, &day, count).await?;
    let mut records = Vec::with_capacity(prepared.len());
    for (offset, appeal) in (0_i64..).zip(prepared) {
        let mut record = appeal.record.clone();
        record.number = AppealNumber::new(local_date, first + offset).to_string();
        record.secret_hash = secret_hash(&record.number, &appeal.secret);
        records.push(record);
    }
    let rows: Vec<NewAppealRow<'_>> = records
        .iter()
        .zip(prepared)
        .map(|(record, appeal)| NewAppealRow {
            appeal: record,
            first_event: &appeal.first_event,
            policy_version: appeal.policy_version,
            warn_ms: appeal.warn_ms,
        })
        .collect();
    let stored = insert_new_appeals(transaction, &rows).await?;
    Ok(stored.into_iter().zip(prepared).map(|(appeal, prepared)| IntakeReceipt { appeal, secret: prepared.secret.clone() }).collect())
}

/// Takes one appeal in, in its own transaction.
pub async fn submit(hub: &Hub, input: NewAppeal, entered_by: Option<&Staff>) -> Result<IntakeReceipt, ServiceError> {
    let prepared = prepare(hub, input, entered_by).await?;
    let mut transaction = hub.db.begin_write().await?;
    let receipt = store(hub, &mut transaction, prepared).await?;
    transaction.commit().await.map_err(crate::storage::StorageError::from)?;
    tracing::info!(number = %receipt.appeal.number, channel = %receipt.appeal.channel, tier = %receipt.appeal.tier, "appeal received");
    Ok(receipt)
}

/// The unit that owns an appeal at a tier, trying the candidates best first.
pub async fn owner_unit(hub: &Hub, tier: crate::domain::appeal::Tier, region_code: &str) -> Result<Option<i64>, ServiceError> {
    for (kind, region) in owner_candidates(tier, region_code, &hub.config.county_code) {
        if let Some(unit_id) = hub.lookups.unit(kind, &region) {
            return Ok(Some(unit_id));
        }
        if let Some(unit) = hub.db.unit_for_region(kind, &region).await? {
            hub.lookups.remember_unit(kind, &region, unit.id);
            return Ok(Some(unit.id));
        }
    }
    Ok(None)
}

/// Letters and digits a person can read aloud without confusion (no 0/O, 1/I/L).
const SECRET_ALPHABET: &[u8] = b"23456789ABCDEFGHJKMNPQRSTUVWXYZ";

/// A new follow-up secret (also given to residents who order a service).
pub fn new_follow_secret() -> String {
    new_secret()
}

fn new_secret() -> String {
    let mut rng = rand::rng();
    (0..6).map(|_| SECRET_ALPHABET[rng.random_range(0..SECRET_ALPHABET.len())] as char).collect()
}

/// The stored form of a follow-up secret, bound to the appeal's number.
pub fn secret_hash(number: &str, secret: &str) -> String {
    let mut hasher = Sha256::new();
    hasher.update(number.as_bytes());
    hasher.update(b":");
    hasher.update(secret.trim().to_ascii_uppercase().as_bytes());
    hex::encode(hasher.finalize())
}

/// Compares a presented secret with the stored hash in constant time.
pub fn secret_matches(appeal: &AppealRecord, presented: &str) -> bool {
    let presented = secret_hash(&appeal.number, presented);
    presented.len() == appeal.secret_hash.len()
        && presented.bytes().zip(appeal.secret_hash.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0
}
