//! The programmes' work engine: one state machine shape for every kind of programme work
//! (a challenge-list problem, a service order, a task-ledger item, a mediation case).
//!
//! The appeal workflow (`workflow.rs`) is a hand-written `decide(state, actor, command)`.
//! Programme work is simpler and more varied, so each kind is written as data: a table of
//! statuses (with the deadline that runs in each) and a table of transitions (from which
//! statuses, by which party, needing what input, with which effect). One `decide` reads
//! any kind's tables. Adding a kind of work is adding two tables, not a new application:
//! storage, history, deadlines, the overdue sweep, notifications and scoping are shared.
//!
//! Pure code: no IO, no clock. The service layer loads a `WorkState`, asks `decide`, and
//! persists the decision with one hash-chained event in one transaction.

use super::access::{Staff, UnitKind};
use super::workflow::Actor;

text_enum! {
    /// The kind of a work item. Stable: stored and sent in the API.
    pub enum WorkKind as "work kind" {
        /// A problem on a challenge list (揭榜挂帅): claimed by units, led, assessed.
        Challenge = "challenge",
        /// A home service ordered by a resident (点单-下单-接单-督单).
        ServiceOrder = "service_order",
        /// An item of a task ledger (台账), checked off one by one (逐条销号).
        Task = "task",
        /// A dispute in mediation (矛盾纠纷调解).
        Mediation = "mediation",
    }
}

impl WorkKind {
    pub fn label_zh(self) -> &'static str {
        match self {
            WorkKind::Challenge => "揭榜挂帅",
            WorkKind::ServiceOrder => "服务订单",
            WorkKind::Task => "台账任务",
            WorkKind::Mediation => "矛盾纠纷调解",
        }
    }

    /// The prefix of the item's readable number (e.g. `FW-20261116-0001`).
    pub fn number_prefix(self) -> &'static str {
        match self {
            WorkKind::Challenge => "JB",
            WorkKind::ServiceOrder => "FW",
            WorkKind::Task => "TZ",
            WorkKind::Mediation => "TJ",
        }
    }

    /// The tables of this kind.
    pub fn spec(self) -> &'static KindSpec {
        match self {
            WorkKind::Challenge => &CHALLENGE,
            WorkKind::ServiceOrder => &SERVICE_ORDER,
            WorkKind::Task => &TASK,
            WorkKind::Mediation => &MEDIATION,
        }
    }
}

/// Which of an item's two deadlines runs in a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// No deadline runs (waiting on the resident or the committee, or finished).
    Stopped,
    /// The response deadline: someone must take the item up (接单, 受理).
    Respond,
    /// The finishing deadline: the work must be done.
    Finish,
}

/// A status of one kind of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StatusSpec {
    pub name: &'static str,
    pub label_zh: &'static str,
    pub clock: Clock,
    /// Nothing more happens to a terminal item.
    pub terminal: bool,
}

/// Who may take a step. A transition lists the parties allowed; the hub itself
/// (`Actor::System`) passes every check, as in the appeal workflow.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Party {
    /// Staff of the unit that owns the item: the committee that published a list, the
    /// community that places orders, the unit that keeps a ledger, the mediation committee.
    Owner,
    /// Staff of the lead unit (the claiming unit, the service team, the task's unit).
    Lead,
    /// Staff of the lead unit or of a co-unit (joint claimants, co-handlers).
    Team,
    /// The person who took the item (the team member who took the order).
    Assignee,
    /// Staff of a territorial unit whose region contains the item's region: the community
    /// party organisation oversees service orders (督单), the township above it, the centre.
    Overseer,
    /// Any signed-in staff member (e.g. any unit may claim an open problem).
    AnyStaff,
    /// The resident who asked (proven by the item's number and secret), or the staff
    /// member who entered the request for them.
    Requester,
}

/// What a transition needs in its input.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// A non-empty note: why, what was done, the agreement reached.
    Reason,
    /// A lead unit (the claimant, the service team, the task's unit).
    LeadUnit,
    /// A person's name (the leader 挂帅, the mediators).
    PersonName,
    /// A score from 0 to 100.
    Score,
    /// A rating from 1 to 5.
    Rating,
}

