//! The programmes' story on SQLite and PostgreSQL: one engine, several kinds of work.
//! A challenge list is published, claimed jointly, led, reported on, assessed; a service
//! order is placed, taken, missed its response circle and was escalated by the same sweep
//! and jobs as appeals, delivered and rated (earning points); points are earned, spent,
//! corrected, refused below zero, and concurrent spends of the same points cannot both
//! succeed; a ledger's overdue tasks get reminder notices; a dispute from an appeal ends
//! in an agreement that resolves the appeal; a meeting's attendance grants points; every
//! chain verifies and the ledger balances.

mod common;

use common::{County, TestDb, county};
use minqing::domain::access::{Role, UnitKind};
use minqing::domain::appeal::{AppealStatus, Channel};
use minqing::domain::contact::Contact;
use minqing::domain::history::verify_chain;
use minqing::domain::points::RuleDirection;
use minqing::domain::programme::WorkInput;
use minqing::domain::workflow::{Actor, Command};
use minqing::service::programmes::{self, NewAttendee, NewOrder, NewProblem, NewTask, Party};
use minqing::service::{ServiceError, actions, auth, jobs, points, work};
use minqing::storage::programmes::CatalogueItem;

const VILLAGE: &str = "511824101203";

async fn staff_actor(county: &County, name: &str) -> Actor {
    Actor::Staff(county.staff(name).await)
}

fn reason(text: &str) -> WorkInput {
    WorkInput { reason: text.into(), ..WorkInput::default() }
}

async fn tick(county: &County) -> jobs::TickReport {
    let report = jobs::tick(&county.hub, "story").await.expect("tick");
    assert_eq!(report.jobs_failed, 0, "{report:?}");
    report
}

