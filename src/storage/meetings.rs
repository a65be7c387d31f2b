//! Meetings (板凳会, 圆桌会议, 议事会…) whose minutes produce appeals.

use sqlx::{AnyConnection, Row};

use super::Result;

pub struct NewMeeting<'a> {
    pub kind: &'a str,
    pub title: &'a str,
    pub place: Option<&'a str>,
    pub region_code: &'a str,
    pub held_ms: i64,
    pub minutes: Option<&'a str>,
    pub recorded_by: i64,
    pub created_ms: i64,
}

pub async fn insert_meeting(transaction: &mut AnyConnection, meeting: &NewMeeting<'_>) -> Result<i64> {
    let row = sqlx::query(
        "INSERT INTO meetings (kind, title, place, region_code, held_ms, minutes, recorded_by, created_ms) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id",
    )
    .bind(meeting.kind)
    .bind(meeting.title)
    .bind(meeting.place)
    .bind(meeting.region_code)
    .bind(meeting.held_ms)
    .bind(meeting.minutes)
    .bind(meeting.recorded_by)
    .bind(meeting.created_ms)
    .fetch_one(&mut *transaction)
    .await?;
    Ok(row.try_get(0)?)
}
