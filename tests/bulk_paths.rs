//! The bulk paths write what the one-by-one paths write, on SQLite and PostgreSQL.
//!
//! - Escalation: two identical counties, the same overdue appeals (every tier, every
//!   running step, co-handlers, a red one with a head to tell); one county's sweep
//!   escalates them at once (`bulk_escalation::escalate_overdue`), without a job, the
//!   other county escalates them one appeal at a time (`sweep::escalate`). Records,
//!   events with their hashes, notifications, 督办 notices and work queues must be the same.
//! - The job runner's batch (`bulk_escalation::run_batch`): a stale job (the deadline
//!   moved after it was queued) does nothing, a due one escalates, and both are done.
//! - The sweep decides a batch before its write transaction: an appeal that moved on in
//!   between (a unit acted on it) is left out of the batch, without a job and without
//!   failing its neighbours, and is not escalated on the strength of its old state.
//! - PostgreSQL: the sweep leaves out an overdue appeal another transaction holds, and a
//!   later sweep escalates it once the row is free; it is escalated exactly once.
//! - A unit (and its head) told of more than `DIGEST_AFTER` escalations by one sweep
//!   batch gets one digest listing them, not one notification each.
//! - Intake: a batch with a taken idempotency key falls back to one appeal at a time; the
//!   loser is told, its neighbours are stored with consecutive numbers and whole chains.

mod common;

use common::{County, TestDb, county};
use jiff::Timestamp;
use minqing::domain::appeal::{Channel, Tier, Triage};
use minqing::domain::contact::Contact;
use minqing::domain::workflow::{Actor, Command};
use minqing::service::actions::act;
use minqing::service::intake::{NewAppeal, StaffJudgement, prepare, submit};
use minqing::service::intake_writer::{IdempotencyRecord, IntakeOutcome};
use minqing::service::{bulk_escalation, jobs, sweep};
use minqing::storage::appeals::AppealRecord;
use minqing::storage::jobs::DueAppeal;
use sqlx::Row;

fn appeal(text: &str, tier: Tier, urgent: bool) -> NewAppeal {
    NewAppeal {
        text: text.to_string(),
        point: Some((102.05, 29.05)),
        region_code: None,
        address: None,
        channel: Channel::Hotline,
        contact: Contact::parse(Some("王大爷"), Some("13812345678")).expect("contact"),
        category_code: Some("0201".into()),
        meeting_id: None,
        judgement: Some(StaffJudgement { urgent: Some(urgent), triage: Some(Triage::Small), tier: Some(tier) }),
    }
}

fn at(text: &str) -> Timestamp {
    text.parse().expect("time")
}

fn set_clock(county: &County, to: Timestamp) {
    let now = county.hub.clock.now();
    county.hub.clock.advance(to.duration_since(now));
}

async fn run(county: &County, number: &str, who: &str, command: Command) {
    let actor = Actor::Staff(county.staff(who).await);
    act(&county.hub, number, &actor, command.clone()).await.unwrap_or_else(|error| panic!("{who} {}: {error}", command.name()));
}

