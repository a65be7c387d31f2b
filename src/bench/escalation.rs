//! `minqing bench escalate`: the time to escalate overdue appeals, and of an idle sweep.
//!
//! It drives the same code as the scheduler (`service::sweep::sweep` escalates what is
//! overdue and queues the rest, `service::jobs::run_jobs` claims and runs the jobs), in
//! process, so the figure is the work of the hub and not of a timer.

use std::time::Instant;

use crate::service::Hub;
use crate::service::jobs::{run_jobs, worker_name};
use crate::service::sweep::sweep;

/// Escalates overdue appeals (stopping once `limit` are done), then times `idle_sweeps` sweeps.
pub async fn run(hub: &Hub, limit: usize, idle_sweeps: usize) -> anyhow::Result<()> {
    let worker = worker_name();
    let stored = hub.db.count_appeals().await?;
    // The month's reminder notices (工作提示函) are queued by the first sweep of a month
    // and aggregate the whole month: separate work, timed on its own, before the clock
    // for escalation starts.
    let began = Instant::now();
    let mut transaction = hub.db.begin_write().await?;
    crate::service::sweep::queue_monthly_reminders_in(hub, &mut transaction).await?;
    transaction.commit().await?;
    let (reminder_jobs, _) = run_jobs(hub, &worker, 10).await?;
    println!("monthly reminders: {reminder_jobs} job(s) in {:.2} s with {stored} appeals stored", began.elapsed().as_secs_f64());
    let started = Instant::now();
    let (mut escalations, mut ran, mut failed) = (0usize, 0usize, 0usize);
    let mut sweep_time = 0.0;
    while escalations < limit {
        let began = Instant::now();
        let report = sweep(hub).await?;
        sweep_time += began.elapsed().as_secs_f64();
        escalations += report.escalations;
        let (batch_ran, batch_failed) = run_jobs(hub, &worker, 100_000).await?;
        ran += batch_ran;
        failed += batch_failed;
        if report.is_idle() && batch_ran + batch_failed == 0 {
            break;
        }
    }
    let elapsed = started.elapsed().as_secs_f64();
    println!(
        "escalation: {stored} appeals stored, {escalations} escalated (or queued as jobs) in {elapsed:.2} s ({:.0}/s; \
         of which sweeping {sweep_time:.2} s), {ran} jobs run ({failed} failed)",
        escalations as f64 / elapsed.max(1e-9)
    );
    // The last burst's checkpoint runs on after the sweep returns (SQLite): time it
    // apart, and keep it out of the idle sweeps.
    hub.db.bursts_settled().await;
    println!(
        "checkpoint: the last burst's pages copied into the database file {:.2} s after the last escalation",
        started.elapsed().as_secs_f64() - elapsed
    );
    // The idle sweep: run until nothing is left due (the limit may have stopped short).
    let mut times = Vec::with_capacity(idle_sweeps);
    for _ in 0..idle_sweeps {
        let began = Instant::now();
        let report = sweep(hub).await?;
        let took = began.elapsed().as_secs_f64() * 1000.0;
        if report.is_idle() {
            times.push(took);
        } else {
            run_jobs(hub, &worker, 100_000).await?;
        }
    }
    times.sort_by(|a, b| a.total_cmp(b));
    if times.is_empty() {
        println!("idle sweep: never idle in {idle_sweeps} tries");
    } else {
        let at = |share: f64| times[((share * (times.len() - 1) as f64).round() as usize).min(times.len() - 1)];
        println!(
            "idle sweep: {} runs with {stored} appeals stored: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms",
            times.len(),
            at(0.5),
            at(0.99),
            at(1.0)
        );
    }
    Ok(())
}
