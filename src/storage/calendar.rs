//! Imported calendar days (holidays and make-up working days) that override the shipped ones.

use sqlx::Row;

use super::{Db, Result, StorageError};
use crate::domain::calendar::{CalendarDay, DayKind};

impl Db {
    pub async fn upsert_calendar_days(&self, days: &[CalendarDay]) -> Result<()> {
        let mut transaction = self.begin_write().await?;
        for day in days {
            let kind = match day.kind {
                DayKind::Off => "off",
                DayKind::Working => "working",
            };
            sqlx::query(
                "INSERT INTO calendar_days (day, kind, name) VALUES ($1, $2, $3) \
                 ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name",
            )
            .bind(day.date.to_string())
            .bind(kind)
            .bind(&day.name)
            .execute(&mut *transaction)
            .await?;
        }
        transaction.commit().await?;
        Ok(())
    }

    pub async fn calendar_days(&self) -> Result<Vec<CalendarDay>> {
        let rows = sqlx::query("SELECT day, kind, name FROM calendar_days ORDER BY day").fetch_all(&self.pool).await?;
        rows.iter()
            .map(|row| {
                let day: String = row.try_get("day")?;
                let kind: String = row.try_get("kind")?;
                Ok(CalendarDay {
                    date: day.parse().map_err(|error: jiff::Error| StorageError::Corrupt(error.to_string()))?,
                    kind: if kind == "working" { DayKind::Working } else { DayKind::Off },
                    name: row.try_get("name")?,
                })
            })
            .collect()
    }
}
