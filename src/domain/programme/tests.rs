//! Exhaustive table tests of the programmes' work engine: every (kind, status, action)
//! triple is decided as the expected table below says, written out by hand so that a
//! change to a kind's transitions must be made twice, on purpose.

use super::*;
use crate::domain::access::{Role, UnitRef};

const OWNER: i64 = 10;
const LEAD: i64 = 11;
const CO: i64 = 12;
const OTHER: i64 = 13;

fn state(kind: WorkKind, status: &str) -> WorkState {
    WorkState {
        kind,
        status: status.to_string(),
        region_code: "511824101203".into(),
        owner_unit_id: OWNER,
        lead_unit_id: Some(LEAD),
        co_unit_ids: vec![CO],
        assignee_user_id: Some(5),
        requested_by_user_id: Some(6),
    }
}

fn full_input() -> WorkInput {
    WorkInput {
        reason: "done as agreed".into(),
        lead_unit_id: Some(LEAD),
        co_unit_ids: vec![CO],
        person_name: Some("张书记".into()),
        score: Some(88.0),
        rating: Some(5),
        evidence: vec!["photo-1.jpg".into()],
    }
}

fn staff(user_id: i64, unit: i64, kind: UnitKind, region: &str) -> Actor {
    Actor::Staff(Staff {
        user_id,
        username: format!("u{user_id}"),
        unit: UnitRef { id: unit, kind, region_code: region.into() },
        roles: vec![Role::Handler],
    })
}

type Table = &'static [(&'static str, &'static [(&'static str, &'static str)])];

/// For the hub itself (which passes every permission check) with complete input.
const CHALLENGE_LEGAL: Table = &[
    ("open", &[("claim", "claimed"), ("withdraw", "withdrawn")]),
    (
        "claimed",
        &[
            ("name_leader", "claimed"),
            ("report_milestone", "claimed"),
            ("submit", "submitted"),
            ("withdraw", "withdrawn"),
            ("urge", "claimed"),
            ("escalate", "claimed"),
        ],
    ),
    ("submitted", &[("return", "claimed"), ("assess", "assessed")]),
    ("assessed", &[]),
    ("withdrawn", &[]),
];

const SERVICE_ORDER_LEGAL: Table = &[
    ("ordered", &[("place", "placed"), ("cancel", "cancelled"), ("urge", "ordered"), ("escalate", "ordered")]),
    ("placed", &[("take", "taken"), ("decline", "ordered"), ("cancel", "cancelled"), ("urge", "placed"), ("escalate", "placed")]),
    ("taken", &[("decline", "ordered"), ("deliver", "delivered"), ("urge", "taken"), ("escalate", "taken")]),
    ("delivered", &[("rate", "rated"), ("close", "closed")]),
    ("rated", &[]),
    ("closed", &[]),
    ("cancelled", &[]),
];

const TASK_LEGAL: Table = &[
    ("open", &[("record_progress", "open"), ("check_off", "done"), ("remind", "open"), ("cancel", "cancelled"), ("escalate", "open")]),
    ("done", &[("reopen", "open")]),
    ("cancelled", &[]),
];

const MEDIATION_LEGAL: Table = &[
    ("registered", &[("assign", "mediating"), ("urge", "registered"), ("escalate", "registered")]),
    (
        "mediating",
        &[
            ("hold_session", "mediating"),
            ("reach_agreement", "agreed"),
            ("fail", "failed"),
            ("urge", "mediating"),
            ("escalate", "mediating"),
        ],
    ),
    ("agreed", &[("follow_up", "agreed"), ("close", "closed")]),
    ("failed", &[("close", "closed")]),
    ("closed", &[]),
];

#[test]
fn every_kind_status_and_action_is_decided_as_the_table_says() {
    for (kind, table) in [
        (WorkKind::Challenge, CHALLENGE_LEGAL),
        (WorkKind::ServiceOrder, SERVICE_ORDER_LEGAL),
        (WorkKind::Task, TASK_LEGAL),
        (WorkKind::Mediation, MEDIATION_LEGAL),
    ] {
        let spec = kind.spec();
        assert_eq!(table.len(), spec.statuses.len(), "{kind}: the table covers every status");
        assert_eq!(spec.status(spec.initial).map(|status| status.name), Some(spec.initial), "{kind}: the initial status exists");
        for (status, legal) in table {
            assert!(spec.status(status).is_some(), "{kind}: {status} is a status");
            for action in spec.actions() {
                let outcome = decide(&state(kind, status), &Actor::System, action, &full_input());
                let expected = legal.iter().find(|(name, _)| *name == action);
                match (expected, outcome) {
                    (Some((_, next)), Ok(decision)) => assert_eq!(decision.next_status, *next, "{kind}: {status} --{action}-->"),
                    (None, Err(WorkError::IllegalTransition { .. })) => {}
                    (Some(_), Err(error)) => panic!("{kind}: {status} --{action}--> was refused: {error}"),
                    (None, Ok(decision)) => panic!("{kind}: {status} --{action}--> was allowed to {}", decision.next_status),
                    (None, Err(error)) => panic!("{kind}: {status} --{action}--> refused for the wrong reason: {error}"),
                }
            }
        }
    }
}

#[test]
fn every_transition_leads_to_a_known_status_and_terminals_have_no_way_out() {
    for kind in WorkKind::ALL {
        let spec = kind.spec();
        for transition in spec.transitions {
            for from in transition.from {
                assert!(spec.status(from).is_some(), "{kind}: {} from unknown {from}", transition.action);
                assert!(!spec.is_terminal(from), "{kind}: {} leaves terminal {from}", transition.action);
            }
            if let Some(to) = transition.to {
                assert!(spec.status(to).is_some(), "{kind}: {} to unknown {to}", transition.action);
            }
        }
        assert!(
            spec.transitions.iter().any(|transition| transition.action == "escalate" && transition.effect == Effect::MarkLate),
            "{kind} can be escalated"
        );
    }
}

