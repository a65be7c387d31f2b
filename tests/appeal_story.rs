//! The appeal story: every path of the lifecycle, walked on SQLite and on PostgreSQL
//! (when reachable) through the same service and storage code.

mod common;

use common::{County, TestDb, county};
use minqing::domain::appeal::{AppealStatus, Channel, Rating, Resolution, Satisfaction, Tier};
use minqing::domain::contact::Contact;
use minqing::domain::workflow::{Actor, Command};
use minqing::service::ServiceError;
use minqing::service::actions::act;
use minqing::service::intake::{NewAppeal, submit};
use minqing::storage::appeals::{AppealFilter, AppealOrder};

fn appeal_at(text: &str, lng: f64, lat: f64) -> NewAppeal {
    NewAppeal {
        text: text.to_string(),
        point: Some((lng, lat)),
        region_code: None,
        address: None,
        channel: Channel::Hotline,
        contact: Contact::parse(Some("王大爷"), Some("13812345678")).expect("contact"),
        category_code: None,
        meeting_id: None,
        judgement: None,
    }
}

async fn as_staff(county: &County, name: &str) -> Actor {
    Actor::Staff(county.staff(name).await)
}

async fn kinds(county: &County, number: &str) -> Vec<String> {
    let appeal = county.hub.db.appeal_by_number(number).await.unwrap().unwrap();
    county.hub.db.events_of(appeal.id).await.unwrap().into_iter().map(|event| event.kind).collect()
}

async fn run(command: &County, number: &str, who: &str, what: Command) -> minqing::storage::appeals::AppealRecord {
    let actor = as_staff(command, who).await;
    act(&command.hub, number, &actor, what.clone()).await.unwrap_or_else(|error| panic!("{who} {}: {error}", what.name()))
}

#[tokio::test]
async fn appeal_story_on_every_backend() {
    for test_db in TestDb::all().await {
        eprintln!("appeal story on {}", test_db.label);
        let county = county(test_db.db.clone()).await;
        main_path_from_intake_to_closure(&county).await;
        side_paths(&county).await;
        scoping_keeps_townships_apart(&county).await;
        concurrent_actions_do_not_both_win(&county).await;
        history_tampering_is_detected(&county).await;
        test_db.cleanup().await;
    }
}

async fn main_path_from_intake_to_closure(county: &County) {
    let hub = &county.hub;
    // A point inside 晏如村's grid, a lamp problem: blue, owned by the village organisation.
    let receipt = submit(hub, appeal_at("村口路灯坏了一个月，晚上出行不便", 102.05, 29.05), None).await.unwrap();
    let appeal = receipt.appeal;
    assert_eq!(appeal.grid_id.as_deref(), Some("511824101203-01"));
    assert_eq!(appeal.region_code, "511824101203");
    assert_eq!(appeal.category_code.as_deref(), Some("0201"));
    // The classifier (issue 7) decides between the two village tiers; both are the village's.
    assert!(matches!(appeal.tier, Tier::Green | Tier::Blue), "{:?}", appeal.tier);
    assert_eq!(appeal.owner_unit_id, Some(county.yanru));
    assert!(appeal.number.starts_with("MQ-20261116-"), "{}", appeal.number);
    assert_eq!(receipt.secret.len(), 6);
    let number = appeal.number.clone();

    run(county, &number, "yanru", Command::Accept { note: None }).await;
    let dispatched = run(
        county,
        &number,
        "yanru",
        Command::Dispatch { lead_unit_id: county.housing, co_unit_ids: vec![county.huilong], note: Some("请住建局牵头".into()) },
    )
    .await;
    assert_eq!(dispatched.status, AppealStatus::Dispatched);
    assert!(dispatched.sign_due_ms.is_some() && dispatched.resolve_due_ms.is_some());
    run(county, &number, "housing", Command::SignFor).await;
    run(county, &number, "huilong", Command::RecordProgress { note: "镇里已联系电工".into() }).await;
    run(county, &number, "housing", Command::RequestExtension { working_days: 3, reason: "等待灯具到货".into() }).await;
    let before = hub.db.appeal_by_number(&number).await.unwrap().unwrap().resolve_due_ms.unwrap();
    let granted = run(county, &number, "supervisor", Command::GrantExtension { note: None }).await;
    assert!(granted.resolve_due_ms.unwrap() > before, "an extension moves the deadline");
    run(county, &number, "housing", Command::Resolve { reply: "已更换路灯".into() }).await;
    run(county, &number, "operator", Command::FollowUp { note: "电话回访".into(), reached: true }).await;
    let rated = run(
        county,
        &number,
        "operator",
        Command::Rate { rating: Rating { resolution: Resolution::Resolved, satisfaction: Satisfaction::Satisfied }, comment: None },
    )
    .await;
    assert_eq!(rated.status, AppealStatus::Rated);
    let closed = run(county, &number, "dispatcher", Command::Close { note: None }).await;
    assert_eq!(closed.status, AppealStatus::Closed);
    assert!(closed.closed_ms.is_some());
    assert_eq!(
        kinds(county, &number).await,
        [
            "received",
            "accepted",
            "dispatched",
            "signed_for",
            "progress",
            "extension_requested",
            "extension_granted",
            "resolved",
            "followed_up",
            "rated",
            "closed"
        ]
    );

    // A closed appeal refuses everything and nothing changes.
    let refused = act(hub, &number, &as_staff(county, "housing").await, Command::SignFor).await;
    assert!(matches!(refused, Err(ServiceError::Workflow(_))), "{refused:?}");
    assert_eq!(kinds(county, &number).await.len(), 11);
}

