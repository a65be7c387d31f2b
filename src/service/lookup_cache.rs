//! Short-lived caches of what every intake reads and rarely changes: the current deadline
//! policy and the unit that owns a tier in a region.
//!
//! Without them each appeal costs two to four reads before its write (the policy row and
//! its JSON, one unit lookup per ownership candidate), which at thousands of appeals a
//! second is a good part of the work. Both are kept briefly and checked against time:
//! - the policy for `POLICY_TTL`, and dropped at once when this node saves a new
//!   version; another node's new version is seen within `POLICY_TTL` (an appeal received
//!   in that window gets, and records, the version before);
//! - a unit found for (kind, region) for `UNIT_TTL`; a miss is never cached, so a unit
//!   created for a region is used by the next appeal. Units are not deleted, and a
//!   `reload_caches` (places imported) clears the cache.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::policies::PolicyVersion;
use crate::domain::access::UnitKind;

/// How long a node trusts its copy of the current policy.
pub const POLICY_TTL: Duration = Duration::from_secs(2);
/// How long a node trusts a (kind, region) → unit answer.
pub const UNIT_TTL: Duration = Duration::from_secs(60);

/// The caches; one per hub, shared by its clones.
#[derive(Default)]
pub struct LookupCache {
    policy: Mutex<Option<(Instant, PolicyVersion)>>,
    units: Mutex<HashMap<(&'static str, String), (Instant, i64)>>,
    /// Stored policy versions never change, so a parsed version is kept for good.
    versions: Mutex<HashMap<i64, crate::domain::deadline_policy::DeadlinePolicy>>,
}

impl std::fmt::Debug for LookupCache {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        formatter.write_str("LookupCache")
    }
}

impl LookupCache {
    pub fn policy(&self) -> Option<PolicyVersion> {
        let slot = self.policy.lock().ok()?;
        slot.as_ref().filter(|(at, _)| at.elapsed() < POLICY_TTL).map(|(_, policy)| policy.clone())
    }

    pub fn remember_policy(&self, policy: &PolicyVersion) {
        if let Ok(mut slot) = self.policy.lock() {
            *slot = Some((Instant::now(), policy.clone()));
        }
    }

    pub fn forget_policy(&self) {
        if let Ok(mut slot) = self.policy.lock() {
            *slot = None;
        }
    }

    pub fn unit(&self, kind: UnitKind, region_code: &str) -> Option<i64> {
        let units = self.units.lock().ok()?;
        units.get(&(kind.as_str(), region_code.to_string())).filter(|(at, _)| at.elapsed() < UNIT_TTL).map(|(_, unit_id)| *unit_id)
    }

    pub fn remember_unit(&self, kind: UnitKind, region_code: &str, unit_id: i64) {
        if let Ok(mut units) = self.units.lock() {
            if units.len() > 100_000 {
                units.clear();
            }
            units.insert((kind.as_str(), region_code.to_string()), (Instant::now(), unit_id));
        }
    }

    pub fn clear(&self) {
        self.forget_policy();
        if let Ok(mut units) = self.units.lock() {
            units.clear();
        }
    }
}

/// The current policy for intake, from the cache when it is fresh.
pub async fn current_policy(hub: &super::Hub) -> Result<PolicyVersion, super::ServiceError> {
    if let Some(policy) = hub.lookups.policy() {
        return Ok(policy);
    }
    let policy = super::policies::current(hub).await?;
    hub.lookups.remember_policy(&policy);
    Ok(policy)
}

/// The policy an appeal keeps (see `policies::policy_of_appeal_in`), with the parsed
/// version taken from the cache: versions are immutable once stored.
pub async fn policy_of_appeal_in(
    hub: &super::Hub,
    transaction: &mut sqlx::AnyConnection,
    appeal_id: i64,
) -> Result<(i64, crate::domain::deadline_policy::DeadlinePolicy), super::ServiceError> {
    let version = crate::storage::policies::appeal_policy_version(transaction, appeal_id).await?.unwrap_or(1);
    Ok((version, policy_version_in(hub, transaction, Some(version)).await?))
}

/// A stored policy version, parsed once and kept (a version missing from an appeal's row
/// is version 1, the shipped default).
pub async fn policy_version_in(
    hub: &super::Hub,
    transaction: &mut sqlx::AnyConnection,
    version: Option<i64>,
) -> Result<crate::domain::deadline_policy::DeadlinePolicy, super::ServiceError> {
    let version = version.unwrap_or(1);
    if let Some(policy) = hub.lookups.versions.lock().ok().and_then(|versions| versions.get(&version).cloned()) {
        return Ok(policy);
    }
    let policy = super::policies::stored_version_in(transaction, version).await?;
    if let Ok(mut versions) = hub.lookups.versions.lock() {
        versions.insert(version, policy.clone());
    }
    Ok(policy)
}
