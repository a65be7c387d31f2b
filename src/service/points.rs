//! Points (积分, 幸福币) as use cases: rules per community, earning under a rule,
//! spending on a catalogue item, corrections, and monthly statements.

use super::{Hub, ServiceError};
use crate::domain::access::{Role, Staff};
use crate::domain::points::{AccountKind, JournalKind, MAX_POINTS, RuleDirection, Statement, check_journal, reversal, statement, transfer};
use crate::storage::StorageError;
use crate::storage::points::{
    JournalRow, NewJournal, PointAccount, PointRule, PostError, correction_of_in, ensure_account, journal_postings_in, post_journal,
    rule_in,
};

type Transaction = sqlx::AnyConnection;

/// Roles that may grant or redeem points for a community.
const LEDGER_ROLES: &[Role] = &[Role::Admin, Role::Operator, Role::Dispatcher, Role::Handler, Role::GridWorker, Role::PartyRep];

/// Whether a staff member keeps the points of a community: a territorial unit over it.
pub fn keeps_ledger_of(staff: &Staff, region_code: &str) -> bool {
    staff.unit.kind.is_territorial() && region_code.starts_with(staff.unit.region_code.as_str()) && staff.has_any(LEDGER_ROLES)
}

fn require_keeper(staff: &Staff, region_code: &str) -> Result<(), ServiceError> {
    if keeps_ledger_of(staff, region_code) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden(format!("only staff of the community, township or centre over {region_code} keep its points")))
    }
}

fn post_error(error: PostError) -> ServiceError {
    match error {
        PostError::Insufficient { account_id } => {
            ServiceError::Conflict(format!("account {account_id} does not hold enough points; nothing was recorded"))
        }
        PostError::Duplicate(journal) => ServiceError::Conflict(format!("this was recorded already as journal {journal}")),
        PostError::Storage(error) => error.into(),
    }
}

/// Sets a community's rule (how many points for what, or what an item costs).
pub async fn set_rule(
    hub: &Hub,
    staff: &Staff,
    region_code: &str,
    code: &str,
    label: &str,
    direction: RuleDirection,
    points: i64,
    active: bool,
) -> Result<PointRule, ServiceError> {
    require_keeper(staff, region_code)?;
    if hub.db.region(region_code).await?.is_none() {
        return Err(ServiceError::invalid("region_code", format!("region_code `{region_code}` is not a known region")));
    }
    let valid_code = !code.is_empty() && code.len() <= 40 && code.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-');
    if !valid_code {
        return Err(ServiceError::invalid("code", "code is 1–40 letters, digits, _ or -, e.g. patrol"));
    }
    if label.trim().is_empty() || label.chars().count() > 100 {
        return Err(ServiceError::invalid("label", "label is 1–100 characters, e.g. 治安巡逻一次"));
    }
    if points <= 0 || points > MAX_POINTS {
        return Err(ServiceError::invalid("points", format!("points is a whole number from 1 to {MAX_POINTS}")));
    }
    Ok(hub.db.upsert_point_rule(region_code, code, label.trim(), direction, points, active, staff.user_id, hub.clock.now_ms()).await?)
}

/// Someone who earns or spends points.
#[derive(Debug, Clone)]
pub struct Holder {
    pub name: String,
    pub phone: String,
}

