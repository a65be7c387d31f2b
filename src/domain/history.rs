//! The append-only history of an appeal and its hash chain.
//!
//! Every event carries the hash of the event before it (per appeal), and the appeal row
//! carries the hash of its newest event. Editing, deleting or reordering any stored event
//! breaks a link, which `minqing audit verify` reports. The chain protects against silent
//! edits through the database; it is not a defence against someone who rewrites every
//! hash after an edit, which is why the head hashes can be exported and kept elsewhere.

use sha2::{Digest, Sha256};

text_enum! {
    /// The kind of a history event. Stable: stored in the database and sent in the API.
    pub enum EventKind as "event kind" {
        Received = "received",
        Accepted = "accepted",
        Rejected = "rejected",
        Dispatched = "dispatched",
        SignedFor = "signed_for",
        Progress = "progress",
        Returned = "returned",
        ExtensionRequested = "extension_requested",
        ExtensionGranted = "extension_granted",
        ExtensionRefused = "extension_refused",
        Paused = "paused",
        Resumed = "resumed",
        Resolved = "resolved",
        FollowedUp = "followed_up",
        Rated = "rated",
        Reopened = "reopened",
        Merged = "merged",
        /// Written on a primary appeal when a duplicate is merged into it.
        DuplicateAttached = "duplicate_attached",
        /// Written on a merged duplicate when its primary is resolved, so its reporter is told.
        PrimaryResolved = "primary_resolved",
        Closed = "closed",
        Reclassified = "reclassified",
        Urged = "urged",
        Escalated = "escalated",
        /// A resident's or client's note added to an appeal (Open311 service request
        /// updates); it changes no state.
        Supplemented = "supplemented",
        /// Written last on an appeal imported from another system's export
        /// (`minqing import appeals`): where it came from and its original number.
        Imported = "imported",
    }
}

impl EventKind {
    /// The action name in the API for events that a command writes.
    pub fn action_name(self) -> &'static str {
        match self {
            EventKind::Accepted => "accept",
            EventKind::Rejected => "reject",
            EventKind::Dispatched => "dispatch",
            EventKind::SignedFor => "sign_for",
            EventKind::Progress => "record_progress",
            EventKind::Returned => "return",
            EventKind::ExtensionRequested => "request_extension",
            EventKind::ExtensionGranted => "grant_extension",
            EventKind::ExtensionRefused => "refuse_extension",
            EventKind::Paused => "pause",
            EventKind::Resumed => "resume",
            EventKind::Resolved => "resolve",
            EventKind::FollowedUp => "follow_up",
            EventKind::Rated => "rate",
            EventKind::Reopened => "reopen",
            EventKind::Merged => "merge",
            EventKind::Closed => "close",
            EventKind::Reclassified => "reclassify",
            EventKind::Urged => "urge",
            EventKind::Escalated => "escalate",
            EventKind::Received
            | EventKind::DuplicateAttached
            | EventKind::PrimaryResolved
            | EventKind::Supplemented
            | EventKind::Imported => "none",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            EventKind::Received => "登记",
            EventKind::Accepted => "受理",
            EventKind::Rejected => "不予受理",
            EventKind::Dispatched => "派单",
            EventKind::SignedFor => "签收",
            EventKind::Progress => "办理进展",
            EventKind::Returned => "退单",
            EventKind::ExtensionRequested => "申请延期",
            EventKind::ExtensionGranted => "同意延期",
            EventKind::ExtensionRefused => "不同意延期",
            EventKind::Paused => "暂停计时",
            EventKind::Resumed => "恢复计时",
            EventKind::Resolved => "办结",
            EventKind::FollowedUp => "回访",
            EventKind::Rated => "评价",
            EventKind::Reopened => "重办",
            EventKind::Merged => "合并",
            EventKind::DuplicateAttached => "并入重复诉求",
            EventKind::PrimaryResolved => "主诉求已办结",
            EventKind::Closed => "结案",
            EventKind::Reclassified => "修改分类",
            EventKind::Urged => "催办",
            EventKind::Escalated => "升级",
            EventKind::Supplemented => "群众补充",
            EventKind::Imported => "历史导入",
        }
    }

    /// Whether residents following their appeal see this event.
    pub fn is_public(self) -> bool {
        !matches!(self, EventKind::Urged | EventKind::ExtensionRequested | EventKind::ExtensionRefused | EventKind::Reclassified)
    }
}

/// The fields of an event that the hash covers, in a fixed order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventRecord<'a> {
    pub appeal_number: &'a str,
    pub seq: i64,
    pub kind: &'a str,
    pub actor: &'a str,
    pub at_ms: i64,
    pub reason: &'a str,
    pub payload_json: &'a str,
}

/// The hash that starts every appeal's chain.
pub const GENESIS_HASH: &str = "0000000000000000000000000000000000000000000000000000000000000000";

