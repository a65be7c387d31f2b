//! Notifications: the in-app inbox (per user and per unit), editable templates, and
//! delivery over other channels (SMS, WeChat, …) through pluggable senders.
//!
//! A notification is written in the same transaction as the change it reports, with a
//! unique key, so a job that runs twice notifies once and a rolled-back change notifies
//! nobody. Deliveries beyond the inbox go through the jobs table (`deliver` jobs), with
//! retries and backoff, and every attempt is logged in `notification_deliveries`.

use std::future::Future;
use std::pin::Pin;
use std::sync::{Arc, OnceLock, RwLock};

use super::{Hub, ServiceError};
use crate::domain::access::{Role, Staff};
use crate::domain::appeal::AppealStatus;
use crate::domain::deadline_policy::render_template;
use crate::domain::history::EventKind;
use crate::domain::workflow::Actor;
use crate::storage::appeals::AppealRecord;
use crate::storage::jobs::{NewJob, enqueue_job_in};
use crate::storage::notifications::{
    Inbox, NewNotification, NotificationRow, TemplateRow, insert_delivery, insert_notification, template_in,
};

type Transaction = sqlx::AnyConnection;

/// The message kinds, with their shipped templates: (kind, title, body, what it is for).
/// Placeholders: {number} {summary} {tier} {from_tier} {deadline} {step} {reason}
/// {unit} {urge_count} {month} {shortfalls}.
pub const DEFAULT_TEMPLATES: &[(&str, &str, &str, &str)] = &[
    (
        "escalated",
        "诉求{number}已升级为{tier}色",
        "诉求{number}（{summary}）超过办理时限，已由{from_tier}色升级为{tier}色，现由本单位负责，请在{deadline}前处理。",
        "a missed deadline moved the appeal up the ladder to this unit",
    ),
    (
        "escalated_digest",
        "{count}件诉求已升级至本单位",
        "以下{count}件诉求超过办理时限，已升级由本单位负责：{numbers}。请在工作台按时限先后处理。",
        "many appeals moved up the ladder to this unit in one sweep: one notice lists them all",
    ),
    (
        "deadline_warning",
        "诉求{number}即将超时",
        "诉求{number}（{summary}）的{step}时限为{deadline}，已用去大部分时间，请抓紧办理。",
        "a deadline is near (the policy's warning share has elapsed)",
    ),
    (
        "supervision",
        "督办：诉求{number}",
        "红色诉求{number}（{summary}）已超过办理时限，已列入重点督办库。请{unit}负责人督促办理并反馈。原因：{reason}",
        "a supervision notice (督办) to the head of the late unit",
    ),
    (
        "supervision_digest",
        "督办：{count}件红色诉求",
        "以下{count}件红色诉求已超过办理时限，已列入重点督办库：{numbers}。请{unit}负责人督促办理并反馈。",
        "many supervision notices (督办) to one recipient in one sweep: one notice lists them all",
    ),
    (
        "dispatched",
        "新派单：诉求{number}",
        "诉求{number}（{summary}）已派至本单位办理，请在{deadline}前签收。",
        "an appeal was dispatched to the unit",
    ),
    (
        "urged",
        "催办：诉求{number}",
        "诉求{number}（{summary}）被催办（第{urge_count}次）：{reason}",
        "a supervisor or leader urged the appeal",
    ),
    (
        "returned",
        "退单：诉求{number}",
        "诉求{number}（{summary}）被承办单位退回：{reason}。请重新研判派单。",
        "the lead unit returned a dispatch",
    ),
    (
        "reminder",
        "工作提示函（{month}）",
        "{unit}：{month}以下指标未达到要求：{shortfalls}。请分析原因，限期整改。",
        "a monthly reminder notice (工作提示函)",
    ),
    (
        "work_assigned",
        "{kind}：{number}",
        "{kind}{number}（{title}）已交本单位（{action}），时限{deadline}。{reason}",
        "programme work (a claim, an order, a task, a dispute) was given to the unit",
    ),
    (
        "work_urged",
        "{action}：{number}",
        "{kind}{number}（{title}）：{reason}。当前状态{status}，时限{deadline}。",
        "programme work was urged (督单), reminded (工作提示) or declined",
    ),
    (
        "work_overdue",
        "逾期：{number}",
        "{kind}{number}（{title}）{reason}，当前状态{status}，请督促办理。",
        "programme work missed its deadline",
    ),
    (
        "schedule_reminder",
        "活动提醒：{title}",
        "{title}本期（{period}）尚未开展，请在{deadline}前组织并登记。",
        "a scheduled meeting or activity of this period has not been held yet",
    ),
];

