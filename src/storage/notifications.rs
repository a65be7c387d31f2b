//! The in-app inbox (per user and per unit), the editable message templates and the
//! delivery log of the other channels (SMS, WeChat, …).

use sqlx::Row;

use super::{Db, Result};

/// A notification to write. `dedupe_key` is unique, so a job that runs twice writes once.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification {
    pub dedupe_key: String,
    pub user_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub kind: String,
    pub appeal_id: Option<i64>,
    pub title: String,
    pub body: String,
    pub created_ms: i64,
}

/// A stored notification.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NotificationRow {
    pub id: i64,
    pub user_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub kind: String,
    pub appeal_id: Option<i64>,
    pub appeal_number: Option<String>,
    pub title: String,
    pub body: String,
    pub created_ms: i64,
    pub read_ms: Option<i64>,
}

/// Whose inbox: one person's, or a unit's (shared by its members).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Inbox {
    User(i64),
    Unit(i64),
}

/// An editable template of a message kind.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplateRow {
    pub kind: String,
    pub title: String,
    pub body: String,
    pub updated_ms: i64,
    pub updated_by: Option<i64>,
}

/// One attempt record of delivering a notification over a channel.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct DeliveryRow {
    pub id: i64,
    pub notification_id: i64,
    pub channel: String,
    pub address: String,
    pub state: String,
    pub attempts: i64,
    pub last_error: Option<String>,
    pub created_ms: i64,
    pub delivered_ms: Option<i64>,
}

/// Writes a notification unless one with the same key exists. Returns its id when written.
pub async fn insert_notification(transaction: &mut sqlx::AnyConnection, notification: &NewNotification) -> Result<Option<i64>> {
    let row = sqlx::query(
        "INSERT INTO notifications (dedupe_key, user_id, unit_id, kind, appeal_id, title, body, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT (dedupe_key) DO NOTHING RETURNING id",
    )
    .bind(&notification.dedupe_key)
    .bind(notification.user_id)
    .bind(notification.unit_id)
    .bind(&notification.kind)
    .bind(notification.appeal_id)
    .bind(&notification.title)
    .bind(&notification.body)
    .bind(notification.created_ms)
    .fetch_optional(&mut *transaction)
    .await?;
    Ok(row.map(|row| row.try_get(0)).transpose()?)
}

/// Records that a notification is to be delivered over a channel; returns the delivery id.
pub async fn insert_delivery(
    transaction: &mut sqlx::AnyConnection,
    notification_id: i64,
    channel: &str,
    address: &str,
    now_ms: i64,
) -> Result<Option<i64>> {
    let row = sqlx::query(
        "INSERT INTO notification_deliveries (notification_id, channel, address, state, attempts, created_ms) \
         VALUES ($1, $2, $3, 'pending', 0, $4) ON CONFLICT (notification_id, channel, address) DO NOTHING RETURNING id",
    )
    .bind(notification_id)
    .bind(channel)
    .bind(address)
    .bind(now_ms)
    .fetch_optional(&mut *transaction)
    .await?;
    Ok(row.map(|row| row.try_get(0)).transpose()?)
}

/// A template inside a transaction (used while writing a notification).
pub async fn template_in(transaction: &mut sqlx::AnyConnection, kind: &str) -> Result<Option<(String, String)>> {
    let row =
        sqlx::query("SELECT title, body FROM notification_templates WHERE kind = $1").bind(kind).fetch_optional(&mut *transaction).await?;
    row.map(|row| Ok((row.try_get(0)?, row.try_get(1)?))).transpose()
}

fn notification_from_row(row: &sqlx::any::AnyRow) -> Result<NotificationRow> {
    Ok(NotificationRow {
        id: row.try_get("id")?,
        user_id: row.try_get("user_id")?,
        unit_id: row.try_get("unit_id")?,
        kind: row.try_get("kind")?,
        appeal_id: row.try_get("appeal_id")?,
        appeal_number: row.try_get("number")?,
        title: row.try_get("title")?,
        body: row.try_get("body")?,
        created_ms: row.try_get("created_ms")?,
        read_ms: row.try_get("read_ms")?,
    })
}

impl Db {
    /// A page of an inbox, newest first, before the id `before` when given.
    pub async fn inbox(&self, inbox: Inbox, unread_only: bool, before: Option<i64>, limit: i64) -> Result<Vec<NotificationRow>> {
        let mut builder = super::sql::SqlBuilder::new(
            "SELECT n.id, n.user_id, n.unit_id, n.kind, n.appeal_id, a.number, n.title, n.body, n.created_ms, n.read_ms \
             FROM notifications n LEFT JOIN appeals a ON a.id = n.appeal_id WHERE ",
        );
        match inbox {
            Inbox::User(user_id) => builder.push("n.user_id = ").bind(user_id),
            Inbox::Unit(unit_id) => builder.push("n.unit_id = ").bind(unit_id).push(" AND n.user_id IS NULL"),
        };
        if unread_only {
            builder.push(" AND n.read_ms IS NULL");
        }
        if let Some(before) = before {
            builder.push(" AND n.id < ").bind(before);
        }
        builder.push(" ORDER BY n.id DESC LIMIT ").bind(limit);
        let rows = builder.query().fetch_all(&self.pool).await?;
        rows.iter().map(notification_from_row).collect()
    }

