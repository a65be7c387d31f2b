//! Exhaustive and property tests of the appeal state machine.

use proptest::prelude::*;

use super::*;
use crate::domain::access::{UnitKind, UnitRef};
use crate::domain::appeal::{Resolution, Satisfaction};

const OWNER: i64 = 2;
const LEAD: i64 = 1;
const CO: i64 = 3;

fn state(status: AppealStatus) -> WorkflowState {
    WorkflowState {
        status,
        triage: Triage::Small,
        tier: Tier::Blue,
        owner_unit_id: Some(OWNER),
        lead_unit_id: Some(LEAD),
        co_unit_ids: vec![CO],
        extension_pending: false,
        paused: false,
        rating: None,
        reopen_count: 0,
    }
}

/// The legal transitions for the hub itself (which passes every permission check),
/// from a plain state of each status: every (status, action) pair not listed is refused.
const LEGAL: &[(AppealStatus, &[(&str, AppealStatus)])] = {
    use AppealStatus as S;
    &[
        (
            S::Received,
            &[
                ("accept", S::Accepted),
                ("reject", S::Rejected),
                ("merge", S::Merged),
                ("reclassify", S::Received),
                ("urge", S::Received),
                ("escalate", S::Received),
            ],
        ),
        (
            S::Accepted,
            &[
                ("reject", S::Rejected),
                ("dispatch", S::Dispatched),
                ("merge", S::Merged),
                ("reclassify", S::Accepted),
                ("urge", S::Accepted),
                ("escalate", S::Accepted),
            ],
        ),
        (
            S::Dispatched,
            &[
                ("dispatch", S::Dispatched),
                ("sign_for", S::SignedFor),
                ("return", S::Returned),
                ("merge", S::Merged),
                ("reclassify", S::Dispatched),
                ("urge", S::Dispatched),
                ("escalate", S::Dispatched),
            ],
        ),
        (
            S::SignedFor,
            &[
                // The owner (2) is not the lead (1) here, so the owner may take it over.
                ("dispatch", S::Dispatched),
                ("record_progress", S::InProgress),
                ("return", S::Returned),
                ("request_extension", S::SignedFor),
                ("pause", S::SignedFor),
                ("resolve", S::Resolved),
                ("merge", S::Merged),
                ("reclassify", S::SignedFor),
                ("urge", S::SignedFor),
                ("escalate", S::SignedFor),
            ],
        ),
        (
            S::InProgress,
            &[
                ("dispatch", S::Dispatched),
                ("record_progress", S::InProgress),
                ("request_extension", S::InProgress),
                ("pause", S::InProgress),
                ("resolve", S::Resolved),
                ("merge", S::Merged),
                ("reclassify", S::InProgress),
                ("urge", S::InProgress),
                ("escalate", S::InProgress),
            ],
        ),
        (
            S::Returned,
            &[
                ("dispatch", S::Dispatched),
                ("merge", S::Merged),
                ("reclassify", S::Returned),
                ("urge", S::Returned),
                ("escalate", S::Returned),
            ],
        ),
        (S::Resolved, &[("follow_up", S::FollowedUp), ("rate", S::Rated), ("close", S::Closed), ("reclassify", S::Resolved)]),
        (S::FollowedUp, &[("follow_up", S::FollowedUp), ("rate", S::Rated), ("close", S::Closed), ("reclassify", S::FollowedUp)]),
        (S::Rated, &[("close", S::Closed), ("reclassify", S::Rated)]),
        (S::Rejected, &[]),
        (S::Closed, &[]),
        (S::Merged, &[]),
    ]
};

#[test]
fn every_status_and_action_pair_is_decided_as_the_table_says() {
    assert_eq!(LEGAL.len(), AppealStatus::ALL.len(), "the table covers every status");
    for (status, legal) in LEGAL {
        let from = state(*status);
        for command in sample_commands(&from) {
            let outcome = decide(&from, &Actor::System, &command);
            let expected = legal.iter().find(|(name, _)| *name == command.name());
            match (expected, outcome) {
                (Some((_, next)), Ok(decision)) => assert_eq!(decision.next.status, *next, "{status} --{}-->", command.name()),
                (None, Err(_)) => {}
                (Some(_), Err(error)) => panic!("{status} --{}--> was refused: {error}", command.name()),
                (None, Ok(decision)) => panic!("{status} --{}--> was allowed to {}", command.name(), decision.next.status),
            }
        }
    }
}

