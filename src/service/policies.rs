//! Deadline policies as use cases: the current version, one version, an administrator's
//! edit (a new version), and the limits that apply to one appeal.

use super::{Hub, ServiceError};
use crate::domain::access::{Role, Staff};
use crate::domain::deadline_policy::DeadlinePolicy;
use crate::domain::ownership::StepLimits;
use crate::storage::appeals::AppealRecord;
use crate::storage::policies::{PolicyVersionRow, appeal_policy_version, policy_body_in};

/// A stored policy version, parsed.
#[derive(Debug, Clone, PartialEq)]
pub struct PolicyVersion {
    pub version: i64,
    pub policy: DeadlinePolicy,
    pub note: String,
    pub created_ms: i64,
    pub created_by: Option<i64>,
}

fn parse(row: PolicyVersionRow) -> Result<PolicyVersion, ServiceError> {
    let policy: DeadlinePolicy = serde_json::from_str(&row.body_json)
        .map_err(|error| ServiceError::Internal(format!("policy version {} is not readable: {error}", row.version)))?;
    Ok(PolicyVersion { version: row.version, policy, note: row.note, created_ms: row.created_ms, created_by: row.created_by })
}

fn shipped_json() -> Result<String, ServiceError> {
    serde_json::to_string(&DeadlinePolicy::shipped_default()).map_err(|error| ServiceError::Internal(error.to_string()))
}

/// The policy new appeals are given. Stores the shipped defaults as version 1 on first use.
pub async fn current(hub: &Hub) -> Result<PolicyVersion, ServiceError> {
    if let Some(row) = hub.db.latest_policy().await? {
        return parse(row);
    }
    hub.db.seed_policy(&shipped_json()?, hub.clock.now_ms()).await?;
    let row = hub.db.latest_policy().await?.ok_or_else(|| ServiceError::Internal("the default policy could not be stored".into()))?;
    parse(row)
}

/// One version, for showing what an appeal was given.
pub async fn version(hub: &Hub, version: i64) -> Result<PolicyVersion, ServiceError> {
    if version == 1 && hub.db.policy_version(1).await?.is_none() {
        current(hub).await?;
    }
    let row = hub.db.policy_version(version).await?.ok_or_else(|| ServiceError::NotFound(format!("policy version {version}")))?;
    parse(row)
}

/// Every version, newest first.
pub async fn history(hub: &Hub) -> Result<Vec<PolicyVersion>, ServiceError> {
    current(hub).await?;
    hub.db.policy_versions().await?.into_iter().map(parse).collect()
}

/// An administrator's edit: validated, then stored as the next version. Appeals already
/// received keep the version they were given. `based_on` must be the version the editor
/// saw, so two editors cannot silently overwrite each other.
pub async fn update(hub: &Hub, staff: &Staff, based_on: i64, policy: DeadlinePolicy, note: &str) -> Result<PolicyVersion, ServiceError> {
    if !staff.has(Role::Admin) {
        return Err(ServiceError::Forbidden("only an administrator edits deadline policies".into()));
    }
    policy.validate().map_err(|error| ServiceError::invalid(error.field, error.message))?;
    let note = note.trim();
    if note.is_empty() {
        return Err(ServiceError::invalid("note", "say why the policy changes, so its history explains itself"));
    }
    if note.chars().count() > 500 {
        return Err(ServiceError::invalid("note", "note is longer than 500 characters"));
    }
    let latest = current(hub).await?;
    if latest.version != based_on {
        return Err(ServiceError::Conflict(format!(
            "the policy is at version {} now, not {based_on}; reload it and apply your change again",
            latest.version
        )));
    }
    let body = serde_json::to_string(&policy).map_err(|error| ServiceError::Internal(error.to_string()))?;
    let now_ms = hub.clock.now_ms();
    let version = hub.db.insert_policy_version(based_on, &body, note, staff.user_id, now_ms).await?;
    hub.lookups.forget_policy();
    tracing::info!(version, by = %staff.username, "deadline policy changed");
    Ok(PolicyVersion { version, policy, note: note.to_string(), created_ms: now_ms, created_by: Some(staff.user_id) })
}

/// The policy an appeal keeps, read inside the caller's transaction. An appeal stored
/// before policies were versioned keeps version 1, the shipped defaults it was timed by.
pub async fn policy_of_appeal_in(transaction: &mut sqlx::AnyConnection, appeal_id: i64) -> Result<(i64, DeadlinePolicy), ServiceError> {
    let version = appeal_policy_version(transaction, appeal_id).await?.unwrap_or(1);
    Ok((version, stored_version_in(transaction, version).await?))
}

/// A stored policy version, read inside the caller's transaction. Version 1 is the
/// shipped defaults when it was never stored.
pub async fn stored_version_in(transaction: &mut sqlx::AnyConnection, version: i64) -> Result<DeadlinePolicy, ServiceError> {
    match policy_body_in(transaction, version).await? {
        Some(body) => serde_json::from_str(&body)
            .map_err(|error| ServiceError::Internal(format!("policy version {version} is not readable: {error}"))),
        None if version == 1 => Ok(DeadlinePolicy::shipped_default()),
        None => Err(ServiceError::Internal(format!("policy version {version} is missing"))),
    }
}

/// The category's own default resolution limit, in working days.
pub fn category_days(hub: &Hub, category_code: Option<&str>) -> Option<u32> {
    let categories = hub.category_list();
    category_code.and_then(|code| categories.iter().find(|category| category.code == code)).map(|category| category.default_working_days)
}

/// The limits of an appeal's steps under a policy, at the appeal's current tier.
pub fn limits_for(hub: &Hub, policy: &DeadlinePolicy, appeal: &AppealRecord) -> StepLimits {
    policy.step_limits(appeal.tier, appeal.urgent, appeal.category_code.as_deref(), category_days(hub, appeal.category_code.as_deref()))
}
