//! Open311 GeoReport v2 use cases: the services we offer (our categories), taking a
//! service request in through the ordinary intake, and adding a client's update.

use std::collections::BTreeMap;

use super::actions::visible_to;
use super::intake::{IntakeReceipt, NewAppeal, submit as intake_submit, validate_text};
use super::{Hub, ServiceError};
use crate::domain::access::Staff;
use crate::domain::appeal::Channel;
use crate::domain::contact::Contact;
use crate::domain::history::EventKind;
use crate::domain::open311::{attributes_of, check_answers};
use crate::domain::taxonomy::Category;
use crate::storage::StorageError;
use crate::storage::appeals::{NewEvent, append_event, load_for_update, update_appeal};

/// One Open311 service: a category that appeals can be filed under, with its group.
#[derive(Debug, Clone)]
pub struct Open311Service {
    pub category: Category,
    /// The parent category's name (the spec's `group`).
    pub group: Option<String>,
    pub keywords: Vec<&'static str>,
    /// Whether the service asks for extra fields (`metadata` in the spec).
    pub has_attributes: bool,
}

/// Every service, in taxonomy order. Only second-level categories are services; the
/// first level names their groups.
pub fn services(hub: &Hub) -> Vec<Open311Service> {
    let categories = hub.category_list();
    categories
        .iter()
        .filter(|category| category.parent_code.is_some())
        .map(|category| Open311Service {
            group: category
                .parent_code
                .as_ref()
                .and_then(|parent| categories.iter().find(|candidate| &candidate.code == parent))
                .map(|parent| parent.name.clone()),
            keywords: crate::domain::triage::category_keywords(&category.code).to_vec(),
            has_attributes: !attributes_of(&category.code).is_empty(),
            category: category.clone(),
        })
        .collect()
}

/// One service by its code, or not found.
pub fn service(hub: &Hub, service_code: &str) -> Result<Open311Service, ServiceError> {
    services(hub)
        .into_iter()
        .find(|service| service.category.code == service_code)
        .ok_or_else(|| ServiceError::NotFound(format!("service_code {}", service_code.chars().take(40).collect::<String>())))
}

/// A service request as an Open311 client sends it, parsed at the edge.
#[derive(Debug, Clone)]
pub struct ServiceRequestInput {
    pub service_code: String,
    pub description: Option<String>,
    /// WGS84 (lng, lat).
    pub point: Option<(f64, f64)>,
    pub address: Option<String>,
    /// Attribute answers by code.
    pub answers: BTreeMap<String, Vec<String>>,
    pub contact: Contact,
    pub media_url: Option<String>,
}

/// Takes an Open311 service request in as an ordinary appeal: routed, triaged, owned,
/// deadlined and numbered by the one intake path, entered by the client's account.
pub async fn submit_request(hub: &Hub, client: &Staff, input: ServiceRequestInput) -> Result<IntakeReceipt, ServiceError> {
    let service = service(hub, &input.service_code)?;
    let answers = check_answers(attributes_of(&service.category.code), &input.answers)
        .map_err(|problem| ServiceError::invalid("attribute", problem.message))?;
    let mut text =
        input.description.as_deref().map(str::trim).filter(|text| !text.is_empty()).unwrap_or(&service.category.name).to_string();
    for answer in &answers {
        text.push_str(&format!("\n【{}】{}", answer.question, answer.answer));
    }
    if let Some(url) = &input.media_url {
        text.push_str(&format!("\n【图片】{url}"));
    }
    let text = validate_text(&text)?;
    let appeal = NewAppeal {
        text,
        point: input.point,
        region_code: None,
        address: input.address,
        channel: Channel::Open311,
        contact: input.contact,
        category_code: Some(service.category.code.clone()),
        meeting_id: None,
        judgement: None,
    };
    intake_submit(hub, appeal, Some(client)).await
}

/// Records a client's update (a resident's note) on an appeal as a `supplemented` event.
/// It changes no state: a unit still has to resolve the appeal, and a resident closes
/// the loop by rating it. Returns the update's id (`NUMBER-SEQ`).
pub async fn add_update(
    hub: &Hub,
    client: &Staff,
    number: &str,
    description: &str,
    details: serde_json::Value,
) -> Result<String, ServiceError> {
    let not_found = || ServiceError::NotFound(format!("service_request_id {number}"));
    let snapshot = hub.db.appeal_by_number(number).await?.ok_or_else(not_found)?;
    if !visible_to(hub, client, &snapshot).await? {
        return Err(not_found());
    }
    let description = description.trim();
    if description.is_empty() {
        return Err(ServiceError::invalid("description", "description is required: say what the update is"));
    }
    if description.chars().count() > 2000 {
        return Err(ServiceError::invalid("description", "description must be at most 2000 characters"));
    }
    let now_ms = hub.clock.now_ms();
    let mut transaction = hub.db.begin_write().await?;
    let mut appeal = load_for_update(&mut transaction, number).await?;
    let event = NewEvent {
        kind: EventKind::Supplemented.as_str().to_string(),
        actor: format!("user:{}", client.username),
        actor_user_id: Some(client.user_id),
        actor_unit_id: Some(client.unit.id),
        at_ms: now_ms,
        reason: description.to_string(),
        payload_json: details.to_string(),
    };
    append_event(&mut transaction, &mut appeal, &event).await?;
    appeal.updated_ms = now_ms;
    update_appeal(&mut transaction, &mut appeal).await?;
    transaction.commit().await.map_err(StorageError::from)?;
    Ok(format!("{}-{}", appeal.number, appeal.event_count))
}