#[test]
fn side_paths_need_their_preconditions() {
    // Extension decisions need a pending request; resume needs a pause.
    let mut pending = state(AppealStatus::InProgress);
    pending.extension_pending = true;
    assert!(decide(&pending, &Actor::System, &Command::GrantExtension { note: None }).is_ok());
    assert!(decide(&pending, &Actor::System, &Command::RequestExtension { working_days: 3, reason: "x".into() }).is_err());
    assert!(decide(&state(AppealStatus::InProgress), &Actor::System, &Command::GrantExtension { note: None }).is_err());
    let mut paused = state(AppealStatus::SignedFor);
    paused.paused = true;
    assert!(decide(&paused, &Actor::System, &Command::Resume { note: None }).is_ok());
    assert!(decide(&paused, &Actor::System, &Command::Pause { reason: "x".into() }).is_err());

    // Reopening needs a rating that says the problem is not solved.
    let dissatisfied = Rating { resolution: Resolution::Partly, satisfaction: Satisfaction::Dissatisfied };
    let mut rated = state(AppealStatus::Rated);
    rated.rating = Some(dissatisfied);
    let reopened = decide(&rated, &Actor::System, &Command::Reopen { reason: "居民不满意".into() }).unwrap();
    assert_eq!(reopened.next.status, AppealStatus::Dispatched);
    assert_eq!(reopened.next.reopen_count, 1);
    assert!(reopened.restart_clock);
    assert_eq!(decide(&rated, &Actor::System, &Command::Close { note: None }).unwrap_err(), WorkflowError::MissingReason { field: "note" });
    rated.rating = Some(Rating { resolution: Resolution::Resolved, satisfaction: Satisfaction::Satisfied });
    assert!(decide(&rated, &Actor::System, &Command::Reopen { reason: "x".into() }).is_err());

    // A private matter is answered with guidance straight from acceptance.
    let mut private = state(AppealStatus::Accepted);
    private.triage = Triage::Private;
    assert_eq!(
        decide(&private, &Actor::System, &Command::Resolve { reply: "请咨询律师".into() }).unwrap().next.status,
        AppealStatus::Resolved
    );

    // Reasons are required and blank ones refused.
    assert_eq!(
        decide(&state(AppealStatus::Received), &Actor::System, &Command::Reject { reason: "  ".into() }).unwrap_err(),
        WorkflowError::MissingReason { field: "reason" }
    );
    // The lead is never its own co-handler.
    assert!(
        decide(&state(AppealStatus::Accepted), &Actor::System, &Command::Dispatch { lead_unit_id: 5, co_unit_ids: vec![5], note: None })
            .is_err()
    );
}

fn staff(unit_id: i64, kind: UnitKind, roles: &[Role]) -> Actor {
    Actor::Staff(Staff {
        user_id: 100 + unit_id,
        username: format!("u{unit_id}"),
        unit: UnitRef { id: unit_id, kind, region_code: "511824101".into() },
        roles: roles.to_vec(),
    })
}