/// What a transition changes beyond the status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    None,
    /// The lead unit (and co-units) become the input's; the named person too, if given.
    SetUnits,
    /// The lead unit and the assignee are cleared (a team declines an order).
    ClearUnits,
    /// The acting staff member becomes the assignee (a team member takes an order).
    TakeSelf,
    /// The named person becomes the item's named person (the leader, the mediators).
    NamePerson,
    /// The score is recorded (committee assessment).
    RecordScore,
    /// The rating is recorded (resident's rating).
    RecordRating,
    /// Counts a reminder or an urge; no change of state.
    Press,
    /// The item missed its deadline: it is marked late and the overseers are told.
    MarkLate,
}

/// One row of a kind's transition table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub action: &'static str,
    pub label_zh: &'static str,
    pub from: &'static [&'static str],
    /// `None`: the status stays.
    pub to: Option<&'static str>,
    pub by: &'static [Party],
    pub needs: &'static [Need],
    pub effect: Effect,
    /// Restart the deadline of the next status from now (a declined order waits for a
    /// new team; a reopened task runs again).
    pub restart_clock: bool,
}

/// The tables of one kind of work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct KindSpec {
    pub kind: WorkKind,
    pub initial: &'static str,
    pub statuses: &'static [StatusSpec],
    pub transitions: &'static [Transition],
}

impl KindSpec {
    pub fn status(&self, name: &str) -> Option<&'static StatusSpec> {
        self.statuses.iter().find(|status| status.name == name)
    }

    /// The actions this kind knows, in table order, without repeats.
    pub fn actions(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = Vec::new();
        for transition in self.transitions {
            if !names.contains(&transition.action) {
                names.push(transition.action);
            }
        }
        names
    }

    /// The deadline that runs in a status.
    pub fn clock_of(&self, status: &str) -> Clock {
        self.status(status).map_or(Clock::Stopped, |status| status.clock)
    }

    pub fn is_terminal(&self, status: &str) -> bool {
        self.status(status).is_some_and(|status| status.terminal)
    }
}

const fn status(name: &'static str, label_zh: &'static str, clock: Clock) -> StatusSpec {
    StatusSpec { name, label_zh, clock, terminal: false }
}

const fn terminal(name: &'static str, label_zh: &'static str) -> StatusSpec {
    StatusSpec { name, label_zh, clock: Clock::Stopped, terminal: true }
}

#[allow(clippy::too_many_arguments)]
const fn step(
    action: &'static str,
    label_zh: &'static str,
    from: &'static [&'static str],
    to: Option<&'static str>,
    by: &'static [Party],
    needs: &'static [Need],
    effect: Effect,
) -> Transition {
    Transition { action, label_zh, from, to, by, needs, effect, restart_clock: false }
}

const fn restart(transition: Transition) -> Transition {
    Transition { restart_clock: true, ..transition }
}

use Effect as E;
use Need as N;
use Party as P;

/// A problem on a challenge list (揭榜挂帅). The list's deadline is the finishing deadline;
/// it runs from the claim until the outcome is submitted.
pub static CHALLENGE: KindSpec = KindSpec {
    kind: WorkKind::Challenge,
    initial: "open",
    statuses: &[
        status("open", "待揭榜", Clock::Stopped),
        status("claimed", "已揭榜", Clock::Finish),
        status("submitted", "待评估", Clock::Stopped),
        terminal("assessed", "已评估"),
        terminal("withdrawn", "已撤榜"),
    ],
    transitions: &[
        step("claim", "揭榜", &["open"], Some("claimed"), &[P::AnyStaff], &[N::LeadUnit, N::PersonName], E::SetUnits),
        step("name_leader", "挂帅", &["claimed"], None, &[P::Lead, P::Owner], &[N::PersonName], E::NamePerson),
        step("report_milestone", "报告进展", &["claimed"], None, &[P::Team], &[N::Reason], E::None),
        step("submit", "提交成果", &["claimed"], Some("submitted"), &[P::Lead], &[N::Reason], E::None),
        step("return", "退回完善", &["submitted"], Some("claimed"), &[P::Owner], &[N::Reason], E::None),
        step("assess", "评估打分", &["submitted"], Some("assessed"), &[P::Owner], &[N::Score, N::Reason], E::RecordScore),
        step("withdraw", "撤榜", &["open", "claimed"], Some("withdrawn"), &[P::Owner], &[N::Reason], E::None),
        step("urge", "督促", &["claimed"], None, &[P::Owner, P::Overseer], &[N::Reason], E::Press),
        step("escalate", "逾期提醒", &["claimed"], None, &[], &[N::Reason], E::MarkLate),
    ],
};