/// Grants points under a community's rule, inside the caller's transaction. `quantity`
/// multiplies the rule (three patrols). Who granted it and why are recorded.
#[allow(clippy::too_many_arguments)]
pub async fn earn_in(
    hub: &Hub,
    transaction: &mut Transaction,
    granted_by: Option<&Staff>,
    region_code: &str,
    holder: &Holder,
    rule_code: &str,
    quantity: i64,
    reason: &str,
    links: (Option<i64>, Option<i64>),
    dedupe_key: Option<String>,
) -> Result<i64, ServiceError> {
    let rule = rule_in(transaction, region_code, rule_code)
        .await?
        .filter(|rule| rule.active && rule.direction == RuleDirection::Earn)
        .ok_or_else(|| {
            ServiceError::invalid(
                "rule_code",
                format!("`{rule_code}` is not an active earning rule of {region_code}; see GET /api/v1/points/rules"),
            )
        })?;
    if !(1..=100).contains(&quantity) {
        return Err(ServiceError::invalid("quantity", "quantity is 1 to 100"));
    }
    let now_ms = hub.clock.now_ms();
    let person = ensure_account(transaction, AccountKind::Person, region_code, &holder.name, &holder.phone, now_ms).await?;
    let pool = ensure_account(transaction, AccountKind::Pool, region_code, "积分池", "", now_ms).await?;
    let postings = transfer(pool.id, person.id, rule.points.saturating_mul(quantity))
        .map_err(|error| ServiceError::invalid("points", error.to_string()))?;
    check_journal(&postings).map_err(|error| ServiceError::Internal(error.to_string()))?;
    let journal = NewJournal {
        dedupe_key,
        region_code: region_code.to_string(),
        kind: JournalKind::Earn,
        rule_code: Some(rule.code.clone()),
        reason: if reason.trim().is_empty() { rule.label.clone() } else { reason.trim().to_string() },
        granted_by: granted_by.map(|staff| staff.user_id),
        granted_by_name: Some(granted_by.map_or_else(|| "system".to_string(), |staff| staff.username.clone())),
        corrects_journal_id: None,
        work_item_id: links.0,
        meeting_id: links.1,
        at_ms: now_ms,
    };
    post_journal(transaction, &journal, &postings).await.map_err(post_error)
}

fn check_holder(holder: &Holder) -> Result<(), ServiceError> {
    if holder.name.trim().is_empty() || holder.name.chars().count() > 50 {
        return Err(ServiceError::invalid("holder_name", "holder_name is 1–50 characters"));
    }
    let digits = holder.phone.chars().filter(char::is_ascii_digit).count();
    if digits < 7 || digits > 15 || holder.phone.chars().any(|c| !(c.is_ascii_digit() || c == '-' || c == '+')) {
        return Err(ServiceError::invalid(
            "holder_phone",
            "holder_phone is the person's phone number, 7–15 digits: it tells two people of one name apart",
        ));
    }
    Ok(())
}

/// Grants points (its own transaction).
pub async fn earn(
    hub: &Hub,
    staff: &Staff,
    region_code: &str,
    holder: &Holder,
    rule_code: &str,
    quantity: i64,
    reason: &str,
) -> Result<JournalRow, ServiceError> {
    require_keeper(staff, region_code)?;
    check_holder(holder)?;
    let mut transaction = hub.db.begin_write().await?;
    let id = earn_in(hub, &mut transaction, Some(staff), region_code, holder, rule_code, quantity, reason, (None, None), None).await?;
    transaction.commit().await.map_err(StorageError::from)?;
    journal(hub, id).await
}

/// Spends a person's points on a catalogue item (a spending rule). Refused, changing
/// nothing, when the balance does not cover it, even under concurrent spends.
pub async fn spend(
    hub: &Hub,
    staff: &Staff,
    account_id: i64,
    rule_code: &str,
    quantity: i64,
    reason: &str,
) -> Result<JournalRow, ServiceError> {
    let account = visible_account(hub, staff, account_id).await?;
    if account.kind != AccountKind::Person {
        return Err(ServiceError::invalid("account_id", "points are spent from a person's account"));
    }
    if !(1..=100).contains(&quantity) {
        return Err(ServiceError::invalid("quantity", "quantity is 1 to 100"));
    }
    let now_ms = hub.clock.now_ms();
    let mut transaction = hub.db.begin_write().await?;
    let rule = rule_in(&mut transaction, &account.region_code, rule_code)
        .await?
        .filter(|rule| rule.active && rule.direction == RuleDirection::Spend)
        .ok_or_else(|| {
            ServiceError::invalid("rule_code", format!("`{rule_code}` is not an item of {}'s points catalogue", account.region_code))
        })?;
    let redemption = ensure_account(&mut transaction, AccountKind::Redemption, &account.region_code, "兑换", "", now_ms).await?;
    let postings = transfer(account.id, redemption.id, rule.points.saturating_mul(quantity))
        .map_err(|error| ServiceError::invalid("points", error.to_string()))?;
    let journal_row = NewJournal {
        dedupe_key: None,
        region_code: account.region_code.clone(),
        kind: JournalKind::Spend,
        rule_code: Some(rule.code.clone()),
        reason: if reason.trim().is_empty() { rule.label.clone() } else { reason.trim().to_string() },
        granted_by: Some(staff.user_id),
        granted_by_name: Some(staff.username.clone()),
        corrects_journal_id: None,
        work_item_id: None,
        meeting_id: None,
        at_ms: now_ms,
    };
    let id = post_journal(&mut transaction, &journal_row, &postings).await.map_err(post_error)?;
    transaction.commit().await.map_err(StorageError::from)?;
    journal(hub, id).await
}