    pub async fn unread_count(&self, inbox: Inbox) -> Result<i64> {
        let row = match inbox {
            Inbox::User(user_id) => {
                sqlx::query("SELECT COUNT(*) FROM notifications WHERE user_id = $1 AND read_ms IS NULL")
                    .bind(user_id)
                    .fetch_one(&self.pool)
                    .await?
            }
            Inbox::Unit(unit_id) => {
                sqlx::query("SELECT COUNT(*) FROM notifications WHERE unit_id = $1 AND user_id IS NULL AND read_ms IS NULL")
                    .bind(unit_id)
                    .fetch_one(&self.pool)
                    .await?
            }
        };
        Ok(row.try_get(0)?)
    }

    /// The notification, if it is in the user's inbox or their unit's.
    pub async fn notification_for(&self, id: i64, user_id: i64, unit_id: i64) -> Result<Option<NotificationRow>> {
        let row = sqlx::query(
            "SELECT n.id, n.user_id, n.unit_id, n.kind, n.appeal_id, a.number, n.title, n.body, n.created_ms, n.read_ms \
             FROM notifications n LEFT JOIN appeals a ON a.id = n.appeal_id \
             WHERE n.id = $1 AND (n.user_id = $2 OR (n.user_id IS NULL AND n.unit_id = $3))",
        )
        .bind(id)
        .bind(user_id)
        .bind(unit_id)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(notification_from_row).transpose()
    }

    /// Marks a notification read (once; a second call keeps the first time).
    pub async fn mark_notification_read(&self, id: i64, reader: i64, now_ms: i64) -> Result<()> {
        sqlx::query("UPDATE notifications SET read_ms = $1, read_by = $2 WHERE id = $3 AND read_ms IS NULL")
            .bind(now_ms)
            .bind(reader)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Every notification of an appeal, oldest first (for the story and audits).
    pub async fn notifications_of_appeal(&self, appeal_id: i64) -> Result<Vec<NotificationRow>> {
        let rows = sqlx::query(
            "SELECT n.id, n.user_id, n.unit_id, n.kind, n.appeal_id, a.number, n.title, n.body, n.created_ms, n.read_ms \
             FROM notifications n LEFT JOIN appeals a ON a.id = n.appeal_id WHERE n.appeal_id = $1 ORDER BY n.id",
        )
        .bind(appeal_id)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(notification_from_row).collect()
    }

    pub async fn templates(&self) -> Result<Vec<TemplateRow>> {
        let rows = sqlx::query("SELECT kind, title, body, updated_ms, updated_by FROM notification_templates ORDER BY kind")
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(TemplateRow {
                    kind: row.try_get("kind")?,
                    title: row.try_get("title")?,
                    body: row.try_get("body")?,
                    updated_ms: row.try_get("updated_ms")?,
                    updated_by: row.try_get("updated_by")?,
                })
            })
            .collect()
    }

    pub async fn upsert_template(&self, kind: &str, title: &str, body: &str, by: i64, now_ms: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO notification_templates (kind, title, body, updated_ms, updated_by) VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (kind) DO UPDATE SET title = excluded.title, body = excluded.body, updated_ms = excluded.updated_ms, updated_by = excluded.updated_by",
        )
        .bind(kind)
        .bind(title)
        .bind(body)
        .bind(now_ms)
        .bind(by)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// A delivery with its notification's text: (delivery, title, body).
    pub async fn delivery(&self, id: i64) -> Result<Option<(DeliveryRow, String, String)>> {
        let row = sqlx::query(
            "SELECT d.id, d.notification_id, d.channel, d.address, d.state, d.attempts, d.last_error, d.created_ms, d.delivered_ms, n.title, n.body \
             FROM notification_deliveries d JOIN notifications n ON n.id = d.notification_id WHERE d.id = $1",
        )
        .bind(id)
        .fetch_optional(&self.pool)
        .await?;
        row.map(|row| Ok((delivery_from_row(&row)?, row.try_get("title")?, row.try_get("body")?))).transpose()
    }

    /// Records one delivery attempt: delivered, or the error.
    pub async fn record_delivery_attempt(
        &self,
        id: i64,
        outcome: std::result::Result<(), &str>,
        final_attempt: bool,
        now_ms: i64,
    ) -> Result<()> {
        let (state, error, delivered) = match outcome {
            Ok(()) => ("delivered", None, Some(now_ms)),
            Err(error) => (if final_attempt { "failed" } else { "retrying" }, Some(error), None),
        };
        sqlx::query("UPDATE notification_deliveries SET state = $1, last_error = $2, delivered_ms = $3, attempts = attempts + 1 WHERE id = $4 AND state <> 'delivered'")
            .bind(state)
            .bind(error)
            .bind(delivered)
            .bind(id)
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// The delivery log, newest first.
    pub async fn deliveries(&self, limit: i64) -> Result<Vec<DeliveryRow>> {
        let rows = sqlx::query(
            "SELECT id, notification_id, channel, address, state, attempts, last_error, created_ms, delivered_ms \
             FROM notification_deliveries ORDER BY id DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(delivery_from_row).collect()
    }
}

fn delivery_from_row(row: &sqlx::any::AnyRow) -> Result<DeliveryRow> {
    Ok(DeliveryRow {
        id: row.try_get("id")?,
        notification_id: row.try_get("notification_id")?,
        channel: row.try_get("channel")?,
        address: row.try_get("address")?,
        state: row.try_get("state")?,
        attempts: row.try_get("attempts")?,
        last_error: row.try_get("last_error")?,
        created_ms: row.try_get("created_ms")?,
        delivered_ms: row.try_get("delivered_ms")?,
    })
}
