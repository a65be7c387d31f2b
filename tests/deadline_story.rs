//! The deadline story: the hub's clock walked forward by hand (`Clock::manual`) on SQLite
//! and PostgreSQL. An appeal left alone climbs green → blue → yellow → red, each new owner
//! is told, and the red breach raises a supervision notice (督办); warnings come at 80%;
//! holidays and make-up days are respected; an extension and a pause move the deadline;
//! a sweep with nothing due does nothing; a policy edit does not rewrite history.

mod common;

use common::{County, TestDb, county};
use jiff::Timestamp;
use minqing::domain::appeal::{AppealStatus, Channel, Tier};
use minqing::domain::contact::Contact;
use minqing::domain::deadline::TimeLimit;
use minqing::domain::deadline_policy::{PolicyRule, Step};
use minqing::domain::workflow::{Actor, Command};
use minqing::service::actions::act;
use minqing::service::intake::{NewAppeal, submit};
use minqing::service::view::rfc3339;
use minqing::service::{jobs, policies, supervision, sweep};
use minqing::storage::appeals::AppealRecord;
use minqing::storage::notifications::Inbox;

fn lamp_appeal(text: &str) -> NewAppeal {
    NewAppeal {
        text: text.to_string(),
        point: Some((102.05, 29.05)),
        region_code: None,
        address: None,
        channel: Channel::Hotline,
        contact: Contact::parse(Some("王大爷"), Some("13812345678")).expect("contact"),
        category_code: Some("0201".into()),
        meeting_id: None,
        // The operator judges it a small, blue matter, so the ladder starts from blue
        // whatever the classifier would suggest.
        judgement: Some(minqing::service::intake::StaffJudgement {
            urgent: Some(false),
            triage: Some(minqing::domain::appeal::Triage::Small),
            tier: Some(Tier::Blue),
        }),
    }
}

fn at(text: &str) -> Timestamp {
    text.parse().expect("time")
}

fn set_clock(county: &County, to: Timestamp) {
    let now = county.hub.clock.now();
    county.hub.clock.advance(to.duration_since(now));
}

async fn run(county: &County, number: &str, who: &str, command: Command) -> AppealRecord {
    let actor = Actor::Staff(county.staff(who).await);
    act(&county.hub, number, &actor, command.clone()).await.unwrap_or_else(|error| panic!("{who} {}: {error}", command.name()))
}

async fn reload(county: &County, number: &str) -> AppealRecord {
    county.hub.db.appeal_by_number(number).await.expect("query").expect("appeal")
}

async fn event_kinds(county: &County, appeal: &AppealRecord) -> Vec<String> {
    county.hub.db.events_of(appeal.id).await.expect("events").into_iter().map(|event| event.kind).collect()
}

async fn notification_kinds(county: &County, appeal: &AppealRecord) -> Vec<(String, Option<i64>, Option<i64>)> {
    county
        .hub
        .db
        .notifications_of_appeal(appeal.id)
        .await
        .expect("notifications")
        .into_iter()
        .map(|notification| (notification.kind, notification.unit_id, notification.user_id))
        .collect()
}

async fn tick(county: &County) -> jobs::TickReport {
    let report = jobs::tick(&county.hub, "story").await.expect("tick");
    assert_eq!(report.jobs_failed, 0, "{report:?}");
    report
}

#[tokio::test]
async fn deadline_story_on_every_backend() {
    for test_db in TestDb::all().await {
        eprintln!("deadline story on {}", test_db.label);
        let county = county(test_db.db.clone()).await;
        holidays_extensions_and_pauses_move_deadlines(&county).await;
        spring_festival_and_its_make_up_day(&county).await;
        left_alone_an_appeal_climbs_the_ladder(&county).await;
        a_policy_edit_keeps_history(&county).await;
        lagging_units_get_a_reminder_notice(&county).await;
        test_db.cleanup().await;
    }
}