async fn side_paths(county: &County) {
    let hub = &county.hub;

    // Reject as out of scope.
    let received = submit(hub, appeal_at("想咨询一下外省的房价", 102.05, 29.05), None).await.unwrap().appeal;
    let number = received.number;
    // The owning unit rejects: the village, or the service centre when the classifier
    // was unsure and sent it to the triage queue.
    let owner = if received.owner_unit_id == Some(county.yanru) { "yanru" } else { "dispatcher" };
    let rejected = run(county, &number, owner, Command::Reject { reason: "不属于受理范围".into() }).await;
    assert_eq!(rejected.status, AppealStatus::Rejected);

    // Return (退单) and dispatch again; refuse an extension; pause and resume the clock.
    let number = submit(hub, appeal_at("福龙村水渠堵塞，灌溉用水不够", 102.15, 29.05), None).await.unwrap().appeal.number;
    run(county, &number, "dispatcher", Command::Accept { note: None }).await;
    run(county, &number, "dispatcher", Command::Dispatch { lead_unit_id: county.housing, co_unit_ids: vec![], note: None }).await;
    let returned = run(county, &number, "housing", Command::Return { reason: "不属于住建职责，应由水利局办理".into() }).await;
    assert_eq!(returned.status, AppealStatus::Returned);
    assert_eq!(returned.lead_unit_id, None);
    assert_eq!(returned.return_count, 1);
    run(county, &number, "dispatcher", Command::Dispatch { lead_unit_id: county.water, co_unit_ids: vec![], note: None }).await;
    run(county, &number, "water", Command::SignFor).await;
    run(county, &number, "water", Command::RequestExtension { working_days: 10, reason: "需要申请资金".into() }).await;
    let refused = run(county, &number, "supervisor", Command::RefuseExtension { reason: "可先行临时疏通".into() }).await;
    assert!(!refused.extension_pending);
    let due_before_pause = refused.resolve_due_ms.unwrap();
    run(county, &number, "water", Command::Pause { reason: "群众外出务工，联系不上".into() }).await;
    hub.clock.advance(jiff::SignedDuration::from_hours(3));
    let resumed = run(county, &number, "water", Command::Resume { note: Some("已联系上".into()) }).await;
    assert!(resumed.resolve_due_ms.unwrap() > due_before_pause, "a pause moves the deadline by the working time it lasted");
    let departments_queue = hub
        .db
        .list_appeals(Some(&county.staff("housing").await.scope()), &AppealFilter::default(), AppealOrder::Newest, None, 50)
        .await
        .unwrap();
    assert!(departments_queue.iter().any(|appeal| appeal.number == number), "a department keeps seeing what it returned");

    // Dissatisfied → reopen (重办) → resolved again.
    run(county, &number, "water", Command::Resolve { reply: "已临时疏通".into() }).await;
    let dissatisfied = Rating { resolution: Resolution::NotResolved, satisfaction: Satisfaction::Dissatisfied };
    act(hub, &number, &Actor::Resident, Command::Rate { rating: dissatisfied, comment: Some("水还是不够".into()) }).await.unwrap();
    let reopened = run(county, &number, "dispatcher", Command::Reopen { reason: "群众不满意，重办".into() }).await;
    assert_eq!(reopened.status, AppealStatus::Dispatched);
    assert_eq!(reopened.lead_unit_id, Some(county.water));
    assert_eq!(reopened.reopen_count, 1);
    run(county, &number, "water", Command::SignFor).await;
    run(county, &number, "water", Command::Resolve { reply: "水渠已全面清淤".into() }).await;
    let satisfied = Rating { resolution: Resolution::Resolved, satisfaction: Satisfaction::Satisfied };
    act(hub, &number, &Actor::Resident, Command::Rate { rating: satisfied, comment: None }).await.unwrap();
    run(county, &number, "dispatcher", Command::Close { note: None }).await;

    // Merge a duplicate; the duplicate's reporter hears when the primary is resolved.
    let primary = submit(hub, appeal_at("方元村路灯不亮", 102.05, 29.15), None).await.unwrap().appeal.number;
    let duplicate = submit(hub, appeal_at("方元村村口的路灯晚上不亮", 102.06, 29.15), None).await.unwrap().appeal.number;
    let merged =
        run(county, &duplicate, "fangyuan", Command::MergeInto { primary_number: primary.clone(), reason: Some("同一路灯".into()) }).await;
    assert_eq!(merged.status, AppealStatus::Merged);
    assert!(kinds(county, &primary).await.contains(&"duplicate_attached".to_string()));
    let self_merge =
        act(hub, &primary, &as_staff(county, "fangyuan").await, Command::MergeInto { primary_number: primary.clone(), reason: None }).await;
    assert!(matches!(self_merge, Err(ServiceError::Invalid { .. })));
    run(county, &primary, "fangyuan", Command::Accept { note: None }).await;
    let fangyuan = county.fangyuan;
    run(county, &primary, "fangyuan", Command::Dispatch { lead_unit_id: fangyuan, co_unit_ids: vec![], note: None }).await;
    run(county, &primary, "fangyuan", Command::SignFor).await;
    run(county, &primary, "fangyuan", Command::Resolve { reply: "已修好路灯".into() }).await;
    assert_eq!(kinds(county, &duplicate).await.last().map(String::as_str), Some("primary_resolved"));

    // Reclassify to yellow moves ownership to the township; escalation climbs one tier.
    let received = submit(hub, appeal_at("晏如村有户人家房屋漏雨", 102.05, 29.05), None).await.unwrap().appeal;
    let number = received.number;
    let owner = if received.owner_unit_id == Some(county.yanru) { "yanru" } else { "dispatcher" };
    let yellow = run(
        county,
        &number,
        owner,
        Command::Reclassify {
            category_code: Some("0101".into()), triage: None, tier: Some(Tier::Yellow), reason: "需要镇里协调".into()
        },
    )
    .await;
    assert_eq!(yellow.owner_unit_id, Some(county.huilong));
    let red = act(hub, &number, &Actor::System, Command::Escalate { reason: "超时未受理".into() }).await.unwrap();
    assert_eq!(red.tier, Tier::Red);
    assert_eq!(red.owner_unit_id, Some(county.centre));
    let urged = run(county, &number, "supervisor", Command::Urge { note: "请尽快受理".into() }).await;
    assert_eq!(urged.urge_count, 1);

    // An urgent appeal starts red with the 2-hour feedback limit.
    let urgent = submit(hub, appeal_at("晏如村有人家里燃气泄漏，味道很大", 102.05, 29.05), None).await.unwrap().appeal;
    assert!(urgent.urgent);
    assert_eq!(urgent.tier, Tier::Red);
    assert_eq!(urgent.owner_unit_id, Some(county.centre));

    // A point on the shared edge of two grids goes to the smaller grid id.
    let edge = submit(hub, appeal_at("两村交界处路面坑洼", 102.1, 29.05), None).await.unwrap().appeal;
    assert_eq!(edge.grid_id.as_deref(), Some("511824101203-01"));
    // A point outside every grid and outline goes to the county's triage queue.
    let outside = submit(hub, appeal_at("不知道在哪里的路灯坏了", 90.0, 30.0), None).await.unwrap().appeal;
    assert_eq!(outside.region_code, "511824");
    assert!(outside.needs_triage);
    assert_eq!(outside.owner_unit_id, Some(county.centre));
}