/// A service order (点单-下单-接单-督单). The response deadline (the community's service
/// circle, e.g. 10 minutes) runs until a team member takes the order; the finishing
/// deadline is the end of the resident's time window.
pub static SERVICE_ORDER: KindSpec = KindSpec {
    kind: WorkKind::ServiceOrder,
    initial: "ordered",
    statuses: &[
        status("ordered", "已点单", Clock::Respond),
        status("placed", "已下单", Clock::Respond),
        status("taken", "已接单", Clock::Finish),
        status("delivered", "已服务", Clock::Stopped),
        terminal("rated", "已评价"),
        terminal("closed", "已结单"),
        terminal("cancelled", "已取消"),
    ],
    transitions: &[
        step("place", "下单", &["ordered"], Some("placed"), &[P::Owner, P::Overseer], &[N::LeadUnit], E::SetUnits),
        step("take", "接单", &["placed"], Some("taken"), &[P::Team], &[], E::TakeSelf),
        step("decline", "退单", &["placed", "taken"], Some("ordered"), &[P::Team], &[N::Reason], E::ClearUnits),
        step("deliver", "完成服务", &["taken"], Some("delivered"), &[P::Assignee, P::Team], &[N::Reason], E::None),
        step("rate", "评价", &["delivered"], Some("rated"), &[P::Requester], &[N::Rating], E::RecordRating),
        step("close", "结单", &["delivered"], Some("closed"), &[P::Owner], &[], E::None),
        step("cancel", "取消", &["ordered", "placed"], Some("cancelled"), &[P::Requester, P::Owner], &[N::Reason], E::None),
        step("urge", "督单", &["ordered", "placed", "taken"], None, &[P::Owner, P::Overseer], &[N::Reason], E::Press),
        step("escalate", "超时升级", &["ordered", "placed", "taken"], None, &[], &[N::Reason], E::MarkLate),
    ],
};

/// An item of a task ledger (清单式梳理、台账式管理), checked off one by one (逐条销号).
pub static TASK: KindSpec = KindSpec {
    kind: WorkKind::Task,
    initial: "open",
    statuses: &[status("open", "未销号", Clock::Finish), status("done", "已销号", Clock::Stopped), terminal("cancelled", "已取消")],
    transitions: &[
        step("record_progress", "报告进展", &["open"], None, &[P::Team], &[N::Reason], E::None),
        step("check_off", "销号", &["open"], Some("done"), &[P::Lead], &[N::Reason], E::None),
        restart(step("reopen", "重新挂号", &["done"], Some("open"), &[P::Owner], &[N::Reason], E::None)),
        step("remind", "工作提示", &["open"], None, &[P::Owner, P::Overseer], &[N::Reason], E::Press),
        step("cancel", "取消", &["open"], Some("cancelled"), &[P::Owner], &[N::Reason], E::None),
        step("escalate", "逾期提醒", &["open"], None, &[], &[N::Reason], E::MarkLate),
    ],
};

/// A dispute in mediation (矛盾纠纷调解). The response deadline runs until mediators are
/// assigned; the finishing deadline until an agreement is reached or mediation fails.
pub static MEDIATION: KindSpec = KindSpec {
    kind: WorkKind::Mediation,
    initial: "registered",
    statuses: &[
        status("registered", "已登记", Clock::Respond),
        status("mediating", "调解中", Clock::Finish),
        status("agreed", "已达成协议", Clock::Stopped),
        status("failed", "调解不成", Clock::Stopped),
        terminal("closed", "已结案"),
    ],
    transitions: &[
        step("assign", "指派调解员", &["registered"], Some("mediating"), &[P::Owner], &[N::PersonName], E::SetUnits),
        step("hold_session", "调解会", &["mediating"], None, &[P::Owner, P::Team], &[N::Reason], E::None),
        step("reach_agreement", "达成协议", &["mediating"], Some("agreed"), &[P::Owner, P::Team], &[N::Reason], E::None),
        step("fail", "调解不成", &["mediating"], Some("failed"), &[P::Owner, P::Team], &[N::Reason], E::None),
        step("follow_up", "回访", &["agreed"], None, &[P::Owner, P::Team], &[N::Reason], E::None),
        step("close", "结案", &["agreed", "failed"], Some("closed"), &[P::Owner], &[], E::None),
        step("urge", "督促", &["registered", "mediating"], None, &[P::Overseer], &[N::Reason], E::Press),
        step("escalate", "逾期提醒", &["registered", "mediating"], None, &[], &[N::Reason], E::MarkLate),
    ],
};