#[test]
fn each_step_belongs_to_the_right_people() {
    let owner_dispatcher = staff(OWNER, UnitKind::TownshipCommittee, &[Role::Dispatcher]);
    let lead_handler = staff(LEAD, UnitKind::Department, &[Role::Handler]);
    let co_handler = staff(CO, UnitKind::Department, &[Role::Handler]);
    let stranger = staff(9, UnitKind::Department, &[Role::Handler, Role::Dispatcher]);
    let centre = staff(10, UnitKind::ServiceCentre, &[Role::Dispatcher]);
    let supervisor = staff(11, UnitKind::ServiceCentre, &[Role::Supervisor]);
    let operator = staff(12, UnitKind::ServiceCentre, &[Role::Operator]);

    let cases: Vec<(&str, AppealStatus, Command, &Actor, bool)> = vec![
        ("owner accepts", AppealStatus::Received, Command::Accept { note: None }, &owner_dispatcher, true),
        ("centre accepts", AppealStatus::Received, Command::Accept { note: None }, &centre, true),
        ("stranger cannot accept", AppealStatus::Received, Command::Accept { note: None }, &stranger, false),
        ("lead cannot accept", AppealStatus::Received, Command::Accept { note: None }, &lead_handler, false),
        ("lead signs", AppealStatus::Dispatched, Command::SignFor, &lead_handler, true),
        ("co-handler cannot sign", AppealStatus::Dispatched, Command::SignFor, &co_handler, false),
        ("owner cannot sign for the lead", AppealStatus::Dispatched, Command::SignFor, &owner_dispatcher, false),
        ("co-handler records progress", AppealStatus::SignedFor, Command::RecordProgress { note: "x".into() }, &co_handler, true),
        ("co-handler cannot resolve", AppealStatus::InProgress, Command::Resolve { reply: "x".into() }, &co_handler, false),
        ("lead resolves", AppealStatus::InProgress, Command::Resolve { reply: "x".into() }, &lead_handler, true),
        ("stranger cannot return", AppealStatus::Dispatched, Command::Return { reason: "x".into() }, &stranger, false),
        (
            "owner above the lead takes it over",
            AppealStatus::InProgress,
            Command::Dispatch { lead_unit_id: OWNER, co_unit_ids: vec![], note: None },
            &owner_dispatcher,
            true,
        ),
        (
            "stranger cannot take it over",
            AppealStatus::SignedFor,
            Command::Dispatch { lead_unit_id: 9, co_unit_ids: vec![], note: None },
            &stranger,
            false,
        ),
        ("operator follows up", AppealStatus::Resolved, Command::FollowUp { note: "x".into(), reached: true }, &operator, true),
        (
            "lead cannot rate itself",
            AppealStatus::Resolved,
            Command::Rate { rating: Rating { resolution: Resolution::Resolved, satisfaction: Satisfaction::Satisfied }, comment: None },
            &lead_handler,
            false,
        ),
        (
            "resident rates",
            AppealStatus::Resolved,
            Command::Rate { rating: Rating { resolution: Resolution::Resolved, satisfaction: Satisfaction::Satisfied }, comment: None },
            &Actor::Resident,
            true,
        ),
        ("resident cannot close", AppealStatus::Rated, Command::Close { note: Some("x".into()) }, &Actor::Resident, false),
        ("supervisor urges", AppealStatus::InProgress, Command::Urge { note: "x".into() }, &supervisor, true),
        ("handler cannot urge", AppealStatus::InProgress, Command::Urge { note: "x".into() }, &lead_handler, false),
        ("handler cannot escalate", AppealStatus::InProgress, Command::Escalate { reason: "x".into() }, &lead_handler, false),
    ];
    for (name, status, command, actor, allowed) in cases {
        let outcome = decide(&state(status), actor, &command);
        assert_eq!(outcome.is_ok(), allowed, "{name}: {outcome:?}");
        if !allowed {
            assert!(matches!(outcome, Err(WorkflowError::NotPermitted { .. })), "{name}: {outcome:?}");
        }
    }
    // A unit that owns and leads an appeal it has signed for finishes it or returns it;
    // it does not re-dispatch it.
    let mut own_work = state(AppealStatus::SignedFor);
    own_work.lead_unit_id = Some(OWNER);
    let redispatch = decide(&own_work, &owner_dispatcher, &Command::Dispatch { lead_unit_id: CO, co_unit_ids: vec![], note: None });
    assert!(matches!(redispatch, Err(WorkflowError::IllegalTransition { .. })), "{redispatch:?}");
    let taken = decide(
        &state(AppealStatus::SignedFor),
        &owner_dispatcher,
        &Command::Dispatch { lead_unit_id: OWNER, co_unit_ids: vec![], note: None },
    )
    .unwrap();
    assert!(taken.restart_clock && taken.next.status == AppealStatus::Dispatched && taken.next.lead_unit_id == Some(OWNER));
    let mut pending = state(AppealStatus::InProgress);
    pending.extension_pending = true;
    assert!(decide(&pending, &supervisor, &Command::GrantExtension { note: None }).is_ok());
    assert!(decide(&pending, &lead_handler, &Command::GrantExtension { note: None }).is_err());
}