async fn scoping_keeps_townships_apart(county: &County) {
    let hub = &county.hub;
    let in_meiluo = submit(hub, appeal_at("方元村垃圾没人清运", 102.05, 29.15), None).await.unwrap().appeal.number;
    let list = |name: &'static str| async move {
        let staff = county.staff(name).await;
        hub.db.list_appeals(Some(&staff.scope()), &AppealFilter::default(), AppealOrder::Newest, None, 200).await.unwrap()
    };
    let huilong = list("huilong").await;
    let meiluo = list("meiluo").await;
    assert!(!huilong.is_empty() && !meiluo.is_empty());
    assert!(huilong.iter().all(|appeal| appeal.region_code.starts_with("511824101") || appeal.owner_unit_id == Some(county.huilong)));
    assert!(meiluo.iter().all(|appeal| appeal.region_code.starts_with("511824102")));
    assert!(meiluo.iter().any(|appeal| appeal.number == in_meiluo));
    assert!(!huilong.iter().any(|appeal| appeal.number == in_meiluo));
    // Acting on the other township's appeal looks like it does not exist.
    let refused = act(hub, &in_meiluo, &as_staff(county, "huilong").await, Command::Accept { note: None }).await;
    assert!(matches!(refused, Err(ServiceError::NotFound(_))), "{refused:?}");
    // A unit's queue by deadline (read from the work queue) holds exactly its open appeals.
    for name in ["water", "huilong", "yanru", "dispatcher"] {
        let staff = county.staff(name).await;
        let queue_filter = AppealFilter { queue_of_unit: Some(staff.unit.id), ..AppealFilter::default() };
        let by_deadline = hub.db.list_appeals(Some(&staff.scope()), &queue_filter, AppealOrder::Deadline, None, 500).await.unwrap();
        let by_newest = hub.db.list_appeals(Some(&staff.scope()), &queue_filter, AppealOrder::Newest, None, 500).await.unwrap();
        let mut a: Vec<&str> = by_deadline.iter().map(|appeal| appeal.number.as_str()).collect();
        let mut b: Vec<&str> = by_newest.iter().map(|appeal| appeal.number.as_str()).collect();
        assert!(by_deadline.windows(2).all(|pair| pair[0].next_deadline_ms <= pair[1].next_deadline_ms), "{name}: sorted by deadline");
        assert!(by_deadline.iter().all(|appeal| appeal.status.is_open()), "{name}: only open appeals");
        a.sort_unstable();
        b.sort_unstable();
        assert_eq!(a, b, "{name}: the work queue agrees with the appeals and handlers");
    }
    // A department sees only what was dispatched to it.
    let water = list("water").await;
    assert!(!water.is_empty());
    for appeal in &water {
        let handlers = hub.db.handlers_of(appeal.id).await.unwrap();
        assert!(handlers.iter().any(|(unit, _)| *unit == county.water), "{}", appeal.number);
    }
}

