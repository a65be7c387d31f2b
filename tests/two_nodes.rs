//! Two nodes on one PostgreSQL database sweep and run jobs at the same time: every
//! overdue appeal is escalated exactly once (none twice, none missed), whether the sweep
//! of either node escalates it at once or a job does, and the jobs of a node that dies
//! mid-job are taken over once their lease runs out.
//!
//! The number of appeals is `MINQING_TWO_NODE_APPEALS` (default 2000; the target
//! of 10,000 passes too, it only takes longer to set up).

mod common;

use std::collections::BTreeMap;

use common::{TestDb, county, postgres_admin_url};
use minqing::domain::appeal::Channel;
use minqing::domain::contact::Contact;
use minqing::service::intake::{NewAppeal, submit};
use minqing::service::{Clock, Hub, HubConfig, jobs};
use minqing::storage::Db;
use sqlx::Row;

fn appeal(index: usize) -> NewAppeal {
    NewAppeal {
        text: format!("村口路灯坏了（第{index}盏）"),
        point: Some((102.05, 29.05)),
        region_code: None,
        address: None,
        channel: Channel::Web,
        contact: Contact::parse(None, None).expect("contact"),
        category_code: None,
        meeting_id: None,
        judgement: None,
    }
}

async fn escalations_per_appeal(db: &Db) -> BTreeMap<i64, i64> {
    let rows =
        sqlx::query("SELECT a.id, (SELECT COUNT(*) FROM appeal_events e WHERE e.appeal_id = a.id AND e.kind = 'escalated') FROM appeals a")
            .fetch_all(&db.pool)
            .await
            .expect("count");
    rows.iter().map(|row| (row.get::<i64, _>(0), row.get::<i64, _>(1))).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_nodes_escalate_each_overdue_appeal_exactly_once() {
    let Some(test_db) = TestDb::postgres().await else {
        eprintln!("SKIPPED two_nodes: PostgreSQL is not reachable at {}", postgres_admin_url());
        return;
    };
    let total: usize = std::env::var("MINQING_TWO_NODE_APPEALS").ok().and_then(|text| text.parse().ok()).unwrap_or(2000);
    let county = county(test_db.db.clone()).await;
    let node_a = county.hub.clone();

    // The second node: its own pool on the same database, its own clock at the same time.
    let database: String = sqlx::query("SELECT CAST(current_database() AS TEXT)").fetch_one(&test_db.db.pool).await.expect("name").get(0);
    let base = postgres_admin_url().rsplit_once('/').map(|(base, _)| base.to_string()).expect("url");
    let second_db = Db::connect(&format!("{base}/{database}")).await.expect("second pool");
    let node_b = Hub::new(second_db, HubConfig::default(), Clock::manual(node_a.clock.now())).await.expect("second hub");

    // Appeals received on Monday at 09:00, due to be dispatched by 14:30.
    let mut tasks = tokio::task::JoinSet::new();
    for worker in 0..16 {
        let hub = node_a.clone();
        tasks.spawn(async move {
            for index in (worker..total).step_by(16) {
                submit(&hub, appeal(index), None).await.expect("submit");
            }
        });
    }
    while let Some(done) = tasks.join_next().await {
        done.expect("intake task");
    }

    // The sweep escalates overdue appeals itself and queues jobs only for what its batch
    // could not do. A node queued jobs for 25 of them, as after a failed batch, claimed
    // them and died before finishing: they must not be lost, nor escalated twice.
    let late = jiff::SignedDuration::from_hours(6);
    node_a.clock.advance(late);
    node_b.clock.advance(late);
    let now_ms = node_a.clock.now_ms();
    let left_to_jobs = node_a.db.appeals_past_deadline(now_ms, 25).await.expect("overdue");
    for job in minqing::service::sweep::escalation_jobs(&left_to_jobs, now_ms) {
        assert!(node_a.db.enqueue_job(&job, now_ms).await.expect("enqueue"));
    }
    let stolen = node_a.db.claim_jobs("dead-node", now_ms, now_ms + jobs::LEASE_MS, 25).await.expect("claim");
    assert_eq!(stolen.len(), 25);

    // Both nodes tick at once until neither finds work.
    let run_node = |hub: Hub, name: &'static str| async move {
        let mut ran = 0;
        loop {
            let report = jobs::tick(&hub, name).await.expect("tick");
            assert_eq!(report.jobs_failed, 0, "{name}: {report:?}");
            ran += report.jobs_run;
            if report.jobs_run == 0 && report.sweep.is_idle() {
                return ran;
            }
        }
    };
    let (ran_a, ran_b) = tokio::join!(tokio::spawn(run_node(node_a.clone(), "node-a")), tokio::spawn(run_node(node_b.clone(), "node-b")));
    let (ran_a, ran_b) = (ran_a.expect("node a"), ran_b.expect("node b"));
    eprintln!("node a ran {ran_a} jobs, node b ran {ran_b}");

    let counts = escalations_per_appeal(&node_a.db).await;
    assert_eq!(counts.len(), total);
    let pending: Vec<_> = counts.iter().filter(|(_, count)| **count != 1).collect();
    // The dead node's 25 appeals are still waiting for its lease to run out.
    assert_eq!(pending.len(), 25, "only the dead node's appeals wait: {:?}", pending.iter().take(5).collect::<Vec<_>>());
    assert!(pending.iter().all(|(_, count)| **count == 0), "no appeal escalated twice");

    // Once the lease runs out, the other nodes take the jobs over.
    let lease = jiff::SignedDuration::from_millis(jobs::LEASE_MS + 1000);
    node_a.clock.advance(lease);
    node_b.clock.advance(lease);
    let (_, _) = tokio::join!(run_node(node_a.clone(), "node-a"), run_node(node_b.clone(), "node-b"));
    let counts = escalations_per_appeal(&node_a.db).await;
    assert!(counts.values().all(|count| *count == 1), "every appeal escalated exactly once");
    let stuck: i64 = sqlx::query("SELECT COUNT(*) FROM jobs WHERE state <> 'done'").fetch_one(&node_a.db.pool).await.expect("jobs").get(0);
    assert_eq!(stuck, 0, "no job left behind");
    test_db.cleanup().await;
}