/// The same overdue appeals in a county, in the same order (so ids and numbers match).
async fn overdue_appeals(county: &County) -> Vec<String> {
    let leader = county.staff("leader").await;
    county.hub.db.set_unit_head(county.centre, leader.user_id).await.expect("head");
    county.hub.db.set_unit_head(county.huilong, county.staff("huilong").await.user_id).await.expect("head");
    set_clock(county, at("2026-11-16T09:00:00+08:00"));
    let mut numbers = Vec::new();
    let cases = [("村口路灯坏了", Tier::Green, false), ("路灯不亮两周了", Tier::Blue, false), ("道路塌陷", Tier::Yellow, false)];
    for (text, tier, urgent) in cases {
        numbers.push(submit(&county.hub, appeal(text, tier, urgent), None).await.expect("submit").appeal.number);
    }
    // Blue, dispatched with a co-handler: its sign-for clock runs.
    run(county, &numbers[1], "yanru", Command::Accept { note: None }).await;
    run(county, &numbers[1], "yanru", Command::Dispatch { lead_unit_id: county.housing, co_unit_ids: vec![county.water], note: None })
        .await;
    // Yellow, signed for: its resolution clock runs.
    run(county, &numbers[2], "huilong", Command::Accept { note: None }).await;
    run(county, &numbers[2], "huilong", Command::Dispatch { lead_unit_id: county.housing, co_unit_ids: vec![], note: None }).await;
    run(county, &numbers[2], "housing", Command::SignFor).await;
    // Red and urgent, never dispatched: 督办 to the service centre's head.
    numbers.push(submit(&county.hub, appeal("燃气泄漏，有很大气味", Tier::Red, true), None).await.expect("submit").appeal.number);
    // Red, dispatched and not signed for: 督办 to the late department (no head).
    numbers.push(submit(&county.hub, appeal("桥面护栏断裂", Tier::Red, false), None).await.expect("submit").appeal.number);
    run(county, &numbers[4], "dispatcher", Command::Accept { note: None }).await;
    run(county, &numbers[4], "dispatcher", Command::Dispatch { lead_unit_id: county.housing, co_unit_ids: vec![], note: None }).await;
    // Two weeks later everything above is overdue; one more appeal arrives that is not.
    set_clock(county, at("2026-11-30T10:00:00+08:00"));
    numbers.push(submit(&county.hub, appeal("垃圾桶满了", Tier::Green, false), None).await.expect("submit").appeal.number);
    numbers
}

/// Everything an escalation writes about an appeal, for comparison across databases.
#[derive(Debug, PartialEq)]
struct Written {
    record: AppealRecord,
    warn_ms: Option<i64>,
    events: Vec<(i64, String, String, String, String, String)>,
    notifications: Vec<(String, Option<i64>, Option<i64>, String, String)>,
    notices: Vec<(Option<i64>, Option<i64>, String, String)>,
    queue: Vec<(i64, i64)>,
    on_key_list: bool,
}

async fn written(county: &County, number: &str) -> Written {
    let db = &county.hub.db;
    let mut record = db.appeal_by_number(number).await.expect("query").expect("appeal");
    let events = db
        .events_of(record.id)
        .await
        .expect("events")
        .into_iter()
        .map(|event| (event.seq, event.kind, event.actor, event.reason, event.payload_json, event.hash))
        .collect::<Vec<_>>();
    let mut notifications: Vec<_> = db
        .notifications_of_appeal(record.id)
        .await
        .expect("notifications")
        .into_iter()
        .map(|notification| (notification.kind, notification.unit_id, notification.user_id, notification.title, notification.body))
        .collect();
    notifications.sort();
    let notices = db
        .supervision_notices(Some(record.id), 100)
        .await
        .expect("notices")
        .into_iter()
        .map(|notice| (notice.unit_id, notice.head_user_id, notice.origin, notice.reason))
        .collect();
    let warn_ms: Option<i64> = sqlx::query("SELECT warn_ms FROM appeals WHERE id = $1")
        .bind(record.id)
        .fetch_one(&db.pool)
        .await
        .expect("warn")
        .try_get(0)
        .expect("warn_ms");
    let queue = sqlx::query("SELECT unit_id, due_ms FROM work_queue WHERE appeal_id = $1 ORDER BY unit_id")
        .bind(record.id)
        .fetch_all(&db.pool)
        .await
        .expect("queue")
        .iter()
        .map(|row| (row.try_get(0).expect("unit"), row.try_get(1).expect("due")))
        .collect();
    let listed: i64 = sqlx::query("SELECT COUNT(*) FROM key_supervision WHERE appeal_id = $1 AND removed_ms IS NULL")
        .bind(record.id)
        .fetch_one(&db.pool)
        .await
        .expect("key list")
        .try_get(0)
        .expect("count");
    // The follow-up secret is random, so its hash differs from county to county.
    record.secret_hash = String::new();
    Written { record, warn_ms, events, notifications, notices, queue, on_key_list: listed > 0 }
}

