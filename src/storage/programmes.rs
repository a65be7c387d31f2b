//! The programmes' reference data and records beside the work items: the service
//! catalogue and response targets, meeting attendance, meeting schedules, and the
//! counts dashboards read.

use sqlx::{AnyConnection, Row};

use super::{Db, Result};

/// A service a community offers (meal delivery, day care, home visit, escort, repairs).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct CatalogueItem {
    pub id: i64,
    pub region_code: String,
    pub code: String,
    pub name: String,
    /// How long the service itself may take once taken, in clock hours (used when the
    /// resident gives no window end).
    pub finish_hours: i64,
    /// Points the team member earns when the resident rates the order (0 for none).
    pub points: i64,
    pub active: bool,
}

/// A meeting or activity as listed.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct MeetingRow {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub place: Option<String>,
    pub region_code: String,
    pub held_ms: i64,
    pub minutes: Option<String>,
    pub organiser_unit_id: Option<i64>,
    pub schedule_id: Option<i64>,
    /// References to photos and files (URLs or names), as JSON text list.
    pub attachments: Vec<String>,
}

/// One attendee of a meeting.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct AttendeeRow {
    pub name: String,
    pub phone: Option<String>,
    pub role: String,
    pub points_journal_id: Option<i64>,
}

/// A recurring schedule of meetings or activities (one drill a quarter, …).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct ScheduleRow {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub region_code: String,
    pub organiser_unit_id: i64,
    /// 1 = monthly, 3 = quarterly, 6 = half-yearly, 12 = yearly.
    pub every_months: i64,
    /// The first period's month, `YYYY-MM`.
    pub starts_month: String,
    /// How many days before a period ends an unheld meeting is reminded.
    pub remind_days: i64,
    pub active: bool,
}

fn catalogue_from_row(row: &sqlx::any::AnyRow) -> Result<CatalogueItem> {
    let active: i64 = row.try_get("active")?;
    Ok(CatalogueItem {
        id: row.try_get("id")?,
        region_code: row.try_get("region_code")?,
        code: row.try_get("code")?,
        name: row.try_get("name")?,
        finish_hours: row.try_get("finish_hours")?,
        points: row.try_get("points")?,
        active: active != 0,
    })
}

fn meeting_from_row(row: &sqlx::any::AnyRow) -> Result<MeetingRow> {
    let attachments: Option<String> = row.try_get("attachments")?;
    Ok(MeetingRow {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        title: row.try_get("title")?,
        place: row.try_get("place")?,
        region_code: row.try_get("region_code")?,
        held_ms: row.try_get("held_ms")?,
        minutes: row.try_get("minutes")?,
        organiser_unit_id: row.try_get("organiser_unit_id")?,
        schedule_id: row.try_get("schedule_id")?,
        attachments: attachments.and_then(|text| serde_json::from_str(&text).ok()).unwrap_or_default(),
    })
}

fn schedule_from_row(row: &sqlx::any::AnyRow) -> Result<ScheduleRow> {
    let active: i64 = row.try_get("active")?;
    Ok(ScheduleRow {
        id: row.try_get("id")?,
        kind: row.try_get("kind")?,
        title: row.try_get("title")?,
        region_code: row.try_get("region_code")?,
        organiser_unit_id: row.try_get("organiser_unit_id")?,
        every_months: row.try_get("every_months")?,
        starts_month: row.try_get("starts_month")?,
        remind_days: row.try_get("remind_days")?,
        active: active != 0,
    })
}

const MEETING_COLUMNS: &str = "id, kind, title, place, region_code, held_ms, minutes, organiser_unit_id, schedule_id, attachments";
const SCHEDULE_COLUMNS: &str = "id, kind, title, region_code, organiser_unit_id, every_months, starts_month, remind_days, active";

/// Sets the programme columns of a meeting just recorded.
pub async fn set_meeting_details(
    transaction: &mut AnyConnection,
    meeting_id: i64,
    organiser_unit_id: i64,
    schedule_id: Option<i64>,
    attachments: &[String],
) -> Result<()> {
    let attachments = serde_json::to_string(attachments).unwrap_or_else(|_| "[]".into());
    sqlx::query("UPDATE meetings SET organiser_unit_id = $1, schedule_id = $2, attachments = $3 WHERE id = $4")
        .bind(organiser_unit_id)
        .bind(schedule_id)
        .bind(attachments)
        .bind(meeting_id)
        .execute(&mut *transaction)
        .await?;
    Ok(())
}