async fn holidays_extensions_and_pauses_move_deadlines(county: &County) {
    // Dispatched the afternoon before National Day 2025 (1–8 October off, Saturday
    // 11 October a make-up working day).
    set_clock(county, at("2025-09-30T15:00:00+08:00"));
    let appeal = submit(&county.hub, lamp_appeal("路灯坏了，晚上看不见路"), None).await.expect("submit").appeal;
    let number = appeal.number.clone();
    run(county, &number, "yanru", Command::Accept { note: None }).await;
    set_clock(county, at("2025-09-30T16:00:00+08:00"));
    let dispatched =
        run(county, &number, "yanru", Command::Dispatch { lead_unit_id: county.housing, co_unit_ids: vec![], note: None }).await;
    // 4 working hours to sign for: 1.5 h on 30 September, then 2.5 h after the holiday.
    assert_eq!(rfc3339(dispatched.sign_due_ms.expect("sign due")), "2025-10-09T11:30:00+08:00");
    // 3 working days (路灯照明) to resolve: 9, 10 and the make-up Saturday 11 October.
    assert_eq!(rfc3339(dispatched.resolve_due_ms.expect("resolve due")), "2025-10-11T16:00:00+08:00");

    // In the middle of the holiday nothing is due, so the sweep does nothing.
    set_clock(county, at("2025-10-05T10:00:00+08:00"));
    tick(county).await;
    let quiet = tick(county).await;
    assert!(quiet.sweep.is_idle() && quiet.jobs_run == 0, "{quiet:?}");
    assert_eq!(reload(county, &number).await.tier, Tier::Blue);

    set_clock(county, at("2025-10-09T10:00:00+08:00"));
    run(county, &number, "housing", Command::SignFor).await;
    run(county, &number, "housing", Command::RequestExtension { working_days: 3, reason: "需采购灯具".into() }).await;
    let extended = run(county, &number, "supervisor", Command::GrantExtension { note: None }).await;
    assert_eq!(rfc3339(extended.resolve_due_ms.expect("due")), "2025-10-15T16:00:00+08:00");

    // Waiting on the resident for one working day moves the deadline by 7 business hours.
    set_clock(county, at("2025-10-13T09:00:00+08:00"));
    let paused = run(county, &number, "housing", Command::Pause { reason: "群众电话无法接通".into() }).await;
    assert_eq!(paused.next_deadline_ms, minqing::storage::appeals::NO_DEADLINE);
    set_clock(county, at("2025-10-14T09:00:00+08:00"));
    let resumed = run(county, &number, "housing", Command::Resume { note: Some("已联系上".into()) }).await;
    assert_eq!(rfc3339(resumed.resolve_due_ms.expect("due")), "2025-10-16T16:00:00+08:00");
    let kinds = event_kinds(county, &resumed).await;
    for kind in ["extension_granted", "paused", "resumed"] {
        assert!(kinds.iter().any(|seen| seen == kind), "{kind} in {kinds:?}");
    }
    run(county, &number, "housing", Command::Resolve { reply: "已更换灯具".into() }).await;
    assert!(!event_kinds(county, &resumed).await.iter().any(|kind| kind == "escalated"));
}

async fn spring_festival_and_its_make_up_day(county: &County) {
    // Dispatched on Friday 13 February 2026; Saturday 14 February is a make-up working day,
    // 15–23 February are the Spring Festival holiday.
    set_clock(county, at("2026-02-13T10:00:00+08:00"));
    let appeal = submit(&county.hub, lamp_appeal("春节前路灯不亮"), None).await.expect("submit").appeal;
    let number = appeal.number.clone();
    run(county, &number, "yanru", Command::Accept { note: None }).await;
    let dispatched =
        run(county, &number, "yanru", Command::Dispatch { lead_unit_id: county.housing, co_unit_ids: vec![], note: None }).await;
    assert_eq!(rfc3339(dispatched.sign_due_ms.expect("due")), "2026-02-13T15:30:00+08:00");
    assert_eq!(rfc3339(dispatched.resolve_due_ms.expect("due")), "2026-02-25T10:00:00+08:00");

    // Not signed for by 15:30: yellow, with a fresh 4 working hours that run into the
    // make-up Saturday.
    set_clock(county, at("2026-02-13T16:00:00+08:00"));
    tick(county).await;
    let yellow = reload(county, &number).await;
    assert_eq!((yellow.tier, yellow.owner_unit_id), (Tier::Yellow, Some(county.huilong)));
    assert_eq!(rfc3339(yellow.next_deadline_ms), "2026-02-14T11:30:00+08:00");

    // Missed again on the make-up day; during the holiday the fresh deadline waits for
    // the first working day after it.
    set_clock(county, at("2026-02-20T10:00:00+08:00"));
    tick(county).await;
    let red = reload(county, &number).await;
    assert_eq!((red.tier, red.owner_unit_id), (Tier::Red, Some(county.centre)));
    assert_eq!(rfc3339(red.next_deadline_ms), "2026-02-24T14:30:00+08:00");
    let quiet = tick(county).await;
    assert!(quiet.sweep.is_idle() && quiet.jobs_run == 0, "{quiet:?}");
    run(county, &number, "housing", Command::SignFor).await;
    run(county, &number, "housing", Command::Resolve { reply: "已修复".into() }).await;
}

