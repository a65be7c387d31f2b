//! What a reader is shown of an appeal: staff views with masking, and the public view.

use serde::Serialize;
use utoipa::ToSchema;

use super::actions::{visible_to, workflow_state};
use super::{Hub, ServiceError};
use crate::domain::access::Staff;
use crate::domain::appeal::{AppealStatus, Channel, Rating, Tier, Triage};
use crate::domain::contact::{mask_name, mask_phone};
use crate::domain::history::EventKind;
use crate::domain::workflow::{Actor, available_actions};
use crate::storage::appeals::{AppealRecord, EventRow, NO_DEADLINE};

/// Formats epoch milliseconds as RFC 3339 in China time.
pub fn rfc3339(ms: i64) -> String {
    jiff::Timestamp::from_millisecond(ms)
        .map(|at| at.to_zoned(jiff::tz::TimeZone::fixed(jiff::tz::offset(8))).strftime("%Y-%m-%dT%H:%M:%S%:z").to_string())
        .unwrap_or_default()
}

fn optional_time(ms: Option<i64>) -> Option<String> {
    ms.filter(|ms| *ms != NO_DEADLINE).map(rfc3339)
}

/// One event of the history, as staff see it.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventView {
    pub seq: i64,
    pub kind: EventKind,
    pub label: &'static str,
    /// `user:NAME`, `resident` or `system`.
    pub actor: String,
    pub actor_unit_id: Option<i64>,
    pub at: String,
    pub reason: String,
    #[schema(value_type = Object)]
    pub payload: serde_json::Value,
    pub hash: String,
}

/// An appeal as staff see it. Contact details are masked unless the reader needs them.
#[derive(Debug, Serialize, ToSchema)]
pub struct AppealView {
    pub number: String,
    pub status: AppealStatus,
    pub status_label: &'static str,
    pub text: String,
    pub channel: Channel,
    pub lat: Option<f64>,
    pub lng: Option<f64>,
    pub address: Option<String>,
    pub region_code: String,
    pub grid_id: Option<String>,
    pub category_code: Option<String>,
    pub triage: Triage,
    pub tier: Tier,
    pub urgent: bool,
    pub triage_confidence: f64,
    pub triage_reasons: Vec<String>,
    pub needs_triage: bool,
    pub owner_unit_id: Option<i64>,
    pub lead_unit_id: Option<i64>,
    pub co_unit_ids: Vec<i64>,
    pub extension_pending: bool,
    pub paused: bool,
    pub rating: Option<Rating>,
    pub reopen_count: i64,
    pub return_count: i64,
    pub urge_count: i64,
    pub merged_into: Option<String>,
    pub contact_name: Option<String>,
    pub contact_phone: Option<String>,
    pub contact_masked: bool,
    pub received_at: String,
    pub updated_at: String,
    pub sign_due_at: Option<String>,
    pub resolve_due_at: Option<String>,
    pub next_deadline_at: Option<String>,
    pub overdue: bool,
    /// Present on single-appeal reads: the actions this reader may take now.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub available_actions: Option<Vec<&'static str>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub events: Option<Vec<EventView>>,
}

pub fn event_view(event: EventRow) -> EventView {
    let kind = event.kind.parse().unwrap_or(EventKind::Progress);
    EventView {
        seq: event.seq,
        kind,
        label: kind.label_zh(),
        actor: event.actor,
        actor_unit_id: event.actor_unit_id,
        at: rfc3339(event.at_ms),
        reason: event.reason,
        payload: serde_json::from_str(&event.payload_json).unwrap_or(serde_json::Value::Null),
        hash: event.hash,
    }
}