/// A message on its way out over a channel other than the inbox.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboundMessage {
    pub channel: String,
    /// `user:ID` or `unit:ID`; the sender resolves it to a phone number or an account.
    pub address: String,
    pub title: String,
    pub body: String,
}

/// A delivery channel (SMS gateway, WeChat template message, …). Implementations must not
/// block: they are awaited by the job worker. An error is retried with backoff.
pub trait Sender: Send + Sync {
    /// The channel's name, stored with each delivery (e.g. `sms`).
    fn channel(&self) -> &str;
    /// Whether this channel can reach `address` (`user:ID` or `unit:ID`). A recipient it
    /// cannot reach (e.g. no email address is known) gets no delivery on this channel,
    /// rather than one bound to fail on every retry.
    fn reaches(&self, _address: &str) -> bool {
        true
    }
    fn send<'a>(&'a self, message: &'a OutboundMessage) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;
}

/// A sender that only writes the message to the log: the default for SMS until a county
/// plugs in its gateway. The delivery log records each message all the same.
pub struct LoggingSender {
    pub channel: String,
}

impl Sender for LoggingSender {
    fn channel(&self) -> &str {
        &self.channel
    }

    fn send<'a>(&'a self, message: &'a OutboundMessage) -> Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>> {
        Box::pin(async move {
            tracing::info!(channel = %message.channel, address = %message.address, title = %message.title, "notification sent (logging sender)");
            Ok(())
        })
    }
}

fn senders() -> &'static RwLock<Vec<Arc<dyn Sender>>> {
    static SENDERS: OnceLock<RwLock<Vec<Arc<dyn Sender>>>> = OnceLock::new();
    SENDERS.get_or_init(|| RwLock::new(Vec::new()))
}

/// Plugs in a delivery channel for this process (replacing one of the same name).
pub fn register_sender(sender: Arc<dyn Sender>) {
    if let Ok(mut list) = senders().write() {
        list.retain(|existing| existing.channel() != sender.channel());
        list.push(sender);
    }
}

fn sender_for(channel: &str) -> Option<Arc<dyn Sender>> {
    senders().read().ok()?.iter().find(|sender| sender.channel() == channel).cloned()
}

/// The channels whose senders can reach `address`.
fn channels_reaching(address: &str) -> Vec<String> {
    senders()
        .read()
        .map(|list| list.iter().filter(|sender| sender.reaches(address)).map(|sender| sender.channel().to_string()).collect())
        .unwrap_or_default()
}

/// Who a notification is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Recipient {
    User(i64),
    Unit(i64),
}

/// A short summary of an appeal's text for messages.
pub fn summary(text: &str) -> String {
    let mut short: String = text.chars().take(30).collect();
    if text.chars().count() > 30 {
        short.push('…');
    }
    short
}