#[tokio::test]
async fn programmes_story_on_every_backend() {
    for test_db in TestDb::all().await {
        eprintln!("programmes story on {}", test_db.label);
        let county = county(test_db.db.clone()).await;
        let hub = &county.hub;
        let team = hub.db.ensure_unit("晏如村志愿服务队", UnitKind::ServiceTeam, VILLAGE).await.expect("team").id;
        auth::create_user(hub, "volunteer", "志愿者小李", team, &[Role::Handler], common::PASSWORD).await.expect("volunteer");
        auth::create_user(hub, "county_leader", "县委领导", county.centre, &[Role::Leader, Role::Dispatcher], common::PASSWORD)
            .await
            .expect("leader");

        // ---- Challenge list: published, claimed jointly, led, milestones, assessed.
        let leader = county.staff("county_leader").await;
        let due = hub.clock.now() + jiff::SignedDuration::from_hours(24 * 60);
        let problems = vec![
            NewProblem {
                title: "老旧小区加装电梯".into(), goal: "年内完成3部".into(), criteria: "完成数量与群众满意度".into()
            },
            NewProblem {
                title: "农村饮水提质".into(), goal: "解决2个村季节性缺水".into(), criteria: "供水保证率".into()
            },
        ];
        let (list, items) = programmes::publish_challenge_list(hub, &leader, "2026年揭榜挂帅榜单", "县委发布", "511824", due, &problems)
            .await
            .expect("publish");
        assert_eq!(items.len(), 2);
        let elevator = &items[0].number;
        // A department may not claim for others; it claims jointly with a township.
        let housing = staff_actor(&county, "housing").await;
        let for_others = WorkInput { lead_unit_id: Some(county.water), person_name: Some("王局长".into()), ..WorkInput::default() };
        assert!(matches!(work::act(hub, &housing, elevator, "claim", for_others).await, Err(ServiceError::Forbidden(_))));
        let joint = WorkInput {
            lead_unit_id: Some(county.housing),
            co_unit_ids: vec![county.huilong],
            person_name: Some("张局长".into()),
            ..WorkInput::default()
        };
        let claimed = work::act(hub, &housing, elevator, "claim", joint).await.expect("claim");
        assert_eq!((claimed.status.as_str(), claimed.co_unit_ids.clone()), ("claimed", vec![county.huilong]));
        let huilong = staff_actor(&county, "huilong").await;
        let milestone = WorkInput {
            reason: "第一部电梯已开工".into(),
            evidence: vec!["https://files.example/elevator-1.jpg".into()],
            ..WorkInput::default()
        };
        work::act(hub, &huilong, elevator, "report_milestone", milestone).await.expect("co-unit reports a milestone");
        assert!(work::act(hub, &huilong, elevator, "submit", reason("done")).await.is_err(), "only the lead submits");
        work::act(hub, &housing, elevator, "submit", reason("3部电梯投入使用")).await.expect("submit");
        let assess = WorkInput { reason: "达标".into(), score: Some(92.0), ..WorkInput::default() };
        assert!(work::act(hub, &housing, elevator, "assess", assess.clone()).await.is_err(), "the claimant does not score itself");
        let assessed = work::act(hub, &Actor::Staff(leader.clone()), elevator, "assess", assess).await.expect("assess");
        assert_eq!((assessed.status.as_str(), assessed.score), ("assessed", Some(92.0)));
        let public = programmes::challenge_lists(hub, "511824").await.expect("public view");
        assert_eq!((public.len(), public[0].list.id, public[0].claimed, public[0].assessed), (1, list.id, 1, 1));
        assert_eq!(public[0].problems[0].milestones, 1);
        assert_eq!(public[0].problems[0].leader.as_deref(), Some("张局长"));
        let claimants = programmes::challenge_claimants(hub, &leader, "511824").await.expect("committee view");
        assert!(
            claimants.iter().any(|claimant| claimant.unit_id == county.housing && claimant.lead == 1 && claimant.mean_score == Some(92.0))
        );
        assert!(claimants.iter().any(|claimant| claimant.unit_id == county.huilong && claimant.joint == 1));

        // ---- Points: rules, earning, spending, corrections, never below zero.
        let yanru = county.staff("yanru").await;
        points::set_rule(hub, &yanru, VILLAGE, "patrol", "治安巡逻一次", RuleDirection::Earn, 5, true).await.expect("rule");
        points::set_rule(hub, &yanru, VILLAGE, "meeting", "参加板凳会", RuleDirection::Earn, 2, true).await.expect("rule");
        points::set_rule(hub, &yanru, VILLAGE, "service_order", "完成服务订单", RuleDirection::Earn, 3, true).await.expect("rule");
        points::set_rule(hub, &yanru, VILLAGE, "soap", "兑换肥皂一块", RuleDirection::Spend, 4, true).await.expect("rule");
        assert!(
            points::set_rule(hub, &county.staff("meiluo").await, VILLAGE, "x", "x", RuleDirection::Earn, 1, true).await.is_err(),
            "another township's staff"
        );
        let resident = points::Holder { name: "王大爷".into(), phone: "13812345678".into() };
        let earned = points::earn(hub, &yanru, VILLAGE, &resident, "patrol", 4, "四次夜间巡逻").await.expect("earn");
        assert_eq!(earned.postings.iter().map(|posting| posting.amount).sum::<i64>(), 0, "balanced");
        let account = earned.postings.iter().find(|posting| posting.amount > 0).expect("credit").account_id;
        assert_eq!(hub.db.point_account(account).await.expect("query").expect("account").balance, 20);
        // Concurrent spends of the same points: 20 points, eight spends of 4 at once → five succeed.
        let spends = (0..8).map(|_| {
            let (hub, yanru) = (hub.clone(), yanru.clone());
            tokio::spawn(async move { points::spend(&hub, &yanru, account, "soap", 1, "").await })
        });
        let outcomes: Vec<_> = futures_join(spends).await;
        let succeeded = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
        assert_eq!(
            succeeded,
            5,
            "{:?}",
            outcomes.iter().filter_map(|outcome| outcome.as_ref().err().map(ToString::to_string)).collect::<Vec<_>>()
        );
        assert_eq!(hub.db.point_account(account).await.expect("query").expect("account").balance, 0);
        // A correction of the earning would take the balance below zero: refused, nothing changes.
        assert!(matches!(points::correct(hub, &yanru, earned.id, "记错了").await, Err(ServiceError::Conflict(_))));
        let again = points::earn(hub, &yanru, VILLAGE, &resident, "patrol", 1, "巡逻").await.expect("earn");
        let corrected = points::correct(hub, &yanru, again.id, "当天未巡逻，冲正").await.expect("correct");
        assert_eq!(corrected.corrects_journal_id, Some(again.id));
        assert!(points::correct(hub, &yanru, again.id, "twice").await.is_err(), "a journal is corrected once");
        let month = hub.calendar.local_date(hub.clock.now()).strftime("%Y-%m").to_string();
        let (_, statement) = points::monthly_statement(hub, &yanru, account, &month).await.expect("statement");
        assert_eq!((statement.opening_balance, statement.earned, statement.spent, statement.closing_balance), (0, 25, 25, 0));
        assert_eq!(statement.lines.len(), 1 + 5 + 1 + 1);

        // ---- Service order: placed, missed the 10-minute circle, escalated by the shared sweep, taken, delivered, rated.
        hub.db
            .upsert_catalogue_item(&CatalogueItem {
                id: 0,
                region_code: VILLAGE.into(),
                code: "meal".into(),
                name: "助餐送餐".into(),
                finish_hours: 4,
                points: 3,
                active: true,
            })
            .await
            .expect("catalogue");
        let order = NewOrder {
            region_code: VILLAGE.into(),
            service_code: "meal".into(),
            requester_name: "李奶奶".into(),
            requester_phone: "13900001111".into(),
            address: Some("晏如村3组".into()),
            note: None,
            window_start: None,
            window_end: None,
        };
        let (ordered, secret) = programmes::order_service(hub, None, order).await.expect("order");
        assert_eq!(ordered.status, "ordered");
        assert_eq!(ordered.next_deadline_ms, Some(hub.clock.now_ms() + 10 * 60_000), "the 10-minute circle");
        let placed = work::act(
            hub,
            &Actor::Staff(yanru.clone()),
            &ordered.number,
            "place",
            WorkInput { lead_unit_id: Some(team), ..WorkInput::default() },
        )
        .await
        .expect("place");
        assert_eq!(placed.lead_unit_id, Some(team));
        hub.clock.advance(jiff::SignedDuration::from_mins(11));
        let report = tick(&county).await;
        assert!(report.jobs_run >= 1);
        let late = hub.db.work_item(&ordered.number).await.expect("query").expect("order");
        assert!(late.late_ms.is_some(), "marked late");
        let inbox = hub.db.inbox(minqing::storage::notifications::Inbox::Unit(county.huilong), false, None, 50).await.expect("inbox");
        assert!(inbox.iter().any(|notification| notification.kind == "work_overdue"), "the township above the community is told");
        assert_eq!(tick(&county).await.jobs_run, 0, "escalated once per deadline");
        let volunteer = staff_actor(&county, "volunteer").await;
        work::act(hub, &volunteer, &ordered.number, "take", WorkInput::default()).await.expect("take");
        work::act(hub, &volunteer, &ordered.number, "deliver", reason("午餐已送达")).await.expect("deliver");
        assert!(
            work::act(hub, &volunteer, &ordered.number, "rate", WorkInput { rating: Some(5), ..WorkInput::default() }).await.is_err(),
            "the team does not rate itself"
        );
        let rated = work::act(hub, &Actor::Resident, &ordered.number, "rate", WorkInput { rating: Some(5), ..WorkInput::default() })
            .await
            .expect("rate");
        assert_eq!(rated.status, "rated");
        assert!(!secret.is_empty());
        let circle = programmes::service_circle_record(hub, VILLAGE, 0, i64::MAX).await.expect("circle");
        assert_eq!((circle.orders, circle.taken, circle.taken_within_target, circle.late), (1, 1, 0, 1));
        let volunteer_accounts =
            hub.db.point_accounts(VILLAGE, Some(minqing::domain::points::AccountKind::Person), 50).await.expect("accounts");
        assert!(
            volunteer_accounts.iter().any(|account| account.holder_name.starts_with("user:") && account.balance == 3),
            "the service_order rule paid the volunteer"
        );

        // ---- Task ledger: tasks per unit, checked off, reminders to the lagging unit.
        let supervisor = county.staff("county_leader").await;
        let in_days = |days: i64| (hub.clock.now() + jiff::SignedDuration::from_hours(24 * days)).to_string();
        let tasks = vec![
            NewTask { title: "排查危房".into(), unit_id: county.housing, due_at: in_days(3), detail: None },
            NewTask { title: "清理河道".into(), unit_id: county.water, due_at: in_days(3), detail: None },
        ];
        let (ledger, ledger_items) = programmes::create_ledger(hub, &supervisor, "重点工作台账", "511824", &tasks).await.expect("ledger");
        work::act(
            hub,
            &housing,
            &ledger_items[0].number,
            "check_off",
            WorkInput { reason: "已排查12户".into(), evidence: vec!["台账.xlsx".into()], ..WorkInput::default() },
        )
        .await
        .expect("check off");
        hub.clock.advance(jiff::SignedDuration::from_hours(24 * 4));
        tick(&county).await;
        let reminded = programmes::remind_lagging_units(hub, &supervisor, ledger.id, "").await.expect("remind");
        assert_eq!(reminded, vec![(county.water, 1)]);
        let (_, progress, _) = programmes::ledger_progress(hub, &supervisor, ledger.id).await.expect("progress");
        let water = progress.iter().rev().find(|row| row.unit_id == county.water).expect("water row");
        assert_eq!((water.tasks, water.done, water.overdue), (1, 0, 1));
        let housing_row = progress.iter().rev().find(|row| row.unit_id == county.housing).expect("housing row");
        assert_eq!((housing_row.done, housing_row.done_on_time), (1, 1));
        let water_history = hub.db.work_events(ledger_items[1].id).await.expect("events");
        assert_eq!(water_history.iter().map(|event| event.kind.as_str()).collect::<Vec<_>>(), vec!["created", "escalate", "remind"]);

        // ---- Mediation from an appeal: the agreement resolves the appeal.
        let appeal = minqing::service::intake::submit(
            hub,
            minqing::service::intake::NewAppeal {
                text: "邻居占用通道堆放杂物，多次协商未果".into(),
                point: Some((102.05, 29.05)),
                region_code: None,
                address: None,
                channel: Channel::Hotline,
                contact: Contact::parse(Some("赵先生"), Some("13700002222")).expect("contact"),
                category_code: Some("0601".into()),
                meeting_id: None,
                // The village owns it whatever the classifier would say.
                judgement: Some(minqing::service::intake::StaffJudgement {
                    urgent: Some(false),
                    triage: Some(minqing::domain::appeal::Triage::Small),
                    tier: Some(minqing::domain::appeal::Tier::Blue),
                }),
            },
            None,
        )
        .await
        .expect("appeal")
        .appeal;
        let dispatcher = staff_actor(&county, "yanru").await;
        let mut current = appeal.clone();
        if current.status == AppealStatus::Received {
            current = actions::act(hub, &appeal.number, &dispatcher, Command::Accept { note: None }).await.expect("accept");
        }
        if current.status == AppealStatus::Accepted {
            current = actions::act(
                hub,
                &appeal.number,
                &dispatcher,
                Command::Dispatch { lead_unit_id: county.yanru, co_unit_ids: vec![], note: None },
            )
            .await
            .expect("dispatch");
        }
        actions::act(hub, &appeal.number, &dispatcher, Command::SignFor).await.expect("sign for");
        let _ = current;
        let parties = vec![
            Party { name: "赵先生".into(), phone: None, role: "申请人".into() },
            Party { name: "钱女士".into(), phone: None, role: "被申请人".into() },
        ];
        let dispute = programmes::register_dispute(hub, &yanru, "邻里通道纠纷", "占用通道", VILLAGE, &parties, Some(&appeal.number))
            .await
            .expect("dispute");
        assert!(dispute.next_deadline_ms.is_some(), "3 working days to assign mediators");
        work::act(
            hub,
            &dispatcher,
            &dispute.number,
            "assign",
            WorkInput { person_name: Some("老党员周大爷、村调解委员会".into()), ..WorkInput::default() },
        )
        .await
        .expect("assign");
        work::act(hub, &dispatcher, &dispute.number, "hold_session", reason("双方到场，初步沟通")).await.expect("session");
        work::act(hub, &dispatcher, &dispute.number, "reach_agreement", reason("三日内清理杂物，通道共用")).await.expect("agreement");
        let resolved = hub.db.appeal_by_number(&appeal.number).await.expect("query").expect("appeal");
        assert_eq!(resolved.status, AppealStatus::Resolved, "the agreement resolved the appeal");

        // ---- Meetings: attendance grants points once; the schedule records what was held.
        let meeting_id = {
            let mut transaction = hub.db.begin_write().await.expect("tx");
            let meeting = minqing::storage::meetings::NewMeeting {
                kind: "板凳会",
                title: "院坝板凳会",
                place: Some("晏如村广场"),
                region_code: VILLAGE,
                held_ms: hub.clock.now_ms(),
                minutes: Some("议定修路"),
                recorded_by: yanru.user_id,
                created_ms: hub.clock.now_ms(),
            };
            let id = minqing::storage::meetings::insert_meeting(&mut transaction, &meeting).await.expect("meeting");
            transaction.commit().await.expect("commit");
            id
        };
        let schedule = minqing::storage::programmes::ScheduleRow {
            id: 0,
            kind: "板凳会".into(),
            title: "每月板凳会".into(),
            region_code: VILLAGE.into(),
            organiser_unit_id: county.yanru,
            every_months: 1,
            starts_month: month.clone(),
            remind_days: 7,
            active: true,
        };
        let schedule_id = hub.db.insert_schedule(&schedule, hub.clock.now_ms()).await.expect("schedule");
        let attendees = vec![
            NewAttendee { name: "王大爷".into(), phone: Some("13812345678".into()), role: Some("群众".into()) },
            NewAttendee { name: "刘书记".into(), phone: None, role: Some("党员".into()) },
        ];
        let (meeting, attended) =
            programmes::record_attendance(hub, &yanru, meeting_id, Some(schedule_id), &["photo-1.jpg".into()], &attendees, Some("meeting"))
                .await
                .expect("attendance");
        assert_eq!(
            (meeting.schedule_id, meeting.attachments.clone(), attended.len()),
            (Some(schedule_id), vec!["photo-1.jpg".to_string()], 2)
        );
        assert!(attended.iter().any(|attendee| attendee.name == "王大爷" && attendee.points_journal_id.is_some()));
        assert!(
            programmes::record_attendance(hub, &yanru, meeting_id, None, &[], &attendees[..1], Some("meeting")).await.is_err(),
            "the same attendee is not paid twice for one meeting"
        );
        assert_eq!(hub.db.point_account(account).await.expect("query").expect("account").balance, 2);

        // ---- The dashboard counts the programmes.
        let board = programmes::dashboard(hub, "511824", 0, i64::MAX).await.expect("dashboard");
        assert_eq!((board.challenges_total, board.challenges_claimed, board.challenges_assessed), (2, 1, 1));
        assert_eq!((board.orders_total, board.orders_taken, board.orders_late), (1, 1, 1));
        assert_eq!((board.tasks_total, board.tasks_done), (2, 1));
        assert_eq!((board.disputes_total, board.disputes_agreed), (1, 1));
        assert_eq!((board.meetings_held, board.scheduled_periods_held), (1, 1));
        assert_eq!(board.points_issued, 20 + 5 - 5 + 3 + 2);
        assert_eq!(board.points_spent, 20);

        // ---- One audit: every work item's chain verifies, the ledger balances.
        let mut breaks = Vec::new();
        let chained =
            hub.db.all_work_chains(|number, head, chain| breaks.extend(verify_chain(number, &chain, head))).await.expect("chains");
        assert!(chained >= 6 && breaks.is_empty(), "{breaks:?}");
        assert!(hub.db.audit_points().await.expect("ledger audit").is_empty());

        test_db.cleanup().await;
    }
}

/// Awaits every spawned task, keeping each outcome.
async fn futures_join<T>(handles: impl Iterator<Item = tokio::task::JoinHandle<T>>) -> Vec<T> {
    let handles: Vec<_> = handles.collect();
    let mut outcomes = Vec::new();
    for handle in handles {
        outcomes.push(handle.await.expect("task"));
    }
    outcomes
}