/// Corrects a journal by writing its reversal (nothing is edited). A journal is corrected
/// once; a correction that would take a person below zero (they spent the points) is
/// refused.
pub async fn correct(hub: &Hub, staff: &Staff, journal_id: i64, reason: &str) -> Result<JournalRow, ServiceError> {
    let original = hub.db.point_journal(journal_id).await?.ok_or_else(|| ServiceError::NotFound(format!("points journal {journal_id}")))?;
    require_keeper(staff, &original.region_code)?;
    if reason.trim().is_empty() {
        return Err(ServiceError::invalid("reason", "say why the entry is corrected"));
    }
    if original.kind == JournalKind::Correction.as_str() {
        return Err(ServiceError::invalid("journal_id", "a correction is not corrected; write a new entry instead"));
    }
    let mut transaction = hub.db.begin_write().await?;
    if let Some(existing) = correction_of_in(&mut transaction, journal_id).await? {
        return Err(ServiceError::Conflict(format!("journal {journal_id} was corrected already by journal {existing}")));
    }
    let postings = reversal(&journal_postings_in(&mut transaction, journal_id).await?);
    check_journal(&postings).map_err(|error| ServiceError::Internal(error.to_string()))?;
    let journal_row = NewJournal {
        dedupe_key: Some(format!("correct:{journal_id}")),
        region_code: original.region_code.clone(),
        kind: JournalKind::Correction,
        rule_code: original.rule_code.clone(),
        reason: reason.trim().to_string(),
        granted_by: Some(staff.user_id),
        granted_by_name: Some(staff.username.clone()),
        corrects_journal_id: Some(journal_id),
        work_item_id: original.work_item_id,
        meeting_id: original.meeting_id,
        at_ms: hub.clock.now_ms(),
    };
    let id = post_journal(&mut transaction, &journal_row, &postings).await.map_err(post_error)?;
    transaction.commit().await.map_err(StorageError::from)?;
    journal(hub, id).await
}

async fn journal(hub: &Hub, id: i64) -> Result<JournalRow, ServiceError> {
    hub.db.point_journal(id).await?.ok_or_else(|| ServiceError::NotFound(format!("points journal {id}")))
}

/// An account the staff member may read (territorial units over its community).
pub async fn visible_account(hub: &Hub, staff: &Staff, account_id: i64) -> Result<PointAccount, ServiceError> {
    let account = hub.db.point_account(account_id).await?.ok_or_else(|| ServiceError::NotFound(format!("points account {account_id}")))?;
    if !keeps_ledger_of(staff, &account.region_code) && !staff.has(Role::Leader) {
        return Err(ServiceError::NotFound(format!("points account {account_id}")));
    }
    Ok(account)
}

/// A person's statement for a month (`YYYY-MM`).
pub async fn monthly_statement(hub: &Hub, staff: &Staff, account_id: i64, month: &str) -> Result<(PointAccount, Statement), ServiceError> {
    let account = visible_account(hub, staff, account_id).await?;
    let (month, from_ms, to_ms) =
        super::sweep::month_bounds(hub, month).ok_or_else(|| ServiceError::invalid("month", "month is YYYY-MM"))?;
    let opening = hub.db.point_balance_before(account.id, from_ms).await?;
    let lines = hub.db.point_lines(account.id, from_ms, to_ms).await?;
    Ok((account, statement(&month, opening, lines)))
}