/// Writes a notification from its template inside the caller's transaction, and queues
/// its deliveries over the registered channels. `dedupe_key` identifies the occasion;
/// the recipient is added to it.
pub async fn notify(
    hub: &Hub,
    transaction: &mut Transaction,
    recipient: Recipient,
    kind: &str,
    appeal_id: Option<i64>,
    dedupe_key: &str,
    values: &[(&str, String)],
) -> Result<Option<i64>, ServiceError> {
    let (title_template, body_template) = template_for(transaction, kind).await?;
    let (user_id, unit_id, who) = recipient_fields(recipient);
    let now_ms = hub.clock.now_ms();
    let notification = NewNotification {
        dedupe_key: format!("{dedupe_key}:{who}"),
        user_id,
        unit_id,
        kind: kind.to_string(),
        appeal_id,
        title: render_template(&title_template, values),
        body: render_template(&body_template, values),
        created_ms: now_ms,
    };
    let Some(id) = insert_notification(transaction, &notification).await? else {
        return Ok(None);
    };
    for channel in channels_reaching(&who) {
        if let Some(delivery_id) = insert_delivery(transaction, id, &channel, &who, now_ms).await? {
            enqueue_job_in(transaction, &deliver_job(delivery_id, now_ms), now_ms).await?;
        }
    }
    Ok(Some(id))
}