async fn left_alone_an_appeal_climbs_the_ladder(county: &County) {
    let leader = county.staff("leader").await;
    county.hub.db.set_unit_head(county.centre, leader.user_id).await.expect("head");
    set_clock(county, at("2026-11-16T09:00:00+08:00"));
    let appeal = submit(&county.hub, lamp_appeal("村口路灯又坏了一个月"), None).await.expect("submit").appeal;
    let number = appeal.number.clone();
    let green = run(
        county,
        &number,
        "yanru",
        Command::Reclassify { category_code: None, triage: None, tier: Some(Tier::Green), reason: "网格员可当场处理".into() },
    )
    .await;
    assert_eq!((green.tier, green.owner_unit_id), (Tier::Green, Some(county.yanru)));
    // 4 working hours to dispatch, from 09:00: due at 14:30; warned at 80% (13:42).
    assert_eq!(rfc3339(green.next_deadline_ms), "2026-11-16T14:30:00+08:00");

    tick(county).await;
    let events_before = event_kinds(county, &green).await.len();
    let idle = tick(county).await;
    assert!(idle.sweep.is_idle() && idle.jobs_run == 0, "an idle sweep does nothing: {idle:?}");
    assert_eq!(event_kinds(county, &green).await.len(), events_before);
    assert!(notification_kinds(county, &green).await.is_empty());

    set_clock(county, at("2026-11-16T13:30:00+08:00"));
    tick(county).await;
    assert!(notification_kinds(county, &green).await.is_empty(), "no warning before 80% of the time");
    set_clock(county, at("2026-11-16T13:45:00+08:00"));
    let warned = tick(county).await;
    assert_eq!(warned.sweep.warnings, 1);
    assert_eq!(notification_kinds(county, &green).await, vec![("deadline_warning".to_string(), Some(county.yanru), None)]);
    assert_eq!(tick(county).await.jobs_run, 0, "a warning is given once");

    // Each breach climbs one tier and hands the appeal to the new tier's unit.
    let ladder = [(Tier::Blue, county.yanru), (Tier::Yellow, county.huilong), (Tier::Red, county.centre)];
    for (tier, owner) in ladder {
        let current = reload(county, &number).await;
        set_clock(county, Timestamp::from_millisecond(current.next_deadline_ms + 60_000).expect("time"));
        let report = tick(county).await;
        assert_eq!(report.sweep.escalations, 1, "{tier}: {report:?}");
        let climbed = reload(county, &number).await;
        assert_eq!((climbed.tier, climbed.owner_unit_id, climbed.status), (tier, Some(owner), AppealStatus::Received));
        assert!(climbed.next_deadline_ms > hub_now(county), "the new owner gets a fresh deadline");
        let notified = notification_kinds(county, &climbed).await;
        assert!(notified.contains(&("escalated".to_string(), Some(owner), None)), "{tier}: {notified:?}");
    }

    // Red and late again: a supervision notice to the head of the late unit, and the key list.
    let red = reload(county, &number).await;
    set_clock(county, Timestamp::from_millisecond(red.next_deadline_ms + 60_000).expect("time"));
    tick(county).await;
    let supervised = reload(county, &number).await;
    assert_eq!(supervised.tier, Tier::Red);
    let escalations = event_kinds(county, &supervised).await.iter().filter(|kind| *kind == "escalated").count();
    assert_eq!(escalations, 4, "three climbs and one supervision");
    let notified = notification_kinds(county, &supervised).await;
    assert!(notified.contains(&("supervision".to_string(), None, Some(leader.user_id))), "{notified:?}");
    let supervisor = county.staff("supervisor").await;
    let notices = supervision::notices(&county.hub, &supervisor, Some(&number), 10).await.expect("notices");
    assert_eq!(notices.len(), 1);
    assert_eq!(
        (notices[0].unit_id, notices[0].head_user_id, notices[0].origin.as_str()),
        (Some(county.centre), Some(leader.user_id), "automatic")
    );
    let key_list = supervision::key_list(&county.hub, &supervisor, 10).await.expect("key list");
    assert!(key_list.iter().any(|row| row.appeal_number == number));
    assert_eq!(county.hub.db.unread_count(Inbox::User(leader.user_id)).await.expect("count"), 2, "escalated to red, then 督办");

    // Running the same work again changes nothing.
    let again = tick(county).await;
    assert_eq!(again.jobs_run, 0);
    assert_eq!(event_kinds(county, &supervised).await.len(), event_kinds(county, &reload(county, &number).await).await.len());

    // A supervisor urges by hand and issues a notice by hand; both are counted and listed.
    let urged = run(county, &number, "supervisor", Command::Urge { note: "请加快办理".into() }).await;
    assert_eq!(urged.urge_count, 1);
    let urges = supervision::urges(&county.hub, &supervisor, 10).await.expect("urges");
    assert_eq!((urges[0].appeal_number.as_str(), urges[0].urge_count), (number.as_str(), 1));
    supervision::issue_notice(&county.hub, &supervisor, &number, "群众反映强烈").await.expect("manual notice");
    assert_eq!(supervision::notices(&county.hub, &supervisor, Some(&number), 10).await.expect("notices").len(), 2);
    let yanru = county.staff("yanru").await;
    assert!(supervision::issue_notice(&county.hub, &yanru, &number, "x").await.is_err(), "only supervisors issue notices");

    // The appeal is resolved in the end, so later stories are not disturbed by it.
    run(county, &number, "dispatcher", Command::Accept { note: None }).await;
    run(county, &number, "dispatcher", Command::Dispatch { lead_unit_id: county.housing, co_unit_ids: vec![], note: None }).await;
    run(county, &number, "housing", Command::SignFor).await;
    run(county, &number, "housing", Command::Resolve { reply: "已修复".into() }).await;
}