/// Records one attendee; returns false if the name is already on the list.
pub async fn insert_attendee(transaction: &mut AnyConnection, meeting_id: i64, attendee: &AttendeeRow) -> Result<bool> {
    let result = sqlx::query(
        "INSERT INTO meeting_attendance (meeting_id, name, phone, role, points_journal_id) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (meeting_id, name) DO NOTHING",
    )
    .bind(meeting_id)
    .bind(&attendee.name)
    .bind(&attendee.phone)
    .bind(&attendee.role)
    .bind(attendee.points_journal_id)
    .execute(&mut *transaction)
    .await?;
    Ok(result.rows_affected() == 1)
}

/// A schedule, inside a transaction.
pub async fn schedule_in(transaction: &mut AnyConnection, id: i64) -> Result<Option<ScheduleRow>> {
    let sql = format!("SELECT {SCHEDULE_COLUMNS} FROM meeting_schedules WHERE id = $1");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&mut *transaction).await?;
    row.as_ref().map(schedule_from_row).transpose()
}

impl Db {
    pub async fn upsert_catalogue_item(&self, item: &CatalogueItem) -> Result<CatalogueItem> {
        sqlx::query(
            "INSERT INTO service_catalogue (region_code, code, name, finish_hours, points, active) VALUES ($1, $2, $3, $4, $5, $6) \
             ON CONFLICT (region_code, code) DO UPDATE SET name = $3, finish_hours = $4, points = $5, active = $6",
        )
        .bind(&item.region_code)
        .bind(&item.code)
        .bind(&item.name)
        .bind(item.finish_hours)
        .bind(item.points)
        .bind(i64::from(item.active))
        .execute(&self.pool)
        .await?;
        self.catalogue_item(&item.region_code, &item.code)
            .await?
            .ok_or_else(|| super::StorageError::NotFound(format!("service {}", item.code)))
    }

    pub async fn catalogue_item(&self, region_code: &str, code: &str) -> Result<Option<CatalogueItem>> {
        let row = sqlx::query(
            "SELECT id, region_code, code, name, finish_hours, points, active FROM service_catalogue WHERE region_code = $1 AND code = $2",
        )
        .bind(region_code)
        .bind(code)
        .fetch_optional(&self.pool)
        .await?;
        row.as_ref().map(catalogue_from_row).transpose()
    }

    pub async fn catalogue(&self, region_code: &str) -> Result<Vec<CatalogueItem>> {
        let rows = sqlx::query(
            "SELECT id, region_code, code, name, finish_hours, points, active FROM service_catalogue WHERE region_code = $1 ORDER BY code",
        )
        .bind(region_code)
        .fetch_all(&self.pool)
        .await?;
        rows.iter().map(catalogue_from_row).collect()
    }

