//! The points ledger (积分, 幸福币): accounts, rules, journals and entries.
//!
//! Entries are only ever inserted. An account's `balance` is a running total kept in the
//! same transaction as its entries, moved by one guarded statement
//! (`UPDATE … SET balance = balance + amount WHERE id = … AND (balance + amount >= 0 OR
//! the account may go negative) RETURNING balance`). On PostgreSQL the row lock makes a
//! second concurrent spend wait and then re-check the guard against the new balance; on
//! SQLite writers are serialised by `BEGIN IMMEDIATE`. Either way two spends of the same
//! points cannot both succeed.

use sqlx::{AnyConnection, Row};

use super::sql::SqlBuilder;
use super::{Db, Result, StorageError};
use crate::domain::points::{AccountKind, JournalKind, Posting, RuleDirection, StatementLine};

/// A points account.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct PointAccount {
    pub id: i64,
    pub kind: AccountKind,
    /// The community (village or community region code) the account belongs to.
    pub region_code: String,
    pub holder_name: String,
    /// Masked in views for readers who do not need it.
    pub holder_phone: Option<String>,
    pub allow_negative: bool,
    pub balance: i64,
}

/// A rule: how many points for what, per community.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct PointRule {
    pub id: i64,
    pub region_code: String,
    pub code: String,
    pub label: String,
    pub direction: RuleDirection,
    pub points: i64,
    pub active: bool,
}

/// A journal to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJournal {
    pub dedupe_key: Option<String>,
    pub region_code: String,
    pub kind: JournalKind,
    pub rule_code: Option<String>,
    pub reason: String,
    pub granted_by: Option<i64>,
    pub granted_by_name: Option<String>,
    pub corrects_journal_id: Option<i64>,
    pub work_item_id: Option<i64>,
    pub meeting_id: Option<i64>,
    pub at_ms: i64,
}

/// A stored journal with its postings.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct JournalRow {
    pub id: i64,
    pub region_code: String,
    pub kind: String,
    pub rule_code: Option<String>,
    pub reason: String,
    pub granted_by: Option<i64>,
    pub granted_by_name: Option<String>,
    pub corrects_journal_id: Option<i64>,
    pub work_item_id: Option<i64>,
    pub meeting_id: Option<i64>,
    pub at_ms: i64,
    pub postings: Vec<PostingRow>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct PostingRow {
    pub account_id: i64,
    pub amount: i64,
    pub balance_after: i64,
}

/// Why a journal could not be written.
#[derive(Debug)]
pub enum PostError {
    /// The account would go below zero.
    Insufficient {
        account_id: i64,
    },
    /// A journal with this key exists already (the id of the earlier one).
    Duplicate(i64),
    Storage(StorageError),
}

impl From<sqlx::Error> for PostError {
    fn from(error: sqlx::Error) -> PostError {
        PostError::Storage(StorageError::from(error))
    }
}

impl From<StorageError> for PostError {
    fn from(error: StorageError) -> PostError {
        PostError::Storage(error)
    }
}

fn corrupt(error: impl std::fmt::Display) -> StorageError {
    StorageError::Corrupt(error.to_string())
}

fn account_from_row(row: &sqlx::any::AnyRow) -> Result<PointAccount> {
    let kind: String = row.try_get("kind")?;
    let allow: i64 = row.try_get("allow_negative")?;
    let phone: String = row.try_get::<Option<String>, _>("holder_phone")?.unwrap_or_default();
    Ok(PointAccount {
        id: row.try_get("id")?,
        kind: kind.parse().map_err(corrupt)?,
        region_code: row.try_get("region_code")?,
        holder_name: row.try_get("holder_name")?,
        holder_phone: Some(phone).filter(|phone| !phone.is_empty()),
        allow_negative: allow != 0,
        balance: row.try_get("balance")?,
    })
}

fn rule_from_row(row: &sqlx::any::AnyRow) -> Result<PointRule> {
    let direction: String = row.try_get("direction")?;
    let active: i64 = row.try_get("active")?;
    Ok(PointRule {
        id: row.try_get("id")?,
        region_code: row.try_get("region_code")?,
        code: row.try_get("code")?,
        label: row.try_get("label")?,
        direction: direction.parse().map_err(corrupt)?,
        points: row.try_get("points")?,
        active: active != 0,
    })
}

