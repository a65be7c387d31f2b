//! Deadline policy versions, and the clock columns an appeal keeps beside its row
//! (`policy_version`, `warn_ms`).

use sqlx::Row;

use super::{Db, Result, StorageError};

/// One stored policy version: its number, its JSON body, who wrote it and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersionRow {
    pub version: i64,
    pub body_json: String,
    pub note: String,
    pub created_ms: i64,
    pub created_by: Option<i64>,
}

fn policy_from_row(row: &sqlx::any::AnyRow) -> Result<PolicyVersionRow> {
    Ok(PolicyVersionRow {
        version: row.try_get("version")?,
        body_json: row.try_get("body")?,
        note: row.try_get("note")?,
        created_ms: row.try_get("created_ms")?,
        created_by: row.try_get("created_by")?,
    })
}

impl Db {
    /// The newest policy version, if any was stored.
    pub async fn latest_policy(&self) -> Result<Option<PolicyVersionRow>> {
        let row = sqlx::query("SELECT version, body, note, created_ms, created_by FROM deadline_policies ORDER BY version DESC LIMIT 1")
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(policy_from_row).transpose()
    }

    pub async fn policy_version(&self, version: i64) -> Result<Option<PolicyVersionRow>> {
        let row = sqlx::query("SELECT version, body, note, created_ms, created_by FROM deadline_policies WHERE version = $1")
            .bind(version)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(policy_from_row).transpose()
    }

    /// Every version, newest first (bodies included; there are few).
    pub async fn policy_versions(&self) -> Result<Vec<PolicyVersionRow>> {
        let rows = sqlx::query("SELECT version, body, note, created_ms, created_by FROM deadline_policies ORDER BY version DESC")
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(policy_from_row).collect()
    }

    /// Stores version 1 if no version exists yet. Safe to race: the loser's insert is ignored.
    pub async fn seed_policy(&self, body_json: &str, now_ms: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO deadline_policies (version, body, note, created_ms, created_by) VALUES (1, $1, $2, $3, NULL) \
             ON CONFLICT (version) DO NOTHING",
        )
        .bind(body_json)
        .bind("shipped defaults")
        .bind(now_ms)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// Stores the next version after `expected_latest`. If someone else stored a version
    /// first, nothing is written and a conflict is returned.
    pub async fn insert_policy_version(&self, expected_latest: i64, body_json: &str, note: &str, by: i64, now_ms: i64) -> Result<i64> {
        let mut transaction = self.begin_write().await?;
        let latest: Option<i64> =
            sqlx::query("SELECT MAX(version) FROM deadline_policies").fetch_one(&mut *transaction).await?.try_get(0)?;
        if latest.unwrap_or(0) != expected_latest {
            return Err(StorageError::Conflict(
                "the policy was changed by someone else at the same moment; reload it and try again".into(),
            ));
        }
        let version = expected_latest + 1;
        let inserted =
            sqlx::query("INSERT INTO deadline_policies (version, body, note, created_ms, created_by) VALUES ($1, $2, $3, $4, $5)")
                .bind(version)
                .bind(body_json)
                .bind(note)
                .bind(now_ms)
                .bind(by)
                .execute(&mut *transaction)
                .await;
        match inserted {
            Ok(_) => {}
            Err(error) => {
                let error = StorageError::from(error);
                if error.is_unique_violation() {
                    return Err(StorageError::Conflict(
                        "the policy was changed by someone else at the same moment; reload it and try again".into(),
                    ));
                }
                return Err(error);
            }
        }
        transaction.commit().await?;
        Ok(version)
    }

    /// The policy version and the warning instant an appeal keeps: (policy_version, warn_ms).
    pub async fn appeal_clock(&self, appeal_id: i64) -> Result<(Option<i64>, Option<i64>)> {
        let row =
            sqlx::query("SELECT policy_version, warn_ms FROM appeals WHERE id = $1").bind(appeal_id).fetch_optional(&self.pool).await?;
        match row {
            Some(row) => Ok((row.try_get(0)?, row.try_get(1)?)),
            None => Err(StorageError::NotFound(format!("appeal {appeal_id}"))),
        }
    }
}

/// The policy version an appeal keeps, inside a transaction.
pub async fn appeal_policy_version(transaction: &mut sqlx::AnyConnection, appeal_id: i64) -> Result<Option<i64>> {
    let row = sqlx::query("SELECT policy_version FROM appeals WHERE id = $1").bind(appeal_id).fetch_optional(&mut *transaction).await?;
    Ok(row.map(|row| row.try_get::<Option<i64>, _>(0)).transpose()?.flatten())
}

/// Records the policy version an appeal was given (only at intake; never rewritten).
pub async fn set_appeal_policy_version(transaction: &mut sqlx::AnyConnection, appeal_id: i64, version: i64) -> Result<()> {
    sqlx::query("UPDATE appeals SET policy_version = $1 WHERE id = $2 AND policy_version IS NULL")
        .bind(version)
        .bind(appeal_id)
        .execute(&mut *transaction)
        .await?;
    Ok(())
}

/// At intake: records the policy version the appeal was given and when its owner is
/// first warned, in one statement (the version is never rewritten once set).
pub async fn set_appeal_clock_at_intake(transaction: &mut sqlx::AnyConnection, appeal_id: i64, version: i64, warn_ms: i64) -> Result<()> {
    sqlx::query("UPDATE appeals SET policy_version = COALESCE(policy_version, $1), warn_ms = $2 WHERE id = $3")
        .bind(version)
        .bind(warn_ms)
        .bind(appeal_id)
        .execute(&mut *transaction)
        .await?;
    Ok(())
}

/// Sets when the owner is next warned (`NO_DEADLINE` for never).
pub async fn set_appeal_warning(transaction: &mut sqlx::AnyConnection, appeal_id: i64, warn_ms: i64) -> Result<()> {
    sqlx::query("UPDATE appeals SET warn_ms = $1 WHERE id = $2").bind(warn_ms).bind(appeal_id).execute(&mut *transaction).await?;
    Ok(())
}

/// A policy version's body, inside a transaction.
pub async fn policy_body_in(transaction: &mut sqlx::AnyConnection, version: i64) -> Result<Option<String>> {
    let row = sqlx::query("SELECT body FROM deadline_policies WHERE version = $1").bind(version).fetch_optional(&mut *transaction).await?;
    Ok(row.map(|row| row.try_get(0)).transpose()?)
}