/// The part of a work item the rules look at.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkState {
    pub kind: WorkKind,
    pub status: String,
    pub region_code: String,
    pub owner_unit_id: i64,
    pub lead_unit_id: Option<i64>,
    pub co_unit_ids: Vec<i64>,
    pub assignee_user_id: Option<i64>,
    /// The staff member who entered the request for a resident (may act as requester).
    pub requested_by_user_id: Option<i64>,
}

/// The input of a command, checked against the transition's needs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct WorkInput {
    pub reason: String,
    pub lead_unit_id: Option<i64>,
    pub co_unit_ids: Vec<i64>,
    pub person_name: Option<String>,
    pub score: Option<f64>,
    pub rating: Option<i64>,
    /// References to evidence (attachment URLs or file names), recorded in the event.
    pub evidence: Vec<String>,
}

/// Why a command was refused. Every variant says what to do instead.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WorkError {
    #[error("`{action}` is not an action on {kind}; the actions are: {known}")]
    UnknownAction { kind: &'static str, action: String, known: String },
    #[error("cannot {action} ({label_zh}) an item that is {status} ({status_zh}); allowed from: {allowed}")]
    IllegalTransition { action: &'static str, label_zh: &'static str, status: String, status_zh: &'static str, allowed: String },
    #[error("you may not {action} this item: {why}")]
    NotPermitted { action: &'static str, why: String },
    #[error("{field}: {message}")]
    Missing { field: &'static str, message: &'static str },
}

/// What a legal command changes.
#[derive(Debug, Clone, PartialEq)]
pub struct WorkDecision {
    pub transition: &'static Transition,
    pub next_status: &'static str,
    pub lead_unit_id: Option<i64>,
    pub co_unit_ids: Vec<i64>,
    pub assignee_user_id: Option<i64>,
    /// The named person to record, when the effect names one.
    pub person_name: Option<String>,
    pub score: Option<f64>,
    pub rating: Option<i64>,
    /// The status changed into one whose deadline differs, or the transition restarts it.
    pub clock_changed: bool,
}

fn party_label(party: Party) -> &'static str {
    match party {
        Party::Owner => "the owning unit",
        Party::Lead => "the lead unit",
        Party::Team => "the lead or a co-unit",
        Party::Assignee => "the person who took it",
        Party::Overseer => "a territorial unit over its region",
        Party::AnyStaff => "any staff member",
        Party::Requester => "the resident who asked",
    }
}

/// Whether the actor is one of the parties.
pub fn actor_is(state: &WorkState, actor: &Actor, party: Party) -> bool {
    match (actor, party) {
        (Actor::System, _) => true,
        (Actor::Resident, Party::Requester) => true,
        (Actor::Resident, _) => false,
        (Actor::Staff(staff), party) => staff_is(state, staff, party),
    }
}

fn staff_is(state: &WorkState, staff: &Staff, party: Party) -> bool {
    let unit = staff.unit.id;
    match party {
        Party::Owner => unit == state.owner_unit_id,
        Party::Lead => state.lead_unit_id == Some(unit),
        Party::Team => state.lead_unit_id == Some(unit) || state.co_unit_ids.contains(&unit),
        Party::Assignee => state.assignee_user_id == Some(staff.user_id),
        Party::Overseer => {
            staff.unit.kind.is_territorial()
                && staff.unit.kind != UnitKind::Department
                && state.region_code.starts_with(staff.unit.region_code.as_str())
        }
        Party::AnyStaff => true,
        Party::Requester => state.requested_by_user_id == Some(staff.user_id),
    }
}

/// Decides a command on a work item of any kind. Returns the decision, or a refusal that
/// changes nothing.
pub fn decide(state: &WorkState, actor: &Actor, action: &str, input: &WorkInput) -> Result<WorkDecision, WorkError> {
    let spec = state.kind.spec();
    let Some(named) = spec.transitions.iter().find(|transition| transition.action == action) else {
        return Err(WorkError::UnknownAction { kind: state.kind.as_str(), action: action.to_string(), known: spec.actions().join(", ") });
    };
    let Some(transition) =
        spec.transitions.iter().find(|transition| transition.action == action && transition.from.contains(&state.status.as_str()))
    else {
        let allowed: Vec<&str> = spec
            .transitions
            .iter()
            .filter(|transition| transition.action == action)
            .flat_map(|transition| transition.from.iter().copied())
            .collect();
        return Err(WorkError::IllegalTransition {
            action: named.action,
            label_zh: named.label_zh,
            status: state.status.clone(),
            status_zh: spec.status(&state.status).map_or("?", |status| status.label_zh),
            allowed: allowed.join(", "),
        });
    };
    let permitted = match actor {
        Actor::System => true,
        _ => transition.by.iter().any(|party| actor_is(state, actor, *party)),
    };
    if !permitted {
        let why = if transition.by.is_empty() {
            "only the hub itself does this (a missed deadline)".to_string()
        } else {
            format!("only {} may", transition.by.iter().map(|party| party_label(*party)).collect::<Vec<_>>().join(" or "))
        };
        return Err(WorkError::NotPermitted { action: transition.action, why });
    }
    // Anyone may claim an open problem, but only for a team their own unit is in.
    if let (Actor::Staff(staff), Effect::SetUnits, Some(lead)) = (actor, transition.effect, input.lead_unit_id) {
        let in_team = lead == staff.unit.id || input.co_unit_ids.contains(&staff.unit.id);
        if transition.by.contains(&Party::AnyStaff) && !in_team && staff.unit.id != state.owner_unit_id {
            return Err(WorkError::NotPermitted {
                action: transition.action,
                why: "a unit claims for a team it is part of: put your own unit in lead_unit_id or co_unit_ids".into(),
            });
        }
    }
    for need in transition.needs {
        match need {
            Need::Reason if input.reason.trim().is_empty() => {
                return Err(WorkError::Missing {
                    field: "reason",
                    message: "must not be empty: say why or what was done, so the history explains itself",
                });
            }
            Need::LeadUnit if input.lead_unit_id.is_none() => {
                return Err(WorkError::Missing { field: "lead_unit_id", message: "name the lead unit (see GET /api/v1/units)" });
            }
            Need::PersonName if input.person_name.as_deref().is_none_or(|name| name.trim().is_empty()) => {
                return Err(WorkError::Missing { field: "person_name", message: "name the person (the leader, the mediators)" });
            }
            Need::Score if !input.score.is_some_and(|score| (0.0..=100.0).contains(&score)) => {
                return Err(WorkError::Missing { field: "score", message: "give a score from 0 to 100" });
            }
            Need::Rating if !input.rating.is_some_and(|rating| (1..=5).contains(&rating)) => {
                return Err(WorkError::Missing {
                    field: "rating",
                    message: "give a rating from 1 (very dissatisfied) to 5 (very satisfied)",
                });
            }
            _ => {}
        }
    }
    let next_status = match transition.to {
        Some(to) => to,
        None => spec.status(&state.status).map_or(spec.initial, |status| status.name),
    };
    let mut decision = WorkDecision {
        transition,
        next_status,
        lead_unit_id: state.lead_unit_id,
        co_unit_ids: state.co_unit_ids.clone(),
        assignee_user_id: state.assignee_user_id,
        person_name: None,
        score: None,
        rating: None,
        clock_changed: transition.restart_clock || spec.clock_of(next_status) != spec.clock_of(&state.status),
    };
    match transition.effect {
        Effect::SetUnits => {
            if let Some(lead) = input.lead_unit_id {
                let mut co: Vec<i64> = input.co_unit_ids.iter().copied().filter(|unit| *unit != lead).collect();
                co.sort_unstable();
                co.dedup();
                decision.lead_unit_id = Some(lead);
                decision.co_unit_ids = co;
            }
            decision.person_name = input.person_name.clone().filter(|name| !name.trim().is_empty());
        }
        Effect::ClearUnits => {
            decision.lead_unit_id = None;
            decision.co_unit_ids = Vec::new();
            decision.assignee_user_id = None;
            decision.clock_changed = true;
        }
        Effect::TakeSelf => {
            if let Actor::Staff(staff) = actor {
                decision.assignee_user_id = Some(staff.user_id);
            }
        }
        Effect::NamePerson => decision.person_name = input.person_name.clone(),
        Effect::RecordScore => decision.score = input.score,
        Effect::RecordRating => decision.rating = input.rating,
        Effect::None | Effect::Press | Effect::MarkLate => {}
    }
    Ok(decision)
}

#[cfg(test)]
mod tests;
