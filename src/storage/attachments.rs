//! Photos attached to appeals, stored in the database itself so that a backup (which
//! copies the database) always carries them and every node of a cluster can serve them.

use sqlx::Row;

use super::{Db, Result};

/// A stored attachment without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttachmentMeta {
    pub id: i64,
    pub appeal_id: i64,
    pub content_type: String,
    pub byte_size: i64,
    pub sha256: String,
    /// `resident` or `user:NAME`.
    pub uploaded_by: String,
    pub created_ms: i64,
}

/// A new attachment to store.
pub struct NewAttachment<'a> {
    pub appeal_id: i64,
    pub content_type: &'a str,
    pub sha256: &'a str,
    pub bytes: &'a [u8],
    pub uploaded_by: &'a str,
    pub uploaded_user_id: Option<i64>,
    pub created_ms: i64,
}

const META_COLUMNS: &str = "id, appeal_id, content_type, byte_size, sha256, uploaded_by, created_ms";

fn meta_from_row(row: &sqlx::any::AnyRow) -> Result<AttachmentMeta> {
    Ok(AttachmentMeta {
        id: row.try_get("id")?,
        appeal_id: row.try_get("appeal_id")?,
        content_type: row.try_get("content_type")?,
        byte_size: row.try_get("byte_size")?,
        sha256: row.try_get("sha256")?,
        uploaded_by: row.try_get("uploaded_by")?,
        created_ms: row.try_get("created_ms")?,
    })
}

/// What storing an attachment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Stored {
    /// A new attachment was written.
    New(AttachmentMeta),
    /// The same bytes were already attached to this appeal (a retried upload).
    Existing(AttachmentMeta),
    /// The appeal carries the most attachments it may.
    Full,
}

impl Db {
    /// Stores an attachment unless the same bytes are already attached to the appeal or
    /// the appeal already carries `max_per_appeal`. The check and the write are one
    /// transaction, so two uploads at once cannot pass the limit together.
    pub async fn store_attachment(&self, attachment: &NewAttachment<'_>, max_per_appeal: i64) -> Result<Stored> {
        let mut transaction = self.begin_write().await?;
        let sql = format!("SELECT {META_COLUMNS} FROM attachments WHERE appeal_id = $1 AND sha256 = $2");
        let existing = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(attachment.appeal_id)
            .bind(attachment.sha256)
            .fetch_optional(&mut *transaction)
            .await?;
        if let Some(row) = existing {
            return Ok(Stored::Existing(meta_from_row(&row)?));
        }
        if self.dialect == super::Dialect::Postgres {
            // Serialise uploads to one appeal, so the count below stays true until commit.
            sqlx::query("SELECT id FROM appeals WHERE id = $1 FOR UPDATE").bind(attachment.appeal_id).execute(&mut *transaction).await?;
        }
        let count: i64 = sqlx::query("SELECT COUNT(*) FROM attachments WHERE appeal_id = $1")
            .bind(attachment.appeal_id)
            .fetch_one(&mut *transaction)
            .await?
            .try_get(0)?;
        if count >= max_per_appeal {
            return Ok(Stored::Full);
        }
        let sql = format!(
            "INSERT INTO attachments (appeal_id, content_type, byte_size, sha256, bytes, uploaded_by, uploaded_user_id, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING {META_COLUMNS}"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(attachment.appeal_id)
            .bind(attachment.content_type)
            .bind(attachment.bytes.len() as i64)
            .bind(attachment.sha256)
            .bind(attachment.bytes.to_vec())
            .bind(attachment.uploaded_by)
            .bind(attachment.uploaded_user_id)
            .bind(attachment.created_ms)
            .fetch_one(&mut *transaction)
            .await?;
        let meta = meta_from_row(&row)?;
        transaction.commit().await?;
        Ok(Stored::New(meta))
    }

    /// The attachments of an appeal, oldest first, without their bytes.
    pub async fn attachments_of(&self, appeal_id: i64) -> Result<Vec<AttachmentMeta>> {
        let sql = format!("SELECT {META_COLUMNS} FROM attachments WHERE appeal_id = $1 ORDER BY id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(appeal_id).fetch_all(&self.pool).await?;
        rows.iter().map(meta_from_row).collect()
    }

    /// One attachment of an appeal with its bytes.
    pub async fn attachment_bytes(&self, appeal_id: i64, id: i64) -> Result<Option<(AttachmentMeta, Vec<u8>)>> {
        let sql = format!("SELECT {META_COLUMNS}, bytes FROM attachments WHERE appeal_id = $1 AND id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(appeal_id).bind(id).fetch_optional(&self.pool).await?;
        match row {
            None => Ok(None),
            Some(row) => Ok(Some((meta_from_row(&row)?, row.try_get("bytes")?))),
        }
    }
}
