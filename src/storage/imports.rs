//! The source reference of imported appeals: the number another system gave them.

use std::collections::HashMap;

use sqlx::{AnyConnection, Row};

use super::sql::SqlBuilder;
use super::{Db, Result};

/// Records the source system's number of an imported appeal (unique among appeals).
pub async fn set_source_ref(transaction: &mut AnyConnection, appeal_id: i64, source_ref: &str) -> Result<()> {
    sqlx::query("UPDATE appeals SET source_ref = $1 WHERE id = $2").bind(source_ref).bind(appeal_id).execute(&mut *transaction).await?;
    Ok(())
}

impl Db {
    /// The appeals already imported under any of these source numbers: source number →
    /// our number.
    pub async fn appeals_by_source_refs(&self, source_refs: &[String]) -> Result<HashMap<String, String>> {
        let mut found = HashMap::new();
        for chunk in source_refs.chunks(500) {
            let mut builder = SqlBuilder::new("SELECT source_ref, number FROM appeals WHERE source_ref IN (");
            for (index, source_ref) in chunk.iter().enumerate() {
                if index > 0 {
                    builder.push(", ");
                }
                builder.bind(source_ref.as_str());
            }
            builder.push(")");
            for row in builder.query().fetch_all(&self.pool).await? {
                found.insert(row.try_get::<String, _>(0)?, row.try_get::<String, _>(1)?);
            }
        }
        Ok(found)
    }
}
