//! The demo county seeds the programmes: ten challenge lists claimed by 31 units, service
//! orders in every status, points that balance and never go negative, meetings with
//! attendance and appeals, schedules held and missed, two task ledgers with a reminded
//! unit, disputes in mediation, and every history chain verifies. On both databases.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::TestDb;
use minqing::demo::programmes::{CHALLENGE_LISTS, GUANGYUANBAO, LAOJIE};
use minqing::domain::access::UnitKind;
use minqing::domain::appeal::AppealStatus;
use minqing::domain::history::verify_chain;
use minqing::domain::points::AccountKind;
use minqing::domain::programme::WorkKind;
use minqing::service::{Clock, Hub, HubConfig, programmes};
use minqing::storage::work_items::{WorkFilter, WorkItemRecord};

async fn items(hub: &Hub, kind: WorkKind) -> Vec<WorkItemRecord> {
    hub.db.work_items(&WorkFilter { kind: Some(kind), limit: 5000, ..WorkFilter::default() }).await.expect("items")
}

fn by_status(items: &[WorkItemRecord]) -> BTreeMap<String, usize> {
    let mut counts = BTreeMap::new();
    for item in items {
        *counts.entry(item.status.clone()).or_default() += 1;
    }
    counts
}

#[tokio::test]
async fn the_demo_seeds_every_programme() {
    for test_db in TestDb::all().await {
        // A Wednesday morning in Asia/Shanghai.
        let now: jiff::Timestamp = "2026-05-20T03:00:00Z".parse().expect("time");
        let hub = Hub::new(test_db.db.clone(), HubConfig::default(), Clock::manual(now)).await.expect("hub");
        let started = std::time::Instant::now();
        let summary = minqing::demo::seed::load_demo(&hub).await.unwrap_or_else(|error| panic!("{}: {error}", test_db.label));
        println!("{}: demo loaded in {:?}", test_db.label, started.elapsed());
        let label = test_db.label;

        // The new accounts are listed with the others and can sign in.
        for username in ["xianwei", "fuwu", "fuwu2", "laojiefuwu", "tiaojie"] {
            assert!(summary.users.iter().any(|user| user.username == username), "{label}: {username} is a demo user");
            let record = hub.db.user_by_name(username).await.expect("query").expect("user");
            assert!(minqing::service::auth::verify_password(&record.password_hash, minqing::demo::seed::DEMO_PASSWORD));
        }

        // ---- Challenge lists: ten, claimed by 23 departments and 8 township committees.
        let lists = hub.db.programme_lists("challenge_list", Some("511824")).await.expect("lists");
        assert_eq!(lists.len(), CHALLENGE_LISTS, "{label}");
        let problems = items(&hub, WorkKind::Challenge).await;
        let mut claimants = BTreeSet::new();
        for problem in &problems {
            claimants.extend(problem.lead_unit_id);
            claimants.extend(problem.co_unit_ids.iter().copied());
        }
        let mut kinds: BTreeMap<UnitKind, usize> = BTreeMap::new();
        for unit in &claimants {
            *kinds.entry(hub.db.unit(*unit).await.expect("query").expect("unit").kind).or_default() += 1;
        }
        assert_eq!(claimants.len(), 31, "{label}: {kinds:?}");
        assert_eq!((kinds.get(&UnitKind::Department), kinds.get(&UnitKind::TownshipCommittee)), (Some(&23), Some(&8)), "{label}");
        let statuses = by_status(&problems);
        println!("{label}: problems {statuses:?}");
        for status in ["open", "claimed", "submitted", "assessed", "withdrawn"] {
            assert!(statuses.contains_key(status), "{label}: no problem is {status}");
        }
        assert!(problems.iter().any(|problem| problem.co_unit_ids.len() >= 2), "{label}: some claims are joint");
        assert!(
            problems
                .iter()
                .filter(|problem| problem.status != "open")
                .all(|problem| problem.status == "withdrawn" || problem.person_name.is_some())
        );
        assert!(problems.iter().filter(|problem| problem.status == "assessed").all(|problem| problem.score.is_some()));
        assert!(problems.iter().any(|problem| problem.late_ms.is_some() && problem.status == "claimed"), "{label}: some claims are late");
        let mut milestones_with_evidence = 0;
        for problem in &problems {
            for event in hub.db.work_events(problem.id).await.expect("events") {
                if event.kind == "report_milestone" && event.payload["evidence"].as_array().is_some_and(|list| !list.is_empty()) {
                    milestones_with_evidence += 1;
                }
            }
        }
        assert!(milestones_with_evidence >= 20, "{label}: {milestones_with_evidence} milestones with evidence");

        // ---- Service orders: about forty, every status, the circle, points to the team.
        let orders = items(&hub, WorkKind::ServiceOrder).await;
        let statuses = by_status(&orders);
        println!("{label}: orders {statuses:?}");
        assert!(orders.len() >= 40, "{label}: {} orders", orders.len());
        for status in ["ordered", "placed", "taken", "delivered", "rated", "closed", "cancelled"] {
            assert!(statuses.contains_key(status), "{label}: no order is {status}");
        }
        for region in [GUANGYUANBAO, LAOJIE] {
            assert_eq!(hub.db.catalogue(region).await.expect("catalogue").len(), 5, "{label}: {region}");
            assert_eq!(hub.db.service_target(region).await.expect("target"), Some(10));
            let circle = programmes::service_circle_record(&hub, region, 0, i64::MAX).await.expect("circle");
            assert!(circle.taken_within_target > 0 && circle.taken_within_target < circle.taken, "{label}: {circle:?}");
            assert!(circle.mean_rating.is_some(), "{label}: rated orders in {region}");
        }
        let team_accounts = hub.db.point_accounts(GUANGYUANBAO, Some(AccountKind::Person), 1000).await.expect("accounts");
        assert!(team_accounts.iter().any(|account| account.holder_name.starts_with("user:") && account.balance > 0), "{label}");

        // ---- Points: earned, spent, one correction; balanced and never negative.
        assert!(hub.db.audit_points().await.expect("audit").is_empty(), "{label}: the ledger balances");
        let accounts = hub.db.point_accounts("511824", Some(AccountKind::Person), 1000).await.expect("accounts");
        assert!(accounts.len() >= 12, "{label}: {} accounts", accounts.len());
        assert!(accounts.iter().all(|account| account.balance >= 0), "{label}: no balance below zero");
        let (issued, spent) = hub.db.points_totals("511824", 0, i64::MAX).await.expect("totals");
        assert!(issued > 0 && spent > 0, "{label}: issued {issued}, spent {spent}");
        let mut corrections = 0;
        for journal_id in 1..=2000 {
            if let Some(journal) = hub.db.point_journal(journal_id).await.expect("journal") {
                corrections += usize::from(journal.corrects_journal_id.is_some());
            }
        }
        assert_eq!(corrections, 1, "{label}: one correction");

        // ---- Meetings, attendance, the appeals they raised; schedules held and missed.
        let meetings = hub.db.meetings_in("511824", 0, i64::MAX).await.expect("meetings");
        let meeting_kinds: BTreeSet<&str> = meetings.iter().map(|meeting| meeting.kind.as_str()).collect();
        for kind in ["板凳会", "圆桌会议", "主题党日", "演练", "培训"] {
            assert!(meeting_kinds.contains(kind), "{label}: no {kind}");
        }
        let mut raised = Vec::new();
        for meeting in &meetings {
            assert!(!hub.db.meeting_attendees(meeting.id).await.expect("attendees").is_empty(), "{label}: {}", meeting.title);
            raised.extend(hub.db.meeting_appeal_numbers(meeting.id).await.expect("appeals"));
        }
        assert!(raised.len() >= 4, "{label}: meetings raised {raised:?}");
        let schedules = hub.db.schedules("511824").await.expect("schedules");
        assert_eq!(schedules.len(), 3, "{label}");
        let (mut held, mut missed) = (0, 0);
        for schedule in &schedules {
            let done = hub.db.schedule_held(schedule.id).await.expect("held");
            for period in programmes::schedule_periods(&hub, schedule, &done, now.as_millisecond()) {
                if period.held { held += 1 } else { missed += 1 }
            }
        }
        assert!(held >= 2 && missed >= 2, "{label}: {held} periods held, {missed} missed");

        // ---- Task ledgers: checked off with evidence; one lagging unit reminded.
        assert_eq!(hub.db.programme_lists("task_ledger", None).await.expect("ledgers").len(), 2, "{label}");
        let tasks = items(&hub, WorkKind::Task).await;
        let statuses = by_status(&tasks);
        assert!(statuses.get("done").is_some_and(|done| *done >= 8) && statuses.contains_key("open"), "{label}: tasks {statuses:?}");
        let mut reminded_units = BTreeSet::new();
        for task in &tasks {
            if hub.db.work_events(task.id).await.expect("events").iter().any(|event| event.kind == "remind") {
                reminded_units.extend(task.lead_unit_id);
            }
        }
        let jiaotong = hub.db.unit_by_name("县交通运输局").await.expect("query").expect("unit").id;
        assert_eq!(reminded_units, BTreeSet::from([jiaotong]), "{label}: the lagging unit is reminded");

        // ---- Disputes: from appeals, sessions, an agreement that resolved its appeal.
        let disputes = items(&hub, WorkKind::Mediation).await;
        let statuses = by_status(&disputes);
        println!("{label}: disputes {statuses:?}");
        assert!(disputes.len() >= 4 && statuses.contains_key("registered") && statuses.contains_key("mediating"), "{label}");
        let mut resolved_by_agreement = 0;
        for dispute in disputes.iter().filter(|dispute| dispute.appeal_id.is_some()) {
            let appeal = hub.db.appeal_by_id(dispute.appeal_id.expect("appeal")).await.expect("query").expect("appeal");
            if matches!(dispute.status.as_str(), "agreed" | "closed") && appeal.status == AppealStatus::Resolved {
                resolved_by_agreement += 1;
            }
        }
        assert!(resolved_by_agreement >= 1, "{label}: an agreement resolved its appeal");

        // ---- The dashboard counts them; every chain verifies.
        let board = programmes::dashboard(&hub, "511824", 0, i64::MAX).await.expect("dashboard");
        assert!(
            board.challenges_assessed > 0 && board.orders_late > 0 && board.tasks_late > 0 && board.meetings_held >= 8,
            "{label}: {board:?}"
        );
        let mut breaks = Vec::new();
        let work_chains =
            hub.db.all_work_chains(|number, head, chain| breaks.extend(verify_chain(number, &chain, head))).await.expect("chains");
        let appeal_chains =
            hub.db.all_chains(|number, head, chain| breaks.extend(verify_chain(number, &chain, head))).await.expect("chains");
        assert!(work_chains >= 100 && appeal_chains >= 300 && breaks.is_empty(), "{label}: {breaks:?}");
        // Nothing happened after the moment the demo was loaded.
        for item in problems.iter().chain(&orders).chain(&tasks).chain(&disputes) {
            assert!(item.updated_ms <= now.as_millisecond(), "{label}: {} is in the future", item.number);
        }
        test_db.cleanup().await;
    }
}