const ACCOUNT_COLUMNS: &str = "id, kind, region_code, holder_name, holder_phone, allow_negative, balance";

/// Finds or creates an account: a person's by (community, phone), a community's pool or
/// redemption account by community. Safe against a concurrent creation.
pub async fn ensure_account(
    transaction: &mut AnyConnection,
    kind: AccountKind,
    region_code: &str,
    holder_name: &str,
    holder_phone: &str,
    now_ms: i64,
) -> Result<PointAccount> {
    sqlx::query(
        "INSERT INTO point_accounts (kind, region_code, holder_name, holder_phone, allow_negative, balance, created_ms) \
         VALUES ($1, $2, $3, $4, $5, 0, $6) ON CONFLICT (kind, region_code, holder_phone) DO NOTHING",
    )
    .bind(kind.as_str())
    .bind(region_code)
    .bind(holder_name)
    .bind(holder_phone)
    .bind(i64::from(kind == AccountKind::Pool))
    .bind(now_ms)
    .execute(&mut *transaction)
    .await?;
    let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM point_accounts WHERE kind = $1 AND region_code = $2 AND holder_phone = $3");
    let row =
        sqlx::query(sqlx::AssertSqlSafe(sql)).bind(kind.as_str()).bind(region_code).bind(holder_phone).fetch_one(&mut *transaction).await?;
    account_from_row(&row)
}

/// Writes a balanced journal: the journal row, one entry per posting, and each account's
/// balance moved under its guard. On `Insufficient` the caller must roll back.
pub async fn post_journal(transaction: &mut AnyConnection, journal: &NewJournal, postings: &[Posting]) -> Result<i64, PostError> {
    if let Some(key) = &journal.dedupe_key {
        let existing =
            sqlx::query("SELECT id FROM point_journals WHERE dedupe_key = $1").bind(key).fetch_optional(&mut *transaction).await?;
        if let Some(row) = existing {
            return Err(PostError::Duplicate(row.try_get(0)?));
        }
    }
    let row = sqlx::query(
        "INSERT INTO point_journals (dedupe_key, region_code, kind, rule_code, reason, granted_by, granted_by_name, corrects_journal_id, work_item_id, meeting_id, at_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id",
    )
    .bind(&journal.dedupe_key)
    .bind(&journal.region_code)
    .bind(journal.kind.as_str())
    .bind(&journal.rule_code)
    .bind(&journal.reason)
    .bind(journal.granted_by)
    .bind(&journal.granted_by_name)
    .bind(journal.corrects_journal_id)
    .bind(journal.work_item_id)
    .bind(journal.meeting_id)
    .bind(journal.at_ms)
    .fetch_one(&mut *transaction)
    .await?;
    let journal_id: i64 = row.try_get(0)?;
    for posting in postings {
        let moved = sqlx::query(
            "UPDATE point_accounts SET balance = balance + $1 WHERE id = $2 \
             AND (balance + $1 >= 0 OR allow_negative = 1 OR kind = 'pool') RETURNING balance",
        )
        .bind(posting.amount)
        .bind(posting.account_id)
        .fetch_optional(&mut *transaction)
        .await?;
        let Some(moved) = moved else {
            return Err(PostError::Insufficient { account_id: posting.account_id });
        };
        let balance_after: i64 = moved.try_get(0)?;
        sqlx::query("INSERT INTO point_entries (journal_id, account_id, amount, balance_after, at_ms) VALUES ($1, $2, $3, $4, $5)")
            .bind(journal_id)
            .bind(posting.account_id)
            .bind(posting.amount)
            .bind(balance_after)
            .bind(journal.at_ms)
            .execute(&mut *transaction)
            .await?;
    }
    Ok(journal_id)
}

/// The postings of a journal, inside a transaction (for a correction).
pub async fn journal_postings_in(transaction: &mut AnyConnection, journal_id: i64) -> Result<Vec<Posting>> {
    let rows = sqlx::query("SELECT account_id, amount FROM point_entries WHERE journal_id = $1 ORDER BY id")
        .bind(journal_id)
        .fetch_all(&mut *transaction)
        .await?;
    rows.iter().map(|row| Ok(Posting { account_id: row.try_get(0)?, amount: row.try_get(1)? })).collect()
}