#[tokio::test]
async fn bulk_paths_write_what_one_by_one_paths_write_on_every_backend() {
    for (bulk_db, single_db) in TestDb::all().await.into_iter().zip(TestDb::all().await) {
        eprintln!("bulk paths on {}", bulk_db.label);
        let bulk = county(bulk_db.db.clone()).await;
        let single = county(single_db.db.clone()).await;
        escalating_a_batch_at_once_equals_one_by_one(&bulk, &single).await;
        the_job_runners_batch_skips_a_stale_job(&bulk).await;
        an_appeal_that_moved_on_after_its_batch_was_decided_is_left_out(&bulk).await;
        if bulk_db.label == "postgres" {
            a_held_appeal_is_left_to_a_job(&bulk).await;
        }
        an_intake_batch_with_a_taken_key_falls_back(&bulk).await;
        if bulk_db.label == "postgres" {
            the_intake_writer_reconnects_when_its_connection_is_gone(&bulk).await;
        }
        a_crowded_inbox_gets_one_digest(&bulk).await;
        bulk_db.cleanup().await;
        single_db.cleanup().await;
    }
}

async fn escalating_a_batch_at_once_equals_one_by_one(bulk: &County, single: &County) {
    let numbers = overdue_appeals(bulk).await;
    assert_eq!(overdue_appeals(single).await, numbers, "both counties number their appeals alike");

    // The batch: the sweep escalates every overdue appeal at once and queues no job.
    let swept = sweep::sweep(&bulk.hub).await.expect("sweep");
    assert_eq!(swept.escalations, 5, "{swept:?}");
    let queued = bulk.hub.db.list_jobs(None, 1000).await.expect("jobs");
    assert!(queued.iter().all(|job| !job.dedupe_key.starts_with("escalate:")), "no escalate job: {queued:?}");
    // One by one, as the fallback does.
    for number in &numbers {
        let record = single.hub.db.appeal_by_number(number).await.expect("query").expect("appeal");
        sweep::escalate(&single.hub, record.id, record.next_deadline_ms).await.expect("escalate");
    }

    for number in &numbers {
        let (at_once, one_by_one) = (written(bulk, number).await, written(single, number).await);
        assert_eq!(at_once, one_by_one, "appeal {number}");
    }
    let tiers: Vec<Tier> = {
        let mut tiers = Vec::new();
        for number in &numbers {
            tiers.push(bulk.hub.db.appeal_by_number(number).await.expect("query").expect("appeal").tier);
        }
        tiers
    };
    assert_eq!(tiers, [Tier::Blue, Tier::Yellow, Tier::Red, Tier::Red, Tier::Red, Tier::Green], "each climbed one tier, red stays red");
    // The search index catches up from the event log: it brings each escalated appeal as
    // it is now, with its new owner among its units.
    let feed = bulk.hub.db.search_rows_changed_after(bulk.hub.clock.now_ms() - 3_600_000, i64::MIN, 10_000).await.expect("feed");
    for number in &numbers[..5] {
        let record = bulk.hub.db.appeal_by_number(number).await.expect("query").expect("appeal");
        let row = feed.iter().find(|row| row.id == record.id).unwrap_or_else(|| panic!("{number} is in the search feed"));
        assert_eq!(row.version, record.version, "{number}");
        assert!(row.unit_ids.contains(&record.owner_unit_id.expect("owner")), "{number}: {:?}", row.unit_ids);
    }
    let red = written(bulk, &numbers[3]).await;
    assert!(red.on_key_list && red.notices.len() == 1, "{red:?}");
    assert!(red.notifications.iter().any(|(kind, _, user, ..)| kind == "supervision" && user.is_some()), "{red:?}");
    let blue_to_yellow = written(bulk, &numbers[1]).await;
    assert!(blue_to_yellow.queue.iter().any(|(unit, _)| *unit == bulk.water), "co-handlers keep their queue entry");
    assert!(
        blue_to_yellow.notifications.iter().any(|(kind, unit, ..)| kind == "escalated" && *unit == Some(bulk.huilong)),
        "{blue_to_yellow:?}"
    );

    // Escalated is escalated: the scheduler finds nothing more to escalate (it runs the
    // month's reminder job the sweep queued, and nothing else).
    let report = jobs::tick(&bulk.hub, "bulk").await.expect("tick");
    assert_eq!((report.sweep.escalations, report.jobs_run, report.jobs_failed), (0, 1, 0), "{report:?}");
}

