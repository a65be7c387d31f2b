//! Durable jobs: a queue in the database that several nodes share.
//!
//! A job is claimed by one statement that moves it to `running` with a lease. On
//! PostgreSQL the candidates are locked with `FOR UPDATE SKIP LOCKED`, so concurrent
//! nodes take different jobs without waiting on each other; on SQLite the statement runs
//! under the single writer lock, which makes it atomic. A job whose lease ran out (its
//! node died mid-job) is claimable again. Every job is written to be safe to run twice.
//! A `dedupe_key` (unique) makes enqueuing idempotent too.

use sqlx::Row;

use super::{Db, Dialect, Result};

/// A job to enqueue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewJob {
    pub kind: String,
    /// Unique: a second enqueue with the same key is ignored.
    pub dedupe_key: String,
    /// The appeal and the deadline the job is about, when it is about one (the sweep uses
    /// them to skip appeals that already have a job for their current deadline).
    pub appeal_id: Option<i64>,
    pub due_ms: Option<i64>,
    pub payload_json: String,
    pub run_at_ms: i64,
    pub max_attempts: i64,
}

/// A claimed job.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub id: i64,
    pub kind: String,
    pub dedupe_key: String,
    pub appeal_id: Option<i64>,
    pub due_ms: Option<i64>,
    pub payload_json: String,
    pub attempts: i64,
    pub max_attempts: i64,
}

/// A job as listed for operators.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub dedupe_key: String,
    pub state: String,
    pub run_at_ms: i64,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub finished_ms: Option<i64>,
}

/// An appeal whose deadline (or warning) is due: (appeal id, the instant, its current deadline).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DueAppeal {
    pub appeal_id: i64,
    pub at_ms: i64,
    pub deadline_ms: i64,
}

impl Db {
    /// Enqueues a job; returns false when a job with the same key exists already.
    pub async fn enqueue_job(&self, job: &NewJob, now_ms: i64) -> Result<bool> {
        enqueue(&self.pool, job, now_ms).await
    }

    /// Claims up to `limit` runnable jobs for `worker` until `lease_until_ms`: queued jobs
    /// whose time has come, and running jobs whose lease ran out.
    pub async fn claim_jobs(&self, worker: &str, now_ms: i64, lease_until_ms: i64, limit: i64) -> Result<Vec<ClaimedJob>> {
        let lock = match self.dialect {
            Dialect::Postgres => " FOR UPDATE SKIP LOCKED",
            Dialect::Sqlite => "",
        };
        let sql = format!(
            "UPDATE jobs SET state = 'running', attempts = attempts + 1, locked_by = $1, lease_until_ms = $2 \
             WHERE id IN (SELECT id FROM jobs WHERE (state = 'queued' AND run_at_ms <= $3) OR (state = 'running' AND lease_until_ms < $3) \
             ORDER BY run_at_ms, id LIMIT $4{lock}) \
             RETURNING id, kind, dedupe_key, appeal_id, due_ms, payload, attempts, max_attempts"
        );
        let rows =
            sqlx::query(sqlx::AssertSqlSafe(sql)).bind(worker).bind(lease_until_ms).bind(now_ms).bind(limit).fetch_all(&self.pool).await?;
        let mut jobs: Vec<ClaimedJob> = rows
            .iter()
            .map(|row| {
                Ok(ClaimedJob {
                    id: row.try_get("id")?,
                    kind: row.try_get("kind")?,
                    dedupe_key: row.try_get("dedupe_key")?,
                    appeal_id: row.try_get("appeal_id")?,
                    due_ms: row.try_get("due_ms")?,
                    payload_json: row.try_get("payload")?,
                    attempts: row.try_get("attempts")?,
                    max_attempts: row.try_get("max_attempts")?,
                })
            })
            .collect::<Result<_>>()?;
        jobs.sort_by_key(|job| job.id);
        Ok(jobs)
    }

    /// Marks a claimed job done. Only the worker holding the claim can.
    pub async fn finish_job(&self, id: i64, worker: &str, now_ms: i64) -> Result<()> {
        finish(&self.pool, id, worker, now_ms).await
    }

    /// Puts a failed job back in the queue at `retry_at_ms`, or marks it failed for good
    /// once it has used its attempts.
    pub async fn fail_job(&self, id: i64, worker: &str, error: &str, retry_at_ms: i64, now_ms: i64) -> Result<()> {
        fail(&self.pool, id, worker, error, retry_at_ms, now_ms).await
    }

