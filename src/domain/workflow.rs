//! The appeal state machine: which command is legal in which state, for whom, and what
//! the appeal looks like afterwards.
//!
//! This is pure code. It reads no clock and does no IO: the caller loads the appeal's
//! `WorkflowState`, asks `decide`, and persists the returned state together with one
//! history event. Deadlines are not computed here (see `deadline.rs`); the service layer
//! recomputes them from the `Decision`.
//!
//! The shape is meant to be reused by the county's programmes (service orders, task
//! ledgers): a state, an actor, a command, and a decision that names the event.

use super::access::{Role, Staff};
use super::appeal::{AppealStatus, Rating, Tier, Triage};

/// Who issues a command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Actor {
    /// A signed-in staff member acting for their unit.
    Staff(Staff),
    /// The resident who raised the appeal, proven by its number and secret.
    Resident,
    /// The hub itself: jobs such as escalation or auto-closing.
    System,
}

/// The part of an appeal the rules look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkflowState {
    pub status: AppealStatus,
    pub triage: Triage,
    pub tier: Tier,
    /// The unit that owns the appeal at its tier: it accepts, dispatches and follows up.
    pub owner_unit_id: Option<i64>,
    /// The unit that handles it (主办), once dispatched.
    pub lead_unit_id: Option<i64>,
    /// Units that help (协办).
    pub co_unit_ids: Vec<i64>,
    pub extension_pending: bool,
    /// Paused while waiting on the resident (e.g. unreachable); the clock stops.
    pub paused: bool,
    pub rating: Option<Rating>,
    pub reopen_count: u32,
}

/// Everything a person or job can ask of an appeal.
#[derive(Debug, Clone, PartialEq)]
pub enum Command {
    Accept {
        note: Option<String>,
    },
    Reject {
        reason: String,
    },
    Dispatch {
        lead_unit_id: i64,
        co_unit_ids: Vec<i64>,
        note: Option<String>,
    },
    SignFor,
    /// First contact with the resident, or a later progress note.
    RecordProgress {
        note: String,
    },
    Return {
        reason: String,
    },
    RequestExtension {
        working_days: u32,
        reason: String,
    },
    GrantExtension {
        note: Option<String>,
    },
    RefuseExtension {
        reason: String,
    },
    /// Stop the clock while waiting on the resident.
    Pause {
        reason: String,
    },
    Resume {
        note: Option<String>,
    },
    Resolve {
        reply: String,
    },
    FollowUp {
        note: String,
        reached: bool,
    },
    Rate {
        rating: Rating,
        comment: Option<String>,
    },
    Reopen {
        reason: String,
    },
    MergeInto {
        primary_number: String,
        reason: Option<String>,
    },
    Close {
        note: Option<String>,
    },
    /// Set or correct the category, triage class or tier.
    Reclassify {
        category_code: Option<String>,
        triage: Option<Triage>,
        tier: Option<Tier>,
        reason: String,
    },
    /// 催办: press the lead unit; counted, no change of state.
    Urge {
        note: String,
    },
    /// Climb one tier on a missed deadline (a job's command).
    Escalate {
        reason: String,
    },
}

/// The stable kind of the event a command writes into the history.
pub use super::history::EventKind;

impl Command {
    pub fn event_kind(&self) -> EventKind {
        match self {
            Command::Accept { .. } => EventKind::Accepted,
            Command::Reject { .. } => EventKind::Rejected,
            Command::Dispatch { .. } => EventKind::Dispatched,
            Command::SignFor => EventKind::SignedFor,
            Command::RecordProgress { .. } => EventKind::Progress,
            Command::Return { .. } => EventKind::Returned,
            Command::RequestExtension { .. } => EventKind::ExtensionRequested,
            Command::GrantExtension { .. } => EventKind::ExtensionGranted,
            Command::RefuseExtension { .. } => EventKind::ExtensionRefused,
            Command::Pause { .. } => EventKind::Paused,
            Command::Resume { .. } => EventKind::Resumed,
            Command::Resolve { .. } => EventKind::Resolved,
            Command::FollowUp { .. } => EventKind::FollowedUp,
            Command::Rate { .. } => EventKind::Rated,
            Command::Reopen { .. } => EventKind::Reopened,
            Command::MergeInto { .. } => EventKind::Merged,
            Command::Close { .. } => EventKind::Closed,
            Command::Reclassify { .. } => EventKind::Reclassified,
            Command::Urge { .. } => EventKind::Urged,
            Command::Escalate { .. } => EventKind::Escalated,
        }
    }