async fn the_job_runners_batch_skips_a_stale_job(county: &County) {
    set_clock(county, at("2026-12-01T09:00:00+08:00"));
    let stale = submit(&county.hub, appeal("井盖丢失", Tier::Green, false), None).await.expect("submit").appeal;
    let due = submit(&county.hub, appeal("井盖又丢了一个", Tier::Green, false), None).await.expect("submit").appeal;
    set_clock(county, at("2026-12-03T09:00:00+08:00"));
    // Jobs for both, as a failed sweep batch would have queued them.
    let now_ms = county.hub.clock.now_ms();
    let missed =
        |appeal: &AppealRecord| DueAppeal { appeal_id: appeal.id, at_ms: appeal.next_deadline_ms, deadline_ms: appeal.next_deadline_ms };
    for job in sweep::escalation_jobs(&[missed(&stale), missed(&due)], now_ms) {
        assert!(county.hub.db.enqueue_job(&job, now_ms).await.expect("enqueue"));
    }
    // The village dispatches the first after its job was queued: the deadline moved.
    run(county, &stale.number, "yanru", Command::Accept { note: None }).await;
    run(county, &stale.number, "yanru", Command::Dispatch { lead_unit_id: county.housing, co_unit_ids: vec![], note: None }).await;
    let before = written(county, &stale.number).await;
    let claimed = county.hub.db.claim_jobs("bulk", now_ms, now_ms + jobs::LEASE_MS, 500).await.expect("claim");
    let ours: Vec<_> = claimed.into_iter().filter(|job| job.kind == "escalate").collect();
    assert_eq!(ours.len(), 2, "{ours:?}");
    assert_eq!(bulk_escalation::run_batch(&county.hub, "bulk", &ours).await.expect("run"), 2);
    assert_eq!(written(county, &stale.number).await, before, "nothing written for a stale job");
    let escalated = county.hub.db.appeal_by_number(&due.number).await.expect("query").expect("appeal");
    assert_eq!((escalated.tier, escalated.event_count), (Tier::Blue, due.event_count + 1), "the due job escalates");
    let done = county.hub.db.list_jobs(Some("done"), 1000).await.expect("jobs");
    assert!(ours.iter().all(|job| done.iter().any(|finished| finished.id == job.id)), "both jobs are done");
}

async fn an_appeal_that_moved_on_after_its_batch_was_decided_is_left_out(county: &County) {
    set_clock(county, at("2026-12-14T09:00:00+08:00"));
    let moved = submit(&county.hub, appeal("桥头路灯不亮", Tier::Green, false), None).await.expect("submit").appeal;
    let still = submit(&county.hub, appeal("桥尾路灯不亮", Tier::Green, false), None).await.expect("submit").appeal;
    set_clock(county, at("2026-12-16T09:00:00+08:00"));
    let missed =
        |appeal: &AppealRecord| DueAppeal { appeal_id: appeal.id, at_ms: appeal.next_deadline_ms, deadline_ms: appeal.next_deadline_ms };
    let decided = bulk_escalation::decide_overdue(&county.hub, &[missed(&moved), missed(&still)]).await;
    // The village accepts the first after the batch was decided and before it is written.
    run(county, &moved.number, "yanru", Command::Accept { note: None }).await;
    let after_accept = written(county, &moved.number).await;
    let mut writer = county.hub.db.bulk_writer().await.expect("writer");
    let written_count = bulk_escalation::write_overdue(&county.hub, writer.connection(), decided).await.expect("write");
    writer.finish().await.expect("finish");
    assert_eq!(written_count, 1, "only the appeal still at its decided version is escalated");
    assert_eq!(written(county, &moved.number).await, after_accept, "nothing written for the appeal that moved on");
    let escalated = county.hub.db.appeal_by_number(&still.number).await.expect("query").expect("appeal");
    assert_eq!((escalated.tier, escalated.event_count), (Tier::Blue, still.event_count + 1), "its neighbour escalates");
    let queued = county.hub.db.list_jobs(None, 1000).await.expect("jobs");
    let ours = [format!("escalate:{}:", moved.id), format!("escalate:{}:", still.id)];
    assert!(queued.iter().all(|job| !ours.iter().any(|prefix| job.dedupe_key.starts_with(prefix))), "no job for either: {queued:?}");
}