#[test]
fn unknown_actions_name_the_known_ones() {
    let error = decide(&state(WorkKind::Task, "open"), &Actor::System, "explode", &full_input()).unwrap_err();
    assert!(error.to_string().contains("check_off"), "{error}");
}

#[test]
fn parties_are_checked() {
    let village = |user, unit| staff(user, unit, UnitKind::VillageOrganisation, "511824101203");
    let department = |user, unit| staff(user, unit, UnitKind::Department, "511824");
    let order = state(WorkKind::ServiceOrder, "placed");
    // The service team takes the order; another unit cannot.
    assert!(decide(&order, &staff(7, LEAD, UnitKind::ServiceTeam, "511824101203"), "take", &WorkInput::default()).is_ok());
    assert!(matches!(
        decide(&order, &staff(7, OTHER, UnitKind::ServiceTeam, "511824101203"), "take", &WorkInput::default()),
        Err(WorkError::NotPermitted { .. })
    ));
    // The community party organisation over the region oversees (督单); the next township does not.
    let urge = WorkInput { reason: "resident waiting".into(), ..WorkInput::default() };
    assert!(decide(&order, &village(8, OTHER), "urge", &urge).is_ok());
    assert!(decide(&order, &staff(8, OTHER, UnitKind::TownshipCommittee, "511824101"), "urge", &urge).is_ok());
    assert!(decide(&order, &staff(8, OTHER, UnitKind::TownshipCommittee, "511824102"), "urge", &urge).is_err());
    assert!(decide(&order, &department(8, OTHER), "urge", &urge).is_err());
    // Only the resident (or whoever entered the order for them) rates.
    let delivered = state(WorkKind::ServiceOrder, "delivered");
    let rating = WorkInput { rating: Some(4), ..WorkInput::default() };
    assert!(decide(&delivered, &Actor::Resident, "rate", &rating).is_ok());
    assert!(decide(&delivered, &village(6, OTHER), "rate", &rating).is_ok(), "the grid worker who ordered for them");
    assert!(decide(&delivered, &village(9, OWNER), "rate", &rating).is_err());
    // Residents do nothing but what a requester does.
    assert!(decide(&state(WorkKind::Task, "open"), &Actor::Resident, "check_off", &full_input()).is_err());
    // Only the hub escalates.
    assert!(decide(&state(WorkKind::Task, "open"), &village(1, OWNER), "escalate", &full_input()).is_err());
}

#[test]
fn a_unit_claims_only_for_a_team_it_is_in() {
    let open = state(WorkKind::Challenge, "open");
    let claimant = staff(3, OTHER, UnitKind::Department, "511824");
    let for_others =
        WorkInput { lead_unit_id: Some(LEAD), co_unit_ids: vec![CO], person_name: Some("李局长".into()), ..WorkInput::default() };
    assert!(matches!(decide(&open, &claimant, "claim", &for_others), Err(WorkError::NotPermitted { .. })));
    let jointly = WorkInput {
        lead_unit_id: Some(LEAD),
        co_unit_ids: vec![OTHER, LEAD, OTHER],
        person_name: Some("李局长".into()),
        ..WorkInput::default()
    };
    let decision = decide(&open, &claimant, "claim", &jointly).expect("a joint claim as co-unit");
    assert_eq!(decision.lead_unit_id, Some(LEAD));
    assert_eq!(decision.co_unit_ids, vec![OTHER], "the lead is not its own co-unit; repeats collapse");
    assert_eq!(decision.person_name.as_deref(), Some("李局长"));
    assert!(decision.clock_changed, "the finishing deadline starts at the claim");
}

#[test]
fn needs_are_checked_before_anything_changes() {
    let submitted = state(WorkKind::Challenge, "submitted");
    for (input, field) in [
        (WorkInput { score: Some(101.0), reason: "x".into(), ..WorkInput::default() }, "score"),
        (WorkInput { score: Some(80.0), reason: " ".into(), ..WorkInput::default() }, "reason"),
    ] {
        match decide(&submitted, &Actor::System, "assess", &input) {
            Err(WorkError::Missing { field: found, .. }) => assert_eq!(found, field),
            other => panic!("expected a missing {field}, got {other:?}"),
        }
    }
    let delivered = state(WorkKind::ServiceOrder, "delivered");
    assert!(decide(&delivered, &Actor::Resident, "rate", &WorkInput { rating: Some(0), ..WorkInput::default() }).is_err());
}

#[test]
fn taking_and_declining_move_the_assignee_and_the_clock() {
    let team_member = staff(42, LEAD, UnitKind::ServiceTeam, "511824101203");
    let mut placed = state(WorkKind::ServiceOrder, "placed");
    placed.assignee_user_id = None;
    let taken = decide(&placed, &team_member, "take", &WorkInput::default()).expect("take");
    assert_eq!(taken.assignee_user_id, Some(42));
    assert!(taken.clock_changed, "from the response deadline to the finishing one");
    let mut taken_state = state(WorkKind::ServiceOrder, "taken");
    taken_state.assignee_user_id = Some(42);
    let declined = decide(&taken_state, &team_member, "decline", &WorkInput { reason: "no one free".into(), ..WorkInput::default() })
        .expect("decline");
    assert_eq!((declined.lead_unit_id, declined.assignee_user_id, declined.next_status), (None, None, "ordered"));
    assert!(declined.clock_changed);
    let urged = decide(&taken_state, &Actor::System, "urge", &WorkInput { reason: "late".into(), ..WorkInput::default() }).expect("urge");
    assert!(!urged.clock_changed, "an urge does not move the deadline");
}