    /// The name used in the API path (`POST /api/v1/appeals/{number}/actions/{name}`).
    pub fn name(&self) -> &'static str {
        self.event_kind().action_name()
    }
}

/// Why a command was refused. Every variant says what to do instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum WorkflowError {
    #[error("cannot {action} an appeal that is {status} ({status_zh})")]
    IllegalTransition { action: &'static str, status: AppealStatus, status_zh: &'static str },
    #[error("you may not {action} this appeal: {why}")]
    NotPermitted { action: &'static str, why: &'static str },
    #[error("{field} must not be empty: say why, so the history explains itself")]
    MissingReason { field: &'static str },
    #[error("{0}")]
    Invalid(&'static str),
}

/// What a legal command changes.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub next: WorkflowState,
    pub event: EventKind,
    /// The tier changed, so ownership must move to the new tier's unit.
    pub tier_changed: bool,
    /// Deadlines must be (re)computed from this moment: new dispatch or reopen.
    pub restart_clock: bool,
}

/// Decides a command. Returns the next state, or a refusal that changes nothing.
pub fn decide(state: &WorkflowState, actor: &Actor, command: &Command) -> Result<Decision, WorkflowError> {
    use AppealStatus as S;
    let action = command.name();
    let illegal = || WorkflowError::IllegalTransition { action, status: state.status, status_zh: state.status.label_zh() };
    let mut next = state.clone();
    let mut tier_changed = false;
    let mut restart_clock = false;

    if state.status.is_terminal() && !matches!(command, Command::Urge { .. }) {
        return Err(illegal());
    }

    match command {
        Command::Accept { .. } => {
            require_status(state, &[S::Received]).map_err(|_| illegal())?;
            require(actor, action, is_dispatcher(actor, state), "only the owning unit's dispatcher or an operator accepts appeals")?;
            next.status = S::Accepted;
        }
        Command::Reject { reason } => {
            require_status(state, &[S::Received, S::Accepted]).map_err(|_| illegal())?;
            require(actor, action, is_dispatcher(actor, state), "only the owning unit's dispatcher rejects appeals")?;
            require_text(reason, "reason")?;
            next.status = S::Rejected;
        }
        Command::Dispatch { lead_unit_id, co_unit_ids, .. } => {
            // Re-dispatching (改派) work another unit has signed for is open to the owning unit
            // only when it is not itself the lead: that is how a township takes over an appeal
            // that climbed to it while a village was still handling it.
            let taking_over = matches!(state.status, S::SignedFor | S::InProgress) && state.owner_unit_id != state.lead_unit_id;
            if !taking_over {
                require_status(state, &[S::Accepted, S::Returned, S::Dispatched]).map_err(|_| illegal())?;
            }
            require(actor, action, is_dispatcher(actor, state), "only the owning unit's dispatcher dispatches appeals")?;
            if co_unit_ids.contains(lead_unit_id) {
                return Err(WorkflowError::Invalid("the lead unit cannot also be a co-handler"));
            }
            let mut co = co_unit_ids.clone();
            co.sort_unstable();
            co.dedup();
            next.status = S::Dispatched;
            next.lead_unit_id = Some(*lead_unit_id);
            next.co_unit_ids = co;
            next.extension_pending = false;
            next.paused = false;
            restart_clock = true;
        }
        Command::SignFor => {
            require_status(state, &[S::Dispatched]).map_err(|_| illegal())?;
            require(actor, action, is_lead(actor, state), "only the lead unit signs for a dispatch")?;
            next.status = S::SignedFor;
        }
        Command::RecordProgress { note } => {
            require_status(state, &[S::SignedFor, S::InProgress]).map_err(|_| illegal())?;
            require(actor, action, is_handler(actor, state), "only the lead unit or a co-handler records progress")?;
            require_text(note, "note")?;
            next.status = S::InProgress;
        }
        Command::Return { reason } => {
            require_status(state, &[S::Dispatched, S::SignedFor]).map_err(|_| illegal())?;
            require(actor, action, is_lead(actor, state), "only the lead unit returns a dispatch")?;
            require_text(reason, "reason")?;
            next.status = S::Returned;
            next.lead_unit_id = None;
            next.co_unit_ids.clear();
            next.extension_pending = false;
            next.paused = false;
        }
        Command::RequestExtension { working_days, reason } => {
            require_status(state, &[S::SignedFor, S::InProgress]).map_err(|_| illegal())?;
            require(actor, action, is_lead(actor, state), "only the lead unit asks for an extension")?;
            require_text(reason, "reason")?;
            if state.extension_pending {
                return Err(WorkflowError::Invalid("an extension request is already waiting for a supervisor"));
            }
            if *working_days == 0 || *working_days > 60 {
                return Err(WorkflowError::Invalid("an extension is between 1 and 60 working days"));
            }
            next.extension_pending = true;
        }
        Command::GrantExtension { .. } | Command::RefuseExtension { .. } => {
            require_status(state, &[S::SignedFor, S::InProgress]).map_err(|_| illegal())?;
            require(actor, action, is_supervisor(actor), "only a supervisor decides an extension")?;
            if let Command::RefuseExtension { reason } = command {
                require_text(reason, "reason")?;
            }
            if !state.extension_pending {
                return Err(WorkflowError::Invalid("there is no extension request to decide"));
            }
            next.extension_pending = false;
        }
        Command::Pause { reason } => {
            require_status(state, &[S::SignedFor, S::InProgress]).map_err(|_| illegal())?;
            require(actor, action, is_lead(actor, state), "only the lead unit pauses its clock")?;
            require_text(reason, "reason")?;
            if state.paused {
                return Err(WorkflowError::Invalid("the clock is already paused"));
            }
            next.paused = true;
        }
        Command::Resume { .. } => {
            require_status(state, &[S::SignedFor, S::InProgress]).map_err(|_| illegal())?;
            require(actor, action, is_lead(actor, state) || is_supervisor(actor), "only the lead unit or a supervisor resumes the clock")?;
            if !state.paused {
                return Err(WorkflowError::Invalid("the clock is not paused"));
            }
            next.paused = false;
        }
        Command::Resolve { reply } => {
            let private_guidance = state.status == S::Accepted && state.triage == Triage::Private;
            if private_guidance {
                require(actor, action, is_dispatcher(actor, state), "only the owning unit answers a private matter with guidance")?;
            } else {
                require_status(state, &[S::SignedFor, S::InProgress]).map_err(|_| illegal())?;
                require(actor, action, is_lead(actor, state), "only the lead unit resolves an appeal")?;
            }
            require_text(reply, "reply")?;
            next.status = S::Resolved;
            next.extension_pending = false;
            next.paused = false;
        }
        Command::FollowUp { note, .. } => {
            require_status(state, &[S::Resolved, S::FollowedUp]).map_err(|_| illegal())?;
            require(actor, action, is_follow_up_caller(actor, state), "follow-ups are made by operators, dispatchers or the owning unit")?;
            require_text(note, "note")?;
            next.status = S::FollowedUp;
        }
        Command::Rate { rating, .. } => {
            require_status(state, &[S::Resolved, S::FollowedUp]).map_err(|_| illegal())?;
            let allowed = matches!(actor, Actor::Resident | Actor::System) || is_follow_up_caller(actor, state);
            require(actor, action, allowed, "the resident rates, or an operator records the rating from a follow-up")?;
            next.status = S::Rated;
            next.rating = Some(*rating);
        }
        Command::Reopen { reason } => {
            require_status(state, &[S::Rated]).map_err(|_| illegal())?;
            require(actor, action, is_dispatcher(actor, state), "only the owning unit's dispatcher reopens an appeal")?;
            require_text(reason, "reason")?;
            if !state.rating.is_some_and(Rating::allows_reopen) {
                return Err(WorkflowError::Invalid("only an appeal rated dissatisfied or not resolved can be reopened"));
            }
            if state.lead_unit_id.is_none() {
                return Err(WorkflowError::Invalid("a reopened appeal needs the lead unit it had; dispatch it instead"));
            }
            next.status = S::Dispatched;
            next.rating = None;
            next.reopen_count = state.reopen_count.saturating_add(1);
            restart_clock = true;
        }
        Command::MergeInto { primary_number, .. } => {
            require_status(state, &[S::Received, S::Accepted, S::Dispatched, S::SignedFor, S::InProgress, S::Returned])
                .map_err(|_| illegal())?;
            require(actor, action, is_dispatcher(actor, state), "only a dispatcher merges duplicates")?;
            require_text(primary_number, "primary_number")?;
            next.status = S::Merged;
            next.extension_pending = false;
            next.paused = false;
        }
        Command::Close { .. } => {
            require_status(state, &[S::Resolved, S::FollowedUp, S::Rated]).map_err(|_| illegal())?;
            let allowed = matches!(actor, Actor::System) || is_dispatcher(actor, state);
            require(actor, action, allowed, "only the owning unit's dispatcher closes an appeal")?;
            if state.rating.is_some_and(Rating::allows_reopen) && state.status == S::Rated {
                // A county closes a dissatisfied appeal only deliberately; the note says why.
                if let Command::Close { note: None } = command {
                    return Err(WorkflowError::MissingReason { field: "note" });
                }
            }
            next.status = S::Closed;
        }
        Command::Reclassify { category_code, triage, tier, reason } => {
            require(actor, action, is_dispatcher(actor, state), "only an operator or dispatcher sets the category, triage or tier")?;
            require_text(reason, "reason")?;
            if category_code.is_none() && triage.is_none() && tier.is_none() {
                return Err(WorkflowError::Invalid("give a category_code, a triage class or a tier to change"));
            }
            if let Some(triage) = triage {
                next.triage = *triage;
            }
            if let Some(tier) = tier {
                tier_changed = *tier != state.tier;
                next.tier = *tier;
            }
        }
        Command::Urge { note } => {
            require_status(state, &[S::Received, S::Accepted, S::Dispatched, S::SignedFor, S::InProgress, S::Returned])
                .map_err(|_| illegal())?;
            require(actor, action, is_supervisor(actor) || has_role(actor, Role::Leader), "only supervisors and leaders urge")?;
            require_text(note, "note")?;
        }
        Command::Escalate { reason } => {
            require_status(state, &[S::Received, S::Accepted, S::Dispatched, S::SignedFor, S::InProgress, S::Returned])
                .map_err(|_| illegal())?;
            require(
                actor,
                action,
                matches!(actor, Actor::System) || is_supervisor(actor),
                "escalation is the hub's job or a supervisor's",
            )?;
            require_text(reason, "reason")?;
            next.tier = state.tier.escalated();
            tier_changed = next.tier != state.tier;
        }
    }

    Ok(Decision { next, event: command.event_kind(), tier_changed, restart_clock })
}