/// The list form (no events), masked for the reader.
pub fn appeal_view(appeal: &AppealRecord, reader: &Staff, now_ms: i64, merged_into: Option<String>) -> AppealView {
    let unmasked = reader.sees_contact_of(appeal.lead_unit_id);
    AppealView {
        number: appeal.number.clone(),
        status: appeal.status,
        status_label: appeal.status.label_zh(),
        text: appeal.text.clone(),
        channel: appeal.channel,
        lat: appeal.lat,
        lng: appeal.lng,
        address: appeal.address.clone(),
        region_code: appeal.region_code.clone(),
        grid_id: appeal.grid_id.clone(),
        category_code: appeal.category_code.clone(),
        triage: appeal.triage,
        tier: appeal.tier,
        urgent: appeal.urgent,
        triage_confidence: appeal.triage_confidence,
        triage_reasons: appeal.triage_reasons.clone(),
        needs_triage: appeal.needs_triage,
        owner_unit_id: appeal.owner_unit_id,
        lead_unit_id: appeal.lead_unit_id,
        co_unit_ids: appeal.co_unit_ids.clone(),
        extension_pending: appeal.extension_pending,
        paused: appeal.paused,
        rating: appeal.rating,
        reopen_count: appeal.reopen_count,
        return_count: appeal.return_count,
        urge_count: appeal.urge_count,
        merged_into,
        contact_name: if unmasked { appeal.contact_name.clone() } else { appeal.contact_name.as_deref().map(mask_name) },
        contact_phone: if unmasked { appeal.contact_phone.clone() } else { appeal.contact_phone.as_deref().map(mask_phone) },
        contact_masked: !unmasked,
        received_at: rfc3339(appeal.received_ms),
        updated_at: rfc3339(appeal.updated_ms),
        sign_due_at: optional_time(appeal.sign_due_ms),
        resolve_due_at: optional_time(appeal.resolve_due_ms),
        next_deadline_at: optional_time(Some(appeal.next_deadline_ms)),
        overdue: appeal.next_deadline_ms != NO_DEADLINE && appeal.next_deadline_ms < now_ms,
        available_actions: None,
        events: None,
    }
}

/// One appeal with its history and the reader's available actions, if in scope.
pub async fn appeal_detail(hub: &Hub, number: &str, reader: &Staff) -> Result<AppealView, ServiceError> {
    let not_found = || ServiceError::NotFound(format!("appeal {number}"));
    let appeal = hub.db.appeal_by_number(number).await?.ok_or_else(not_found)?;
    if !visible_to(hub, reader, &appeal).await? {
        return Err(not_found());
    }
    let merged_into = merged_into_number(hub, &appeal).await?;
    let mut view = appeal_view(&appeal, reader, hub.clock.now_ms(), merged_into);
    view.available_actions = Some(available_actions(&workflow_state(&appeal), &Actor::Staff(reader.clone())));
    view.events = Some(hub.db.events_of(appeal.id).await?.into_iter().map(event_view).collect());
    Ok(view)
}

pub async fn merged_into_number(hub: &Hub, appeal: &AppealRecord) -> Result<Option<String>, ServiceError> {
    match appeal.merged_into_id {
        None => Ok(None),
        Some(id) => Ok(hub.db.appeal_by_id(id).await?.map(|primary| primary.number)),
    }
}

/// One step of the public history.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicEventView {
    pub kind: EventKind,
    pub label: &'static str,
    pub at: String,
    /// Only replies and outcomes are shown; internal notes stay internal.
    pub note: Option<String>,
}

/// What a resident sees when following an appeal by number and secret.
#[derive(Debug, Serialize, ToSchema)]
pub struct PublicAppealView {
    pub number: String,
    pub status: AppealStatus,
    pub status_label: &'static str,
    pub text: String,
    pub received_at: String,
    pub reply: Option<String>,
    pub rating: Option<Rating>,
    /// Set when this appeal was merged into another; the reply is the primary's.
    pub merged_into: Option<String>,
    pub can_rate: bool,
    pub events: Vec<PublicEventView>,
}

pub async fn public_detail(hub: &Hub, appeal: &AppealRecord) -> Result<PublicAppealView, ServiceError> {
    let events = hub.db.events_of(appeal.id).await?;
    let mut reply = None;
    let mut public = Vec::new();
    for event in events {
        let kind: EventKind = match event.kind.parse() {
            Ok(kind) => kind,
            Err(_) => continue,
        };
        if !kind.is_public() {
            continue;
        }
        let note = match kind {
            EventKind::Resolved | EventKind::PrimaryResolved => {
                reply = Some(event.reason.clone());
                Some(event.reason)
            }
            EventKind::Rejected | EventKind::Closed => Some(event.reason).filter(|text| !text.is_empty()),
            _ => None,
        };
        public.push(PublicEventView { kind, label: kind.label_zh(), at: rfc3339(event.at_ms), note });
    }
    Ok(PublicAppealView {
        number: appeal.number.clone(),
        status: appeal.status,
        status_label: appeal.status.label_zh(),
        text: appeal.text.clone(),
        received_at: rfc3339(appeal.received_ms),
        reply,
        rating: appeal.rating,
        merged_into: merged_into_number(hub, appeal).await?,
        can_rate: matches!(appeal.status, AppealStatus::Resolved | AppealStatus::FollowedUp),
        events: public,
    })
}