fn hub_now(county: &County) -> i64 {
    county.hub.clock.now_ms()
}

async fn a_policy_edit_keeps_history(county: &County) {
    let before = submit(&county.hub, lamp_appeal("路灯不亮，请尽快修理"), None).await.expect("submit").appeal;
    let admin = county.staff("admin").await;
    let current = policies::current(&county.hub).await.expect("policy");
    assert_eq!(current.version, 1);
    let mut edited = current.policy.clone();
    edited.rules.push(PolicyRule { step: Step::Dispatch, tier: None, category_code: None, limit: TimeLimit::WorkingHours(1) });
    let dispatcher = county.staff("dispatcher").await;
    assert!(policies::update(&county.hub, &dispatcher, 1, edited.clone(), "x").await.is_err(), "only administrators edit");
    let mut bad = edited.clone();
    bad.warn_share = 2.0;
    assert!(policies::update(&county.hub, &admin, 1, bad, "bad").await.is_err());
    let saved = policies::update(&county.hub, &admin, 1, edited.clone(), "派单时限缩短为1小时").await.expect("update");
    assert_eq!(saved.version, 2);
    assert!(policies::update(&county.hub, &admin, 1, edited, "stale").await.is_err(), "an edit based on an old version is refused");

    let after = submit(&county.hub, lamp_appeal("路灯闪烁，请派人来看看"), None).await.expect("submit").appeal;
    let now = county.hub.clock.now_ms();
    assert!(after.next_deadline_ms - now < before.next_deadline_ms - now, "new appeals get the new limit");
    assert_eq!(county.hub.db.appeal_clock(before.id).await.expect("clock").0, Some(1), "old appeals keep version 1");
    assert_eq!(county.hub.db.appeal_clock(after.id).await.expect("clock").0, Some(2));
    for appeal in [before, after] {
        run(county, &appeal.number, "yanru", Command::Reject { reason: "重复".into() }).await;
    }
}

async fn lagging_units_get_a_reminder_notice(county: &County) {
    // Three appeals dispatched to the water bureau in November, none signed for in time.
    let water = county.water;
    for text in ["自来水停水三天了", "水管爆裂漏水", "自来水浑浊发黄"] {
        let appeal = submit(&county.hub, lamp_appeal(text), None).await.expect("submit").appeal;
        run(county, &appeal.number, "dispatcher", Command::Accept { note: None }).await;
        run(county, &appeal.number, "dispatcher", Command::Dispatch { lead_unit_id: water, co_unit_ids: vec![], note: None }).await;
    }
    set_clock(county, at("2026-12-01T09:00:00+08:00"));
    tick(county).await;
    let supervisor = county.staff("supervisor").await;
    let notices = supervision::reminders(&county.hub, &supervisor, Some("2026-11"), 50).await.expect("reminders");
    let to_water: Vec<_> = notices.iter().filter(|notice| notice.unit_id == water).collect();
    assert_eq!(to_water.len(), 1, "{notices:?}");
    assert!(to_water[0].shortfalls_json.contains("response_rate"), "{}", to_water[0].shortfalls_json);
    assert!(county.hub.db.unread_count(Inbox::Unit(water)).await.expect("count") >= 1);
    // Running the month again writes nothing new.
    assert_eq!(sweep::monthly_reminders(&county.hub, "2026-11").await.expect("again"), 0);
}