/// Hashes an event together with the previous event's hash.
///
/// Each field is length-prefixed so that no two different events can serialise alike.
pub fn event_hash(previous_hash: &str, event: &EventRecord<'_>) -> String {
    let mut hasher = Sha256::new();
    let seq = event.seq.to_string();
    let at = event.at_ms.to_string();
    for field in [previous_hash, event.appeal_number, &seq, event.kind, event.actor, &at, event.reason, event.payload_json] {
        hasher.update((field.len() as u64).to_be_bytes());
        hasher.update(field.as_bytes());
    }
    hex::encode(hasher.finalize())
}

/// A stored event as `verify_chain` reads it back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub appeal_number: String,
    pub seq: i64,
    pub kind: String,
    pub actor: String,
    pub at_ms: i64,
    pub reason: String,
    pub payload_json: String,
    pub prev_hash: String,
    pub hash: String,
}

/// A break found in an appeal's chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainBreak {
    pub appeal_number: String,
    pub seq: i64,
    pub problem: String,
}

/// Checks one appeal's events (ordered by seq) against each other and against the head
/// hash stored on the appeal. Returns every break found.
pub fn verify_chain(appeal_number: &str, events: &[StoredEvent], head_hash: &str) -> Vec<ChainBreak> {
    let mut breaks = Vec::new();
    let mut previous = GENESIS_HASH.to_string();
    let mut problem = |seq: i64, text: String| breaks.push(ChainBreak { appeal_number: appeal_number.to_string(), seq, problem: text });
    for (index, event) in events.iter().enumerate() {
        let expected_seq = index as i64 + 1;
        if event.seq != expected_seq {
            problem(event.seq, format!("expected event number {expected_seq}: an event is missing or was inserted"));
        }
        if event.prev_hash != previous {
            problem(event.seq, "its link to the previous event does not match: an earlier event was changed or removed".into());
        }
        let recomputed = event_hash(
            &event.prev_hash,
            &EventRecord {
                appeal_number: &event.appeal_number,
                seq: event.seq,
                kind: &event.kind,
                actor: &event.actor,
                at_ms: event.at_ms,
                reason: &event.reason,
                payload_json: &event.payload_json,
            },
        );
        if recomputed != event.hash {
            problem(event.seq, "its content does not match its hash: the event was edited".into());
        }
        previous = event.hash.clone();
    }
    if previous != head_hash {
        problem(events.len() as i64, "the appeal's head hash does not match its newest event: events were removed or added".into());
    }
    breaks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn chain(n: i64) -> (Vec<StoredEvent>, String) {
        let mut previous = GENESIS_HASH.to_string();
        let mut events = Vec::new();
        for seq in 1..=n {
            let mut event = StoredEvent {
                appeal_number: "MQ-20261121-000001".into(),
                seq,
                kind: "progress".into(),
                actor: "user:3".into(),
                at_ms: 1_000 * seq,
                reason: format!("step {seq}"),
                payload_json: "{}".into(),
                prev_hash: previous.clone(),
                hash: String::new(),
            };
            event.hash = event_hash(
                &previous,
                &EventRecord {
                    appeal_number: &event.appeal_number,
                    seq,
                    kind: &event.kind,
                    actor: &event.actor,
                    at_ms: event.at_ms,
                    reason: &event.reason,
                    payload_json: &event.payload_json,
                },
            );
            previous = event.hash.clone();
            events.push(event);
        }
        (events, previous)
    }

    #[test]
    fn an_intact_chain_verifies() {
        let (events, head) = chain(5);
        assert!(verify_chain("MQ-20261121-000001", &events, &head).is_empty());
    }

    #[test]
    fn every_kind_of_tampering_is_detected() {
        type Tamper = fn(&mut Vec<StoredEvent>);
        let tamperings: [(&str, Tamper); 5] = [
            ("edit a reason", |events| events[2].reason.push('!')),
            ("edit a time", |events| events[1].at_ms += 1),
            ("delete a middle event", |events| {
                events.remove(2);
            }),
            ("delete the newest event", |events| {
                events.pop();
            }),
            ("swap two events", |events| events.swap(1, 2)),
        ];
        for (name, tamper) in tamperings {
            let (mut events, head) = chain(5);
            tamper(&mut events);
            assert!(!verify_chain("MQ-20261121-000001", &events, &head).is_empty(), "{name} went unnoticed");
        }
    }

    #[test]
    fn fields_cannot_bleed_into_each_other() {
        let base = EventRecord { appeal_number: "A", seq: 1, kind: "ab", actor: "c", at_ms: 0, reason: "", payload_json: "" };
        let shifted = EventRecord { kind: "a", actor: "bc", ..base.clone() };
        assert_ne!(event_hash(GENESIS_HASH, &base), event_hash(GENESIS_HASH, &shifted));
    }
}