    /// Jobs by state (all states when `None`), newest first.
    pub async fn list_jobs(&self, state: Option<&str>, limit: i64) -> Result<Vec<JobRow>> {
        let mut builder = super::sql::SqlBuilder::new(
            "SELECT id, kind, dedupe_key, state, run_at_ms, attempts, last_error, finished_ms FROM jobs WHERE 1 = 1",
        );
        if let Some(state) = state {
            builder.push(" AND state = ").bind(state);
        }
        builder.push(" ORDER BY id DESC LIMIT ").bind(limit);
        let rows = builder.query().fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                Ok(JobRow {
                    id: row.try_get("id")?,
                    kind: row.try_get("kind")?,
                    dedupe_key: row.try_get("dedupe_key")?,
                    state: row.try_get("state")?,
                    run_at_ms: row.try_get("run_at_ms")?,
                    attempts: row.try_get("attempts")?,
                    last_error: row.try_get("last_error")?,
                    finished_ms: row.try_get("finished_ms")?,
                })
            })
            .collect()
    }

    /// Removes finished jobs older than `before_ms`. Their keys only guard deadlines that
    /// have long moved on, so forgetting them repeats nothing.
    pub async fn purge_finished_jobs(&self, before_ms: i64) -> Result<u64> {
        let done = sqlx::query("DELETE FROM jobs WHERE state = 'done' AND kind <> 'reminders' AND finished_ms < $1")
            .bind(before_ms)
            .execute(&self.pool)
            .await?;
        Ok(done.rows_affected())
    }

    /// Appeals whose running deadline has passed and that have no job for that deadline yet.
    /// Reads the `next_deadline_ms` index range only: the cost follows the number due.
    pub async fn appeals_past_deadline(&self, now_ms: i64, limit: i64) -> Result<Vec<DueAppeal>> {
        let rows = sqlx::query(
            "SELECT a.id, a.next_deadline_ms FROM appeals a WHERE a.next_deadline_ms <= $1 \
             AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.kind = 'escalate' AND j.appeal_id = a.id AND j.due_ms = a.next_deadline_ms) \
             ORDER BY a.next_deadline_ms, a.id LIMIT $2",
        )
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let deadline: i64 = row.try_get(1)?;
                Ok(DueAppeal { appeal_id: row.try_get(0)?, at_ms: deadline, deadline_ms: deadline })
            })
            .collect()
    }

    /// Appeals whose warning instant has passed but whose deadline has not (through the
    /// `warn_ms` index; past the deadline the escalation speaks instead).
    pub async fn appeals_to_warn(&self, now_ms: i64, limit: i64) -> Result<Vec<DueAppeal>> {
        let rows = sqlx::query(
            "SELECT a.id, a.warn_ms, a.next_deadline_ms FROM appeals a WHERE a.warn_ms <= $1 AND a.next_deadline_ms > $1 \
             AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.kind = 'warn' AND j.appeal_id = a.id AND j.due_ms = a.next_deadline_ms) \
             ORDER BY a.warn_ms, a.id LIMIT $2",
        )
        .bind(now_ms)
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(|row| Ok(DueAppeal { appeal_id: row.try_get(0)?, at_ms: row.try_get(1)?, deadline_ms: row.try_get(2)? })).collect()
    }
}

/// Enqueues a job inside the caller's transaction, so it exists if and only if the work
/// that asked for it was committed.
pub async fn enqueue_job_in(transaction: &mut sqlx::AnyConnection, job: &NewJob, now_ms: i64) -> Result<bool> {
    enqueue(&mut *transaction, job, now_ms).await
}

async fn enqueue<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(executor: E, job: &NewJob, now_ms: i64) -> Result<bool> {
    let done = sqlx::query(
        "INSERT INTO jobs (kind, dedupe_key, appeal_id, due_ms, payload, state, run_at_ms, attempts, max_attempts, created_ms) \
         VALUES ($1, $2, $3, $4, $5, 'queued', $6, 0, $7, $8) ON CONFLICT (dedupe_key) DO NOTHING",
    )
    .bind(&job.kind)
    .bind(&job.dedupe_key)
    .bind(job.appeal_id)
    .bind(job.due_ms)
    .bind(&job.payload_json)
    .bind(job.run_at_ms)
    .bind(job.max_attempts)
    .bind(now_ms)
    .execute(executor)
    .await?;
    Ok(done.rows_affected() == 1)
}

impl Db {
    /// Whether a job with this key was ever queued (and not purged).
    pub async fn reminder_job_exists(&self, dedupe_key: &str) -> Result<bool> {
        let row = sqlx::query("SELECT COUNT(*) FROM jobs WHERE dedupe_key = $1").bind(dedupe_key).fetch_one(&self.pool).await?;
        Ok(row.try_get::<i64, _>(0)? > 0)
    }
}

/// Marks a claimed job done inside the caller's transaction, so the job is done if and
/// only if its work was committed.
pub async fn finish_job_in(transaction: &mut sqlx::AnyConnection, id: i64, worker: &str, now_ms: i64) -> Result<()> {
    finish(&mut *transaction, id, worker, now_ms).await
}

/// Records a failed job inside the caller's transaction (see `Db::fail_job`).
pub async fn fail_job_in(
    transaction: &mut sqlx::AnyConnection,
    id: i64,
    worker: &str,
    error: &str,
    retry_at_ms: i64,
    now_ms: i64,
) -> Result<()> {
    fail(&mut *transaction, id, worker, error, retry_at_ms, now_ms).await
}

async fn finish<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(executor: E, id: i64, worker: &str, now_ms: i64) -> Result<()> {
    sqlx::query("UPDATE jobs SET state = 'done', finished_ms = $1, lease_until_ms = NULL, last_error = NULL WHERE id = $2 AND locked_by = $3 AND state = 'running'")
        .bind(now_ms)
        .bind(id)
        .bind(worker)
        .execute(executor)
        .await?;
    Ok(())
}

async fn fail<'e, E: sqlx::Executor<'e, Database = sqlx::Any>>(
    executor: E,
    id: i64,
    worker: &str,
    error: &str,
    retry_at_ms: i64,
    now_ms: i64,
) -> Result<()> {
    sqlx::query(
        "UPDATE jobs SET state = CASE WHEN attempts >= max_attempts THEN 'failed' ELSE 'queued' END, \
         finished_ms = CASE WHEN attempts >= max_attempts THEN $1 ELSE NULL END, \
         run_at_ms = $2, last_error = $3, lease_until_ms = NULL WHERE id = $4 AND locked_by = $5 AND state = 'running'",
    )
    .bind(now_ms)
    .bind(retry_at_ms)
    .bind(error)
    .bind(id)
    .bind(worker)
    .execute(executor)
    .await?;
    Ok(())
}
