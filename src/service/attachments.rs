//! Photos with appeals: who may add and read them, and storing them checked.
//!
//! Staff who may read an appeal may read and add its photos. A resident holding the
//! appeal's secret may read them and add photos while the appeal is not yet closed.
//! Everyone else is told the appeal does not exist, as for the appeal itself.

use sha2::{Digest, Sha256};

use super::actions::visible_to;
use super::intake::secret_matches;
use super::{Hub, ServiceError};
use crate::domain::access::Staff;
use crate::domain::appeal::AppealStatus;
use crate::domain::attachment::{MAX_PHOTOS_PER_APPEAL, check_photo};
use crate::storage::appeals::AppealRecord;
use crate::storage::attachments::{AttachmentMeta, NewAttachment, Stored};

/// Who is asking: a signed-in staff member, or a resident with the appeal's secret.
pub enum Reader<'a> {
    Staff(&'a Staff),
    Resident { secret: &'a str },
}

/// The appeal if this reader may see it; otherwise "not found".
pub async fn readable_appeal(hub: &Hub, number: &str, reader: &Reader<'_>) -> Result<AppealRecord, ServiceError> {
    let not_found = || ServiceError::NotFound(format!("appeal {number}"));
    let appeal = hub.db.appeal_by_number(number).await?.ok_or_else(not_found)?;
    let allowed = match reader {
        Reader::Staff(staff) => visible_to(hub, staff, &appeal).await?,
        Reader::Resident { secret } => secret_matches(&appeal, secret),
    };
    if allowed { Ok(appeal) } else { Err(not_found()) }
}

/// Attaches a photo. The same bytes sent again (a retried upload from a phone's outbox)
/// return the first attachment instead of a copy: the bool is true when it is new.
pub async fn attach_photo(hub: &Hub, number: &str, reader: &Reader<'_>, bytes: &[u8]) -> Result<(AttachmentMeta, bool), ServiceError> {
    let appeal = readable_appeal(hub, number, reader).await?;
    let kind = check_photo(bytes).map_err(|problem| ServiceError::invalid("body", problem.to_string()))?;
    let (uploaded_by, uploaded_user_id) = match reader {
        Reader::Staff(staff) => (format!("user:{}", staff.username), Some(staff.user_id)),
        Reader::Resident { .. } => {
            if matches!(appeal.status, AppealStatus::Closed | AppealStatus::Rejected | AppealStatus::Merged) {
                return Err(ServiceError::Conflict(format!(
                    "appeal {number} is {}; photos can no longer be added",
                    appeal.status.as_str()
                )));
            }
            ("resident".to_string(), None)
        }
    };
    let sha256 = hex::encode(Sha256::digest(bytes));
    let attachment = NewAttachment {
        appeal_id: appeal.id,
        content_type: kind.content_type(),
        sha256: &sha256,
        bytes,
        uploaded_by: &uploaded_by,
        uploaded_user_id,
        created_ms: hub.clock.now_ms(),
    };
    match hub.db.store_attachment(&attachment, MAX_PHOTOS_PER_APPEAL).await? {
        Stored::New(meta) => Ok((meta, true)),
        Stored::Existing(meta) => Ok((meta, false)),
        Stored::Full => {
            Err(ServiceError::Conflict(format!("appeal {number} already has {MAX_PHOTOS_PER_APPEAL} photos, the most it may carry")))
        }
    }
}

/// The photos of an appeal, without their bytes.
pub async fn list_photos(hub: &Hub, number: &str, reader: &Reader<'_>) -> Result<Vec<AttachmentMeta>, ServiceError> {
    let appeal = readable_appeal(hub, number, reader).await?;
    Ok(hub.db.attachments_of(appeal.id).await?)
}

/// One photo with its bytes.
pub async fn photo(hub: &Hub, number: &str, reader: &Reader<'_>, id: i64) -> Result<(AttachmentMeta, Vec<u8>), ServiceError> {
    let appeal = readable_appeal(hub, number, reader).await?;
    hub.db.attachment_bytes(appeal.id, id).await?.ok_or_else(|| ServiceError::NotFound(format!("photo {id} of appeal {number}")))
}