/// PostgreSQL only: the sweep leaves out an appeal whose row another transaction holds
/// (`FOR UPDATE SKIP LOCKED`) instead of waiting; the next sweep escalates it.
async fn a_held_appeal_is_left_to_a_job(county: &County) {
    set_clock(county, at("2026-12-07T09:00:00+08:00"));
    let held = submit(&county.hub, appeal("路边井盖松动", Tier::Green, false), None).await.expect("submit").appeal;
    let free = submit(&county.hub, appeal("路边井盖破损", Tier::Green, false), None).await.expect("submit").appeal;
    set_clock(county, at("2026-12-09T09:00:00+08:00"));
    let mut holder = county.hub.db.pool.begin().await.expect("begin");
    sqlx::query("SELECT id FROM appeals WHERE id = $1 FOR UPDATE").bind(held.id).fetch_one(&mut *holder).await.expect("lock");
    let swept = sweep::sweep(&county.hub).await.expect("sweep");
    assert!(swept.escalations >= 1, "{swept:?}");
    let read = |number: String| async move { county.hub.db.appeal_by_number(&number).await.expect("query").expect("appeal") };
    assert_eq!(read(free.number.clone()).await.tier, Tier::Blue, "the free appeal escalates at once");
    assert_eq!(read(held.number.clone()).await.tier, Tier::Green, "the held one waits");
    let jobs_queued = county.hub.db.list_jobs(None, 1000).await.expect("jobs");
    let ours = [format!("escalate:{}:", held.id), format!("escalate:{}:", free.id)];
    assert!(
        jobs_queued.iter().all(|job| !ours.iter().any(|prefix| job.dedupe_key.starts_with(prefix))),
        "no job for either: {jobs_queued:?}"
    );
    holder.rollback().await.expect("release");
    let report = jobs::tick(&county.hub, "bulk").await.expect("tick");
    assert_eq!((report.sweep.escalations, report.jobs_failed), (1, 0), "{report:?}");
    let escalated = read(held.number.clone()).await;
    assert_eq!((escalated.tier, escalated.event_count), (Tier::Blue, held.event_count + 1), "escalated once, by the next sweep");
    assert!(jobs::tick(&county.hub, "bulk").await.expect("tick").sweep.is_idle(), "nothing left to do");
}

fn idempotent(key: &str) -> Option<IdempotencyRecord> {
    Some(IdempotencyRecord {
        key: key.to_string(),
        request_hash: "h".into(),
        status: 201,
        render: |appeal, _| format!("{{\"number\":\"{}\"}}", appeal.number),
    })
}

async fn an_intake_batch_with_a_taken_key_falls_back(county: &County) {
    let hub = &county.hub;
    let writer = hub.intake_writer.clone().expect("writer");
    let first = prepare(hub, appeal("楼道灯坏了", Tier::Green, false), None).await.expect("prepare");
    assert!(matches!(writer.submit(first, idempotent("key-1")).await.expect("store"), IntakeOutcome::Stored(_)));

    // Six at once: one reuses key-1, two share key-2, three have no key.
    let mut submissions = Vec::new();
    for (index, key) in [Some("key-1"), Some("key-2"), Some("key-2"), None, None, None].into_iter().enumerate() {
        let prepared = prepare(hub, appeal(&format!("第{index}盏路灯不亮"), Tier::Green, false), None).await.expect("prepare");
        let writer = writer.clone();
        submissions.push(tokio::spawn(async move { writer.submit(prepared, key.and_then(idempotent)).await }));
    }
    let mut stored = Vec::new();
    let mut taken = Vec::new();
    for submission in submissions {
        match submission.await.expect("join").expect("answered") {
            IntakeOutcome::Stored(receipt) => stored.push(receipt.appeal),
            IntakeOutcome::KeyTaken { key } => taken.push(key),
        }
    }
    taken.sort();
    assert_eq!(taken, ["key-1", "key-2"], "the reused key and the second of the shared key lose");
    assert_eq!(stored.len(), 4);
    let mut sequences: Vec<i64> =
        stored.iter().map(|appeal| appeal.number.rsplit('-').next().expect("seq").parse().expect("number")).collect();
    sequences.sort_unstable();
    sequences.dedup();
    assert_eq!(sequences.len(), 4, "distinct numbers");
    for appeal in &stored {
        let found = written(county, &appeal.number).await;
        assert_eq!(found.events.len(), 1, "the received event");
        assert_eq!(found.record.head_hash, found.events[0].5, "the chain head is the first event");
        assert_eq!(found.queue, [(appeal.owner_unit_id.expect("owner"), appeal.next_deadline_ms)]);
        assert!(found.warn_ms.is_some());
    }
}