#[test]
fn available_actions_follow_the_rules() {
    let lead_handler = staff(LEAD, UnitKind::Department, &[Role::Handler]);
    let actions = available_actions(&state(AppealStatus::Dispatched), &lead_handler);
    assert_eq!(actions, vec!["sign_for", "return"]);
    assert!(available_actions(&state(AppealStatus::Closed), &Actor::System).is_empty());
}

fn any_command() -> impl Strategy<Value = Command> {
    let text = || "[a-z]{0,3}".prop_map(String::from);
    let rating = (0..3usize, 0..3usize).prop_map(|(r, s)| Rating { resolution: Resolution::ALL[r], satisfaction: Satisfaction::ALL[s] });
    prop_oneof![
        text().prop_map(|note| Command::Accept { note: Some(note) }),
        text().prop_map(|reason| Command::Reject { reason }),
        (1..4i64, proptest::collection::vec(1..4i64, 0..3)).prop_map(|(lead, co)| Command::Dispatch {
            lead_unit_id: lead,
            co_unit_ids: co,
            note: None
        }),
        Just(Command::SignFor),
        text().prop_map(|note| Command::RecordProgress { note }),
        text().prop_map(|reason| Command::Return { reason }),
        (0..70u32, text()).prop_map(|(working_days, reason)| Command::RequestExtension { working_days, reason }),
        Just(Command::GrantExtension { note: None }),
        text().prop_map(|reason| Command::RefuseExtension { reason }),
        text().prop_map(|reason| Command::Pause { reason }),
        Just(Command::Resume { note: None }),
        text().prop_map(|reply| Command::Resolve { reply }),
        text().prop_map(|note| Command::FollowUp { note, reached: true }),
        rating.prop_map(|rating| Command::Rate { rating, comment: None }),
        text().prop_map(|reason| Command::Reopen { reason }),
        text().prop_map(|primary_number| Command::MergeInto { primary_number, reason: None }),
        proptest::option::of(text()).prop_map(|note| Command::Close { note }),
        (0..4usize, text()).prop_map(|(tier, reason)| Command::Reclassify {
            category_code: None,
            triage: None,
            tier: Some(Tier::ALL[tier]),
            reason
        }),
        text().prop_map(|note| Command::Urge { note }),
        text().prop_map(|reason| Command::Escalate { reason }),
    ]
}

fn any_actor() -> impl Strategy<Value = Actor> {
    prop_oneof![
        Just(Actor::System),
        Just(Actor::Resident),
        Just(staff(OWNER, UnitKind::VillageOrganisation, &[Role::Dispatcher])),
        Just(staff(LEAD, UnitKind::Department, &[Role::Handler])),
        Just(staff(CO, UnitKind::Department, &[Role::Handler])),
        Just(staff(10, UnitKind::ServiceCentre, &[Role::Dispatcher, Role::Supervisor])),
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Whatever anyone tries, in any order, the appeal stays in a coherent state.
    #[test]
    fn random_histories_keep_the_invariants(steps in proptest::collection::vec((any_actor(), any_command()), 1..40)) {
        let mut current = WorkflowState { lead_unit_id: None, co_unit_ids: vec![], ..state(AppealStatus::Received) };
        for (actor, command) in steps {
            let was_terminal = current.status.is_terminal();
            match decide(&current, &actor, &command) {
                Ok(decision) => {
                    prop_assert!(!was_terminal, "a terminal appeal changed");
                    prop_assert_eq!(decision.event, command.event_kind());
                    current = decision.next;
                }
                Err(_) => continue,
            }
            let handling = matches!(current.status, AppealStatus::Dispatched | AppealStatus::SignedFor | AppealStatus::InProgress);
            if handling {
                prop_assert!(current.lead_unit_id.is_some(), "handled without a lead unit");
                prop_assert!(current.lead_unit_id.is_some_and(|lead| !current.co_unit_ids.contains(&lead)));
            }
            if current.extension_pending || current.paused {
                prop_assert!(matches!(current.status, AppealStatus::SignedFor | AppealStatus::InProgress), "pending or paused in {}", current.status);
            }
            if current.status == AppealStatus::Rated {
                prop_assert!(current.rating.is_some());
            }
            if current.status == AppealStatus::Returned {
                prop_assert!(current.lead_unit_id.is_none());
            }
        }
    }
}
