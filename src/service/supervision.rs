//! Supervision by hand: a supervisor issues a supervision notice (督办) on an appeal, and
//! reads the key supervision list, the notices, the urges and the reminder notices.

use super::{Hub, ServiceError};
use crate::domain::access::{Role, Staff};
use crate::domain::escalation::late_unit;
use crate::storage::StorageError;
use crate::storage::supervision::{KeySupervisionRow, ReminderNoticeRow, SupervisionNoticeRow, UrgeRow};

fn require_supervisor(staff: &Staff) -> Result<(), ServiceError> {
    if staff.has_any(&[Role::Supervisor, Role::Leader, Role::Admin]) {
        Ok(())
    } else {
        Err(ServiceError::Forbidden("only supervisors, leaders and administrators see and issue supervision".into()))
    }
}

/// A supervisor issues a supervision notice on an appeal: to the head of the late unit,
/// and onto the key supervision list.
pub async fn issue_notice(hub: &Hub, staff: &Staff, number: &str, reason: &str) -> Result<SupervisionNoticeRow, ServiceError> {
    if !staff.has_any(&[Role::Supervisor, Role::Admin]) {
        return Err(ServiceError::Forbidden("only a supervisor issues supervision notices".into()));
    }
    let reason = reason.trim();
    if reason.is_empty() || reason.chars().count() > 1000 {
        return Err(ServiceError::invalid("reason", "say why the appeal is supervised (1 to 1000 characters)"));
    }
    let appeal = hub.db.appeal_by_number(number).await?.ok_or_else(|| ServiceError::NotFound(format!("appeal {number}")))?;
    if !super::actions::visible_to(hub, staff, &appeal).await? {
        return Err(ServiceError::NotFound(format!("appeal {number}")));
    }
    if appeal.status.is_terminal() {
        return Err(ServiceError::invalid(
            "number",
            format!("appeal {number} is {}; only appeals still being handled are supervised", appeal.status),
        ));
    }
    let late = late_unit(appeal.status, appeal.owner_unit_id, appeal.lead_unit_id);
    let now_ms = hub.clock.now_ms();
    let key = format!("manual:{}:{}:{now_ms}", appeal.id, staff.user_id);
    let mut transaction = hub.db.begin_write().await?;
    super::sweep::raise_supervision(hub, &mut transaction, &appeal, late, "manual", reason, Some(staff.user_id), &key).await?;
    transaction.commit().await.map_err(StorageError::from)?;
    hub.db
        .supervision_notices(Some(appeal.id), 1)
        .await?
        .into_iter()
        .next()
        .ok_or_else(|| ServiceError::Internal("the notice was not stored".into()))
}

pub async fn notices(hub: &Hub, staff: &Staff, number: Option<&str>, limit: i64) -> Result<Vec<SupervisionNoticeRow>, ServiceError> {
    require_supervisor(staff)?;
    let appeal_id = match number {
        None => None,
        Some(number) => Some(hub.db.appeal_by_number(number).await?.ok_or_else(|| ServiceError::NotFound(format!("appeal {number}")))?.id),
    };
    Ok(hub.db.supervision_notices(appeal_id, limit.clamp(1, 500)).await?)
}

pub async fn key_list(hub: &Hub, staff: &Staff, limit: i64) -> Result<Vec<KeySupervisionRow>, ServiceError> {
    require_supervisor(staff)?;
    Ok(hub.db.key_supervision_list(limit.clamp(1, 500)).await?)
}

pub async fn urges(hub: &Hub, staff: &Staff, limit: i64) -> Result<Vec<UrgeRow>, ServiceError> {
    require_supervisor(staff)?;
    Ok(hub.db.recent_urges(limit.clamp(1, 500)).await?)
}

pub async fn reminders(hub: &Hub, staff: &Staff, month: Option<&str>, limit: i64) -> Result<Vec<ReminderNoticeRow>, ServiceError> {
    require_supervisor(staff)?;
    Ok(hub.db.reminder_notices(month, limit.clamp(1, 500)).await?)
}