/// The intake writer keeps one connection; when the server has closed it (a restart),
/// the next appeal is still stored, on a fresh connection, and nobody sees an error.
async fn the_intake_writer_reconnects_when_its_connection_is_gone(county: &County) {
    let hub = &county.hub;
    let writer = hub.intake_writer.clone().expect("writer");
    let before = prepare(hub, appeal("小区门口积水", Tier::Green, false), None).await.expect("prepare");
    assert!(matches!(writer.submit(before, None).await.expect("store"), IntakeOutcome::Stored(_)));
    let closed: Vec<bool> = sqlx::query_scalar(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()",
    )
    .fetch_all(&hub.db.pool)
    .await
    .expect("terminate the other connections");
    assert!(closed.iter().any(|closed| *closed), "the writer's connection was there to close");
    let after = prepare(hub, appeal("小区门口又积水了", Tier::Green, false), None).await.expect("prepare");
    match writer.submit(after, None).await.expect("stored after the connection was closed") {
        IntakeOutcome::Stored(receipt) => assert_eq!(written(county, &receipt.appeal.number).await.events.len(), 1),
        IntakeOutcome::KeyTaken { .. } => panic!("no key was given"),
    }
}

/// More than `DIGEST_AFTER` appeals escalating to one unit in one batch: the unit's inbox
/// and its head's get one digest each, listing every number; no per-appeal notice.
async fn a_crowded_inbox_gets_one_digest(county: &County) {
    use minqing::service::notifications::DIGEST_AFTER;
    use minqing::storage::notifications::Inbox;
    set_clock(county, at("2027-01-04T09:00:00+08:00"));
    let mut crowd = Vec::new();
    for index in 0..DIGEST_AFTER + 2 {
        crowd.push(submit(&county.hub, appeal(&format!("路灯不亮第{index}处"), Tier::Blue, false), None).await.expect("submit").appeal);
    }
    set_clock(county, at("2027-01-18T10:00:00+08:00"));
    let swept = sweep::sweep(&county.hub).await.expect("sweep");
    assert!(swept.escalations >= crowd.len(), "{swept:?}");
    let owner = county.hub.db.appeal_by_number(&crowd[0].number).await.expect("query").expect("appeal").owner_unit_id.expect("owner");
    assert_eq!(owner, county.huilong, "blue climbs to yellow, the township's");
    let head = county.hub.db.unit(owner).await.expect("query").expect("unit").head_user_id.expect("the township has a head");
    for inbox in [Inbox::Unit(owner), Inbox::User(head)] {
        let digests: Vec<_> = county
            .hub
            .db
            .inbox(inbox, false, None, 100)
            .await
            .expect("inbox")
            .into_iter()
            .filter(|notification| notification.kind == "escalated_digest")
            .collect();
        assert_eq!(digests.len(), 1, "{inbox:?}: {digests:?}");
        let digest = &digests[0];
        assert!(digest.appeal_id.is_none(), "{digest:?}");
        for appeal in &crowd {
            assert!(digest.body.contains(&appeal.number), "{inbox:?} lists {}: {}", appeal.number, digest.body);
        }
    }
    for appeal in &crowd {
        let record = county.hub.db.appeal_by_number(&appeal.number).await.expect("query").expect("appeal");
        assert_eq!((record.tier, record.owner_unit_id), (Tier::Yellow, Some(owner)), "{}", appeal.number);
        let told = county.hub.db.notifications_of_appeal(record.id).await.expect("notifications");
        assert!(told.iter().all(|notification| notification.kind != "escalated"), "{}: {told:?}", appeal.number);
    }
}