    pub async fn set_service_target(&self, region_code: &str, response_minutes: i64, by: i64, now_ms: i64) -> Result<()> {
        sqlx::query(
            "INSERT INTO service_targets (region_code, response_minutes, updated_ms, updated_by) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (region_code) DO UPDATE SET response_minutes = $2, updated_ms = $3, updated_by = $4",
        )
        .bind(region_code)
        .bind(response_minutes)
        .bind(now_ms)
        .bind(by)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    pub async fn service_target(&self, region_code: &str) -> Result<Option<i64>> {
        let row = sqlx::query("SELECT response_minutes FROM service_targets WHERE region_code = $1")
            .bind(region_code)
            .fetch_optional(&self.pool)
            .await?;
        row.map(|row| Ok(row.try_get(0)?)).transpose()
    }

    pub async fn meeting(&self, id: i64) -> Result<Option<MeetingRow>> {
        let sql = format!("SELECT {MEETING_COLUMNS} FROM meetings WHERE id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql)).bind(id).fetch_optional(&self.pool).await?;
        row.as_ref().map(meeting_from_row).transpose()
    }

    pub async fn meetings_in(&self, region_prefix: &str, from_ms: i64, to_ms: i64) -> Result<Vec<MeetingRow>> {
        let sql = format!(
            "SELECT {MEETING_COLUMNS} FROM meetings WHERE region_code >= $1 AND region_code < $2 AND held_ms >= $3 AND held_ms < $4 ORDER BY held_ms, id"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(region_prefix)
            .bind(super::places::prefix_upper_bound(region_prefix))
            .bind(from_ms)
            .bind(to_ms)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(meeting_from_row).collect()
    }

    pub async fn meeting_attendees(&self, meeting_id: i64) -> Result<Vec<AttendeeRow>> {
        let rows = sqlx::query("SELECT name, phone, role, points_journal_id FROM meeting_attendance WHERE meeting_id = $1 ORDER BY name")
            .bind(meeting_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter()
            .map(|row| {
                Ok(AttendeeRow { name: row.try_get(0)?, phone: row.try_get(1)?, role: row.try_get(2)?, points_journal_id: row.try_get(3)? })
            })
            .collect()
    }

    /// The numbers of the appeals a meeting produced (the other direction is `appeals.meeting_id`).
    pub async fn meeting_appeal_numbers(&self, meeting_id: i64) -> Result<Vec<String>> {
        let rows =
            sqlx::query("SELECT number FROM appeals WHERE meeting_id = $1 ORDER BY id").bind(meeting_id).fetch_all(&self.pool).await?;
        rows.iter().map(|row| Ok(row.try_get(0)?)).collect()
    }

    pub async fn insert_schedule(&self, schedule: &ScheduleRow, now_ms: i64) -> Result<i64> {
        let row = sqlx::query(
            "INSERT INTO meeting_schedules (kind, title, region_code, organiser_unit_id, every_months, starts_month, remind_days, active, created_ms) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8) RETURNING id",
        )
        .bind(&schedule.kind)
        .bind(&schedule.title)
        .bind(&schedule.region_code)
        .bind(schedule.organiser_unit_id)
        .bind(schedule.every_months)
        .bind(&schedule.starts_month)
        .bind(schedule.remind_days)
        .bind(now_ms)
        .fetch_one(&self.pool)
        .await?;
        Ok(row.try_get(0)?)
    }

    pub async fn schedules(&self, region_prefix: &str) -> Result<Vec<ScheduleRow>> {
        let sql = format!("SELECT {SCHEDULE_COLUMNS} FROM meeting_schedules WHERE region_code >= $1 AND region_code < $2 ORDER BY id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(region_prefix)
            .bind(super::places::prefix_upper_bound(region_prefix))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(schedule_from_row).collect()
    }

    /// When each meeting of a schedule was held (ms), in order.
    pub async fn schedule_held(&self, schedule_id: i64) -> Result<Vec<(i64, i64)>> {
        let rows = sqlx::query("SELECT id, held_ms FROM meetings WHERE schedule_id = $1 ORDER BY held_ms")
            .bind(schedule_id)
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(|row| Ok((row.try_get(0)?, row.try_get(1)?))).collect()
    }

    /// Counts of a kind of work under a region prefix created in `[from_ms, to_ms)`:
    /// (status, late, count).
    pub async fn work_counts(&self, kind: &str, region_prefix: &str, from_ms: i64, to_ms: i64) -> Result<Vec<(String, bool, i64)>> {
        let rows = sqlx::query(
            "SELECT status, CASE WHEN late_ms IS NULL THEN 0 ELSE 1 END AS late, COUNT(*) FROM work_items \
             WHERE kind = $1 AND region_code >= $2 AND region_code < $3 AND created_ms >= $4 AND created_ms < $5 GROUP BY status, CASE WHEN late_ms IS NULL THEN 0 ELSE 1 END",
        )
        .bind(kind)
        .bind(region_prefix)
        .bind(super::places::prefix_upper_bound(region_prefix))
        .bind(from_ms)
        .bind(to_ms)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|row| {
                let late: i64 = row.try_get(1)?;
                Ok((row.try_get(0)?, late != 0, row.try_get(2)?))
            })
            .collect()
    }
}