/// The commands this actor could issue now, for showing the right buttons.
/// A command is listed if a typical instance of it would be accepted.
pub fn available_actions(state: &WorkflowState, actor: &Actor) -> Vec<&'static str> {
    sample_commands(state).iter().filter(|command| decide(state, actor, command).is_ok()).map(Command::name).collect()
}

/// One plausible instance of every command, used to list available actions.
pub fn sample_commands(state: &WorkflowState) -> Vec<Command> {
    let text = || "x".to_string();
    let lead = state.lead_unit_id.unwrap_or(0);
    vec![
        Command::Accept { note: None },
        Command::Reject { reason: text() },
        Command::Dispatch { lead_unit_id: lead, co_unit_ids: vec![], note: None },
        Command::SignFor,
        Command::RecordProgress { note: text() },
        Command::Return { reason: text() },
        Command::RequestExtension { working_days: 1, reason: text() },
        Command::GrantExtension { note: None },
        Command::RefuseExtension { reason: text() },
        Command::Pause { reason: text() },
        Command::Resume { note: None },
        Command::Resolve { reply: text() },
        Command::FollowUp { note: text(), reached: true },
        Command::Rate {
            rating: Rating { resolution: super::appeal::Resolution::Resolved, satisfaction: super::appeal::Satisfaction::Satisfied },
            comment: None,
        },
        Command::Reopen { reason: text() },
        Command::MergeInto { primary_number: text(), reason: None },
        Command::Close { note: Some(text()) },
        Command::Reclassify { category_code: Some(text()), triage: None, tier: None, reason: text() },
        Command::Urge { note: text() },
        Command::Escalate { reason: text() },
    ]
}

