//! The job runner and the scheduler loop that `minqing serve` starts.
//!
//! Each tick: sweep (escalate what is overdue, queue other due work), then claim and run
//! jobs until none is runnable.
//! Several nodes may tick at once against one database: claims never hand one job to two
//! live workers, a dead worker's jobs come back when their lease runs out, and every job
//! re-checks its work inside its own transaction, so a repeat does nothing.

use std::time::Duration;

use super::{Hub, ServiceError};
use crate::storage::StorageError;
use crate::storage::jobs::{ClaimedJob, fail_job_in, finish_job_in};

/// How long a claimed job is a worker's before another may take it over.
pub const LEASE_MS: i64 = 5 * 60 * 1000;

/// How many jobs one claim takes (and one bulk escalation handles).
pub const CLAIM_BATCH: i64 = 500;

/// What one tick did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct TickReport {
    pub sweep: super::sweep::SweepReport,
    /// Jobs run to completion (including those that found nothing left to do).
    pub jobs_run: usize,
    /// Jobs that failed and were put back (or given up on).
    pub jobs_failed: usize,
}

/// The delay before retry `attempt` (1-based): 30 s, 1 min, 2 min, … capped at 1 h.
pub fn backoff_ms(attempt: i64) -> i64 {
    let exponent = u32::try_from(attempt.saturating_sub(1).clamp(0, 7)).unwrap_or(7);
    (30_000_i64 << exponent).min(3_600_000)
}

async fn run_one(hub: &Hub, job: &ClaimedJob) -> Result<(), ServiceError> {
    match job.kind.as_str() {
        "escalate" => {
            if let (Some(appeal_id), Some(due_ms)) = (job.appeal_id, job.due_ms) {
                super::sweep::escalate(hub, appeal_id, due_ms).await?;
            }
            Ok(())
        }
        "warn" => {
            if let (Some(appeal_id), Some(due_ms)) = (job.appeal_id, job.due_ms) {
                super::sweep::warn(hub, appeal_id, due_ms).await?;
            }
            Ok(())
        }
        "reminders" => {
            let payload: serde_json::Value = serde_json::from_str(&job.payload_json).unwrap_or_default();
            let month = payload.get("month").and_then(serde_json::Value::as_str).unwrap_or_default().to_string();
            super::sweep::monthly_reminders(hub, &month).await?;
            Ok(())
        }
        super::work::ESCALATE_JOB => super::work::run_job(hub, &job.payload_json, job.due_ms).await,
        "deliver" => {
            let payload: serde_json::Value = serde_json::from_str(&job.payload_json).unwrap_or_default();
            match payload.get("delivery_id").and_then(serde_json::Value::as_i64) {
                Some(delivery_id) => super::notifications::deliver(hub, delivery_id, job.attempts >= job.max_attempts).await,
                None => Ok(()),
            }
        }
        other => Err(ServiceError::Internal(format!("unknown job kind {other}"))),
    }
}

/// Claims and runs runnable jobs until none is left (or `max_jobs` ran).
pub async fn run_jobs(hub: &Hub, worker: &str, max_jobs: usize) -> Result<(usize, usize), ServiceError> {
    let (mut ran, mut failed) = (0, 0);
    while ran + failed < max_jobs {
        let now_ms = hub.clock.now_ms();
        let claimed = hub.db.claim_jobs(worker, now_ms, now_ms + LEASE_MS, CLAIM_BATCH).await?;
        if claimed.is_empty() {
            break;
        }
        let (escalations, others): (Vec<ClaimedJob>, Vec<ClaimedJob>) =
            claimed.into_iter().partition(|job| job.kind == "escalate" && job.appeal_id.is_some() && job.due_ms.is_some());
        if !escalations.is_empty() {
            match super::bulk_escalation::run_batch(hub, worker, &escalations).await {
                Ok(batch_ran) => ran += batch_ran,
                Err(error) => {
                    // Nothing of the batch was written; escalate its appeals one by one,
                    // so a failure is recorded against its own job.
                    tracing::warn!(%error, jobs = escalations.len(), "escalating the batch at once failed; escalating one by one");
                    let (batch_ran, batch_failed) = run_escalations(hub, worker, &escalations).await?;
                    ran += batch_ran;
                    failed += batch_failed;
                }
            }
        }
        for job in &others {
            match run_one(hub, job).await {
                Ok(()) => {
                    hub.db.finish_job(job.id, worker, hub.clock.now_ms()).await?;
                    ran += 1;
                }
                Err(error) => {
                    let now_ms = hub.clock.now_ms();
                    tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, %error, "job failed");
                    hub.db.fail_job(job.id, worker, &error.to_string(), now_ms + backoff_ms(job.attempts), now_ms).await?;
                    failed += 1;
                }
            }
        }
    }
    Ok((ran, failed))
}