/// A notification to write as part of a batch (see `notify_many`).
#[derive(Debug, Clone)]
pub struct PendingNotification {
    pub recipient: Recipient,
    pub kind: &'static str,
    pub appeal_id: Option<i64>,
    /// Identifies the occasion; the recipient is added to it, as in `notify`.
    pub dedupe_key: String,
    pub values: Vec<(&'static str, String)>,
}

/// A recipient told of more than this many appeals of one kind by one batch gets a
/// digest instead (`digest_crowded`).
pub const DIGEST_AFTER: usize = 5;

/// How many appeal numbers a digest lists before "等".
const DIGEST_LISTS: usize = 30;

/// Folds the notifications of a batch into digests where one recipient would get more
/// than `DIGEST_AFTER` of one kind (`escalated`, `supervision`): a unit whose villages
/// stopped working over a holiday finds one notice listing its 300 appeals in its inbox
/// (and gets one text message), not 300. The digest's kind is the kind with `_digest`
/// after it; it names no single appeal. Every other notification is kept as it is, in
/// its order.
pub fn digest_crowded(pending: Vec<PendingNotification>, now_ms: i64) -> Vec<PendingNotification> {
    let digest_kind = |kind: &str| match kind {
        "escalated" => Some("escalated_digest"),
        "supervision" => Some("supervision_digest"),
        _ => None,
    };
    let mut counts: std::collections::HashMap<(Recipient, &'static str), usize> = std::collections::HashMap::new();
    for notification in &pending {
        if digest_kind(notification.kind).is_some() {
            *counts.entry((notification.recipient, notification.kind)).or_default() += 1;
        }
    }
    let mut kept = Vec::with_capacity(pending.len());
    let mut digests: Vec<(Recipient, &'static str, Vec<PendingNotification>)> = Vec::new();
    for notification in pending {
        let crowded = counts.get(&(notification.recipient, notification.kind)).is_some_and(|count| *count > DIGEST_AFTER);
        if !crowded {
            kept.push(notification);
            continue;
        }
        match digests.iter_mut().find(|(recipient, kind, _)| *recipient == notification.recipient && *kind == notification.kind) {
            Some((_, _, members)) => members.push(notification),
            None => digests.push((notification.recipient, notification.kind, vec![notification])),
        }
    }
    for (recipient, kind, members) in digests {
        let value_of = |member: &PendingNotification, name: &str| {
            member.values.iter().find(|(key, _)| *key == name).map(|(_, value)| value.clone()).unwrap_or_default()
        };
        let mut numbers: Vec<String> = members.iter().take(DIGEST_LISTS).map(|member| value_of(member, "number")).collect();
        if members.len() > DIGEST_LISTS {
            numbers.push("等".into());
        }
        let first_appeal = members.iter().filter_map(|member| member.appeal_id).min().unwrap_or_default();
        kept.push(PendingNotification {
            recipient,
            kind: digest_kind(kind).unwrap_or(kind),
            appeal_id: None,
            dedupe_key: format!("{kind}_digest:{now_ms}:{first_appeal}"),
            values: vec![
                ("count", members.len().to_string()),
                ("numbers", numbers.join("、")),
                ("unit", members.first().map(|member| value_of(member, "unit")).unwrap_or_default()),
            ],
        });
    }
    kept
}

/// Writes many notifications at once, as `notify` writes one: from their templates, each
/// once per key and recipient, with their deliveries queued over the registered
/// channels. A few multi-row statements whatever their number (the bulk escalation).
pub async fn notify_many(hub: &Hub, transaction: &mut Transaction, pending: &[PendingNotification]) -> Result<usize, ServiceError> {
    if pending.is_empty() {
        return Ok(0);
    }
    let mut templates: std::collections::HashMap<&str, (String, String)> = std::collections::HashMap::new();
    for notification in pending {
        if templates.contains_key(notification.kind) {
            continue;
        }
        templates.insert(notification.kind, template_for(transaction, notification.kind).await?);
    }
    let now_ms = hub.clock.now_ms();
    let rows: Vec<NewNotification> = pending
        .iter()
        .map(|notification| {
            let (title, body) = &templates[notification.kind];
            let (user_id, unit_id, who) = recipient_fields(notification.recipient);
            NewNotification {
                dedupe_key: format!("{}:{who}", notification.dedupe_key),
                user_id,
                unit_id,
                kind: notification.kind.to_string(),
                appeal_id: notification.appeal_id,
                title: render_template(title, &notification.values),
                body: render_template(body, &notification.values),
                created_ms: now_ms,
            }
        })
        .collect();
    let written = crate::storage::batches::insert_notifications(transaction, &rows).await?;
    let mut deliveries = Vec::new();
    for (row, notification) in rows.iter().zip(pending) {
        let Some(id) = written.get(&row.dedupe_key) else { continue };
        let (_, _, who) = recipient_fields(notification.recipient);
        for channel in channels_reaching(&who) {
            deliveries.push((*id, channel, who.clone()));
        }
    }
    if !deliveries.is_empty() {
        let delivery_ids = crate::storage::batches::insert_deliveries(transaction, &deliveries, now_ms).await?;
        let jobs: Vec<NewJob> = delivery_ids.into_iter().map(|delivery_id| deliver_job(delivery_id, now_ms)).collect();
        crate::storage::batches::enqueue_jobs(transaction, &jobs, now_ms).await?;
    }
    Ok(written.len())
}

/// A kind's template: the stored one, or the shipped default.
async fn template_for(transaction: &mut Transaction, kind: &str) -> Result<(String, String), ServiceError> {
    if let Some(found) = template_in(transaction, kind).await? {
        return Ok(found);
    }
    let (_, title, body, _) = DEFAULT_TEMPLATES
        .iter()
        .find(|(name, ..)| *name == kind)
        .ok_or_else(|| ServiceError::Internal(format!("no template for notification kind {kind}")))?;
    Ok((title.to_string(), body.to_string()))
}

/// The job that delivers one notification over one channel.
fn deliver_job(delivery_id: i64, now_ms: i64) -> NewJob {
    NewJob {
        kind: "deliver".into(),
        dedupe_key: format!("deliver:{delivery_id}"),
        appeal_id: None,
        due_ms: None,
        payload_json: serde_json::json!({ "delivery_id": delivery_id }).to_string(),
        run_at_ms: now_ms,
        max_attempts: 6,
    }
}

fn recipient_fields(recipient: Recipient) -> (Option<i64>, Option<i64>, String) {
    match recipient {
        Recipient::User(id) => (Some(id), None, format!("user:{id}")),
        Recipient::Unit(id) => (None, Some(id), format!("unit:{id}")),
    }
}

/// Notifies a unit's inbox and, when the unit has a head, the head's own inbox.
pub async fn notify_unit_and_head(
    hub: &Hub,
    transaction: &mut Transaction,
    unit_id: i64,
    kind: &str,
    appeal_id: Option<i64>,
    dedupe_key: &str,
    values: &[(&str, String)],
) -> Result<(), ServiceError> {
    notify(hub, transaction, Recipient::Unit(unit_id), kind, appeal_id, dedupe_key, values).await?;
    let head = crate::storage::supervision::unit_name_and_head_in(transaction, unit_id).await?.and_then(|(_, head)| head);
    if let Some(head) = head {
        notify(hub, transaction, Recipient::User(head), kind, appeal_id, dedupe_key, values).await?;
    }
    Ok(())
}

/// The values every appeal template can use.
pub fn appeal_values(appeal: &AppealRecord) -> Vec<(&'static str, String)> {
    let deadline = if appeal.next_deadline_ms == crate::storage::appeals::NO_DEADLINE {
        "（暂停计时）".to_string()
    } else {
        super::view::rfc3339(appeal.next_deadline_ms)
    };
    vec![
        ("number", appeal.number.clone()),
        ("summary", summary(&appeal.text)),
        ("tier", appeal.tier.label_zh().to_string()),
        ("deadline", deadline),
        ("urge_count", appeal.urge_count.to_string()),
    ]
}

/// The key of the notifications an action writes: the event and its place in the chain.
pub fn action_key(event: EventKind, after: &AppealRecord) -> String {
    format!("{}:{}:{}", event.as_str(), after.id, after.event_count)
}

/// Tells the units concerned about an action, inside the action's transaction.
pub async fn after_action(
    hub: &Hub,
    transaction: &mut Transaction,
    before: &AppealRecord,
    after: &AppealRecord,
    event: EventKind,
    _actor: &Actor,
    reason: &str,
) -> Result<(), ServiceError> {
    let key = action_key(event, after);
    let mut values = appeal_values(after);
    values.push(("reason", reason.to_string()));
    values.push(("from_tier", before.tier.label_zh().to_string()));
    match event {
        EventKind::Escalated if after.tier != before.tier => {
            if let Some(owner) = after.owner_unit_id {
                notify_unit_and_head(hub, transaction, owner, "escalated", Some(after.id), &key, &values).await?;
            }
        }
        EventKind::Dispatched | EventKind::Reopened => {
            for unit in after.lead_unit_id.iter().chain(after.co_unit_ids.iter()) {
                notify(hub, transaction, Recipient::Unit(*unit), "dispatched", Some(after.id), &key, &values).await?;
            }
        }
        EventKind::Urged => {
            let target = if matches!(after.status, AppealStatus::Dispatched | AppealStatus::SignedFor | AppealStatus::InProgress) {
                after.lead_unit_id.or(after.owner_unit_id)
            } else {
                after.owner_unit_id
            };
            if let Some(unit) = target {
                notify_unit_and_head(hub, transaction, unit, "urged", Some(after.id), &key, &values).await?;
            }
        }
        EventKind::Returned => {
            if let Some(owner) = after.owner_unit_id {
                notify(hub, transaction, Recipient::Unit(owner), "returned", Some(after.id), &key, &values).await?;
            }
        }
        _ => {}
    }
    Ok(())
}

/// A page of an inbox: the signed-in user's own, or their unit's.
pub async fn inbox(
    hub: &Hub,
    staff: &Staff,
    unit_box: bool,
    unread_only: bool,
    before: Option<i64>,
    limit: i64,
) -> Result<Vec<NotificationRow>, ServiceError> {
    let inbox = if unit_box { Inbox::Unit(staff.unit.id) } else { Inbox::User(staff.user_id) };
    Ok(hub.db.inbox(inbox, unread_only, before, limit.clamp(1, 200)).await?)
}

/// Unread counts: (the user's own, the unit's).
pub async fn unread_counts(hub: &Hub, staff: &Staff) -> Result<(i64, i64), ServiceError> {
    Ok((hub.db.unread_count(Inbox::User(staff.user_id)).await?, hub.db.unread_count(Inbox::Unit(staff.unit.id)).await?))
}

/// Marks one notification read. Another person's notification is reported as not found.
pub async fn mark_read(hub: &Hub, staff: &Staff, id: i64) -> Result<NotificationRow, ServiceError> {
    let found = hub.db.notification_for(id, staff.user_id, staff.unit.id).await?;
    if found.is_none() {
        return Err(ServiceError::NotFound(format!("notification {id}")));
    }
    hub.db.mark_notification_read(id, staff.user_id, hub.clock.now_ms()).await?;
    hub.db.notification_for(id, staff.user_id, staff.unit.id).await?.ok_or_else(|| ServiceError::NotFound(format!("notification {id}")))
}

/// Every template: the stored ones, and the shipped default for kinds never edited.
pub async fn templates(hub: &Hub) -> Result<Vec<TemplateRow>, ServiceError> {
    let stored = hub.db.templates().await?;
    Ok(DEFAULT_TEMPLATES
        .iter()
        .map(|(kind, title, body, _)| {
            stored.iter().find(|row| row.kind == *kind).cloned().unwrap_or(TemplateRow {
                kind: kind.to_string(),
                title: title.to_string(),
                body: body.to_string(),
                updated_ms: 0,
                updated_by: None,
            })
        })
        .collect())
}

/// An administrator edits a template. Only known kinds; text within limits.
pub async fn edit_template(hub: &Hub, staff: &Staff, kind: &str, title: &str, body: &str) -> Result<TemplateRow, ServiceError> {
    if !staff.has(Role::Admin) {
        return Err(ServiceError::Forbidden("only an administrator edits message templates".into()));
    }
    if !DEFAULT_TEMPLATES.iter().any(|(name, ..)| *name == kind) {
        let known: Vec<&str> = DEFAULT_TEMPLATES.iter().map(|(name, ..)| *name).collect();
        return Err(ServiceError::NotFound(format!("template {kind} (known: {})", known.join(", "))));
    }
    let (title, body) = (title.trim(), body.trim());
    if title.is_empty() || title.chars().count() > 200 {
        return Err(ServiceError::invalid("title", "title must be 1 to 200 characters"));
    }
    if body.is_empty() || body.chars().count() > 2000 {
        return Err(ServiceError::invalid("body", "body must be 1 to 2000 characters"));
    }
    let now_ms = hub.clock.now_ms();
    hub.db.upsert_template(kind, title, body, staff.user_id, now_ms).await?;
    Ok(TemplateRow {
        kind: kind.to_string(),
        title: title.to_string(),
        body: body.to_string(),
        updated_ms: now_ms,
        updated_by: Some(staff.user_id),
    })
}

/// Runs one delivery attempt (a `deliver` job). Err means "retry later".
pub async fn deliver(hub: &Hub, delivery_id: i64, final_attempt: bool) -> Result<(), ServiceError> {
    let Some((delivery, title, body)) = hub.db.delivery(delivery_id).await? else {
        return Ok(());
    };
    if delivery.state == "delivered" {
        return Ok(());
    }
    let now_ms = hub.clock.now_ms();
    let outcome = match sender_for(&delivery.channel) {
        None => Err(format!("no sender is registered for channel {}", delivery.channel)),
        Some(sender) => {
            let message = OutboundMessage { channel: delivery.channel.clone(), address: delivery.address.clone(), title, body };
            sender.send(&message).await
        }
    };
    hub.db.record_delivery_attempt(delivery_id, outcome.as_ref().map(|_| ()).map_err(String::as_str), final_attempt, now_ms).await?;
    outcome.map_err(ServiceError::Internal)
}