/// Whether a journal was already corrected (inside a transaction).
pub async fn correction_of_in(transaction: &mut AnyConnection, journal_id: i64) -> Result<Option<i64>> {
    let row = sqlx::query("SELECT id FROM point_journals WHERE corrects_journal_id = $1")
        .bind(journal_id)
        .fetch_optional(&mut *transaction)
        .await?;
    row.map(|row| Ok(row.try_get(0)?)).transpose()
}

/// A community's rule by code, inside a transaction.
pub async fn rule_in(transaction: &mut AnyConnection, region_code: &str, code: &str) -> Result<Option<PointRule>> {
    let row =
        sqlx::query("SELECT id, region_code, code, label, direction, points, active FROM point_rules WHERE region_code = $1 AND code = $2")
            .bind(region_code)
            .bind(code)
            .fetch_optional(&mut *transaction)
            .await?;
    row.as_ref().map(rule_from_row).transpose()
}

impl Db {
    pub async fn point_account(&self, id: i64) -> Result<Option<PointAccount>> {
        let sql = format!("SELECT {ACCOUNT_COLUMNS} FROM point_accounts WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(account_from_row).transpose()
    }

    /// Accounts of communities under a region prefix, persons first by balance.
    pub async fn point_accounts(&self, region_prefix: &str, kind: Option<AccountKind>, limit: i64) -> Result<Vec<PointAccount>> {
        let mut builder = SqlBuilder::new(&format!("SELECT {ACCOUNT_COLUMNS} FROM point_accounts WHERE region_code >= "));
        builder.bind(region_prefix).push(" AND region_code < ").bind(super::places::prefix_upper_bound(region_prefix));
        if let Some(kind) = kind {
            builder.push(" AND kind = ").bind(kind.as_str());
        }
        builder.push(" ORDER BY balance DESC, id LIMIT ").bind(limit.clamp(1, 5000));
        builder.query().fetch_all(&self.pool).await?.iter().map(account_from_row).collect()
    }

    /// Creates or changes a community's rule.
    pub async fn upsert_point_rule(
        &self,
        region_code: &str,
        code: &str,
        label: &str,
        direction: RuleDirection,
        points: i64,
        active: bool,
        by: i64,
        now_ms: i64,
    ) -> Result<PointRule> {
        sqlx::query(
            "INSERT INTO point_rules (region_code, code, label, direction, points, active, updated_ms, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) \
             ON CONFLICT (region_code, code) DO UPDATE SET label = $3, direction = $4, points = $5, active = $6, updated_ms = $7, updated_by = $8",
        )
        .bind(region_code)
        .bind(code)
        .bind(label)
        .bind(direction.as_str())
        .bind(points)
        .bind(i64::from(active))
        .bind(now_ms)
        .bind(by)
        .execute(&self.pool)
        .await?;
        let row = sqlx::query(
            "SELECT id, region_code, code, label, direction, points, active FROM point_rules WHERE region_code = $1 AND code = $2",
        )
        .bind(region_code)
        .bind(code)
        .fetch_one(&self.pool)
        .await?;
        rule_from_row(&row)
    }

    pub async fn point_rules(&self, region_code: &str) -> Result<Vec<PointRule>> {
        let rows = sqlx::query("SELECT id, region_code, code, label, direction, points, active FROM point_rules WHERE region_code = $1 ORDER BY direction, code")
            .bind(region_code)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(rule_from_row).collect()
    }

    pub async fn point_journal(&self, id: i64) -> Result<Option<JournalRow>> {
        let row = sqlx::query(
            "SELECT id, region_code, kind, rule_code, reason, granted_by, granted_by_name, corrects_journal_id, work_item_id, meeting_id, at_ms FROM point_journals WHERE id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        let Some(row) = row else { return Ok(None) };
        let postings = sqlx::query("SELECT account_id, amount, balance_after FROM point_entries WHERE journal_id = $1 ORDER BY id")
            .bind(id)
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(|entry| Ok(PostingRow { account_id: entry.try_get(0)?, amount: entry.try_get(1)?, balance_after: entry.try_get(2)? }))
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(JournalRow {
            id: row.try_get("id")?,
            region_code: row.try_get("region_code")?,
            kind: row.try_get("kind")?,
            rule_code: row.try_get("rule_code")?,
            reason: row.try_get("reason")?,
            granted_by: row.try_get("granted_by")?,
            granted_by_name: row.try_get("granted_by_name")?,
            corrects_journal_id: row.try_get("corrects_journal_id")?,
            work_item_id: row.try_get("work_item_id")?,
            meeting_id: row.try_get("meeting_id")?,
            at_ms: row.try_get("at_ms")?,
            postings,
        }))
    }

    /// An account's balance just before `before_ms` (the sum of its earlier entries).
    pub async fn point_balance_before(&self, account_id: i64, before_ms: i64) -> Result<i64> {
        let row = sqlx::query("SELECT CAST(COALESCE(SUM(amount), 0) AS BIGINT) FROM point_entries WHERE account_id = $1 AND at_ms < $2")
            .bind(account_id)
            .bind(before_ms)
            .fetch_one(&self.pool)
            .await?;
        Ok(row.try_get(0)?)
    }

    /// An account's entries in `[from_ms, to_ms)`, in order, with their journals.
    pub async fn point_lines(&self, account_id: i64, from_ms: i64, to_ms: i64) -> Result<Vec<StatementLine>> {
        let rows = sqlx::query(
            "SELECT j.id, e.at_ms, j.kind, j.rule_code, j.reason, j.granted_by_name, e.amount, e.balance_after \
             FROM point_entries e JOIN point_journals j ON j.id = e.journal_id \
             WHERE e.account_id = $1 AND e.at_ms >= $2 AND e.at_ms < $3 ORDER BY e.at_ms, e.id",
        )
        .bind(account_id)
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                Ok(StatementLine {
                    journal_id: row.try_get(0)?,
                    at_ms: row.try_get(1)?,
                    kind: row.try_get(2)?,
                    rule_code: row.try_get(3)?,
                    reason: row.try_get(4)?,
                    granted_by: row.try_get(5)?,
                    amount: row.try_get(6)?,
                    balance_after: row.try_get(7)?,
                })
            })
            .collect()
    }

    /// Points issued (earned, net of corrections) and spent in a region and period.
    pub async fn points_totals(&self, region_prefix: &str, from_ms: i64, to_ms: i64) -> Result<(i64, i64)> {
        let rows = sqlx::query(
            "SELECT a.kind, CAST(COALESCE(SUM(e.amount), 0) AS BIGINT) FROM point_entries e JOIN point_accounts a ON a.id = e.account_id \
             WHERE a.region_code >= $1 AND a.region_code < $2 AND e.at_ms >= $3 AND e.at_ms < $4 AND a.kind IN ('pool', 'redemption') GROUP BY a.kind",
        )
        .bind(region_prefix)
        .bind(super::places::prefix_upper_bound(region_prefix))
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await?;
        let (mut issued, mut spent) = (0, 0);
        for row in rows {
            let kind: String = row.try_get(0)?;
            let sum: i64 = row.try_get(1)?;
            match kind.as_str() {
                "pool" => issued = -sum,
                _ => spent = sum,
            }
        }
        Ok((issued, spent))
    }

    /// Checks every journal balances and every balance equals its entries: the ledger's
    /// own audit. Returns a line per problem found.
    pub async fn audit_points(&self) -> Result<Vec<String>> {
        let mut problems = Vec::new();
        let unbalanced =
            sqlx::query("SELECT journal_id, CAST(SUM(amount) AS BIGINT) FROM point_entries GROUP BY journal_id HAVING SUM(amount) <> 0")
                .fetch_all(&self.pool)
                .await?;
        for row in unbalanced {
            let (journal, sum): (i64, i64) = (row.try_get(0)?, row.try_get(1)?);
            problems.push(format!("points journal {journal} does not balance (sum {sum})"));
        }
        let drift = sqlx::query(
            "SELECT a.id, a.balance, CAST(COALESCE((SELECT SUM(e.amount) FROM point_entries e WHERE e.account_id = a.id), 0) AS BIGINT) FROM point_accounts a",
        )
        .fetch_all(&self.pool)
        .await?;
        for row in drift {
            let (account, balance, sum): (i64, i64, i64) = (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
            if balance != sum {
                problems.push(format!("points account {account} shows {balance} but its entries sum to {sum}"));
            }
        }
        Ok(problems)
    }
}