/// Runs a claimed batch of escalation jobs one by one, in ONE transaction: each appeal in its own
/// savepoint (one failing appeal does not undo its neighbours), each job marked done in
/// the same savepoint as its work, one durable commit for the batch. A durable commit
/// costs an fsync; one per appeal would bound escalation by the disk's fsync rate.
/// If the commit fails, nothing of the batch happened and the jobs come back when their
/// lease runs out.
async fn run_escalations(hub: &Hub, worker: &str, jobs: &[ClaimedJob]) -> Result<(usize, usize), ServiceError> {
    use sqlx::Acquire;
    let (mut ran, mut failed) = (0, 0);
    let mut transaction = hub.db.begin_write().await?;
    for job in jobs {
        let (Some(appeal_id), Some(due_ms)) = (job.appeal_id, job.due_ms) else { continue };
        let mut savepoint = (&mut *transaction).begin().await.map_err(StorageError::from)?;
        let outcome = super::sweep::escalate_in(hub, &mut savepoint, appeal_id, due_ms).await;
        let outcome = match outcome {
            Ok(_) => finish_job_in(&mut savepoint, job.id, worker, hub.clock.now_ms()).await.map_err(ServiceError::from),
            Err(error) => Err(error),
        };
        match outcome {
            Ok(()) => {
                savepoint.commit().await.map_err(StorageError::from)?;
                ran += 1;
            }
            Err(error) => {
                savepoint.rollback().await.map_err(StorageError::from)?;
                let now_ms = hub.clock.now_ms();
                tracing::warn!(job = job.id, kind = %job.kind, attempt = job.attempts, %error, "job failed");
                fail_job_in(&mut transaction, job.id, worker, &error.to_string(), now_ms + backoff_ms(job.attempts), now_ms).await?;
                failed += 1;
            }
        }
    }
    transaction.commit().await.map_err(StorageError::from)?;
    Ok((ran, failed))
}

/// One tick of the scheduler: sweep until nothing more is queued, running jobs as we go.
pub async fn tick(hub: &Hub, worker: &str) -> Result<TickReport, ServiceError> {
    let mut report = TickReport::default();
    loop {
        let swept = super::sweep::sweep(hub).await?;
        // The programmes' overdue work and schedule reminders share the tick and the queue.
        let programme_work = super::work::sweep(hub).await?;
        super::programmes::schedule_reminders(hub).await?;
        report.sweep.escalations += programme_work;
        report.sweep.warnings += swept.warnings;
        report.sweep.escalations += swept.escalations;
        report.sweep.reminders += swept.reminders;
        let (ran, failed) = run_jobs(hub, worker, 100_000).await?;
        report.jobs_run += ran;
        report.jobs_failed += failed;
        if swept.is_idle() && programme_work == 0 {
            break;
        }
    }
    Ok(report)
}

/// A name for this node's worker, in the claim records: host name and process id.
pub fn worker_name() -> String {
    let host = std::env::var("HOSTNAME").unwrap_or_else(|_| "node".into());
    format!("{host}:{}", std::process::id())
}

/// Starts the scheduler loop: a tick every `interval` until `shutdown` fires.
/// Errors are logged and the loop goes on; the next tick retries.
pub fn spawn_scheduler(hub: Hub, interval: Duration, mut shutdown: tokio::sync::watch::Receiver<bool>) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let worker = worker_name();
        let mut ticker = tokio::time::interval(interval);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut last_purge_ms = 0_i64;
        let mut last_rollup: Option<std::time::Instant> = None;
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                _ = shutdown.changed() => break,
            }
            if *shutdown.borrow() {
                break;
            }
            match tick(&hub, &worker).await {
                Ok(report) if report.jobs_run + report.jobs_failed > 0 => {
                    tracing::info!(
                        ran = report.jobs_run,
                        failed = report.jobs_failed,
                        escalations = report.sweep.escalations,
                        warnings = report.sweep.warnings,
                        "scheduler tick"
                    );
                }
                Ok(_) => {}
                Err(error) => tracing::warn!(%error, "scheduler tick failed; retrying next tick"),
            }
            if last_rollup.is_none_or(|at| at.elapsed() >= super::rollups::REFRESH_EVERY) {
                last_rollup = Some(std::time::Instant::now());
                if let Err(error) = super::rollups::refresh_due(&hub, false).await {
                    tracing::warn!(%error, "refreshing the dashboard rollups failed; retrying later");
                }
            }
            let now_ms = hub.clock.now_ms();
            if now_ms - last_purge_ms > 24 * 3_600_000 {
                last_purge_ms = now_ms;
                if let Err(error) = hub.db.purge_finished_jobs(now_ms - 30 * 24 * 3_600_000).await {
                    tracing::warn!(%error, "purging finished jobs failed");
                }
            }
        }
        tracing::info!("scheduler stopped");
    })
}