fn require_status(state: &WorkflowState, allowed: &[AppealStatus]) -> Result<(), ()> {
    if allowed.contains(&state.status) { Ok(()) } else { Err(()) }
}

fn require(_actor: &Actor, action: &'static str, allowed: bool, why: &'static str) -> Result<(), WorkflowError> {
    if allowed { Ok(()) } else { Err(WorkflowError::NotPermitted { action, why }) }
}

fn require_text(text: &str, field: &'static str) -> Result<(), WorkflowError> {
    if text.trim().is_empty() { Err(WorkflowError::MissingReason { field }) } else { Ok(()) }
}

fn staff(actor: &Actor) -> Option<&Staff> {
    match actor {
        Actor::Staff(staff) => Some(staff),
        Actor::Resident | Actor::System => None,
    }
}

fn has_role(actor: &Actor, role: Role) -> bool {
    staff(actor).is_some_and(|staff| staff.has(role))
}

/// Dispatchers and operators at the county service centre act on any appeal in scope;
/// the unit that owns the appeal at its tier acts on its own appeals.
fn is_dispatcher(actor: &Actor, state: &WorkflowState) -> bool {
    match actor {
        Actor::System => true,
        Actor::Resident => false,
        Actor::Staff(staff) => {
            let central = staff.unit.kind == super::access::UnitKind::ServiceCentre
                && staff.has_any(&[Role::Dispatcher, Role::Operator, Role::Admin]);
            let owner = state.owner_unit_id == Some(staff.unit.id)
                && staff.has_any(&[Role::Dispatcher, Role::Operator, Role::GridWorker, Role::PartyRep, Role::Admin]);
            central || owner
        }
    }
}

fn is_lead(actor: &Actor, state: &WorkflowState) -> bool {
    match actor {
        Actor::System => true,
        Actor::Resident => false,
        Actor::Staff(staff) => {
            state.lead_unit_id == Some(staff.unit.id) && staff.has_any(&[Role::Handler, Role::Dispatcher, Role::GridWorker, Role::PartyRep])
        }
    }
}

fn is_handler(actor: &Actor, state: &WorkflowState) -> bool {
    is_lead(actor, state)
        || staff(actor).is_some_and(|staff| {
            state.co_unit_ids.contains(&staff.unit.id)
                && staff.has_any(&[Role::Handler, Role::Dispatcher, Role::GridWorker, Role::PartyRep])
        })
}

fn is_supervisor(actor: &Actor) -> bool {
    match actor {
        Actor::System => true,
        Actor::Resident => false,
        Actor::Staff(staff) => staff.has_any(&[Role::Supervisor, Role::Admin]),
    }
}

fn is_follow_up_caller(actor: &Actor, state: &WorkflowState) -> bool {
    has_role(actor, Role::Operator) || is_dispatcher(actor, state)
}

#[cfg(test)]
mod tests;