async fn concurrent_actions_do_not_both_win(county: &County) {
    let hub = &county.hub;
    let number = submit(hub, appeal_at("晏如村道路破损", 102.05, 29.05), None).await.unwrap().appeal.number;
    // An operator may accept whoever owns it (the classifier may send it to the triage queue).
    let yanru = as_staff(county, "operator").await;
    let accept = |lead: i64| {
        let hub = hub.clone();
        let number = number.clone();
        let actor = yanru.clone();
        async move { act(&hub, &number, &actor, Command::Accept { note: Some(lead.to_string()) }).await }
    };
    let (first, second) = tokio::join!(accept(1), accept(2));
    assert!(first.is_ok() != second.is_ok(), "exactly one concurrent accept wins: {first:?} {second:?}");
    // The loser was refused as an illegal transition or a conflict; the history has one accept.
    let accepted = kinds(county, &number).await.iter().filter(|kind| *kind == "accepted").count();
    assert_eq!(accepted, 1);
}

async fn history_tampering_is_detected(county: &County) {
    let db = &county.hub.db;
    assert_eq!(minqing::cli::audit_verify(db).await.unwrap(), 0, "an untouched history verifies");
    sqlx::query(
        "UPDATE appeal_events SET reason = 'nothing happened' WHERE seq = 2 AND appeal_id = (SELECT MIN(appeal_id) FROM appeal_events)",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    assert_eq!(minqing::cli::audit_verify(db).await.unwrap(), 1, "a silent edit is found");
}
